"""RapidOCR's PP-OCRv6 models run through :class:`pipeline.engine.OnnxEngine`.

The ``rapidocr`` package is not installed (it would bring a second OpenCV),
so its pre- and post-processing are re-implemented here as pure numpy/OpenCV
functions, following rapidocr 3.10.0 (``ch_ppocr_det``, ``ch_ppocr_rec``,
``ch_ppocr_cls``): DB text detection, CTC recognition with per-character
confidences, and the 0/180 degree line classifier.

For the MRZ the recogniser's 18,708-character output is folded onto the MRZ
alphabet before decoding: the probability of '<' is the sum over '<', 'く',
'〈', '«' and the like, 'O' over Latin, Greek and Cyrillic O, and so on. That
turns the multilingual model into an MRZ reader without a whitelist that
would throw the look-alikes' evidence away.
"""

from __future__ import annotations

import math
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.document.types import OcrChar, OcrLine, Point, Quad
from pipeline.engine import EngineConfig, OnnxEngine
from pipeline.errors import OcrEngineError

MRZ_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"

# Characters the recogniser emits for MRZ glyphs that are not the ASCII ones.
LOOKALIKES: dict[str, str] = {
    "く": "<", "〈": "<", "«": "<", "‹": "<", "＜": "<", "〔": "<", "ㄑ": "<", "〱": "<",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "Х": "X", "У": "Y",
    "Ο̈": "O", "Ø": "0", "〇": "O", "○": "O", "丨": "I", "|": "I", "工": "I",
}  # fmt: skip

_DET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
_DET_STD = np.array([0.229, 0.224, 0.225], np.float32)
_REC_HEIGHT = 48
_MIN_REC_WIDTH = 96  # PaddleOCR pads to 320; a short word reads the same with less padding


@dataclass(frozen=True, slots=True)
class DetectedText:
    """A text region found by the detector: corners (tl, tr, br, bl) in pixels
    of the image given to :meth:`RapidOcr.detect`, and the DB score in [0, 1]."""

    quad: Quad
    score: float


@dataclass(frozen=True, slots=True)
class RecognisedText:
    """A recognised crop: text (NFKC-normalised), mean and per-character confidences."""

    text: str
    confidence: float
    char_confidences: tuple[float, ...]


def ascii_lookalike(char: str) -> str:
    """``char`` as the ASCII character it is printed like, where we know one."""
    if char in LOOKALIKES:
        return LOOKALIKES[char]
    folded = unicodedata.normalize("NFKC", char)
    return folded.upper() if len(folded) == 1 else char


