"""rPPG: seeded synthetic pulses with distractors, streaming, bad input, the shared clips."""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pipeline.errors import InputCorrupt
from pipeline.face.types import FaceLandmarks, HeadPose
from pipeline.liveness.rppg import (
    FACE_REGIONS,
    REGION_LANDMARKS,
    RegionColor,
    RppgEstimator,
    RppgOptions,
    RppgResult,
    SkinRegion,
    SkinSample,
    estimate_pulse,
    rppg_signal,
    sample_skin_regions,
    sample_whole_frame,
)
from pipeline.liveness.types import InvalidLivenessOptions, SampleOrderError, Verdict

BPM_TOLERANCE = 3.0  # synthetic pulses: the peak is found within this many bpm
SKIN = np.array([180.0, 130.0, 110.0])  # mean R, G, B of a lit skin patch
PULSE_RGB = np.array([0.33, 0.77, 0.53]) / 0.77  # relative pulse strength per channel


def synthetic_samples(
    bpm: float | None,
    *,
    seed: int,
    seconds: float = 20.0,
    fps: float = 30.0,
    amplitude: float = 0.01,
    noise: float = 0.004,
    regions: tuple[SkinRegion, ...] = FACE_REGIONS,
    flicker_hz: float | None = None,
    flicker: float = 0.0,
    glitch_rate_hz: float = 0.0,
    jitter: float = 0.0,
    dropout: float = 0.0,
) -> list[SkinSample]:
    """Mean skin colours of ``regions`` with a pulse, camera noise and distractors.

    flicker: a brightness oscillation (all channels, all regions) at ``flicker_hz``.
    glitch_rate_hz: single frames, at that mean rate, whose exposure doubles and white
    balance shifts in every region, clipping at 255 (exposure glitches).
    jitter: timestamp jitter as a fraction of the frame interval.
    dropout: fraction of frames where the face (all regions) is lost.
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * fps)
    t = np.arange(n) / fps + jitter * rng.uniform(-0.5, 0.5, n) / fps
    t.sort()
    wave = np.zeros(n)
    if bpm is not None:
        phase = 2 * math.pi * bpm / 60.0 * t + rng.uniform(0, 2 * math.pi)
        wave = np.sin(phase) + 0.4 * np.sin(2 * phase + 1.0)
    light = np.ones((n, 3))
    if flicker_hz is not None:
        light *= 1.0 + flicker * np.sin(2 * math.pi * flicker_hz * t)[:, None]
    if glitch_rate_hz > 0:
        glitches = rng.random(n) < glitch_rate_hz / fps
        light[glitches] *= 2.0 * np.array([1.25, 1.0, 0.8])
    lost = rng.random(n) < dropout
    tones = [SKIN * rng.uniform(0.8, 1.1, 3) for _ in regions]
    samples = []
    for k in range(n):
        colours = []
        if not lost[k]:
            for region, tone in zip(regions, tones, strict=True):
                value = tone * light[k] * (1 + amplitude * PULSE_RGB * wave[k])
                value = value * (1 + noise * rng.standard_normal(3))
                r, g, b = np.clip(value, 0, 255)
                colours.append(RegionColor(region, (float(r), float(g), float(b)), 500))
        samples.append(SkinSample(float(t[k]), tuple(colours)))
    return samples


@pytest.mark.parametrize("bpm", [48.0, 66.0, 84.0, 110.0, 150.0])
@pytest.mark.parametrize("seed", [1, 2])
def test_finds_the_pulse_with_a_strong_2hz_flicker(bpm: float, seed: int) -> None:
    # the flicker is ten times the pulse's amplitude and sits at 2 Hz
    samples = synthetic_samples(bpm, seed=seed, flicker_hz=2.0, flicker=0.1)
    result = estimate_pulse(samples)
    assert result.bpm is not None and abs(result.bpm - bpm) <= BPM_TOLERANCE
    assert rppg_signal(result).verdict is Verdict.PASS


@pytest.mark.parametrize("bpm", [60.0, 90.0, 130.0])
def test_finds_the_pulse_through_a_2hz_train_of_glitch_frames(bpm: float) -> None:
    samples = synthetic_samples(bpm, seed=7, fps=15.0, seconds=30.0, glitch_rate_hz=2.0)
    result = estimate_pulse(samples)
    assert result.rejected_frames >= 0.6 * 2.0 * 30.0  # most of the ~60 glitches
    assert result.bpm is not None and abs(result.bpm - bpm) <= BPM_TOLERANCE


def test_the_clean_up_is_what_beats_the_glitch_train() -> None:
    bpm = 72.0
    samples = synthetic_samples(
        bpm, seed=3, fps=15.0, seconds=30.0, glitch_rate_hz=2.0, amplitude=0.006
    )
    with_rejection = estimate_pulse(samples)
    without = estimate_pulse(
        samples, RppgOptions(reject_glitches=False, regress_illumination=False)
    )
    assert with_rejection.bpm is not None and abs(with_rejection.bpm - bpm) <= BPM_TOLERANCE
    assert without.bpm is not None and abs(without.bpm - bpm) > BPM_TOLERANCE
    assert without.snr_db is not None and with_rejection.snr_db is not None
    assert with_rejection.snr_db > without.snr_db


def test_one_region_of_a_skin_crop() -> None:
    samples = synthetic_samples(75.0, seed=4, regions=(SkinRegion.FRAME,), flicker_hz=2.0)
    result = estimate_pulse(samples)
    assert [r.region for r in result.regions] == [SkinRegion.FRAME]
    assert result.bpm is not None and abs(result.bpm - 75.0) <= BPM_TOLERANCE


def test_uneven_timestamps_and_lost_faces() -> None:
    samples = synthetic_samples(95.0, seed=5, jitter=0.4, dropout=0.1)
    result = estimate_pulse(samples)
    assert result.bpm is not None and abs(result.bpm - 95.0) <= BPM_TOLERANCE
    assert result.rejected_frames > 0  # the lost frames were bridged


@pytest.mark.parametrize("seed", range(6))
def test_noise_alone_is_weak_never_fail(seed: int) -> None:
    result = estimate_pulse(synthetic_samples(None, seed=seed, noise=0.01, seconds=12.0))
    signal = rppg_signal(result)
    assert signal.verdict is Verdict.WEAK
    assert result.snr_db is not None and result.snr_db < RppgOptions().pass_snr_db


def offset_noise_samples(
    bpm: float | None, *, seed: int, offset_codes: float, seconds: float = 20.0, fps: float = 30.0
) -> list[SkinSample]:
    """A dark skin patch whose three channels all move by the same white per-frame
    code-value offset (a codec's luma noise), with a 1 % pulse and slight sensor noise."""
    rng = np.random.default_rng(seed)
    n = int(seconds * fps)
    t = np.arange(n) / fps
    wave = np.zeros(n)
    if bpm is not None:
        phase = 2 * math.pi * bpm / 60.0 * t + rng.uniform(0, 2 * math.pi)
        wave = np.sin(phase) + 0.4 * np.sin(2 * phase + 1.0)
    tone = np.array([60.0, 25.0, 12.0]) * rng.uniform(0.9, 1.1, 3)
    offset = offset_codes * rng.standard_normal(n)
    samples = []
    for k in range(n):
        value = tone * (1 + 0.01 * PULSE_RGB * wave[k]) + offset[k] + 0.1 * rng.standard_normal(3)
        r, g, b = np.clip(value, 0, 255)
        samples.append(
            SkinSample(
                float(t[k]), (RegionColor(SkinRegion.FRAME, (float(r), float(g), float(b)), 500),)
            )
        )
    return samples


@pytest.mark.parametrize("bpm", [54.0, 96.0, 140.0])
def test_grey_null_is_blind_to_an_equal_code_value_offset(bpm: float) -> None:
    # the offset (4 codes) is 16 times the green pulse and a third of the blue channel
    samples = offset_noise_samples(bpm, seed=1, offset_codes=4.0)
    grey = estimate_pulse(samples, RppgOptions(projection="grey_null"))
    pos = estimate_pulse(samples)
    assert grey.bpm is not None and abs(grey.bpm - bpm) <= BPM_TOLERANCE
    assert rppg_signal(grey).verdict is Verdict.PASS
    assert grey.snr_db is not None and pos.snr_db is not None
    assert grey.snr_db > pos.snr_db + 3.0  # POS is not blind to it


@pytest.mark.parametrize("seed", range(4))
def test_grey_null_offset_noise_alone_is_weak(seed: int) -> None:
    samples = offset_noise_samples(None, seed=seed, offset_codes=4.0)
    result = estimate_pulse(samples, RppgOptions(projection="grey_null"))
    assert rppg_signal(result).verdict is Verdict.WEAK


def test_a_weak_pulse_is_weak_evidence_not_a_failure() -> None:
    samples = synthetic_samples(80.0, seed=9, amplitude=0.0005, noise=0.01, seconds=10.0)
    assert rppg_signal(estimate_pulse(samples)).verdict in (Verdict.WEAK, Verdict.PASS)


def test_too_short_is_unknown() -> None:
    result = estimate_pulse(synthetic_samples(80.0, seed=1, seconds=5.0))
    assert result.bpm is None and result.snr_db is None and "needs" in result.reason
    signal = rppg_signal(result)
    assert signal.verdict is Verdict.UNKNOWN and math.isnan(signal.value)


def test_no_samples_and_no_regions_are_unknown() -> None:
    assert rppg_signal(estimate_pulse([])).verdict is Verdict.UNKNOWN
    faceless = [SkinSample(k / 30, ()) for k in range(600)]
    result = estimate_pulse(faceless)
    assert result.bpm is None and rppg_signal(result).verdict is Verdict.UNKNOWN


def test_a_still_image_has_no_colour_variation() -> None:
    still = [
        SkinSample(k / 30, (RegionColor(SkinRegion.FRAME, (180.0, 130.0, 110.0), 100),))
        for k in range(600)
    ]
    result = estimate_pulse(still)
    assert result.bpm is None and result.reason
    assert rppg_signal(result).verdict is Verdict.WEAK


def test_a_low_frame_rate_cannot_resolve_the_band() -> None:
    samples = synthetic_samples(80.0, seed=1, fps=1.5, seconds=30.0)
    result = estimate_pulse(samples)
    assert result.bpm is None and "frame rate" in result.reason


def test_timestamps_must_increase() -> None:
    estimator = RppgEstimator()
    sample = SkinSample(1.0, ())
    estimator.add(sample)
    with pytest.raises(SampleOrderError):
        estimator.add(sample)
    with pytest.raises(SampleOrderError):
        estimator.add(SkinSample(float("nan"), ()))
    with pytest.raises(SampleOrderError):
        estimate_pulse([SkinSample(2.0, ()), SkinSample(1.0, ())])


def test_streaming_keeps_a_bounded_window_and_matches_the_batch() -> None:
    options = RppgOptions(max_window_s=15.0)
    samples = synthetic_samples(70.0, seed=6, seconds=40.0)
    with RppgEstimator.from_options(options) as estimator:
        for sample in samples:
            estimator.add(sample)
        assert estimator.duration_s <= 15.0 + 1e-9
        streamed = estimator.estimate()
        recent = [s for s in samples if s.t_s >= samples[-1].t_s - 15.0]
        assert streamed == estimate_pulse(recent, options)
        estimator.reset()
        assert estimator.sample_count == 0
    assert streamed.bpm is not None and abs(streamed.bpm - 70.0) <= BPM_TOLERANCE


def test_prior_moves_the_pick_but_not_the_snr_threshold() -> None:
    # two equal peaks: the prior decides, the SNR is measured without it
    samples = synthetic_samples(60.0, seed=8, amplitude=0.006)
    plain = estimate_pulse(samples)
    far = estimate_pulse(samples, RppgOptions(prior_bpm=150.0, prior_sd_bpm=5.0))
    assert plain.bpm is not None and far.bpm is not None and far.bpm > plain.bpm + 30
    assert plain.snr_db is not None and far.snr_db is not None and far.snr_db < plain.snr_db


@pytest.mark.parametrize(
    "kwargs",
    [
        {"band_hz": (3.5, 0.7)},
        {"band_hz": (0.0, 3.5)},
        {"min_duration_s": 1.0},
        {"max_window_s": 5.0},
        {"max_rejected_fraction": 1.0},
        {"weight": -1.0},
        {"prior_bpm": 70.0, "prior_sd_bpm": 0.0},
        {"segment_s": 0.0},
        {"projection": "ica"},
    ],
)
def test_impossible_options_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidLivenessOptions) as err:
        RppgOptions(**kwargs)
    assert err.value.code == "liveness_options_invalid"


