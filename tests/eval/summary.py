"""Key figures of an evaluation, written beside its full output for the report."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tests.shared import PROJECT_ROOT

REPORTS = PROJECT_ROOT / "reports"


@dataclass(frozen=True)
class Figure:
    """One reported figure: what, the measured value, the target, and whether it is met."""

    name: str
    value: str
    target: str = ""
    met: bool | None = None


@dataclass(frozen=True)
class Summary:
    topic: str
    title: str
    figures: list[Figure]
    notes: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)


def write_summary(summary: Summary) -> Path:
    """``reports/<topic>.json``; images are file names inside ``reports/``."""
    REPORTS.mkdir(exist_ok=True)
    path = REPORTS / f"{summary.topic}.json"
    path.write_text(json.dumps(asdict(summary), indent=2))
    return path


def read_summary(topic: str) -> Summary | None:
    path = REPORTS / f"{topic}.json"
    if not path.is_file():
        return None
    raw = json.loads(path.read_text())
    return Summary(
        raw["topic"],
        raw["title"],
        [Figure(**f) for f in raw["figures"]],
        raw.get("notes", []),
        raw.get("images", []),
    )