class RapidOcr:
    """Detector, recogniser and line classifier, each created on first use and shared.

    Args:
        det_path, rec_path, cls_path: verified model files (from the registry).
        config: ONNX Runtime threading; shared by the three sessions.

    Raises:
        OcrEngineError: the recogniser has no character dictionary.
    """

    def __init__(
        self, det_path: Any, rec_path: Any, cls_path: Any, config: EngineConfig | None = None
    ) -> None:
        self._paths = {"det": det_path, "rec": rec_path, "cls": cls_path}
        self._config = config or EngineConfig()
        self._engines: dict[str, OnnxEngine] = {}
        self._lock = threading.Lock()
        self._charset: list[str] | None = None
        self._mrz_projection: np.ndarray[Any, Any] | None = None

    @classmethod
    def from_registry(cls, registry: Any, config: EngineConfig | None = None) -> RapidOcr:
        """The three RapidOCR models from a :class:`models.ModelRegistry`."""
        return cls(
            registry.path("rapidocr_det"),
            registry.path("rapidocr_rec"),
            registry.path("rapidocr_cls"),
            config,
        )

    def _engine(self, kind: str) -> OnnxEngine:
        with self._lock:
            engine = self._engines.get(kind)
            if engine is None:
                engine = OnnxEngine.from_path(
                    self._paths[kind], self._config, name=f"rapidocr_{kind}"
                )
                self._engines[kind] = engine
                if kind == "rec":
                    self._charset = _charset(engine)
                    self._mrz_projection = _projection(self._charset)
            return engine

    def warm_up(self) -> None:
        """Create the three sessions now rather than on the first read."""
        for kind in ("det", "rec", "cls"):
            self._engine(kind)

    # --- detection ---------------------------------------------------------------

    def detect(
        self,
        image: np.ndarray[Any, Any],
        *,
        limit_side: int = 960,
        thresh: float = 0.3,
        box_thresh: float = 0.5,
        unclip_ratio: float = 1.6,
    ) -> list[DetectedText]:
        """Text regions in a BGR image, top to bottom then left to right.

        Args:
            image: HxWx3 uint8 BGR.
            limit_side: the long side is scaled to at most this (then to a multiple of 32).
            thresh: probability-map binarisation threshold.
            box_thresh: minimum mean probability inside a box.
            unclip_ratio: how far the shrunk DB region is grown back.
        """
        import cv2

        engine = self._engine("det")
        h, w = image.shape[:2]
        ratio = min(1.0, limit_side / max(h, w))
        rh = max(32, int(round(h * ratio / 32) * 32))
        rw = max(32, int(round(w * ratio / 32) * 32))
        resized = cv2.resize(image, (rw, rh))
        rgb = resized[:, :, ::-1].astype(np.float32) / 255.0
        tensor = ((rgb - _DET_MEAN) / _DET_STD).transpose(2, 0, 1)[None]
        (prob,) = engine.run({engine.inputs[0].name: np.ascontiguousarray(tensor, np.float32)})
        pred = prob[0, 0]
        return db_postprocess(pred, (w, h), thresh, box_thresh, unclip_ratio)

    # --- recognition ---------------------------------------------------------------

    def _rec_logits(self, crops: Sequence[np.ndarray[Any, Any]]) -> list[np.ndarray[Any, Any]]:
        """Per-crop (T, C) probabilities.

        Crops run one at a time: the recogniser's cost grows with the padded
        width, and on this CPU padding a batch to its widest crop costs more than
        the batching saves (measured 1.0 s one by one vs 1.4 s in sixes for the 15
        lines of a passport page).
        """
        engine = self._engine("rec")
        out: list[np.ndarray[Any, Any]] = []
        for crop in crops:
            ratio = crop.shape[1] / max(crop.shape[0], 1)
            width = max(math.ceil(_REC_HEIGHT * ratio), _MIN_REC_WIDTH)
            tensor = rec_input(crop, width)[None]
            (probs,) = engine.run({engine.inputs[0].name: tensor})
            out.append(probs[0])
        return out

    def recognise(self, crops: Sequence[np.ndarray[Any, Any]]) -> list[RecognisedText]:
        """Read BGR (or grey) text crops: greedy CTC with per-character confidences."""
        if not crops:
            return []
        probs_list = self._rec_logits([_bgr(c) for c in crops])
        charset = self._charset or []
        results: list[RecognisedText] = []
        for probs in probs_list:
            idx = probs.argmax(axis=1)
            conf = probs.max(axis=1)
            chars: list[str] = []
            confs: list[float] = []
            prev = -1
            for t, k in enumerate(idx):
                if k != prev and k != 0 and k < len(charset):
                    chars.append(charset[k])
                    confs.append(float(conf[t]))
                prev = int(k)
            text = unicodedata.normalize("NFKC", "".join(chars)).strip()
            mean = float(np.mean(confs)) if confs else 0.0
            results.append(RecognisedText(text, mean, tuple(confs)))
        return results

    def read_mrz_lines(self, lines: Sequence[np.ndarray[Any, Any]]) -> tuple[OcrLine, ...]:
        """Read grey MRZ line images, decoding over the MRZ alphabet (look-alikes folded in).

        Returns:
            One :class:`OcrLine` per image, x extents in pixels of that image.
        """
        if not lines:
            return ()
        probs_list = self._rec_logits([_bgr(c) for c in lines])
        projection = self._mrz_projection
        if projection is None:  # pragma: no cover - set together with the rec engine
            raise OcrEngineError("The RapidOCR recogniser is not loaded.")
        out: list[OcrLine] = []
        for img, probs in zip(lines, probs_list, strict=True):
            folded = probs @ projection  # (T, 1 + 37 + 1): blank, MRZ chars, other
            # the kept steps span the whole (resized) line, so each covers width / steps
            px_per_step = img.shape[1] / max(len(folded), 1)
            out.append(ctc_decode_mrz(folded, px_per_step, img))
        return tuple(out)

    # --- orientation ------------------------------------------------------------------

    def upside_down(self, crops: Sequence[np.ndarray[Any, Any]]) -> list[float]:
        """Probability that each text crop is rotated by 180 degrees."""
        import cv2

        if not crops:
            return []
        engine = self._engine("cls")
        tensor = np.zeros((len(crops), 3, 48, 192), np.float32)
        for i, crop in enumerate(crops):
            img = _bgr(crop)
            h, w = img.shape[:2]
            rw = min(192, math.ceil(48 * w / max(h, 1)))
            resized = cv2.resize(img, (max(rw, 1), 48)).astype(np.float32)
            tensor[i, :, :, :rw] = (resized.transpose(2, 0, 1) / 255.0 - 0.5) / 0.5
        (probs,) = engine.run({engine.inputs[0].name: tensor})
        return [float(p[1]) for p in probs]

    def close(self) -> None:
        with self._lock:
            for engine in self._engines.values():
                engine.close()
            self._engines.clear()


