"""Where the shared fixtures live, for evaluation and benchmark scripts run outside pytest."""

from __future__ import annotations

import os
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


def require_shared_data() -> Path:
    """The fixture folder, or exit: with an error under CI=true, else with a skip note."""
    if (SHARED_DATA / "README.md").is_file():
        return SHARED_DATA
    message = f"shared fixtures not found at {SHARED_DATA}"
    if os.environ.get("CI", "").lower() == "true":
        sys.exit(f"error: {message} (CI=true: required)")
    print(f"skipped: {message}")
    sys.exit(0)
