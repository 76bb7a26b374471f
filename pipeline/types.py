"""Small result types shared across the pipeline's domains."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Box:
    """An axis-aligned rectangle in pixels of a stated image (see the owner's docstring).

    Attributes:
        x, y: top-left corner.
        w, h: width and height, >= 0.
    """

    x: float
    y: float
    w: float
    h: float

    @property
    def area(self) -> float:
        return max(self.w, 0.0) * max(self.h, 0.0)

    @property
    def center(self) -> tuple[float, float]:
        return (self.x + self.w / 2.0, self.y + self.h / 2.0)

    def scaled(self, factor: float) -> Box:
        return Box(self.x * factor, self.y * factor, self.w * factor, self.h * factor)

    def iou(self, other: Box) -> float:
        ix = max(0.0, min(self.x + self.w, other.x + other.w) - max(self.x, other.x))
        iy = max(0.0, min(self.y + self.h, other.y + other.h) - max(self.y, other.y))
        inter = ix * iy
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Timings:
    """Wall-clock milliseconds per named stage, in the order the stages ran."""

    stages: tuple[tuple[str, float], ...] = ()

    def as_mapping(self) -> Mapping[str, float]:
        return dict(self.stages)

    @property
    def total_ms(self) -> float:
        return sum(ms for _, ms in self.stages)

    def __add__(self, other: Timings) -> Timings:
        return Timings(self.stages + other.stages)

    def to_json(self) -> Mapping[str, float]:
        return {name: round(ms, 2) for name, ms in self.stages}


@dataclass(slots=True)
class Stopwatch:
    """Collects stage timings: ``with watch("detect"): ...``; ``watch.timings()`` freezes them."""

    _stages: list[tuple[str, float]] = field(default_factory=list)

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self._stages.append((stage, (time.perf_counter() - start) * 1000.0))

    def add(self, stage: str, ms: float) -> None:
        """Record a stage timed elsewhere (on another thread)."""
        self._stages.append((stage, ms))

    def timings(self) -> Timings:
        return Timings(tuple(self._stages))
