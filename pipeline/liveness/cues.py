"""Passive presentation-attack cues on one still frame, and their combined score.

Each cue measures one physical trace that a re-captured face (a photo shown on a
screen, or printed) leaves in the camera frame and reports a
:class:`~pipeline.liveness.types.LivenessSignal`:

========================  ==========================================================  =========
signal                    what it measures                                            unit
========================  ==========================================================  =========
``pad_moire``             isolated peaks in the face's spatial spectrum: a display's  dB
                          subpixel grid or a print's halftone aliased by the sensor
``pad_bezel``             sides of the face with a long straight edge close by: a     sides 0-4
                          screen bezel, a phone body, a paper edge
``pad_glare``             the largest flat near-white blob on the face: glare on      % of face
                          glass or glossy paper                                       box
``pad_colour``            colourfulness of the skin (median CIELAB chroma): inks,     C*ab
                          display black level and veiling glare shrink the gamut
``pad_texture``           fine-detail energy against mid-frequency energy of the      log10
                          face: prints and screens are softer than skin, halftone
                          dots are grainier
========================  ==========================================================  =========

:func:`assess_presentation` runs them all (about 3 ms of one core on a 640x480
frame, so a session runs it every Nth frame) and combines their values with a
logistic model into ``PadResult.score`` in [0, 1] (higher: more likely an attack).
The model's coefficients and every threshold live in :class:`PadOptions`; the
defaults were fitted and chosen on a development split of seeded synthetic
attacks (``tests/eval/eval_pad.py``, which states the protocol and reports
APCER/BPCER on a held-out split).

These cues are evidence, not proof: a high-quality screen far from the camera
shows no moiré, a matte print in soft light no glare. Colour banding was tested
(flat-step fraction, colour diversity) and tracked the camera's own noise and
smoothing rather than the medium, so it is not a cue here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pipeline.errors import InputCorrupt
from pipeline.liveness.types import InvalidLivenessOptions, LivenessSignal, Verdict
from pipeline.types import Box, Stopwatch, Timings

Pixels = np.ndarray[Any, np.dtype[np.uint8]]
FloatArray = np.ndarray[Any, np.dtype[np.float64]]

MOIRE = "pad_moire"
BEZEL = "pad_bezel"
GLARE = "pad_glare"
COLOUR = "pad_colour"
TEXTURE = "pad_texture"
SCORE = "pad_score"
CUE_NAMES = (MOIRE, BEZEL, GLARE, COLOUR, TEXTURE)


@dataclass(frozen=True, slots=True)
class PadOptions:
    """Thresholds, weights and the combination model of the passive cues.

    Per cue, a value at or beyond ``*_fail`` gives FAIL (evidence of an attack), at
    or within ``*_pass`` gives PASS, in between WEAK. Defaults: ``*_fail`` near the
    99th percentile of bona fide development frames, ``*_pass`` near their median
    (``tests/eval/eval_pad.py --calibrate`` prints them).

    Attributes:
        patch_fraction: the spectral cues look at a square of this fraction of the
            face box's shorter side, centred a little above the box centre.
        patch_max_px: cap on that square's side in frame pixels (no resampling: fine
            patterns must survive).
        min_face_px: faces narrower than this (frame pixels) give UNKNOWN spectral cues.
        moire_pass_db, moire_fail_db: peak prominence in dB.
        bezel_pass_sides, bezel_fail_sides: sides with a straight edge.
        glare_pass_pct, glare_fail_pct: largest near-white blob, % of the face box.
        colour_pass_chroma, colour_fail_chroma: median C*ab (lower is worse).
        texture_centre: log10 fine/mid energy ratio typical of live faces.
        texture_pass_dev, texture_fail_dev: allowed distance from the centre.
        cue_weights: fusion weight of each cue's signal, by signal name.
        intercept, coefficients: the logistic model on the cue features
            (see :func:`cue_features`) giving ``PadResult.score``.
        attack_threshold: score from which ``PadResult.is_attack`` is true.
        pass_threshold: score up to which :func:`pad_signal` says PASS.
        score_weight: fusion weight of the combined ``pad_score`` signal.
    """

    patch_fraction: float = 0.6
    patch_max_px: int = 192
    min_face_px: float = 110.0
    moire_pass_db: float = 2.5
    moire_fail_db: float = 6.5
    bezel_pass_sides: int = 1
    bezel_fail_sides: int = 4
    glare_pass_pct: float = 1.0
    glare_fail_pct: float = 5.0
    colour_pass_chroma: float = 18.0
    colour_fail_chroma: float = 6.0
    texture_centre: float = -1.9
    texture_pass_dev: float = 0.35
    texture_fail_dev: float = 0.7
    cue_weights: tuple[tuple[str, float], ...] = (
        (MOIRE, 1.0),
        (BEZEL, 0.5),
        (GLARE, 0.5),
        (COLOUR, 0.5),
        (TEXTURE, 0.5),
    )
    # fitted on the DEV split by `python -m tests.eval.eval_pad --fit`
    intercept: float = 0.5796
    coefficients: tuple[tuple[str, float], ...] = (
        (MOIRE, 0.2881),
        (BEZEL, 1.0354),
        (GLARE, 0.5127),
        (COLOUR, -0.1309),
        (TEXTURE, 1.2515),
    )
    attack_threshold: float = 0.5
    pass_threshold: float = 0.2
    score_weight: float = 1.0

    def __post_init__(self) -> None:
        if not (0.1 <= self.patch_fraction <= 1.0) or self.patch_max_px < 64:
            raise InvalidLivenessOptions(
                "PAD patch_fraction must be in [0.1, 1], patch_max_px >= 64."
            )
        pairs = (
            (self.moire_pass_db, self.moire_fail_db),
            (self.bezel_pass_sides, self.bezel_fail_sides),
            (self.glare_pass_pct, self.glare_fail_pct),
            (self.colour_fail_chroma, self.colour_pass_chroma),
            (self.texture_pass_dev, self.texture_fail_dev),
        )
        if any(not a < b for a, b in pairs):
            raise InvalidLivenessOptions("PAD pass thresholds must be milder than fail thresholds.")
        if not 0.0 <= self.pass_threshold <= self.attack_threshold <= 1.0:
            raise InvalidLivenessOptions("PAD needs 0 <= pass_threshold <= attack_threshold <= 1.")
        for name, weight in self.cue_weights:
            if name not in CUE_NAMES or not (weight >= 0 and math.isfinite(weight)):
                raise InvalidLivenessOptions(f"PAD cue weight for {name!r} is invalid.")
        if {n for n, _ in self.coefficients} - set(CUE_NAMES):
            raise InvalidLivenessOptions("PAD coefficients name an unknown cue.")

    def cue_weight(self, name: str) -> float:
        """The fusion weight of cue ``name`` (0 when not listed)."""
        return dict(self.cue_weights).get(name, 0.0)


@dataclass(frozen=True, slots=True)
class PadResult:
    """The passive presentation-attack assessment of one frame.

    Attributes:
        score: combined attack score in [0, 1] (logistic model; higher = more likely
            an attack); NaN when no cue could be measured.
        is_attack: ``score >= options.attack_threshold``.
        signals: one signal per cue, in :data:`CUE_NAMES` order.
        face_box: the face analysed, in pixels of the frame.
        timings: milliseconds per cue.
    """

    score: float
    is_attack: bool
    signals: tuple[LivenessSignal, ...]
    face_box: Box
    timings: Timings = field(default_factory=Timings)

    def signal(self, name: str) -> LivenessSignal | None:
        """The signal called ``name``, or None."""
        for signal in self.signals:
            if signal.name == name:
                return signal
        return None


def assess_presentation(frame: Pixels, face: Box, options: PadOptions | None = None) -> PadResult:
    """Run every passive cue on the face in ``frame`` and combine them.

    Args:
        frame: HxWx3 uint8 BGR camera frame, as captured (not resampled).
        face: the face box in pixels of ``frame``.
        options: thresholds, weights and model (defaults when None).

    Returns:
        The per-cue signals and the combined score.

    Raises:
        InputCorrupt: ``frame`` is not BGR uint8 or the box misses the frame.
    """
    options = options or PadOptions()
    view = _FaceView.build(frame, face, options)
    watch = Stopwatch()
    signals = []
    with watch(MOIRE):
        signals.append(_moire(view, options))
    with watch(BEZEL):
        signals.append(_bezel(view, options))
    with watch(GLARE):
        signals.append(_glare(view, options))
    with watch(COLOUR):
        signals.append(_colour(view, options))
    with watch(TEXTURE):
        signals.append(_texture(view, options))
    features = cue_features(tuple(signals), options)
    if not features:
        score = math.nan
    else:
        coefficients = dict(options.coefficients)
        logit = options.intercept + sum(coefficients.get(k, 0.0) * v for k, v in features.items())
        score = 1.0 / (1.0 + math.exp(-max(min(logit, 50.0), -50.0)))
    is_attack = bool(score >= options.attack_threshold) if math.isfinite(score) else False
    return PadResult(score, is_attack, tuple(signals), view.box, watch.timings())


def cue_features(
    signals: tuple[LivenessSignal, ...], options: PadOptions | None = None
) -> dict[str, float]:
    """The inputs of the logistic model from the cue signals' values.

    Moiré, glare and texture count only by how far they exceed what live faces
    show (their PASS threshold): teeth and eye whites make small white blobs, skin
    and cameras make small spectral peaks, so only the excess is evidence.
    moiré: dB above ``moire_pass_db``; bezel: sides; glare: log2(1 + % above
    ``glare_pass_pct``); colour: chroma as measured; texture: distance from
    ``texture_centre`` beyond ``texture_pass_dev``. A cue that could not be measured
    (NaN) enters as unremarkable (zero excess, colour at its PASS threshold).
    """
    options = options or PadOptions()
    values = {s.name: s.value for s in signals}
    if not any(math.isfinite(values.get(name, math.nan)) for name in CUE_NAMES):
        return {}

    def measured(name: str, default: float) -> float:
        value = values.get(name, math.nan)
        return value if math.isfinite(value) else default

    moire = measured(MOIRE, options.moire_pass_db)
    glare = measured(GLARE, options.glare_pass_pct)
    texture = measured(TEXTURE, options.texture_centre)
    return {
        MOIRE: max(0.0, moire - options.moire_pass_db),
        BEZEL: measured(BEZEL, float(options.bezel_pass_sides)),
        GLARE: math.log2(1.0 + max(0.0, glare - options.glare_pass_pct)),
        COLOUR: measured(COLOUR, options.colour_pass_chroma),
        TEXTURE: max(0.0, abs(texture - options.texture_centre) - options.texture_pass_dev),
    }


def pad_signal(result: PadResult, options: PadOptions | None = None) -> LivenessSignal:
    """The combined score as one signal ``pad_score`` (value in [0, 1]).

    FAIL from ``attack_threshold``, PASS up to ``pass_threshold``, WEAK between,
    UNKNOWN when nothing could be measured.
    """
    options = options or PadOptions()
    score = result.score
    if not math.isfinite(score):
        return LivenessSignal(
            SCORE, math.nan, Verdict.UNKNOWN, options.score_weight, "No passive cue could run."
        )
    failing = [s.name for s in result.signals if s.verdict is Verdict.FAIL]
    because = f" (cues against: {', '.join(failing)})" if failing else ""
    if score >= options.attack_threshold:
        verdict, text = Verdict.FAIL, "looks like a presentation attack"
    elif score <= options.pass_threshold:
        verdict, text = Verdict.PASS, "shows no sign of a screen or print"
    else:
        verdict, text = Verdict.WEAK, "is inconclusive"
    return LivenessSignal(
        SCORE,
        score,
        verdict,
        options.score_weight,
        f"Passive attack score {score:.2f} {text}{because}.",
    )


def moire_cue(frame: Pixels, face: Box, options: PadOptions | None = None) -> LivenessSignal:
    """``pad_moire``: isolated periodic peaks in the face's spectrum (dB)."""
    options = options or PadOptions()
    return _moire(_FaceView.build(frame, face, options), options)


