"""Remote photoplethysmography (rPPG): a pulse from the colour of skin over time.

Per frame the caller samples the mean colour of a few skin regions
(:func:`sample_skin_regions` from MediaPipe landmarks, or :func:`sample_whole_frame`
when the frame already is a skin crop) and feeds the :class:`SkinSample` to an
:class:`RppgEstimator`; that costs a polygon mask and a mean per region. The pulse
is estimated on demand (:meth:`RppgEstimator.estimate`), and :func:`rppg_signal`
turns the result into a :class:`~pipeline.liveness.types.LivenessSignal`.

The estimator is POS (Wang et al. 2017, "Algorithmic principles of remote PPG")
with three additions for cheap, compressed, unevenly exposed video:

* glitch frames (a frame whose brightness jumps away from its neighbours: an
  exposure or content glitch, usually in every region at once; a lost face) are
  found jointly across the regions and interpolated over;
* when the face's brightness swings far more than a pulse can (exposure hunting,
  flicker), the face-wide illumination (log brightness of every region and its
  square) is regressed out of every region's log colour channels, so swings that
  do not scale all channels alike (black level, clipping, compression) do not leak
  into the chrominance POS works on;
* regions are fused by averaging their normalised Welch spectra weighted by
  1 / noise power (maximum-ratio combining: noisier regions count less).

A weak pulse is weak evidence (``WEAK``), never a failure: dark skin, poor light,
compression and motion all hide a real pulse. A screen replay of a recorded face
can carry a pulse, so a pulse is no proof of liveness either.
"""

from __future__ import annotations

import enum
import math
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from pipeline.errors import InputCorrupt
from pipeline.face.types import FaceLandmarks
from pipeline.liveness.types import (
    InvalidLivenessOptions,
    LivenessSignal,
    SampleOrderError,
    Verdict,
)

FloatArray = np.ndarray[Any, np.dtype[np.float64]]
Pixels = np.ndarray[Any, np.dtype[np.uint8]]

SIGNAL_NAME = "rppg_snr"


class SkinRegion(enum.Enum):
    """Where a colour sample comes from. Left and right are the subject's own
    (RIGHT_CHEEK is on the image's left in an unmirrored camera frame)."""

    FOREHEAD = "forehead"
    RIGHT_CHEEK = "right_cheek"
    LEFT_CHEEK = "left_cheek"
    FRAME = "frame"


# MediaPipe face-mesh indices (478-point topology) outlining each region.
REGION_LANDMARKS: Mapping[SkinRegion, tuple[int, ...]] = {
    # between the brow tops (105, 66, 107 | 336, 296, 334) and the upper face oval
    SkinRegion.FOREHEAD: (67, 109, 10, 338, 297, 334, 296, 336, 9, 107, 66, 105),
    # below the eye, lateral to the nose, above the mouth corner
    SkinRegion.RIGHT_CHEEK: (116, 117, 118, 101, 36, 205, 187, 123),
    SkinRegion.LEFT_CHEEK: (345, 346, 347, 330, 266, 425, 411, 352),
}
FACE_REGIONS = (SkinRegion.FOREHEAD, SkinRegion.RIGHT_CHEEK, SkinRegion.LEFT_CHEEK)


@dataclass(frozen=True, slots=True)
class RegionColor:
    """Mean colour of one skin region in one frame.

    Attributes:
        region: which region.
        rgb: mean red, green, blue in 8-bit code values (0-255) of the frame.
        pixels: how many pixels were averaged.
    """

    region: SkinRegion
    rgb: tuple[float, float, float]
    pixels: int


@dataclass(frozen=True, slots=True)
class SkinSample:
    """The skin colours of one frame.

    Attributes:
        t_s: capture time of the frame in seconds (any origin; increasing in a stream).
        regions: one entry per region found in this frame (may be empty).
    """

    t_s: float
    regions: tuple[RegionColor, ...]


