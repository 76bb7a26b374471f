"""Tesseract through its C API (``libtesseract.so.5``), loaded once and reused.

Calling the library in-process instead of the ``tesseract`` binary keeps the
model in memory between reads (the binary reloads ``eng.traineddata`` each
time, about 0.3 s), passes pixels without writing any image to disk, and
gives per-character confidences, alternatives and boxes.

One :class:`TesseractEngine` wraps one ``TessBaseAPI``. The API is not
thread-safe, so every call holds the engine's lock.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import os
import threading
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.document.types import OcrChar, OcrLine
from pipeline.errors import OcrEngineError

MRZ_WHITELIST = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
_RIL_SYMBOL = 4
_PSM_SINGLE_LINE = 7

_lib_lock = threading.Lock()
_lib: Any = None
_live: weakref.WeakSet[TesseractEngine] = weakref.WeakSet()


def _load_library() -> Any:
    """Load libtesseract once and declare the C signatures we use."""
    global _lib
    with _lib_lock:
        if _lib is not None:
            return _lib
        # Tesseract's LSTM asks OpenMP for 4 threads per layer. On two cores shared
        # with the camera and liveness threads that thrashes: measured under load,
        # one thread reads an MRZ in 0.45 s every time, two threads in 0.4-6.6 s.
        # OpenMP reads the limit once, when the library loads; a value the operator
        # set in the environment wins.
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        name = ctypes.util.find_library("tesseract") or "libtesseract.so.5"
        try:
            lib = ctypes.CDLL(name)
        except OSError as exc:
            raise OcrEngineError(
                "The Tesseract library (libtesseract) is not installed.",
                hint="install the Debian package tesseract-ocr (make setup)",
            ) from exc
        vp, cp, ci, cf = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_float
        signatures: dict[str, tuple[list[Any], Any]] = {
            "TessVersion": ([], cp),
            "TessBaseAPICreate": ([], vp),
            "TessBaseAPIDelete": ([vp], None),
            "TessBaseAPIEnd": ([vp], None),
            "TessBaseAPIInit4": (
                [
                    vp,
                    cp,
                    cp,
                    ci,
                    ctypes.POINTER(cp),
                    ci,
                    ctypes.POINTER(cp),
                    ctypes.POINTER(cp),
                    ctypes.c_size_t,
                    ci,
                ],
                ci,
            ),
            "TessBaseAPISetVariable": ([vp, cp, cp], ci),
            "TessBaseAPISetPageSegMode": ([vp, ci], None),
            "TessBaseAPISetImage": ([vp, vp, ci, ci, ci, ci], None),
            "TessBaseAPISetSourceResolution": ([vp, ci], None),
            "TessBaseAPIRecognize": ([vp, vp], ci),
            "TessBaseAPIGetIterator": ([vp], vp),
            "TessBaseAPIClear": ([vp], None),
            "TessResultIteratorDelete": ([vp], None),
            "TessResultIteratorGetUTF8Text": ([vp, ci], vp),
            "TessResultIteratorConfidence": ([vp, ci], cf),
            "TessResultIteratorNext": ([vp, ci], ci),
            "TessResultIteratorGetPageIterator": ([vp], vp),
            "TessResultIteratorGetChoiceIterator": ([vp], vp),
            "TessPageIteratorBoundingBox": ([vp, ci, *[ctypes.POINTER(ci)] * 4], ci),
            "TessChoiceIteratorDelete": ([vp], None),
            "TessChoiceIteratorNext": ([vp], ci),
            "TessChoiceIteratorGetUTF8Text": ([vp], cp),
            "TessChoiceIteratorConfidence": ([vp], cf),
            "TessDeleteText": ([vp], None),
        }
        for fname, (argtypes, restype) in signatures.items():
            func = getattr(lib, fname)
            func.argtypes = argtypes
            func.restype = restype
        _lib = lib
        atexit.register(_close_all)
        return lib


def _close_all() -> None:
    # Ending every API before exit keeps Tesseract's object cache from printing
    # "LEAK" warnings to stderr when the process ends.
    for engine in list(_live):
        engine.close()


def tesseract_version() -> str:
    """The loaded library's version string.

    Raises:
        OcrEngineError: the library is missing.
    """
    return bytes(_load_library().TessVersion()).decode()


class TesseractEngine:
    """One initialised Tesseract model, reading single text lines.

    Args:
        tessdata: directory holding ``<lang>.traineddata``.
        lang: model name (``eng``, ``mrz``).
        legacy: use the legacy engine (``--oem 0``); else the LSTM (``--oem 1``).
        whitelist: the only characters the engine may output.

    Raises:
        OcrEngineError: the library is missing or the model does not initialise.
    """

    def __init__(
        self, tessdata: Path, lang: str, *, legacy: bool, whitelist: str = MRZ_WHITELIST
    ) -> None:
        self._lib = _load_library()
        self.name = f"{lang}/{'legacy' if legacy else 'lstm'}"
        self._lock = threading.Lock()
        api = self._lib.TessBaseAPICreate()
        # Dictionaries only hurt on MRZ text; they can only be disabled at init.
        keys = [
            b"load_system_dawg",
            b"load_freq_dawg",
            b"load_punc_dawg",
            b"load_number_dawg",
            b"load_unambig_dawg",
            b"load_bigram_dawg",
        ]
        values = [b"0"] * len(keys)
        key_arr = (ctypes.c_char_p * len(keys))(*keys)
        val_arr = (ctypes.c_char_p * len(values))(*values)
        status = self._lib.TessBaseAPIInit4(
            api, str(tessdata).encode(), lang.encode(), 0 if legacy else 1,
            None, 0, key_arr, val_arr, len(keys), 0,
        )  # fmt: skip
        if status != 0:
            self._lib.TessBaseAPIDelete(api)
            raise OcrEngineError(
                f"Tesseract could not load the '{lang}' model.",
                hint="run: kiosk models verify",
            )
        self._api: int | None = api
        self._lib.TessBaseAPISetVariable(api, b"tessedit_char_whitelist", whitelist.encode())
        self._lib.TessBaseAPISetPageSegMode(api, _PSM_SINGLE_LINE)
        _live.add(self)

    def read_line(self, image: np.ndarray[Any, Any]) -> OcrLine:
        """Recognise one text line.

        Args:
            image: HxW uint8 grey, dark text on a light background, one line.

        Returns:
            The characters with confidences, alternatives and x extents in pixels of ``image``.

        Raises:
            OcrEngineError: the engine was closed, or the image is not a 2-D uint8 array.
        """
        if image.ndim != 2 or image.dtype != np.uint8 or min(image.shape) < 4:
            raise OcrEngineError("Tesseract needs a grey uint8 line image.")
        pixels = np.ascontiguousarray(image)
        lib = self._lib
        with self._lock:
            api = self._api
            if api is None:
                raise OcrEngineError(f"The Tesseract engine {self.name} was closed.")
            h, w = pixels.shape
            lib.TessBaseAPISetImage(api, pixels.ctypes.data, w, h, 1, w)
            lib.TessBaseAPISetSourceResolution(api, 300)
            if lib.TessBaseAPIRecognize(api, None) != 0:
                raise OcrEngineError("Tesseract failed to recognise the line.")
            chars = self._symbols(api)
            lib.TessBaseAPIClear(api)
        return OcrLine(tuple(chars), float(w))

    def read_lines(self, images: Sequence[np.ndarray[Any, Any]]) -> tuple[OcrLine, ...]:
        """:meth:`read_line` for each image."""
        return tuple(self.read_line(img) for img in images)

    def _symbols(self, api: int) -> list[OcrChar]:
        lib = self._lib
        it = lib.TessBaseAPIGetIterator(api)
        if not it:
            return []
        out: list[OcrChar] = []
        page_it = lib.TessResultIteratorGetPageIterator(it)
        box = [ctypes.c_int() for _ in range(4)]
        try:
            while True:
                ptr = lib.TessResultIteratorGetUTF8Text(it, _RIL_SYMBOL)
                if ptr:
                    text = ctypes.string_at(ptr).decode("utf-8", "replace")
                    lib.TessDeleteText(ptr)
                    conf = float(lib.TessResultIteratorConfidence(it, _RIL_SYMBOL)) / 100.0
                    alts = self._choices(it)
                    lib.TessPageIteratorBoundingBox(
                        page_it, _RIL_SYMBOL, *(ctypes.byref(b) for b in box)
                    )
                    if text.strip():
                        out.append(
                            OcrChar(
                                text.strip()[:1],
                                min(max(conf, 0.0), 1.0),
                                alts,
                                float(box[0].value),
                                float(box[2].value),
                            )
                        )
                if not lib.TessResultIteratorNext(it, _RIL_SYMBOL):
                    break
        finally:
            lib.TessResultIteratorDelete(it)
        return out

    def _choices(self, it: int) -> tuple[tuple[str, float], ...]:
        lib = self._lib
        ci = lib.TessResultIteratorGetChoiceIterator(it)
        if not ci:
            return ()
        alts: list[tuple[str, float]] = []
        try:
            while True:
                raw = lib.TessChoiceIteratorGetUTF8Text(ci)
                if raw:
                    conf = float(lib.TessChoiceIteratorConfidence(ci)) / 100.0
                    alts.append((bytes(raw).decode("utf-8", "replace")[:1], min(max(conf, 0), 1)))
                if not lib.TessChoiceIteratorNext(ci):
                    break
        finally:
            lib.TessChoiceIteratorDelete(ci)
        return tuple(alts)

    def close(self) -> None:
        """Free the model; later reads raise :class:`OcrEngineError`."""
        with self._lock:
            if self._api is not None:
                self._lib.TessBaseAPIEnd(self._api)
                self._lib.TessBaseAPIDelete(self._api)
                self._api = None

    def __enter__(self) -> TesseractEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