def bezel_cue(frame: Pixels, face: Box, options: PadOptions | None = None) -> LivenessSignal:
    """``pad_bezel``: sides of the face bounded by a long straight edge (0-4)."""
    options = options or PadOptions()
    return _bezel(_FaceView.build(frame, face, options), options)


def glare_cue(frame: Pixels, face: Box, options: PadOptions | None = None) -> LivenessSignal:
    """``pad_glare``: the largest near-white blob on the face, % of the face box."""
    options = options or PadOptions()
    return _glare(_FaceView.build(frame, face, options), options)


def colour_cue(frame: Pixels, face: Box, options: PadOptions | None = None) -> LivenessSignal:
    """``pad_colour``: median CIELAB chroma of the skin (C*ab)."""
    options = options or PadOptions()
    return _colour(_FaceView.build(frame, face, options), options)


def texture_cue(frame: Pixels, face: Box, options: PadOptions | None = None) -> LivenessSignal:
    """``pad_texture``: log10 of fine-detail over mid-frequency energy of the face."""
    options = options or PadOptions()
    return _texture(_FaceView.build(frame, face, options), options)


# --- shared preparation -----------------------------------------------------------------

_WINDOW = 64  # spectral window, frame pixels


@dataclass(frozen=True, slots=True)
class _FaceView:
    """What the cues share: the clipped box and the native-resolution core patch."""

    frame: Pixels
    box: Box
    patch: Pixels | None  # None when the face is too small for the spectral cues
    luma_spectrum: FloatArray | None
    chroma_spectrum: FloatArray | None

    @classmethod
    def build(cls, frame: Pixels, face: Box, options: PadOptions) -> _FaceView:
        if (
            not isinstance(frame, np.ndarray)
            or frame.dtype != np.uint8
            or frame.ndim != 3
            or frame.shape[2] != 3
            or frame.size == 0
        ):
            raise InputCorrupt("A frame must be a non-empty HxWx3 uint8 BGR array.")
        height, width = frame.shape[:2]
        x0, y0 = max(face.x, 0.0), max(face.y, 0.0)
        x1, y1 = min(face.x + face.w, float(width)), min(face.y + face.h, float(height))
        if x1 - x0 < 8 or y1 - y0 < 8:
            raise InputCorrupt("The face box does not overlap the frame.")
        box = Box(x0, y0, x1 - x0, y1 - y0)
        side = int(min(box.w, box.h) * options.patch_fraction)
        side = min(side, options.patch_max_px) // 2 * 2
        patch = None
        luma = chroma = None
        if face.w >= options.min_face_px and side >= _WINDOW:
            cx, cy = box.center
            px = round(min(max(cx - side / 2, 0), width - side))
            py = round(min(max(cy - side / 2 - 0.05 * box.h, 0), height - side))
            patch = frame[py : py + side, px : px + side]
            values = patch.astype(np.float64)
            y = 0.114 * values[..., 0] + 0.587 * values[..., 1] + 0.299 * values[..., 2]
            luma = _averaged_spectrum(y)
            chroma = _averaged_spectrum(values[..., 2] - values[..., 0])
        return cls(frame, box, patch, luma, chroma)