@dataclass(frozen=True, slots=True)
class RppgOptions:
    """Settings of the pulse estimator and of its liveness signal.

    Attributes:
        band_hz: pulse search band in Hz (0.7-3.5 Hz = 42-210 bpm).
        min_duration_s: shorter windows give an UNKNOWN result (seconds).
        max_window_s: the streaming estimator keeps this many seconds of samples.
        segment_s: Welch segment length in seconds (shorter windows use one segment).
        glitch_z: a frame whose log brightness departs from its neighbours' running
            median by more than this many robust standard deviations (root mean
            square over the regions) is a glitch and is interpolated over.
        max_rejected_fraction: above this fraction of glitch frames the result is UNKNOWN.
        snr_half_width_hz: half-width of the window around the pulse frequency counted
            as signal in the SNR (the second harmonic uses twice this).
        pass_snr_db: SNR (dB) from which the pulse counts as evidence of a live
            person. The default sits above the 99th percentile of the SNR of
            pulse-free noise over 10-second windows at 15 and 30 fps, one or three
            regions (about 0.6 dB for one region, -1.7 dB for three; measured by
            ``tests/eval/eval_rppg.py``), so a sequence without a pulse passes in
            fewer than 1 % of cases; longer windows pass noise even less often.
        weight: the signal's weight in the fusion.
        prior_bpm: optional centre of a Gaussian prior on the heart rate (bpm) that
            multiplies the fused spectrum when picking the peak; None = no prior.
            The SNR is always measured on the spectrum without the prior.
        prior_sd_bpm: standard deviation of that prior (bpm).
        reject_glitches: find and interpolate over glitch frames (off only for
            ablations).
        regress_illumination: regress the face-wide illumination out of each region
            (off only for ablations).
        projection: how a region's colour becomes a pulse signal. "pos": POS, blind
            to a common gain of the channels and tuned per window, after the
            illumination regression. "grey_null": the one chrominance direction blind
            both to a common gain and to an equal code-value offset of every channel
            (codec luma noise, a black level shift), on the raw colours without the
            regression; it beats POS when such offsets dominate a dark patch, but on
            the shared clips POS with the regression recovers more injected pulses
            (``tests/eval/eval_rppg.py``, section 4), so POS is the default.
    """

    band_hz: tuple[float, float] = (0.7, 3.5)
    min_duration_s: float = 8.0
    max_window_s: float = 60.0
    segment_s: float = 16.0
    glitch_z: float = 4.0
    max_rejected_fraction: float = 0.4
    snr_half_width_hz: float = 0.1
    pass_snr_db: float = 1.5
    weight: float = 1.0
    prior_bpm: float | None = None
    prior_sd_bpm: float = 15.0
    reject_glitches: bool = True
    regress_illumination: bool = True
    projection: Literal["pos", "grey_null"] = "pos"

    def __post_init__(self) -> None:
        lo, hi = self.band_hz
        if not (0.0 < lo < hi):
            raise InvalidLivenessOptions("rPPG band_hz must be (low, high) with 0 < low < high.")
        if self.min_duration_s * lo < 2.0:
            raise InvalidLivenessOptions(
                "rPPG min_duration_s must hold at least two cycles of the lowest band frequency."
            )
        if self.max_window_s < self.min_duration_s:
            raise InvalidLivenessOptions("rPPG max_window_s must be >= min_duration_s.")
        if self.segment_s <= 0 or self.glitch_z <= 0 or self.snr_half_width_hz <= 0:
            raise InvalidLivenessOptions(
                "rPPG segment_s, glitch_z and snr_half_width_hz must be > 0."
            )
        if not 0.0 <= self.max_rejected_fraction < 1.0:
            raise InvalidLivenessOptions("rPPG max_rejected_fraction must be in [0, 1).")
        if not (self.weight >= 0 and math.isfinite(self.weight)):
            raise InvalidLivenessOptions("rPPG weight must be finite and >= 0.")
        if self.prior_bpm is not None and not (self.prior_bpm > 0 and self.prior_sd_bpm > 0):
            raise InvalidLivenessOptions("rPPG prior_bpm and prior_sd_bpm must be > 0.")
        if self.projection not in ("pos", "grey_null"):
            raise InvalidLivenessOptions('rPPG projection must be "pos" or "grey_null".')