def _bgr(img: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    if img.ndim == 2:
        return np.repeat(img[:, :, None], 3, axis=2)
    return img


def rec_input(crop: np.ndarray[Any, Any], width: int) -> np.ndarray[Any, Any]:
    """A crop as the recogniser's (3, 48, width) input: height 48, aspect kept,
    right-padded with zeros, (x / 255 - 0.5) / 0.5."""
    import cv2

    h, w = crop.shape[:2]
    rw = min(width, math.ceil(_REC_HEIGHT * w / max(h, 1)))
    resized = cv2.resize(crop, (max(rw, 1), _REC_HEIGHT)).astype(np.float32)
    out = np.zeros((3, _REC_HEIGHT, width), np.float32)
    out[:, :, :rw] = (resized.transpose(2, 0, 1) / 255.0 - 0.5) / 0.5
    return out


def _charset(engine: OnnxEngine) -> list[str]:
    raw = engine.metadata.get("character")
    if not raw:
        raise OcrEngineError(
            "The RapidOCR recogniser has no character dictionary in its metadata.",
            hint="run: kiosk models verify",
        )
    # index 0 is the CTC blank; PaddleOCR appends a space as the last class
    return ["", *raw.split("\n"), " "]


def _projection(charset: list[str]) -> np.ndarray[Any, Any]:
    """(C, 39) matrix folding the recogniser's classes onto blank + MRZ alphabet + other."""
    proj = np.zeros((len(charset), len(MRZ_CHARS) + 2), np.float32)
    proj[0, 0] = 1.0
    for i, char in enumerate(charset[1:], start=1):
        mapped = ascii_lookalike(char)
        j = MRZ_CHARS.find(mapped) if len(mapped) == 1 else -1
        proj[i, j + 1 if j >= 0 else len(MRZ_CHARS) + 1] = 1.0
    return proj


def ctc_decode_mrz(
    folded: np.ndarray[Any, Any], px_per_step: float, image: np.ndarray[Any, Any]
) -> OcrLine:
    """Greedy CTC over folded MRZ probabilities (blank, 37 MRZ chars, other).

    A character's confidence is its best step's probability; its alternatives
    are the other MRZ characters' probabilities at that step.
    """
    best = folded.argmax(axis=1)
    chars: list[OcrChar] = []
    prev = -1
    other = len(MRZ_CHARS) + 1
    t = 0
    n = len(best)
    while t < n:
        k = int(best[t])
        if k == 0 or k == prev:
            prev = k
            t += 1
            continue
        start = t
        while t + 1 < n and int(best[t + 1]) == k:
            t += 1
        run = folded[start : t + 1]
        peak = start + int(run[:, k].argmax())
        prev = k
        t += 1
        if k == other:
            continue
        dist = folded[peak, 1:other]
        total = float(dist.sum()) or 1.0
        order = np.argsort(-dist)[:4]
        alts = tuple((MRZ_CHARS[j], float(dist[j] / total)) for j in order if dist[j] > 0.01)
        chars.append(
            OcrChar(
                MRZ_CHARS[k - 1],
                float(folded[peak, k]),
                alts,
                start * px_per_step,
                (t) * px_per_step,
            )
        )
    return OcrLine(tuple(chars), float(image.shape[1]))


# --- DB post-processing (after rapidocr's DBPostProcess) ------------------------------


def db_postprocess(
    pred: np.ndarray[Any, Any],
    size: tuple[int, int],
    thresh: float,
    box_thresh: float,
    unclip_ratio: float,
) -> list[DetectedText]:
    """Boxes from a DB probability map.

    Args:
        pred: HxW probabilities at the detector's resolution.
        size: (width, height) of the image the boxes are reported in.
        thresh: binarisation threshold.
        box_thresh: minimum mean probability inside a box.
        unclip_ratio: growth of the shrunk region (distance = area * ratio / perimeter).
    """
    import cv2
    import pyclipper

    dest_w, dest_h = size
    ph, pw = pred.shape
    mask = cv2.dilate((pred > thresh).astype(np.uint8), np.ones((2, 2), np.uint8))
    contours, _ = cv2.findContours(mask * 255, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    found: list[DetectedText] = []
    for contour in contours[:1000]:
        points, short = _mini_box(contour)
        if short < 3:
            continue
        score = _box_score(pred, points)
        if score < box_thresh:
            continue
        poly = points.astype(np.float64)
        area = abs(cv2.contourArea(poly.astype(np.float32)))
        perimeter = cv2.arcLength(poly.astype(np.float32), True)
        if perimeter <= 0:
            continue
        offset = pyclipper.PyclipperOffset()
        offset.AddPath(poly.tolist(), pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
        grown = offset.Execute(area * unclip_ratio / perimeter)
        if not grown:
            continue
        expanded = np.array(grown[0], np.float32).reshape(-1, 1, 2)
        box, short = _mini_box(expanded)
        if short < 5:
            continue
        box[:, 0] = np.clip(np.round(box[:, 0] / pw * dest_w), 0, dest_w - 1)
        box[:, 1] = np.clip(np.round(box[:, 1] / ph * dest_h), 0, dest_h - 1)
        quad = _order_clockwise(box)
        if np.linalg.norm(quad[0] - quad[1]) <= 3 or np.linalg.norm(quad[0] - quad[3]) <= 3:
            continue
        pts: list[Point] = [(float(p[0]), float(p[1])) for p in quad]
        found.append(DetectedText((pts[0], pts[1], pts[2], pts[3]), float(score)))
    found.sort(key=lambda d: (d.quad[0][1], d.quad[0][0]))
    return _reading_order(found)


def _reading_order(boxes: list[DetectedText]) -> list[DetectedText]:
    """Top to bottom; boxes within 10 px vertically are one row, left to right."""
    out = list(boxes)
    for i in range(len(out) - 1):
        for j in range(i, -1, -1):
            a, b = out[j], out[j + 1]
            if abs(b.quad[0][1] - a.quad[0][1]) < 10 and b.quad[0][0] < a.quad[0][0]:
                out[j], out[j + 1] = b, a
            else:
                break
    return out


def _mini_box(contour: np.ndarray[Any, Any]) -> tuple[np.ndarray[Any, Any], float]:
    import cv2

    rect = cv2.minAreaRect(contour)
    pts = sorted(cv2.boxPoints(rect).tolist(), key=lambda p: p[0])
    left = sorted(pts[:2], key=lambda p: p[1])
    right = sorted(pts[2:], key=lambda p: p[1])
    box = np.array([left[0], right[0], right[1], left[1]], np.float32)
    return box, float(min(rect[1]))


def _box_score(pred: np.ndarray[Any, Any], box: np.ndarray[Any, Any]) -> float:
    import cv2

    h, w = pred.shape
    xmin = int(np.clip(np.floor(box[:, 0].min()), 0, w - 1))
    xmax = int(np.clip(np.ceil(box[:, 0].max()), 0, w - 1))
    ymin = int(np.clip(np.floor(box[:, 1].min()), 0, h - 1))
    ymax = int(np.clip(np.ceil(box[:, 1].max()), 0, h - 1))
    mask = np.zeros((ymax - ymin + 1, xmax - xmin + 1), np.uint8)
    shifted = box.copy()
    shifted[:, 0] -= xmin
    shifted[:, 1] -= ymin
    cv2.fillPoly(mask, [shifted.astype(np.int32)], 1)
    return float(cv2.mean(pred[ymin : ymax + 1, xmin : xmax + 1], mask)[0])


def _order_clockwise(pts: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    by_x = pts[np.argsort(pts[:, 0])]
    left = by_x[:2][np.argsort(by_x[:2, 1])]
    right = by_x[2:][np.argsort(by_x[2:, 1])]
    return np.array([left[0], right[0], right[1], left[1]], np.float32)


def crop_quad(image: np.ndarray[Any, Any], quad: Quad) -> np.ndarray[Any, Any]:
    """The quad's content warped to an upright rectangle (tall crops turned 90 degrees)."""
    import cv2

    pts = np.array(quad, np.float32)
    width = int(max(np.linalg.norm(pts[0] - pts[1]), np.linalg.norm(pts[2] - pts[3])))
    height = int(max(np.linalg.norm(pts[0] - pts[3]), np.linalg.norm(pts[1] - pts[2])))
    width, height = max(width, 1), max(height, 1)
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    matrix = cv2.getPerspectiveTransform(pts, target)
    crop = cv2.warpPerspective(
        image, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC
    )
    if height / width >= 1.5:
        crop = np.rot90(crop)
    return np.ascontiguousarray(crop)