def _averaged_spectrum(channel: FloatArray) -> FloatArray:
    """Power spectrum averaged over 64x64 Hann windows with 50 % overlap, DC centred."""
    side = channel.shape[0]
    step = _WINDOW // 2
    hann = np.outer(np.hanning(_WINDOW), np.hanning(_WINDOW))
    tiles = [
        channel[y : y + _WINDOW, x : x + _WINDOW]
        for y in range(0, side - _WINDOW + 1, step)
        for x in range(0, side - _WINDOW + 1, step)
    ]
    stack = np.stack(tiles)
    stack = (stack - stack.mean(axis=(1, 2), keepdims=True)) * hann
    power = np.abs(np.fft.fft2(stack)) ** 2
    spectrum: FloatArray = np.fft.fftshift(power.mean(axis=0))
    return spectrum


def _frequency_grid() -> tuple[FloatArray, FloatArray, FloatArray]:
    """fx, fy (cycles per pixel) and radius of the centred 64x64 spectrum."""
    k = (np.arange(_WINDOW) - _WINDOW // 2) / _WINDOW
    fy, fx = np.meshgrid(k, k, indexing="ij")
    return fx, fy, np.hypot(fx, fy)


def _verdict_high(value: float, pass_at: float, fail_at: float) -> Verdict:
    """Verdict for a cue where a larger value is more attack-like."""
    if value >= fail_at:
        return Verdict.FAIL
    if value <= pass_at:
        return Verdict.PASS
    return Verdict.WEAK


# --- the cues ---------------------------------------------------------------------------


def _moire(view: _FaceView, options: PadOptions) -> LivenessSignal:
    import cv2

    weight = options.cue_weight(MOIRE)
    if view.luma_spectrum is None or view.chroma_spectrum is None:
        return _too_small(MOIRE, weight, options)
    fx, fy, radius = _frequency_grid()
    # JPEG's 8x8 blocks put peaks at multiples of 1/8 cycle per pixel: not a medium
    near_block = (np.abs(fx * 8 - np.round(fx * 8)) * _WINDOW / 8 <= 1) & (
        np.abs(fy * 8 - np.round(fy * 8)) * _WINDOW / 8 <= 1
    )
    off_axis = (np.abs(fx) * _WINDOW > 1) & (np.abs(fy) * _WINDOW > 1)
    band = (radius >= 0.1) & (radius <= 0.5) & off_axis & ~near_block
    ring = np.ones((7, 7), np.uint8)
    ring[1:-1, 1:-1] = 0
    best = -math.inf
    where = (0.0, 0.0)
    for spectrum in (view.luma_spectrum, view.chroma_spectrum):
        level = (10.0 * np.log10(spectrum + 1e-12)).astype(np.float32)
        # a peak must stand above the highest point 3 bins around it: an edge's
        # spectral ridge passes through that ring, an isolated periodic peak does not
        surround = cv2.dilate(level, ring, borderType=cv2.BORDER_REFLECT)
        prominence = np.where(band, level - surround, -np.inf)
        k = int(np.argmax(prominence))
        if prominence.flat[k] > best:
            best = float(prominence.flat[k])
            where = (float(fx.flat[k]), float(fy.flat[k]))
    verdict = _verdict_high(best, options.moire_pass_db, options.moire_fail_db)
    period = 1.0 / max(math.hypot(*where), 1e-6)
    return LivenessSignal(
        MOIRE,
        best,
        verdict,
        weight,
        f"Strongest isolated spectral peak {best:.1f} dB above its surroundings "
        f"(period {period:.1f} px; fail from {options.moire_fail_db:.1f} dB).",
    )


def _bezel(view: _FaceView, options: PadOptions) -> LivenessSignal:
    import cv2

    weight = options.cue_weight(BEZEL)
    frame, box = view.frame, view.box
    height, width = frame.shape[:2]
    cx, cy = box.center
    x0, x1 = int(max(0, cx - 1.7 * box.w)), int(min(width, cx + 1.7 * box.w))
    y0, y1 = int(max(0, cy - 1.4 * box.h)), int(min(height, cy + 1.4 * box.h))
    scale = min(1.0, _BEZEL_FACE_PX / box.w)  # analyse with the face ~48 px wide
    region: Pixels = frame[y0:y1, x0:x1]
    if scale < 1.0:
        region = np.asarray(
            cv2.resize(region, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR), np.uint8
        )
    grey = cv2.GaussianBlur(cv2.cvtColor(region, cv2.COLOR_BGR2GRAY), (3, 3), 0)
    median = float(np.median(grey))
    edges = cv2.Canny(grey, int(max(20, 0.66 * median)), int(max(40, 1.33 * median))) > 0
    gx = np.abs(cv2.Sobel(grey, cv2.CV_16S, 1, 0, ksize=3).astype(np.int32))
    gy = np.abs(cv2.Sobel(grey, cv2.CV_16S, 0, 1, ksize=3).astype(np.int32))
    vertical = edges & (2 * gx > 3 * gy)  # edge pixels of near-vertical lines
    horizontal = edges & (2 * gy > 3 * gx)
    fw, fh = box.w * scale, box.h * scale
    bx0, by0 = (box.x - x0) * scale, (box.y - y0) * scale
    bx1, by1 = bx0 + fw, by0 + fh
    # zones beside each side of the face: (name, x-range, y-range, vertical line?)
    zones = (
        ("left", (bx0 - 1.5 * fw, bx0 - 0.05 * fw), (by0 - 0.25 * fh, by1 + 0.25 * fh), True),
        ("right", (bx1 + 0.05 * fw, bx1 + 1.5 * fw), (by0 - 0.25 * fh, by1 + 0.25 * fh), True),
        ("top", (bx0 - 0.25 * fw, bx1 + 0.25 * fw), (by0 - 1.2 * fh, by0 - 0.05 * fh), False),
        ("bottom", (bx0 - 0.25 * fw, bx1 + 0.25 * fw), (by1 + 0.05 * fh, by1 + 1.2 * fh), False),
    )
    points = {True: np.nonzero(vertical), False: np.nonzero(horizontal)}
    sides = []
    for name, (zx0, zx1), (zy0, zy1), is_vertical in zones:
        rows, cols = points[is_vertical]
        inside = (cols >= zx0) & (cols <= zx1) & (rows >= zy0) & (rows <= zy1)
        xs: FloatArray = cols[inside].astype(np.float64)
        ys: FloatArray = rows[inside].astype(np.float64)
        # a horizontal line is a vertical one with the axes swapped
        across, along = (xs, ys) if is_vertical else (ys, xs)
        need = 0.5 * (fh if is_vertical else fw)
        if across.size >= need and _longest_straight_run(across, along, gap=0.1 * fw) >= need:
            sides.append(name)
    count = float(len(sides))
    verdict = _verdict_high(count, options.bezel_pass_sides, options.bezel_fail_sides)
    named = ", ".join(sides) or "none"
    return LivenessSignal(
        BEZEL,
        count,
        verdict,
        weight,
        f"Long straight edges close to the face on {len(sides)} side(s) ({named}); "
        f"fail from {options.bezel_fail_sides}.",
    )


_BEZEL_FACE_PX = 48.0
_SLOPES = np.tan(np.radians(np.arange(-20.0, 20.1, 2.0)))


def _longest_straight_run(across: FloatArray, along: FloatArray, gap: float) -> float:
    """Longest straight segment within 20 degrees of the ``along`` axis through the points
    (``across`` = offset at ``along``), allowing breaks up to ``gap``; in pixels of ``along``.

    A small Hough transform: vote per slope (2-degree steps) and 1-px offset bin,
    then measure the longest run of the points in each of the three best bins.
    """
    centre = float(along.mean())
    offsets = across[None, :] - _SLOPES[:, None] * (along[None, :] - centre)  # (slopes, n)
    lo = float(offsets.min())
    bins = np.round(offsets - lo).astype(np.int64)
    n_bins = int(bins.max()) + 1
    flat = (np.arange(_SLOPES.size)[:, None] * n_bins + bins).ravel()
    votes = np.bincount(flat, minlength=_SLOPES.size * n_bins)
    best = 0.0
    top = min(3, votes.size)
    for index in np.argpartition(votes, votes.size - top)[votes.size - top :]:
        slope, offset = divmod(int(index), n_bins)
        on_line = np.sort(along[bins[slope] == offset])
        if on_line.size < 2:
            continue
        breaks = np.flatnonzero(np.diff(on_line) > gap)
        starts = np.concatenate([[0], breaks + 1])
        ends = np.concatenate([breaks, [on_line.size - 1]])
        length = float((on_line[ends] - on_line[starts]).max()) * math.sqrt(1 + _SLOPES[slope] ** 2)
        best = max(best, length)
    return best


def _glare(view: _FaceView, options: PadOptions) -> LivenessSignal:
    import cv2

    weight = options.cue_weight(GLARE)
    b = view.box
    face = view.frame[int(b.y) : int(b.y + b.h), int(b.x) : int(b.x + b.w)]
    hsv = cv2.cvtColor(face, cv2.COLOR_BGR2HSV)
    white = ((hsv[..., 2] >= 235) & (hsv[..., 1] <= 50)).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(white, connectivity=8)
    largest = float(stats[1:, cv2.CC_STAT_AREA].max()) if count > 1 else 0.0
    percent = 100.0 * largest / white.size
    verdict = _verdict_high(percent, options.glare_pass_pct, options.glare_fail_pct)
    return LivenessSignal(
        GLARE,
        percent,
        verdict,
        weight,
        f"Largest near-white blob covers {percent:.1f} % of the face "
        f"(fail from {options.glare_fail_pct:.1f} %).",
    )


def _colour(view: _FaceView, options: PadOptions) -> LivenessSignal:
    import cv2

    weight = options.cue_weight(COLOUR)
    b = view.box
    # the central part of the box: skin, little hair or background
    x0, y0 = int(b.x + 0.2 * b.w), int(b.y + 0.2 * b.h)
    x1, y1 = int(b.x + 0.8 * b.w), int(b.y + 0.8 * b.h)
    lab = cv2.cvtColor(view.frame[y0:y1, x0:x1], cv2.COLOR_BGR2LAB).astype(np.float64)
    lightness = lab[..., 0] * (100.0 / 255.0)
    usable = (lightness > 15.0) & (lightness < 95.0)
    if usable.sum() < 50:
        return LivenessSignal(
            COLOUR,
            math.nan,
            Verdict.UNKNOWN,
            weight,
            "The face is too dark or too bright to judge colour.",
        )
    chroma = float(np.median(np.hypot(lab[..., 1] - 128.0, lab[..., 2] - 128.0)[usable]))
    if chroma <= options.colour_fail_chroma:
        verdict = Verdict.FAIL
    elif chroma >= options.colour_pass_chroma:
        verdict = Verdict.PASS
    else:
        verdict = Verdict.WEAK
    return LivenessSignal(
        COLOUR,
        chroma,
        verdict,
        weight,
        f"Skin chroma C*ab {chroma:.1f} (washed-out from {options.colour_fail_chroma:.1f} down).",
    )


def _texture(view: _FaceView, options: PadOptions) -> LivenessSignal:
    weight = options.cue_weight(TEXTURE)
    if view.luma_spectrum is None:
        return _too_small(TEXTURE, weight, options)
    _, _, radius = _frequency_grid()
    spectrum = view.luma_spectrum
    fine = float(spectrum[(radius > 0.25) & (radius <= 0.5)].sum())
    mid = float(spectrum[(radius > 0.03) & (radius <= 0.25)].sum())
    if mid <= 0 or fine <= 0:
        return LivenessSignal(
            TEXTURE, math.nan, Verdict.UNKNOWN, weight, "The face shows no texture at all."
        )
    ratio = math.log10(fine / mid)
    deviation = abs(ratio - options.texture_centre)
    verdict = _verdict_high(deviation, options.texture_pass_dev, options.texture_fail_dev)
    kind = "grainier" if ratio > options.texture_centre else "softer"
    return LivenessSignal(
        TEXTURE,
        ratio,
        verdict,
        weight,
        f"Fine-detail energy ratio {ratio:.2f} (log10), {kind} than live skin by "
        f"{deviation:.2f} (fail from {options.texture_fail_dev:.2f}).",
    )


def _too_small(name: str, weight: float, options: PadOptions) -> LivenessSignal:
    return LivenessSignal(
        name,
        math.nan,
        Verdict.UNKNOWN,
        weight,
        f"The face is narrower than {options.min_face_px:.0f} px; this cue needs more detail.",
    )


__all__ = [
    "BEZEL",
    "COLOUR",
    "CUE_NAMES",
    "GLARE",
    "MOIRE",
    "SCORE",
    "TEXTURE",
    "PadOptions",
    "PadResult",
    "assess_presentation",
    "bezel_cue",
    "colour_cue",
    "cue_features",
    "glare_cue",
    "moire_cue",
    "pad_signal",
    "texture_cue",
]