def test_signal_verdicts_follow_the_threshold() -> None:
    def result(snr: float | None, bpm: float | None = 72.0) -> RppgResult:
        return RppgResult(bpm, snr, 12.0, 360, 30.0, 0, (), "" if bpm else "too short")

    options = RppgOptions(pass_snr_db=2.0, weight=0.7)
    assert rppg_signal(result(2.0), options).verdict is Verdict.PASS
    assert rppg_signal(result(1.9), options).verdict is Verdict.WEAK
    assert rppg_signal(result(-30.0), options).verdict is Verdict.WEAK
    assert rppg_signal(result(None, None), options).verdict is Verdict.UNKNOWN
    assert rppg_signal(result(5.0), options).weight == 0.7
    assert rppg_signal(result(5.0), options).name == "rppg_snr"


# --- sampling -----------------------------------------------------------------------------


def _landmarks_with_regions(width: int, height: int) -> FaceLandmarks:
    """478 points: each region's polygon drawn as a circle around a known centre."""
    points = np.zeros((478, 3), np.float32)
    centres = {
        SkinRegion.FOREHEAD: (100.0, 40.0),
        SkinRegion.RIGHT_CHEEK: (60.0, 110.0),
        SkinRegion.LEFT_CHEEK: (140.0, 110.0),
    }
    for region, (cx, cy) in centres.items():
        indices = REGION_LANDMARKS[region]
        for i, index in enumerate(indices):
            angle = 2 * math.pi * i / len(indices)
            points[index, :2] = (cx + 20 * math.cos(angle), cy + 14 * math.sin(angle))
    return FaceLandmarks(
        points, (), HeadPose(0, 0, 0), np.eye(4, dtype=np.float32), (width, height)
    )