@dataclass(frozen=True, slots=True)
class RegionPulse:
    """The pulse seen in one region alone.

    Attributes:
        region: which region.
        bpm: the region's own spectral peak in beats per minute, or None.
        snr_db: the region's own SNR at that peak in dB, or None.
        weight: the region's share of the fused spectrum (the shares sum to 1).
    """

    region: SkinRegion
    bpm: float | None
    snr_db: float | None
    weight: float


@dataclass(frozen=True, slots=True)
class RppgResult:
    """A pulse estimate over a window of samples.

    Attributes:
        bpm: heart rate in beats per minute, or None when it could not be estimated
            (see ``reason``).
        snr_db: signal-to-noise ratio of the fused spectrum at ``bpm`` in dB: power
            within ``snr_half_width_hz`` of the pulse and twice that of its second
            harmonic, over the rest of the band (de Haan & Jeanne 2013); None with bpm.
        duration_s: seconds between the first and last sample used.
        frames: samples used.
        fs_hz: the uniform rate (Hz) the samples were resampled to.
        rejected_frames: resampled frames treated as glitches and interpolated.
        regions: the per-region view, in :class:`SkinRegion` order.
        reason: why ``bpm`` is None ("" when it is not).
    """

    bpm: float | None
    snr_db: float | None
    duration_s: float
    frames: int
    fs_hz: float
    rejected_frames: int
    regions: tuple[RegionPulse, ...]
    reason: str = ""

    @property
    def measured(self) -> bool:
        """True when a pulse frequency was estimated."""
        return self.bpm is not None


def sample_skin_regions(
    frame: Pixels,
    landmarks: FaceLandmarks,
    t_s: float,
    *,
    regions: Iterable[SkinRegion] = FACE_REGIONS,
    shrink: float = 0.15,
) -> SkinSample:
    """Mean colour of the forehead and cheeks outlined by MediaPipe landmarks.

    Args:
        frame: HxWx3 uint8 BGR frame the landmarks were found in.
        landmarks: 478 face-mesh points in pixels of ``frame``.
        t_s: capture time of the frame in seconds.
        regions: which of FOREHEAD, RIGHT_CHEEK, LEFT_CHEEK to sample.
        shrink: each polygon is pulled towards its centroid by this fraction, away
            from brows, hairline and nose.

    Returns:
        The sample; a region that falls outside the frame or covers fewer than
        4 pixels is left out.

    Raises:
        InputCorrupt: the frame is not BGR uint8, or the landmarks belong to a frame
            of another size.
    """
    import cv2

    _check_frame(frame)
    height, width = frame.shape[:2]
    if tuple(landmarks.frame_size) != (width, height):
        raise InputCorrupt("The landmarks were found in a frame of a different size.")
    points = np.asarray(landmarks.points, np.float64)
    colors: list[RegionColor] = []
    for region in regions:
        indices = REGION_LANDMARKS.get(region)
        if indices is None or points.shape[0] <= max(indices):
            continue
        polygon = points[list(indices), :2]
        centre = polygon.mean(axis=0)
        polygon = centre + (polygon - centre) * (1.0 - shrink)
        x0, y0 = np.floor(polygon.min(axis=0)).astype(int)
        x1, y1 = np.ceil(polygon.max(axis=0)).astype(int) + 1
        x0, y0 = max(x0, 0), max(y0, 0)
        x1, y1 = min(x1, width), min(y1, height)
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillPoly(mask, [np.round(polygon - (x0, y0)).astype(np.int32)], 255)
        count = int(cv2.countNonZero(mask))
        if count < 4:
            continue
        b, g, r, _ = cv2.mean(frame[y0:y1, x0:x1], mask=mask)
        colors.append(RegionColor(region, (float(r), float(g), float(b)), count))
    return SkinSample(float(t_s), tuple(colors))


def sample_whole_frame(frame: Pixels, t_s: float) -> SkinSample:
    """Mean colour of a frame that is itself a skin crop (region FRAME).

    Args:
        frame: HxWx3 uint8 BGR frame.
        t_s: capture time of the frame in seconds.

    Raises:
        InputCorrupt: the frame is not BGR uint8.
    """
    import cv2

    _check_frame(frame)
    b, g, r, _ = cv2.mean(frame)
    count = int(frame.shape[0] * frame.shape[1])
    return SkinSample(float(t_s), (RegionColor(SkinRegion.FRAME, (r, g, b), count),))


