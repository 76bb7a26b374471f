"""``read_document``: MRZ, visual zone, cross-checks, portrait and quality of one page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.document.correction import apply_visual_zone
from pipeline.document.mrz import MrzOptions, MrzReader
from pipeline.document.quality import QualityOptions, assess_document_quality
from pipeline.document.types import (
    Agreement,
    DocumentReading,
    PortraitResult,
    VizRecord,
)
from pipeline.document.viz import consistency, read_viz
from pipeline.errors import KioskError
from pipeline.image import DOCUMENT_MAX_SIDE, LoadedImage, from_array, load_image
from pipeline.lazy import Lazy
from pipeline.types import Stopwatch, Timings


@dataclass(frozen=True, slots=True)
class DocumentOptions:
    """How :class:`DocumentReader` reads a page.

    Attributes:
        mrz: the MRZ reader's options.
        viz: read the visual zone (RapidOCR detection and recognition).
        viz_detect_side: long side in pixels of the text detector's input.
        portrait: look for the portrait with the face detector.
        quality: capture-quality limits.
    """

    mrz: MrzOptions = field(default_factory=MrzOptions)
    viz: bool = True
    viz_detect_side: int = 640
    portrait: bool = True
    quality: QualityOptions = field(default_factory=QualityOptions)


class DocumentReader:
    """Reads whole document pages; thread-safe, engines created once and shared.

    Args:
        options: what to read and how.
        registry: a :class:`models.ModelRegistry` (default: ``ModelRegistry.default()``).
    """

    def __init__(self, options: DocumentOptions | None = None, registry: Any = None) -> None:
        self.options = options or DocumentOptions()
        self.mrz_reader = MrzReader(self.options.mrz, registry)

    @classmethod
    def from_options(cls, options: DocumentOptions, registry: Any = None) -> DocumentReader:
        return cls(options, registry)

    def read(
        self, image: LoadedImage | np.ndarray[Any, Any], *, today: dt.date | None = None
    ) -> DocumentReading:
        """Read one page.

        Args:
            image: a loaded page or a BGR uint8 array.
            today: reference date for expiry, age and two-digit years.

        Raises:
            InputError: the array is not a usable image.
            OcrEngineError, ModelMissing: an engine cannot run.
        """
        loaded = (
            image
            if isinstance(image, LoadedImage)
            else from_array(image, max_side=DOCUMENT_MAX_SIDE)
        )
        today = today or dt.date.today()
        pixels = loaded.pixels
        watch = Stopwatch()
        mrz = self.mrz_reader.read(loaded, today=today)
        with watch("quality"):
            center = (
                (
                    float(np.mean([p[0] for p in mrz.zone])),
                    float(np.mean([p[1] for p in mrz.zone])),
                )
                if mrz.zone
                else None
            )
            quality = assess_document_quality(pixels, self.options.quality, mrz_center=center)
        portrait = PortraitResult(None, 0.0, 0, 0, available=False, note="not requested")
        if self.options.portrait:
            with watch("portrait"):
                portrait = _portrait(pixels)
        viz = VizRecord((), (), ())
        if self.options.viz:
            rotation = mrz.rotation if mrz.valid else (portrait.rotation if portrait.box else 0)
            with watch("viz"):
                viz = read_viz(
                    self.mrz_reader.rapid_ocr(),
                    pixels,
                    rotation=rotation,
                    exclude=mrz.zone,
                    today=today,
                    detect_side=self.options.viz_detect_side,
                    check_upside_down=not mrz.valid,
                )
        checks: tuple[Any, ...] = ()
        flags: list[str] = []
        if mrz.record is not None:
            checks = consistency(mrz.record, viz)
            agree = frozenset(c.name for c in checks if c.agreement is Agreement.AGREE)
            disagree = frozenset(c.name for c in checks if c.agreement is Agreement.DISAGREE)
            if disagree:
                flags.append("mrz_viz_mismatch")
            record = apply_visual_zone(mrz.record, agree, disagree)
            from dataclasses import replace

            mrz = replace(mrz, record=record)
            if not record.valid:
                flags.append("mrz_invalid")
        else:
            flags.append("mrz_not_found")
        if any(not nid.valid for nid in viz.national_ids):
            flags.append("national_id_invalid")
        if portrait.available and portrait.box is None:
            flags.append("no_portrait")
        flags.extend(f"quality:{issue}" for issue in quality.issues)
        timings = (
            Timings(watch.timings().stages[:1])
            + Timings(tuple((f"mrz_{k}", v) for k, v in mrz.timings.stages))
            + Timings(watch.timings().stages[1:])
        )
        return DocumentReading(
            mrz=mrz,
            viz=viz,
            consistency=checks,
            flags=tuple(flags),
            portrait=portrait,
            quality=quality,
            image_size=loaded.size,
            timings=timings,
        )

    def close(self) -> None:
        self.mrz_reader.close()


def _portrait(pixels: np.ndarray[Any, Any]) -> PortraitResult:
    from pipeline.document.portrait import find_portrait

    try:
        return find_portrait(pixels)
    except KioskError as exc:
        # a missing face model must not hide the document's text results
        return PortraitResult(None, 0.0, 0, 0, available=False, note=exc.code)


_default_reader: Lazy[DocumentReader] = Lazy(lambda: DocumentReader())


def default_document_reader() -> DocumentReader:
    """The process-wide reader with default options, created on first use."""
    return _default_reader.get()


def read_document(
    image: LoadedImage | np.ndarray[Any, Any] | Path,
    *,
    today: dt.date | None = None,
    reader: DocumentReader | None = None,
) -> DocumentReading:
    """Read a document page: MRZ, visual zone, MRZ-versus-visual checks, portrait, quality.

    Args:
        image: a path, a :class:`~pipeline.image.LoadedImage`, or a BGR uint8 array.
        today: reference date (default: today).
        reader: the reader to use (default: a shared one with default options).

    Raises:
        InputError: the file or array is not a usable image.
        OcrEngineError, ModelMissing: an OCR engine cannot run.
    """
    if isinstance(image, Path):
        image = load_image(image, max_side=DOCUMENT_MAX_SIDE)
    return (reader or default_document_reader()).read(image, today=today)