def test_sample_skin_regions_averages_each_polygon_in_rgb_order() -> None:
    frame = np.zeros((160, 200, 3), np.uint8)
    frame[:80] = (10, 20, 200)  # BGR: reddish forehead band
    frame[80:, :100] = (200, 20, 10)  # bluish right cheek (image left)
    frame[80:, 100:] = (10, 200, 10)  # green left cheek
    sample = sample_skin_regions(frame, _landmarks_with_regions(200, 160), 1.5)
    colours = {c.region: c for c in sample.regions}
    assert sample.t_s == 1.5 and set(colours) == set(FACE_REGIONS)
    assert colours[SkinRegion.FOREHEAD].rgb == pytest.approx((200, 20, 10), abs=1)
    assert colours[SkinRegion.RIGHT_CHEEK].rgb == pytest.approx((10, 20, 200), abs=1)
    assert colours[SkinRegion.LEFT_CHEEK].rgb == pytest.approx((10, 200, 10), abs=1)
    assert all(c.pixels > 100 for c in sample.regions)


def test_regions_outside_the_frame_are_left_out() -> None:
    frame = np.zeros((160, 200, 3), np.uint8)
    landmarks = _landmarks_with_regions(200, 160)
    points = landmarks.points.copy()
    points[list(REGION_LANDMARKS[SkinRegion.FOREHEAD]), 1] -= 500  # above the frame
    moved = FaceLandmarks(points, (), landmarks.pose, landmarks.transform, (200, 160))
    regions = {c.region for c in sample_skin_regions(frame, moved, 0.0).regions}
    assert regions == {SkinRegion.RIGHT_CHEEK, SkinRegion.LEFT_CHEEK}


