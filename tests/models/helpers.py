"""Builders for fake wheels and manifests, so fetch logic is tested without a network."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import Any

from models import Manifest, ModelRegistry
from models.manifest import ModelSource, parse_manifest


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_wheel(directory: Path, package: str, version: str, members: dict[str, bytes]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    wheel = directory / f"{package.replace('-', '_')}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return wheel


def manifest_for(
    wheel: Path,
    package: str,
    version: str,
    models: dict[str, tuple[str, bytes]],
    **extra: Any,
) -> Manifest:
    """A manifest of models from ``wheel``; ``models`` maps name -> (member, pinned bytes)."""
    entries = []
    for name, (member, pinned) in models.items():
        entry = {
            "name": name,
            "task": "face_embedding",
            "runtime": "onnxruntime",
            "file": f"{name}.bin",
            "sha256": sha(pinned),
            "license": "MIT",
            "commercial_use": True,
            "source": {
                "package": package,
                "version": version,
                "wheel_sha256": sha(wheel.read_bytes()),
                "member": member,
            },
        }
        entry.update(extra.get(name, {}))
        entries.append(entry)
    return parse_manifest({"schema": 1, "models": entries})


class CountingDownloader:
    """Copies a prepared wheel into the cache, like pip would, and counts calls."""

    def __init__(self, wheel: Path) -> None:
        self.wheel = wheel
        self.calls: list[str] = []

    def __call__(self, source: ModelSource, dest_dir: Path) -> Path:
        self.calls.append(source.requirement)
        dest_dir.mkdir(parents=True, exist_ok=True)
        target = dest_dir / self.wheel.name
        target.write_bytes(self.wheel.read_bytes())
        return target


def registry_for(manifest: Manifest, models_dir: Path) -> ModelRegistry:
    return ModelRegistry(manifest, models_dir)
