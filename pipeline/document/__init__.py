"""The document reader: MRZ, visual zone, national IDs, cross-checks, portrait, quality.

``read_mrz`` and ``read_document`` are safe to call from a worker thread:
their OCR engines are created once, on first use, and shared.
"""

from __future__ import annotations

from pipeline.document.document import DocumentOptions, DocumentReader, read_document
from pipeline.document.mrz import MrzOptions, MrzReader, read_mrz
from pipeline.document.mrz_format import MrzFormat
from pipeline.document.types import (
    DocumentReading,
    MrzField,
    MrzRecord,
    MrzResult,
    OcrEngineName,
)

__all__ = [
    "DocumentOptions",
    "DocumentReader",
    "DocumentReading",
    "MrzField",
    "MrzFormat",
    "MrzOptions",
    "MrzReader",
    "MrzRecord",
    "MrzResult",
    "OcrEngineName",
    "read_document",
    "read_mrz",
]
