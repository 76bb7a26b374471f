"""Model manifest, fetching and the verified-path registry. No inference here."""

from models.errors import (
    KioskError,
    ManifestError,
    ModelCorrupt,
    ModelError,
    ModelFetchError,
    ModelMissing,
    UnknownModel,
)
from models.manifest import (
    InputSpec,
    Manifest,
    ModelSource,
    ModelSpec,
    Profile,
    Runtime,
    Task,
    load_manifest,
)
from models.registry import ModelRegistry, ModelState, ModelStatus, default_models_dir

__all__ = [
    "InputSpec",
    "KioskError",
    "Manifest",
    "ManifestError",
    "ModelCorrupt",
    "ModelError",
    "ModelFetchError",
    "ModelMissing",
    "ModelRegistry",
    "ModelSource",
    "ModelSpec",
    "ModelState",
    "ModelStatus",
    "Profile",
    "Runtime",
    "Task",
    "UnknownModel",
    "default_models_dir",
    "load_manifest",
]
