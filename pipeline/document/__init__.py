"""The document reader: MRZ, visual zone, national IDs, cross-checks, portrait, quality.

``read_mrz`` and ``read_document`` are safe to call from a worker thread:
their OCR engines are created once, on first use, and shared.

How an MRZ is read (``mrz.py``):

1. ``locate``: text-line blobs (black-hat, gradient, closing) grouped into 2 or 3
   parallel, equally long lines, searched at 0 and 90 degrees; 180 is decided by
   the zone's position and confirmed by OCR. Lines are cut out deskewed.
2. OCR, cheapest engine first: Tesseract's legacy ``eng`` and the MRZ LSTM model
   through the C API (``ocr_tesseract``), then RapidOCR's recogniser folded onto
   the MRZ alphabet (``ocr_rapid``). A later engine runs only while the record
   is not valid.
3. ``correction``: per-cell candidates merged across engines, look-alikes mapped
   into each field's class, ambiguities resolved only by a unique check-digit
   solution; names, nationality and codes are trusted only when two engines
   agree or the visual zone confirms them.

``read_document`` (``document.py``) adds the visual zone (``viz``), national ID
numbers (``national_ids``), MRZ-versus-visual checks, the portrait (through
``pipeline.face``) and capture quality (``quality``).
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
