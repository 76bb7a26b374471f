"""Build engine reads from strings, so correction and parsing can be tested without OCR."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.document.correction import EngineRead
from pipeline.document.types import OcrChar, OcrEngineName, OcrLine

PITCH = 20.0


def line(
    text: str,
    confidence: float = 0.99,
    overrides: dict[int, tuple[float, tuple[tuple[str, float], ...]]] | None = None,
) -> OcrLine:
    """An engine line reading ``text``; ``overrides`` sets (confidence, alternatives) by index."""
    chars = []
    for i, char in enumerate(text):
        conf, alts = (overrides or {}).get(i, (confidence, ()))
        chars.append(OcrChar(char, conf, alts, 10 + i * PITCH, 10 + i * PITCH + 15))
    return OcrLine(tuple(chars), 20 + len(text) * PITCH)


def read(
    lines: Sequence[str],
    engine: OcrEngineName = OcrEngineName.TESSERACT_MRZ,
    confidence: float = 0.99,
) -> EngineRead:
    """One engine reading every line exactly as given."""
    return EngineRead(engine, tuple(line(t, confidence) for t in lines))
