"""``read_mrz``: locate the zone, cut its lines, OCR them cheapest engine first,
correct field by field, and stop as soon as the record is valid.

Engines are created once per :class:`MrzReader` (on first use, under a
lock) and shared by every call, so a reader can serve a worker thread while
the selfie is being captured.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.document.correction import (
    EngineRead,
    TrustPolicy,
    build_record,
    correct,
)
from pipeline.document.locate import (
    ZoneCandidate,
    extract_lines,
    find_zones,
    flipped,
    rotate_page,
    zone_quad,
)
from pipeline.document.mrz_format import MrzFormat
from pipeline.document.types import MrzRecord, MrzResult, OcrEngineName, OcrLine
from pipeline.engine import EngineConfig
from pipeline.errors import InputError
from pipeline.image import DOCUMENT_MAX_SIDE, LoadedImage, from_array
from pipeline.lazy import Lazy
from pipeline.types import Stopwatch

log = logging.getLogger(__name__)

DEFAULT_ENGINES = (
    OcrEngineName.TESSERACT_LEGACY,
    OcrEngineName.TESSERACT_MRZ,
    OcrEngineName.RAPIDOCR,
)


@dataclass(frozen=True, slots=True)
class MrzOptions:
    """How :class:`MrzReader` reads.

    Attributes:
        engines: engines in the order they run; a later one runs only when the
            record so far is not valid.
        line_height: pixels the line blob is scaled to before OCR.
        max_zones: candidate zones to try, best first.
        onnx_threads: intra-op threads of the RapidOCR sessions.
        trust: when fields without a check digit are trusted.
        second_engine_ahead: start the second engine on another thread together with
            the first instead of after it. The result is the same (a second read that
            is not needed is dropped), the wall time is shorter by the shorter of the
            two reads, and the CPU time is longer whenever the first read alone decides.
            For a process that has the machine to itself (the ``kiosk mrz`` and
            ``kiosk document`` commands); the app leaves the other core to the selfie.
    """

    engines: tuple[OcrEngineName, ...] = DEFAULT_ENGINES
    line_height: int = 40
    max_zones: int = 3
    onnx_threads: int = 1
    trust: TrustPolicy = field(default_factory=TrustPolicy)
    second_engine_ahead: bool = False

    def __post_init__(self) -> None:
        if not self.engines:
            raise ValueError("at least one OCR engine is required")
        if not 16 <= self.line_height <= 120:
            raise ValueError("line_height must be within 16..120 pixels")
        if self.max_zones < 1:
            raise ValueError("max_zones must be >= 1")


class _Engines:
    """The OCR engines, each created once on first use."""

    def __init__(self, registry: Any, onnx_threads: int) -> None:
        self._registry = registry
        self._onnx_threads = onnx_threads
        self._lock = threading.Lock()
        self._tess: dict[OcrEngineName, Any] = {}
        self._rapid: Any = None
        self._ahead: ThreadPoolExecutor | None = None

    def read_ahead(
        self, name: OcrEngineName, lines: Sequence[np.ndarray[Any, Any]]
    ) -> Future[tuple[EngineRead, float]]:
        """Start ``read(name, lines)`` on the reader's helper thread; the future holds the
        read and its milliseconds. The engines release the GIL while they recognise."""

        def timed() -> tuple[EngineRead, float]:
            start = time.perf_counter()
            read = self.read(name, lines)
            return read, (time.perf_counter() - start) * 1000.0

        with self._lock:
            if self._ahead is None:
                self._ahead = ThreadPoolExecutor(1, thread_name_prefix="mrz-ocr-ahead")
            return self._ahead.submit(timed)

    def _tessdata(self) -> Path:
        # both traineddata files are verified by path(); Tesseract wants their folder
        legacy = Path(self._registry.path("tesseract_eng"))
        mrz = Path(self._registry.path("tesseract_mrz"))
        if legacy.parent != mrz.parent:  # pragma: no cover - the manifest keeps them together
            raise InputError("the Tesseract models must share one folder")
        return legacy.parent

    def tesseract(self, name: OcrEngineName) -> Any:
        from pipeline.document.ocr_tesseract import TesseractEngine

        with self._lock:
            engine = self._tess.get(name)
            if engine is None:
                if name is OcrEngineName.TESSERACT_LEGACY:
                    engine = TesseractEngine(self._tessdata(), "eng", legacy=True)
                else:
                    engine = TesseractEngine(self._tessdata(), "mrz", legacy=False)
                self._tess[name] = engine
            return engine

    def rapid(self) -> Any:
        from pipeline.document.ocr_rapid import RapidOcr

        with self._lock:
            if self._rapid is None:
                self._rapid = RapidOcr.from_registry(
                    self._registry, EngineConfig(intra_op_threads=self._onnx_threads)
                )
            return self._rapid

    def read(self, name: OcrEngineName, lines: Sequence[np.ndarray[Any, Any]]) -> EngineRead:
        if name is OcrEngineName.RAPIDOCR:
            result: tuple[OcrLine, ...] = self.rapid().read_mrz_lines(lines)
        else:
            result = self.tesseract(name).read_lines(lines)
        return EngineRead(name, result)

    def close(self) -> None:
        with self._lock:
            if self._ahead is not None:
                self._ahead.shutdown(wait=True)
                self._ahead = None
            for engine in self._tess.values():
                engine.close()
            self._tess.clear()
            if self._rapid is not None:
                self._rapid.close()
                self._rapid = None


def _format_for(reads: Sequence[EngineRead], n_lines: int) -> MrzFormat | None:
    """The format the reads' character counts point to, or None when they fit none."""
    counts = sorted(len(line.chars) for r in reads for line in r.lines)
    if not counts:
        return None
    median = counts[len(counts) // 2]
    if n_lines == 3:
        return MrzFormat.TD1 if abs(median - 30) <= 6 else None
    if n_lines != 2:
        return None
    length = 44 if abs(median - 44) < abs(median - 36) else 36
    if abs(median - length) > 4:  # 30-character lines are a TD1 with a line missed
        return None
    visa = [r.lines[0].chars[0].char == "V" for r in reads if r.lines and r.lines[0].chars]
    is_visa = bool(visa) and sum(visa) * 2 > len(visa)
    if length == 44:
        return MrzFormat.MRVA if is_visa else MrzFormat.TD3
    return MrzFormat.MRVB if is_visa else MrzFormat.TD2


def _rank(record: MrzRecord | None) -> tuple[int, int, float]:
    if record is None:
        return (-1, -1, 0.0)
    return (int(record.valid), sum(c.passed for c in record.checks), record.confidence)


class MrzReader:
    """Reads machine-readable zones; one instance serves many threads.

    Args:
        options: engines, sizes and trust policy.
        registry: a :class:`models.ModelRegistry` (default: ``ModelRegistry.default()``).
    """

    def __init__(self, options: MrzOptions | None = None, registry: Any = None) -> None:
        if registry is None:
            from models import ModelRegistry

            registry = ModelRegistry.default()
        self.options = options or MrzOptions()
        self._engines = _Engines(registry, self.options.onnx_threads)

    @classmethod
    def from_options(cls, options: MrzOptions, registry: Any = None) -> MrzReader:
        """A reader with validated ``options``."""
        return cls(options, registry)

    def rapid_ocr(self) -> Any:
        """The reader's shared :class:`~pipeline.document.ocr_rapid.RapidOcr`."""
        return self._engines.rapid()

    def warm_up(self, *, all_tesseract: bool = False) -> None:
        """Create the first engine now (the others stay lazy).

        Args:
            all_tesseract: also create every other Tesseract engine in the list
                (cheap to hold, and the second one is nearly always needed).
        """
        for i, name in enumerate(self.options.engines):
            if name is OcrEngineName.RAPIDOCR:
                if i == 0:
                    self._engines.rapid().warm_up()
            elif i == 0 or all_tesseract:
                self._engines.tesseract(name)

    def read(
        self,
        image: LoadedImage | np.ndarray[Any, Any],
        *,
        today: dt.date | None = None,
        viz_confirmed: frozenset[str] = frozenset(),
    ) -> MrzResult:
        """Find and read the MRZ on a page.

        Args:
            image: a loaded page, or a BGR/grey uint8 array (downscaled to
                ``DOCUMENT_MAX_SIDE`` like a loaded page).
            today: reference date for expiry and age (default: today).
            viz_confirmed: fields the visual zone already confirmed.

        Returns:
            ``found=False`` with a reason when no zone could be read; otherwise
            the best record over the candidate zones.

        Raises:
            InputCorrupt: ``image`` is not a usable array.
            OcrEngineError, ModelMissing: an engine cannot run.
        """
        import cv2

        loaded = (
            image
            if isinstance(image, LoadedImage)
            else from_array(image, max_side=DOCUMENT_MAX_SIDE)
        )
        today = today or dt.date.today()
        watch = Stopwatch()
        pixels = loaded.pixels
        with watch("locate"):
            grey = cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY)
            zones = find_zones(grey, max_candidates=self.options.max_zones)
        if not zones:
            return MrzResult(False, None, 0, None, watch.timings(), "no_mrz_lines")
        best: tuple[MrzRecord | None, ZoneCandidate | None] = (None, None)
        tried: set[tuple[int, int, int]] = set()
        queue = list(zones)
        while queue:
            cand = queue.pop(0)
            key = (cand.rotation, round(cand.lines[0].center[0]), round(cand.lines[0].center[1]))
            if key in tried:
                continue
            tried.add(key)
            page = rotate_page(grey, cand.rotation)
            record = self._read_zone(page, cand, watch, today, viz_confirmed)
            if _rank(record) > _rank(best[0]):
                best = (record, cand)
            if record is not None and record.valid:
                break
            if record is None or sum(c.passed for c in record.checks) < 3:
                # perhaps upside down: the position prior can be wrong on cropped pages
                ph, pw = page.shape[:2]
                turned = flipped(cand, (pw, ph))
                if record is None:
                    queue.insert(0, turned)
                else:
                    queue.append(turned)
        record, zone = best
        if record is None or zone is None:
            return MrzResult(False, None, 0, None, watch.timings(), "unreadable")
        size = (int(pixels.shape[1]), int(pixels.shape[0]))
        quad = zone_quad(zone, size)
        log.info(
            "mrz read: format=%s valid=%s engines=%d",
            record.format.value,
            record.valid,
            len(record.engines),
        )
        return MrzResult(True, record, zone.rotation, quad, watch.timings())

    def _read_zone(
        self,
        page: np.ndarray[Any, Any],
        cand: ZoneCandidate,
        watch: Stopwatch,
        today: dt.date,
        viz_confirmed: frozenset[str],
    ) -> MrzRecord | None:
        with watch("extract"):
            lines = extract_lines(page, cand, target_height=self.options.line_height)
        if len(lines) not in (2, 3):
            return None
        engines = self.options.engines
        ahead = None
        if self.options.second_engine_ahead and len(engines) > 1 and not viz_confirmed:
            ahead = self._engines.read_ahead(engines[1], lines)
        try:
            return self._read_lines(lines, engines, ahead, watch, today, viz_confirmed)
        finally:
            if ahead is not None:
                ahead.exception()  # a dropped read ends here, not behind the caller's back

    def _read_lines(
        self,
        lines: Sequence[np.ndarray[Any, Any]],
        engines: tuple[OcrEngineName, ...],
        ahead: Future[tuple[EngineRead, float]] | None,
        watch: Stopwatch,
        today: dt.date,
        viz_confirmed: frozenset[str],
    ) -> MrzRecord | None:
        reads: list[EngineRead] = []
        best: MrzRecord | None = None
        for i, name in enumerate(engines):
            if i == 1 and ahead is not None:
                read, ms = ahead.result()
                watch.add(f"ocr_{name.value}", ms)
                reads.append(read)
            else:
                with watch(f"ocr_{name.value}"):
                    reads.append(self._engines.read(name, lines))
            fmt = _format_for(reads, len(lines))
            if fmt is None:
                if len(reads) == 1:
                    return None  # not MRZ-like text at all: no point in the costlier engines
                continue
            usable = [r for r in reads if len(r.lines) == fmt.shape[0]]
            with watch("correct"):
                corrected = correct(fmt, usable)
                record = build_record(
                    fmt,
                    usable,
                    corrected,
                    today=today,
                    policy=self.options.trust,
                    viz_confirmed=viz_confirmed,
                )
            if _rank(record) > _rank(best):
                best = record
            if record.valid:
                return record
        return best

    def close(self) -> None:
        """Free every engine."""
        self._engines.close()

    def __enter__(self) -> MrzReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_default_reader: Lazy[MrzReader] = Lazy(lambda: MrzReader())


def default_reader() -> MrzReader:
    """The process-wide reader with default options, created on first use."""
    return _default_reader.get()


def read_mrz(
    image: LoadedImage | np.ndarray[Any, Any] | Path,
    *,
    today: dt.date | None = None,
    reader: MrzReader | None = None,
) -> MrzResult:
    """Locate and read the machine-readable zone of a document page.

    Args:
        image: a path, a :class:`~pipeline.image.LoadedImage`, or a BGR uint8 array.
        today: reference date for expiry and age checks (default: today).
        reader: the reader to use (default: a shared one with default options).

    Returns:
        An :class:`MrzResult`; ``found`` is False on pages without a readable MRZ.

    Raises:
        InputError: the file or array is not a usable image.
        OcrEngineError, ModelMissing: an OCR engine cannot run.
    """
    from pipeline.image import load_image

    if isinstance(image, Path):
        image = load_image(image, max_side=DOCUMENT_MAX_SIDE)
    return (reader or default_reader()).read(image, today=today)