def test_sampling_refuses_bad_frames_and_foreign_landmarks() -> None:
    landmarks = _landmarks_with_regions(200, 160)
    with pytest.raises(InputCorrupt):
        sample_skin_regions(np.zeros((160, 200, 3), np.uint8), _landmarks_with_regions(640, 480), 0)
    with pytest.raises(InputCorrupt):
        sample_skin_regions(np.zeros((160, 200), np.uint8), landmarks, 0)
    with pytest.raises(InputCorrupt):
        sample_whole_frame(np.zeros((16, 16, 3), np.float32), 0)  # type: ignore[arg-type]


def test_sample_whole_frame_is_rgb() -> None:
    frame = np.zeros((20, 30, 3), np.uint8)
    frame[..., 2] = 90  # red in BGR
    sample = sample_whole_frame(frame, 2.0)
    assert sample.regions[0].region is SkinRegion.FRAME
    assert sample.regions[0].rgb == pytest.approx((90.0, 0.0, 0.0))
    assert sample.regions[0].pixels == 600


# --- the shared clips ---------------------------------------------------------------------


@functools.cache
def _clip_rgb(path: Path) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Frame times (s) and mean R, G, B of every frame (cached: do not modify)."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    times, colours = [], []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        times.append(capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0)
        colours.append(sample_whole_frame(frame, 0.0).regions[0].rgb)
    capture.release()
    return np.array(times), np.array(colours)