class RppgEstimator:
    """Streaming pulse estimator: ``add`` a sample per frame, ``estimate`` when needed.

    ``add`` is O(1); ``estimate`` costs a few milliseconds for 30 s at 30 fps.
    Samples older than ``options.max_window_s`` before the newest are dropped.
    Not thread-safe: one estimator per stream, used from one thread.
    """

    def __init__(self, options: RppgOptions | None = None) -> None:
        self.options = options or RppgOptions()
        self._samples: deque[SkinSample] = deque()

    @classmethod
    def from_options(cls, options: RppgOptions | None = None) -> RppgEstimator:
        """An estimator with validated ``options`` (defaults when None)."""
        return cls(options)

    def add(self, sample: SkinSample) -> None:
        """Append one frame's sample.

        Raises:
            SampleOrderError: ``sample.t_s`` is not after the previous sample's.
        """
        if not math.isfinite(sample.t_s):
            raise SampleOrderError("A liveness sample needs a finite timestamp.")
        if self._samples and sample.t_s <= self._samples[-1].t_s:
            raise SampleOrderError(
                f"Sample at {sample.t_s:.3f} s is not after {self._samples[-1].t_s:.3f} s."
            )
        self._samples.append(sample)
        horizon = sample.t_s - self.options.max_window_s
        while self._samples and self._samples[0].t_s < horizon:
            self._samples.popleft()

    @property
    def sample_count(self) -> int:
        """Samples currently held."""
        return len(self._samples)

    @property
    def duration_s(self) -> float:
        """Seconds between the oldest and newest sample held."""
        if len(self._samples) < 2:
            return 0.0
        return self._samples[-1].t_s - self._samples[0].t_s

    def estimate(self) -> RppgResult:
        """The pulse over the samples held (see :func:`estimate_pulse`)."""
        return estimate_pulse(tuple(self._samples), self.options)

    def reset(self) -> None:
        """Forget every sample (a new subject or a lost face)."""
        self._samples.clear()

    def close(self) -> None:
        """Release the buffer; the estimator can be reused after ``reset``."""
        self.reset()

    def __enter__(self) -> RppgEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def estimate_pulse(samples: Sequence[SkinSample], options: RppgOptions | None = None) -> RppgResult:
    """Estimate the heart rate from timestamped skin samples.

    Args:
        samples: per-frame samples in increasing time order; regions missing from a
            frame are treated like glitch frames.
        options: estimator settings (defaults when None).

    Returns:
        The estimate; ``bpm`` is None with a ``reason`` when the window is too
        short, has too few usable frames or shows no colour variation at all.

    Raises:
        SampleOrderError: timestamps are not strictly increasing.
    """
    options = options or RppgOptions()
    times = np.array([s.t_s for s in samples], np.float64)
    if times.size >= 2 and not np.all(np.diff(times) > 0):
        raise SampleOrderError()
    duration = float(times[-1] - times[0]) if times.size >= 2 else 0.0
    regions, colors = _region_matrix(samples)
    if times.size < 8 or not regions or duration < options.min_duration_s:
        return _unmeasured(
            duration,
            len(samples),
            0.0,
            0,
            regions,
            f"needs {options.min_duration_s:.0f} s of skin samples, got {duration:.1f} s",
        )
    fs = 1.0 / float(np.median(np.diff(times)))
    lo, hi = options.band_hz
    hi = min(hi, 0.45 * fs)
    if hi <= lo:
        return _unmeasured(
            duration, len(samples), fs, 0, regions, f"frame rate {fs:.1f} Hz is too low"
        )
    grid, rgb, valid = _resample(times, colors, fs)
    rejected = ~valid
    if options.reject_glitches:
        rejected = rejected | _glitch_frames(rgb, valid, fs, options.glitch_z)
    n_rejected = int(rejected.sum())
    if n_rejected > options.max_rejected_fraction * grid.size:
        return _unmeasured(
            duration,
            len(samples),
            fs,
            n_rejected,
            regions,
            f"{n_rejected} of {grid.size} frames are unusable",
        )
    rgb = _interpolate_rejected(rgb, rejected)
    pulses = _pulse_signals(
        rgb,
        fs,
        (lo, hi),
        regress=options.regress_illumination,
        projection=options.projection,
    )
    freqs, spectra, weights = _region_spectra(pulses, fs, (lo, hi), options.segment_s)
    if weights.sum() <= 0:
        return _unmeasured(duration, len(samples), fs, n_rejected, regions, _NO_VARIATION)
    weights = weights / weights.sum()
    fused = (spectra * weights[:, None]).sum(axis=0)
    band = (freqs >= lo) & (freqs <= hi)
    score = fused.copy()
    if options.prior_bpm is not None:
        score *= np.exp(-0.5 * ((freqs * 60.0 - options.prior_bpm) / options.prior_sd_bpm) ** 2)
    f_peak = _peak_frequency(freqs, score, band)
    snr = _snr_db(freqs, fused, band, f_peak, options.snr_half_width_hz)
    per_region = []
    for region, spectrum, weight in zip(regions, spectra, weights, strict=True):
        if weight <= 0:
            per_region.append(RegionPulse(region, None, None, 0.0))
            continue
        f_region = _peak_frequency(freqs, spectrum, band)
        region_snr = _snr_db(freqs, spectrum, band, f_region, options.snr_half_width_hz)
        per_region.append(RegionPulse(region, f_region * 60.0, region_snr, float(weight)))
    return RppgResult(
        bpm=f_peak * 60.0,
        snr_db=snr,
        duration_s=duration,
        frames=len(samples),
        fs_hz=fs,
        rejected_frames=n_rejected,
        regions=tuple(per_region),
    )


