"""Shared fixtures: the real fixture data beside the project, and the fetched models."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.shared import SHARED_DATA

IN_CI = os.environ.get("CI", "").lower() == "true"


def _unavailable(reason: str) -> None:
    """Fail loudly in CI (a missing fixture would hide a broken set-up), skip elsewhere."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: required)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``: real fixtures with labels and licences."""
    if not (SHARED_DATA / "README.md").is_file():
        _unavailable(f"shared fixtures not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def model_registry():  # type: ignore[no-untyped-def]
    """The installation's registry, with every required model present and verified."""
    from models import ModelRegistry, ModelState

    registry = ModelRegistry.default()
    missing = [
        st.spec.name
        for st in registry.statuses()
        if st.spec.required and st.state is not ModelState.OK
    ]
    if missing:
        _unavailable(f"models not fetched or corrupt: {', '.join(missing)} (run make setup)")
    return registry
