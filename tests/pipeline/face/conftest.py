from __future__ import annotations

from pathlib import Path

import pytest

from models import ModelRegistry
from pipeline.face import FaceToolkit, ToolkitOptions
from pipeline.image import SELFIE_MAX_SIDE, LoadedImage, load_image


@pytest.fixture(scope="session")
def toolkit(model_registry: ModelRegistry) -> FaceToolkit:
    from models import Profile

    kit = FaceToolkit(ToolkitOptions(profile=Profile.RESEARCH), model_registry)
    yield kit  # type: ignore[misc]
    kit.close()


@pytest.fixture(scope="session")
def faces_dir(shared_data: Path) -> Path:
    return shared_data / "faces"


@pytest.fixture(scope="session")
def obama(faces_dir: Path) -> LoadedImage:
    return load_image(faces_dir / "face_recognition" / "obama.jpg", max_side=SELFIE_MAX_SIDE)