def rppg_signal(result: RppgResult, options: RppgOptions | None = None) -> LivenessSignal:
    """The pulse as liveness evidence: PASS, WEAK or UNKNOWN, never FAIL.

    Args:
        result: an estimate from :func:`estimate_pulse` or :class:`RppgEstimator`.
        options: thresholds and weight (defaults when None).

    Returns:
        Signal ``rppg_snr`` whose value is the SNR in dB (NaN when not measured):
        PASS when it reaches ``pass_snr_db``, WEAK below (no clear pulse is weak
        evidence, never a reason to reject on its own), UNKNOWN when there was not
        enough data.
    """
    options = options or RppgOptions()
    if result.bpm is None:
        verdict = Verdict.WEAK if result.reason == _NO_VARIATION else Verdict.UNKNOWN
        return LivenessSignal(
            SIGNAL_NAME, math.nan, verdict, options.weight, f"No pulse estimate: {result.reason}."
        )
    snr = result.snr_db if result.snr_db is not None else -math.inf
    where = f"over {result.duration_s:.1f} s from {len(result.regions)} skin region(s)"
    if snr >= options.pass_snr_db:
        return LivenessSignal(
            SIGNAL_NAME,
            snr,
            Verdict.PASS,
            options.weight,
            f"Pulse at {result.bpm:.0f} bpm with SNR {snr:.1f} dB "
            f"(pass from {options.pass_snr_db:.1f} dB) {where}.",
        )
    return LivenessSignal(
        SIGNAL_NAME,
        snr,
        Verdict.WEAK,
        options.weight,
        f"No clear pulse: best peak {result.bpm:.0f} bpm with SNR {snr:.1f} dB "
        f"(pass from {options.pass_snr_db:.1f} dB) {where}.",
    )


# --- estimation steps (pure numpy/scipy) -------------------------------------------------

_NO_VARIATION = "no colour variation in the skin"
_EPS = 1e-12
_POS_WINDOW_S = 1.6  # POS window (Wang et al. 2017)
# a pulse moves skin brightness by well under 3 % (std); more is illumination or exposure
_PULSE_SWING_MAX = 0.03
# below this sine of the angle between 1 / mean colour and grey, grey_null has no direction
_GREY_SIN = 0.05


