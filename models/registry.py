"""Resolve a model name to a verified file.

The registry merges the packaged manifest with the operator's registrations
(``operator_models.json`` in the models directory, written by
``kiosk models add``) and hands out paths only for files whose sha256
matches the pin. It works the same inside a PyInstaller bundle, where the
models directory sits next to the executable.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from models.errors import ManifestError, ModelCorrupt, ModelMissing, UnknownModel
from models.manifest import Manifest, ModelSpec, Profile, Task, load_manifest

OPERATOR_REGISTRY = "operator_models.json"
MODELS_DIR_ENV = "KIOSK_MODELS_DIR"
_CHUNK = 1 << 20


def default_models_dir(data_dir: Path | None = None) -> Path:
    """Where model files live.

    ``KIOSK_MODELS_DIR`` wins; inside a PyInstaller bundle it is the bundle's
    ``models_data`` folder; otherwise ``<data_dir>/models``, where ``data_dir``
    defaults to ``<user data dir>/kiosk``.
    """
    env = os.environ.get(MODELS_DIR_ENV)
    if env:
        return Path(env).expanduser()
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle:
        return Path(bundle) / "models_data"
    if data_dir is None:
        import platformdirs

        data_dir = Path(platformdirs.user_data_dir("kiosk", appauthor=False))
    return data_dir / "models"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class ModelState(enum.Enum):
    """What the registry found on disk for one model."""

    OK = "ok"
    MISSING = "missing"
    CORRUPT = "corrupt"
    EMPTY_SLOT = "empty_slot"


@dataclass(frozen=True, slots=True)
class ModelStatus:
    """One model's presence and integrity.

    Attributes:
        spec: the manifest (or operator) entry.
        path: where the file is expected, absolute.
        state: ok, missing, corrupt (hash differs) or an unfilled operator slot.
        actual_sha256: hash of the file found, when one was found.
    """

    spec: ModelSpec
    path: Path
    state: ModelState
    actual_sha256: str | None = None

    @property
    def present(self) -> bool:
        return self.state is ModelState.OK


class ModelRegistry:
    """The models this installation knows, and where their verified files are.

    Thread-safe; hashes are computed once per (path, size, mtime) and cached.
    """

    def __init__(self, manifest: Manifest, models_dir: Path) -> None:
        self.models_dir = models_dir.resolve()
        self._manifest_models = manifest.models
        self._preferences = manifest.preferences
        self._lock = threading.Lock()
        self._hash_cache: dict[tuple[str, int, int], str] = {}
        self._specs = self._merge(manifest, self._load_operator_entries())

    @classmethod
    def default(cls, models_dir: Path | None = None) -> ModelRegistry:
        """The packaged manifest over ``models_dir`` (default: ``default_models_dir()``)."""
        return cls(load_manifest(), models_dir or default_models_dir())

    @property
    def manifest(self) -> Manifest:
        """The merged view: manifest entries with operator slots filled, plus operator models."""
        return Manifest(schema=1, models=self._specs, preferences=self._preferences)

    @property
    def specs(self) -> tuple[ModelSpec, ...]:
        return self._specs

    def spec(self, name: str) -> ModelSpec:
        """The entry for ``name``.

        Raises:
            UnknownModel: no such model.
        """
        return self.manifest.get(name)

    def file_path(self, spec: ModelSpec) -> Path:
        return self.models_dir / spec.file

    def status(self, name: str) -> ModelStatus:
        """Presence and integrity of one model, hashing the file if needed."""
        spec = self.spec(name)
        path = self.file_path(spec)
        if spec.sha256 is None:
            return ModelStatus(spec, path, ModelState.EMPTY_SLOT)
        if not path.is_file():
            return ModelStatus(spec, path, ModelState.MISSING)
        actual = self._hash(path)
        state = ModelState.OK if actual == spec.sha256 else ModelState.CORRUPT
        return ModelStatus(spec, path, state, actual)

    def statuses(self) -> tuple[ModelStatus, ...]:
        return tuple(self.status(s.name) for s in self._specs)

    def path(self, name: str) -> Path:
        """A verified path to the model's file.

        Raises:
            UnknownModel: no such model.
            ModelMissing: not fetched (or an empty operator slot).
            ModelCorrupt: the file's hash differs from the pin.
        """
        st = self.status(name)
        if st.state is ModelState.OK:
            return st.path
        if st.state is ModelState.EMPTY_SLOT:
            raise ModelMissing(
                f"Model '{name}' is an operator slot that has not been filled.",
                hint=f"register a file with: kiosk models add PATH --name {name} "
                f"--task {st.spec.task.value} --license TEXT",
            )
        if st.state is ModelState.MISSING:
            raise ModelMissing(
                f"Model '{name}' is missing: {st.path} does not exist.",
                hint="run: kiosk models fetch"
                if st.spec.source
                else "re-register it with kiosk models add",
            )
        raise ModelCorrupt(
            f"Model '{name}' at {st.path} has sha256 {st.actual_sha256}, "
            f"expected {st.spec.sha256}; it will not be loaded.",
            hint="delete the file and run: kiosk models fetch"
            if st.spec.source
            else "re-register the operator's original file with kiosk models add",
        )

    def choose(self, task: Task, profile: Profile, name: str | None = None) -> ModelSpec:
        """The model to use for ``task`` under ``profile``.

        With ``name``, that model (refused when the profile forbids its
        licence); otherwise the first preferred model that the profile allows
        and that is present.

        Raises:
            UnknownModel: ``name`` unknown or not a ``task`` model.
            ModelMissing: no allowed model for the task is present.
            ManifestError: ``name`` is not allowed under ``profile``.
        """
        if name is not None:
            spec = self.spec(name)
            if spec.task is not task:
                raise UnknownModel(
                    f"Model '{name}' is a {spec.task.value} model, not {task.value}."
                )
            if not spec.allowed_in(profile):
                raise ManifestError(
                    f"Model '{name}' is licensed '{spec.license}' and may not be used "
                    f"under the {profile.value} profile."
                )
            return spec
        candidates = [s for s in self.manifest.for_task(task) if s.allowed_in(profile)]
        for spec in candidates:
            if self.status(spec.name).present:
                return spec
        names = ", ".join(s.name for s in candidates) or "none"
        raise ModelMissing(
            f"No {task.value} model allowed under the {profile.value} profile is present "
            f"(candidates: {names}).",
            hint="run: kiosk models fetch",
        )

    def add_operator_model(
        self,
        source_path: Path,
        *,
        name: str,
        task: Task,
        license_text: str,
        commercial_use: bool,
        thresholds: Iterable[tuple[str, float]] = (),
    ) -> ModelSpec:
        """Copy an operator-supplied file into the models directory and pin it by hash.

        A name may fill an operator slot of the manifest (the task must agree)
        or be new; it may not replace a fetched model.

        Raises:
            ManifestError: the name belongs to a fetched model, or the task
                disagrees with the slot, or the licence text is empty.
            ModelMissing: ``source_path`` is not a readable file.
        """
        if not name.isidentifier():
            raise ManifestError(f"Model name {name!r} must be an identifier (letters, digits, _).")
        if not license_text.strip():
            raise ManifestError("An operator-supplied model needs its licence stated (--license).")
        if not source_path.is_file():
            raise ModelMissing(f"Cannot register {source_path}: no such file.")
        slot = next((m for m in self._manifest_models if m.name == name), None)
        if slot is not None and not slot.operator_supplied:
            raise ManifestError(
                f"'{name}' is a model fetched from its pinned source and cannot be replaced; "
                "choose another name."
            )
        if slot is not None and slot.task is not task:
            raise ManifestError(f"Slot '{name}' is for {slot.task.value}, not {task.value}.")
        digest = sha256_file(source_path)
        rel = f"operator/{name}{source_path.suffix}"
        target = self.models_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        _atomic_copy(source_path, target)
        if sha256_file(target) != digest:
            raise ModelCorrupt(f"Copy of {source_path} to {target} does not match the original.")
        entry = {
            "name": name,
            "task": task.value,
            "runtime": "onnxruntime",
            "file": rel,
            "sha256": digest,
            "license": license_text.strip(),
            "commercial_use": commercial_use,
            "thresholds": dict(thresholds),
            "added": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        entries = [e for e in self._read_operator_file() if e.get("name") != name]
        entries.append(entry)
        self._write_operator_file(entries)
        self._specs = self._merge(
            Manifest(1, self._manifest_models, self._preferences), self._load_operator_entries()
        )
        return self.spec(name)

    # internals

    def _hash(self, path: Path) -> str:
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns)
        with self._lock:
            cached = self._hash_cache.get(key)
        if cached is not None:
            return cached
        digest = sha256_file(path)
        with self._lock:
            self._hash_cache[key] = digest
        return digest

    def _operator_file(self) -> Path:
        return self.models_dir / OPERATOR_REGISTRY

    def _read_operator_file(self) -> list[dict[str, Any]]:
        path = self._operator_file()
        if not path.is_file():
            return []
        try:
            raw = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise ManifestError(
                f"The operator model registry {path} is unreadable: {exc}.",
                hint="restore it from backup or delete it and re-add operator models",
            ) from exc
        if not isinstance(raw, dict) or not isinstance(raw.get("models"), list):
            raise ManifestError(f"The operator model registry {path} has no 'models' list.")
        return [e for e in raw["models"] if isinstance(e, dict)]

    def _write_operator_file(self, entries: list[dict[str, Any]]) -> None:
        path = self._operator_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"schema": 1, "models": entries}, indent=2, sort_keys=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".operator-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).replace(path)

    def _load_operator_entries(self) -> list[dict[str, Any]]:
        return self._read_operator_file()

    def _merge(self, manifest: Manifest, entries: list[dict[str, Any]]) -> tuple[ModelSpec, ...]:
        from models.manifest import parse_manifest

        by_name: dict[str, ModelSpec] = {m.name: m for m in manifest.models}
        for entry in entries:
            name = str(entry.get("name"))
            slot = by_name.get(name)
            if slot is not None and not slot.operator_supplied:
                continue  # never let a local file shadow a pinned model
            raw = {
                "name": name,
                "task": entry.get("task"),
                "runtime": entry.get("runtime", "onnxruntime"),
                "file": entry.get("file"),
                "sha256": entry.get("sha256"),
                "license": entry.get("license"),
                "commercial_use": entry.get("commercial_use"),
                "required": False,
                "operator_supplied": True,
                "thresholds": entry.get("thresholds", {}),
                "notes": slot.notes if slot else "Operator-supplied model.",
            }
            parsed = parse_manifest(
                {"schema": 1, "models": [raw]}, where=str(self._operator_file())
            ).models[0]
            if slot is not None:
                merged_thresholds = dict(slot.thresholds) | dict(parsed.thresholds)
                parsed = dataclasses.replace(
                    parsed,
                    input=slot.input,
                    thresholds=tuple(sorted(merged_thresholds.items())),
                )
            by_name[name] = parsed
        return tuple(by_name.values())


def _atomic_copy(src: Path, dst: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}-")
    try:
        with os.fdopen(fd, "wb") as out, src.open("rb") as inp:
            shutil.copyfileobj(inp, out, _CHUNK)
            out.flush()
            os.fsync(out.fileno())
        Path(tmp).replace(dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