def test_glitch_frames_of_a_real_clip_are_rejected(shared_data: Path) -> None:
    """India_video10 holds single over-exposed frames in every region at once; each frame
    that is three times as bright as the clip's median in two regions must be rejected."""
    from pipeline.liveness.rppg import _glitch_frames, _resample

    videos = shared_data / "rppg" / "videos"
    names = ("forehead", "leftcheek", "rightcheek")
    clips = [_clip_rgb(videos / f"India_video10_{name}.avi") for name in names]
    times = clips[0][0]
    colours = np.stack([c[1] for c in clips])
    _, rgb, valid = _resample(times, colours, 15.0)
    rejected = _glitch_frames(rgb, valid, 15.0, RppgOptions().glitch_z)
    brightness = rgb.mean(axis=2)
    obvious = (brightness > 3 * np.median(brightness, axis=1, keepdims=True)).sum(axis=0) >= 2
    assert obvious.sum() >= 20  # the clip's known glitches are there
    assert np.all(rejected[obvious])
    assert rejected.mean() < RppgOptions().max_rejected_fraction


SHARED_NAMES = {
    "forehead": SkinRegion.FOREHEAD,
    "leftcheek": SkinRegion.RIGHT_CHEEK,  # the viewer's left is the subject's right
    "rightcheek": SkinRegion.LEFT_CHEEK,
}
SHARED_SUBJECTS = ("India_video10", "India_video1", "Sierra_Leone_video1")


def _face_samples(
    videos: Path,
    subject: str,
    change: Any = None,
) -> list[SkinSample]:
    """The three region crops of a subject as a kiosk sees a face; ``change`` maps the
    (regions, frames, 3) colours to new ones first."""
    clips = [_clip_rgb(videos / f"{subject}_{name}.avi") for name in SHARED_NAMES]
    n = min(len(c[0]) for c in clips)
    times = clips[0][0][:n]
    colours = np.stack([c[1][:n] for c in clips])
    if change is not None:
        colours = change(colours)
    regions = tuple(SHARED_NAMES.values())
    return [
        SkinSample(
            float(times[k]),
            tuple(
                RegionColor(region, (colours[i, k, 0], colours[i, k, 1], colours[i, k, 2]), 1)
                for i, region in enumerate(regions)
            ),
        )
        for k in range(n)
    ]


def test_the_shared_clips_give_an_estimate_and_never_fail(shared_data: Path) -> None:
    result = estimate_pulse(_face_samples(shared_data / "rppg" / "videos", "Sierra_Leone_video1"))
    assert result.bpm is not None and 42.0 <= result.bpm <= 210.0
    assert result.duration_s > 50 and result.fs_hz == pytest.approx(15.0, abs=0.01)
    assert sum(r.weight for r in result.regions) == pytest.approx(1.0)
    assert rppg_signal(result).verdict is not Verdict.FAIL


@pytest.mark.parametrize("subject", SHARED_SUBJECTS)
def test_shared_clips_with_shuffled_frames_are_never_a_pulse(
    shared_data: Path, subject: str
) -> None:
    """The real clips' noise with any pulse destroyed (the same frame order for every
    region, so what the regions share per frame stays shared) must stay WEAK."""
    for seed in range(2):

        def shuffle(colours: np.ndarray[Any, Any], seed: int = seed) -> np.ndarray[Any, Any]:
            order = np.random.default_rng(seed).permutation(colours.shape[1])
            return colours[:, order]

        result = estimate_pulse(_face_samples(shared_data / "rppg" / "videos", subject, shuffle))
        assert result.snr_db is not None and result.snr_db < RppgOptions().pass_snr_db
        assert rppg_signal(result).verdict is Verdict.WEAK


@pytest.mark.parametrize(
    ("subject", "bpm", "amplitude", "must_pass"),
    [
        ("Sierra_Leone_video1", 60.0, 0.02, True),
        ("Sierra_Leone_video1", 130.0, 0.01, False),
        ("India_video10", 60.0, 0.01, False),
    ],
)
def test_a_pulse_injected_into_the_shared_clips_is_found(
    shared_data: Path, subject: str, bpm: float, amplitude: float, must_pass: bool
) -> None:
    """A pulse multiplied into the real crops (their noise, glitches and compression) is
    found; at 2 % its SNR also reaches the pass threshold."""

    def inject(colours: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        phase = 2 * math.pi * bpm / 60.0 * np.arange(colours.shape[1]) / 15.0 + 0.3
        wave = np.sin(phase) + 0.4 * np.sin(2 * phase + 1.0)
        result: np.ndarray[Any, Any] = colours * (
            1 + amplitude * PULSE_RGB[None, None, :] * wave[None, :, None]
        )
        return result

    result = estimate_pulse(_face_samples(shared_data / "rppg" / "videos", subject, inject))
    assert result.bpm is not None and abs(result.bpm - bpm) <= BPM_TOLERANCE
    if must_pass:
        assert rppg_signal(result).verdict is Verdict.PASS