def _check_frame(frame: Pixels) -> None:
    if (
        not isinstance(frame, np.ndarray)
        or frame.dtype != np.uint8
        or frame.ndim != 3
        or frame.shape[2] != 3
        or frame.size == 0
    ):
        raise InputCorrupt("A frame must be a non-empty HxWx3 uint8 BGR array.")


def _unmeasured(
    duration: float,
    frames: int,
    fs: float,
    rejected: int,
    regions: Sequence[SkinRegion],
    reason: str,
) -> RppgResult:
    return RppgResult(
        bpm=None,
        snr_db=None,
        duration_s=duration,
        frames=frames,
        fs_hz=fs,
        rejected_frames=rejected,
        regions=tuple(RegionPulse(r, None, None, 0.0) for r in regions),
        reason=reason,
    )


def _region_matrix(samples: Sequence[SkinSample]) -> tuple[tuple[SkinRegion, ...], FloatArray]:
    """Regions present in at least half the samples, and (regions, samples, 3) RGB with NaN gaps."""
    counts: dict[SkinRegion, int] = {}
    for sample in samples:
        for color in sample.regions:
            counts[color.region] = counts.get(color.region, 0) + 1
    regions = tuple(r for r in SkinRegion if counts.get(r, 0) * 2 >= max(len(samples), 1))
    colors = np.full((len(regions), len(samples), 3), np.nan)
    index = {r: i for i, r in enumerate(regions)}
    for j, sample in enumerate(samples):
        for color in sample.regions:
            i = index.get(color.region)
            if i is not None and color.pixels > 0:
                colors[i, j] = color.rgb
    return regions, colors


def _resample(
    times: FloatArray, colors: FloatArray, fs: float
) -> tuple[FloatArray, FloatArray, np.ndarray[Any, np.dtype[np.bool_]]]:
    """Linear interpolation onto a uniform grid; a grid point is invalid when the
    nearest sample misses any region."""
    n = math.floor((times[-1] - times[0]) * fs + 1e-9) + 1
    grid = times[0] + np.arange(n) / fs
    ok = np.all(np.isfinite(colors), axis=(0, 2))
    nearest = np.clip(np.searchsorted(times, grid), 1, times.size - 1)
    nearest -= (grid - times[nearest - 1]) < (times[nearest] - grid)
    valid = ok[nearest]
    out = np.empty((colors.shape[0], n, 3))
    for i in range(colors.shape[0]):
        for c in range(3):
            column = colors[i, :, c]
            good = np.isfinite(column)
            out[i, :, c] = np.interp(grid, times[good], column[good]) if good.any() else 0.0
    return grid, out, valid


def _glitch_frames(
    rgb: FloatArray, valid: np.ndarray[Any, np.dtype[np.bool_]], fs: float, z_limit: float
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Frames whose log brightness jumps away from a running median (0.6 s): the RMS over
    the regions of each region's robust z-score exceeds ``z_limit``. A second pass on
    the repaired series finds glitches that crowded each other in the first."""
    from scipy.ndimage import median_filter

    width = max(5, round(0.6 * fs) | 1)
    rejected = ~valid
    for _ in range(2):
        log_i = np.log(np.maximum(_interpolate_rejected(rgb, rejected).mean(axis=2), 0.5))
        residual = log_i - median_filter(log_i, size=(1, width), mode="mirror")
        usable = residual[:, ~rejected] if (~rejected).any() else residual
        mad = 1.4826 * np.median(np.abs(usable), axis=1, keepdims=True) + 1e-9
        z = np.sqrt(np.mean((residual / mad) ** 2, axis=0))  # RMS over the regions
        found = (z > z_limit) & ~rejected
        if not found.any():
            break
        rejected = rejected | found
    result: np.ndarray[Any, np.dtype[np.bool_]] = rejected & valid
    return result


def _interpolate_rejected(
    rgb: FloatArray, rejected: np.ndarray[Any, np.dtype[np.bool_]]
) -> FloatArray:
    if not rejected.any():
        return rgb
    t = np.arange(rgb.shape[1])
    out = rgb.copy()
    for i in range(rgb.shape[0]):
        for c in range(3):
            out[i, rejected, c] = np.interp(t[rejected], t[~rejected], rgb[i, ~rejected, c])
    return out


def _bandpass(x: FloatArray, fs: float, lo: float, hi: float) -> FloatArray:
    from scipy.signal import butter, sosfiltfilt

    sos = butter(2, [lo, min(hi, 0.49 * fs)], btype="bandpass", fs=fs, output="sos")
    padlen = min(x.shape[0] - 1, 3 * (2 * len(sos) + 1))
    result: FloatArray = sosfiltfilt(sos, x, axis=0, padlen=padlen)
    return result


def _pulse_signals(
    rgb: FloatArray,
    fs: float,
    band: tuple[float, float],
    *,
    regress: bool = True,
    projection: str = "pos",
) -> FloatArray:
    """One pulse signal per region, (regions, n), after the illumination clean-up.

    The illumination regression runs only when the face's brightness swings more than
    a pulse can explain (band-limited log-brightness std above ``_PULSE_SWING_MAX``):
    with small swings the regressors would be mostly pulse, and regressing on them
    would remove the pulse itself. The grey-null projection skips both: it works on
    the raw colours, where its blindness to gain and offset is exact.
    """
    window = max(4, math.ceil(_POS_WINDOW_S * fs))
    if projection == "grey_null":
        return np.array([_bandpass(_grey_null(x, window), fs, band[0], band[1]) for x in rgb])
    pre_lo, pre_hi = 0.7 * band[0], min(1.4 * band[1], 0.49 * fs)
    logs = np.log(np.maximum(rgb, 0.5) / np.maximum(rgb.mean(axis=1, keepdims=True), 0.5))
    intensity = _bandpass(logs.mean(axis=2).T, fs, pre_lo, pre_hi)  # (n, regions)
    regress = regress and float(np.median(intensity.std(axis=0))) > _PULSE_SWING_MAX
    nuisance = np.concatenate([intensity, intensity**2 - (intensity**2).mean(axis=0)], axis=1)
    nuisance = _bandpass(nuisance, fs, pre_lo, pre_hi)
    out = np.zeros(rgb.shape[:2])
    for i in range(rgb.shape[0]):
        channels = _bandpass(logs[i], fs, pre_lo, pre_hi)  # (n, 3)
        if regress:
            coef, *_ = np.linalg.lstsq(nuisance, channels, rcond=None)
            channels = channels - nuisance @ coef
        pulse = _pos(channels, window)
        out[i] = _bandpass(pulse, fs, band[0], band[1])
    return out


def _pos(channels: FloatArray, window: int) -> FloatArray:
    """POS on log-normalised (n, 3) RGB: per sliding window, project on the plane
    orthogonal to the skin tone, tune the two projections' mix, overlap-add."""
    from numpy.lib.stride_tricks import sliding_window_view

    n = channels.shape[0]
    window = min(window, n)
    windows = sliding_window_view(channels, window, axis=0)  # (n-w+1, 3, w)
    windows = windows - windows.mean(axis=2, keepdims=True)
    s0 = windows[:, 1] - windows[:, 2]
    s1 = -2.0 * windows[:, 0] + windows[:, 1] + windows[:, 2]
    alpha = s0.std(axis=1, keepdims=True) / (s1.std(axis=1, keepdims=True) + _EPS)
    parts = s0 + alpha * s1
    parts -= parts.mean(axis=1, keepdims=True)
    pulse = np.zeros(n)
    for k in range(window):
        pulse[k : k + parts.shape[0]] += parts[:, k]
    return pulse


def _grey_null(rgb: FloatArray, window: int) -> FloatArray:
    """Per sliding window, normalise (n, 3) RGB by the window's mean colour mu and project
    on the one direction orthogonal to [1, 1, 1] (a common gain of the channels) and to
    1 / mu (an equal code-value offset of every channel), signed like G - (R + B) / 2;
    overlap-add. Where mu is grey the two coincide and G - (R + B) / 2 is used."""
    from numpy.lib.stride_tricks import sliding_window_view

    n = rgb.shape[0]
    window = min(window, n)
    windows = sliding_window_view(rgb, window, axis=0)  # (n-w+1, 3, w)
    means = np.maximum(windows.mean(axis=2), 0.5)  # (n-w+1, 3)
    windows = windows / means[:, :, None] - 1.0
    offset = 1.0 / means
    blind = np.cross(np.ones(3), offset)
    length = np.linalg.norm(blind, axis=1, keepdims=True)  # sqrt(3) |offset| sin(angle)
    green = np.array([-1.0, 2.0, -1.0]) / math.sqrt(6.0)
    blind = blind / np.maximum(length, _EPS) * np.where(blind @ green < 0, -1.0, 1.0)[:, None]
    grey = length <= _GREY_SIN * math.sqrt(3.0) * np.linalg.norm(offset, axis=1, keepdims=True)
    direction = np.where(grey, green, blind)
    parts = np.einsum("mcw,mc->mw", windows, direction)
    parts -= parts.mean(axis=1, keepdims=True)
    pulse = np.zeros(n)
    for k in range(window):
        pulse[k : k + parts.shape[0]] += parts[:, k]
    return pulse


def _region_spectra(
    pulses: FloatArray, fs: float, band: tuple[float, float], segment_s: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Welch spectra normalised to unit in-band power, and fusion weights 1 / variance.

    With spectra normalised to unit noise floor, a pulse of equal relative amplitude
    stands out of region r by ~1/sigma_r^2, so 1/sigma_r^2 weights maximise the
    fused peak over the fused noise (maximum-ratio combining)."""
    from scipy.signal import welch

    n = pulses.shape[1]
    nperseg = max(8, min(n, round(segment_s * fs)))
    nfft = max(4096, 1 << math.ceil(math.log2(8 * nperseg)))
    spectra = []
    weights = []
    freqs: FloatArray = np.zeros(0)
    for pulse in pulses:
        freqs, power = welch(pulse - pulse.mean(), fs=fs, nperseg=nperseg, nfft=nfft)
        in_band = power[(freqs >= band[0]) & (freqs <= band[1])].sum()
        variance = float(pulse.var())
        if not (in_band > _EPS and variance > 1e-14):
            spectra.append(np.zeros_like(power))
            weights.append(0.0)
            continue
        spectra.append(power / in_band)
        weights.append(1.0 / variance)
    weight_array = np.asarray(weights)
    if weight_array.sum() > 0:
        weight_array = weight_array / weight_array.max()  # keep the sum well scaled
    return freqs, np.asarray(spectra), weight_array


def _peak_frequency(
    freqs: FloatArray, score: FloatArray, band: np.ndarray[Any, np.dtype[np.bool_]]
) -> float:
    """Frequency of the in-band maximum, refined by a parabola through its neighbours."""
    idx = np.flatnonzero(band)
    k = int(idx[np.argmax(score[idx])])
    if 0 < k < freqs.size - 1:
        a, b, c = score[k - 1], score[k], score[k + 1]
        denom = a - 2 * b + c
        if denom < 0:
            offset = 0.5 * (a - c) / denom
            return float(freqs[k] + np.clip(offset, -0.5, 0.5) * (freqs[1] - freqs[0]))
    return float(freqs[k])


def _snr_db(
    freqs: FloatArray,
    spectrum: FloatArray,
    band: np.ndarray[Any, np.dtype[np.bool_]],
    f0: float,
    half_width: float,
) -> float:
    signal = band & (
        (np.abs(freqs - f0) <= half_width) | (np.abs(freqs - 2 * f0) <= 2 * half_width)
    )
    noise = band & ~signal
    s = float(spectrum[signal].sum())
    n = float(spectrum[noise].sum())
    if s <= 0:
        return -math.inf
    if n <= 0:
        return math.inf
    return 10.0 * math.log10(s / n)


__all__ = [
    "FACE_REGIONS",
    "REGION_LANDMARKS",
    "SIGNAL_NAME",
    "RegionColor",
    "RegionPulse",
    "RppgEstimator",
    "RppgOptions",
    "RppgResult",
    "SkinRegion",
    "SkinSample",
    "estimate_pulse",
    "rppg_signal",
    "sample_skin_regions",
    "sample_whole_frame",
]
