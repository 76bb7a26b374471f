"""rPPG accuracy on the shared clips, the textbook baselines, and where the 2 Hz comes from.

Data: ``rppg/videos`` (3 subjects x forehead / left cheek / right cheek crops, 15 fps)
with ``rppg/labels.csv`` (mean heart rate from a contact pulse oximeter).

Sections:

1. Per video: ground truth, textbook POS and CHROM, this estimator (one region each,
   read through the same path as ``kiosk rppg``), error and SNR; MAE.
2. Per subject: the three regions of a face fused as a kiosk would see them (one
   frame = three region samples at the same timestamp); textbook POS fused by
   averaging its normalised region spectra; MAE. Also with a fixed population
   prior on the heart rate (75 +- 15 bpm), next to the prior alone.
3. The 2 Hz component: glitch frames (rate, spike-train spectrum), the codec's
   I-frame cadence, and the textbook POS peak with glitch frames interpolated over.
4. Detection floor: seeded synthetic pulses (random rate 48-180 bpm, at least 15
   bpm from the label) injected into the real clips at several amplitudes; the
   share recovered within 5 bpm. This is how the estimator's steps were chosen,
   without the labels.
5. Leave-one-subject-out: picking among the ablations by label MAE on two subjects
   and scoring the third, to show what tuning on the labels would buy.
6. The pass threshold: SNR of pulse-free synthetic noise (the null distribution).

    .venv/bin/python -m tests.eval.eval_rppg
"""

from __future__ import annotations

import csv
import math
import struct
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.liveness.rppg import (
    RegionColor,
    RppgOptions,
    SkinRegion,
    SkinSample,
    estimate_pulse,
)
from tests.shared import require_shared_data

FS = 15.0
BAND = (0.7, 3.5)
REGIONS = {
    "forehead": SkinRegion.FOREHEAD,
    # the dataset names cheeks from the viewer's side; SkinRegion from the subject's
    "leftcheek": SkinRegion.RIGHT_CHEEK,
    "rightcheek": SkinRegion.LEFT_CHEEK,
}
PRIOR = (75.0, 15.0)  # adult resting heart rate, bpm: fixed, not fitted to these labels
HIT_BPM = 5.0

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


@dataclass(frozen=True)
class Clip:
    name: str
    subject: str
    region: str
    truth_bpm: float
    times: FloatArray  # seconds, from the container
    rgb: FloatArray  # (n, 3) mean R, G, B per frame


# --- data ---------------------------------------------------------------------------------


def load_clips(data: Path) -> list[Clip]:
    """Every labelled clip, read through the CLI's frame path (whole frame = skin)."""
    from kiosk.capture.frames import VideoFileSource
    from pipeline.liveness.rppg import sample_whole_frame

    clips = []
    with (data / "rppg" / "labels.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            times, rgb = [], []
            source = VideoFileSource(data / "rppg" / row["file"])
            for frame in source:
                sample = sample_whole_frame(frame.pixels, frame.t_s)
                times.append(frame.t_s)
                rgb.append(sample.regions[0].rgb)
            source.close()
            subject = f"{row['country']}_{row['subject']}"
            clips.append(
                Clip(
                    Path(row["file"]).stem,
                    subject,
                    row["region"],
                    float(row["gt_mean_hr_bpm"]),
                    np.array(times),
                    np.array(rgb, np.float64),
                )
            )
    return clips


def samples_of(clips: list[Clip], rgb: list[FloatArray] | None = None) -> list[SkinSample]:
    """One sample per frame holding every given clip's region (same frame index)."""
    arrays = rgb or [c.rgb for c in clips]
    n = min(len(a) for a in arrays)
    return [
        SkinSample(
            float(clips[0].times[k]),
            tuple(
                RegionColor(REGIONS[c.region], (a[k, 0], a[k, 1], a[k, 2]), 1)
                for c, a in zip(clips, arrays, strict=True)
            ),
        )
        for k in range(n)
    ]


# --- textbook baselines (Wang et al. 2017 POS; de Haan & Jeanne 2013 CHROM) ---------------


def _bandpass(x: FloatArray, lo: float = BAND[0], hi: float = BAND[1]) -> FloatArray:
    from scipy.signal import butter, filtfilt

    b, a = butter(3, [lo / (FS / 2), hi / (FS / 2)], "bandpass")
    result: FloatArray = filtfilt(b, a, x, axis=0)
    return result


def textbook_pos(rgb: FloatArray) -> FloatArray:
    n, window = len(rgb), math.ceil(1.6 * FS)
    pulse = np.zeros(n)
    projection = np.array([[0.0, 1.0, -1.0], [-2.0, 1.0, 1.0]])
    for t in range(n - window + 1):
        block = rgb[t : t + window] / rgb[t : t + window].mean(axis=0)
        s = projection @ block.T
        h = s[0] + (s[0].std() / (s[1].std() + 1e-12)) * s[1]
        pulse[t : t + window] += h - h.mean()
    return _bandpass(pulse)


def textbook_chrom(rgb: FloatArray) -> FloatArray:
    r, g, b = (rgb / rgb.mean(axis=0)).T
    x = _bandpass(3 * r - 2 * g)
    y = _bandpass(1.5 * r + g - 1.5 * b)
    return x - (x.std() / (y.std() + 1e-12)) * y


def spectrum(pulse: FloatArray) -> tuple[FloatArray, FloatArray]:
    from scipy.signal import welch

    f, p = welch(pulse - pulse.mean(), FS, nperseg=min(len(pulse), 256), nfft=4096)
    band = (f >= BAND[0]) & (f <= BAND[1])
    return f, p / max(float(p[band].sum()), 1e-30)


def peak_bpm(f: FloatArray, p: FloatArray) -> float:
    band = (f >= BAND[0]) & (f <= BAND[1])
    return float(f[band][np.argmax(p[band])] * 60.0)


def textbook_fused(arrays: list[FloatArray]) -> float:
    spectra = [spectrum(textbook_pos(a)) for a in arrays]
    return peak_bpm(spectra[0][0], np.mean([p for _, p in spectra], axis=0))


# --- 2 Hz forensics -----------------------------------------------------------------------


def glitch_indices(rgb: FloatArray, z_limit: float = 4.0) -> np.ndarray[Any, Any]:
    from scipy.ndimage import median_filter

    log_i = np.log(np.maximum(rgb.mean(axis=1), 0.5))
    residual = log_i - median_filter(log_i, size=5, mode="mirror")
    mad = 1.4826 * np.median(np.abs(residual)) + 1e-9
    return np.flatnonzero(np.abs(residual) / mad > z_limit)


def spike_train_peak(indices: np.ndarray[Any, Any], n: int) -> float:
    train = np.zeros(n)
    train[indices] = 1.0
    f, p = spectrum(train - train.mean())
    return peak_bpm(f, p) / 60.0


def iframe_cadence(path: Path) -> tuple[int, str]:
    """I-frames and their most common spacing (>= 2 frames) in an MPEG-4 part 2 AVI."""
    data = path.read_bytes()
    start, end = data.find(b"movi") + 4, data.find(b"idx1")
    types = []
    i = start
    while 0 < i < end - 8:
        chunk, size = data[i : i + 4], struct.unpack("<I", data[i + 4 : i + 8])[0]
        if chunk == b"LIST":
            i += 12
            continue
        if chunk[2:] in (b"dc", b"db"):
            payload = data[i + 8 : i + 8 + size]
            j = payload.find(b"\x00\x00\x01\xb6")
            types.append(payload[j + 4] >> 6 if j >= 0 else -1)
        i += 8 + size + (size & 1)
    intra = np.flatnonzero(np.array(types) == 0)
    gaps = np.diff(intra)
    gaps = gaps[gaps >= 2]  # consecutive I-frames are the encoder's scene cuts
    if gaps.size == 0:
        return int(intra.size), "n/a"
    common = int(np.bincount(gaps).argmax())
    return int(intra.size), f"{common} frames ({FS / common:.2f} Hz)"


def interpolate(rgb: FloatArray, bad: np.ndarray[Any, Any]) -> FloatArray:
    out = rgb.copy()
    t = np.arange(len(rgb))
    good = np.ones(len(rgb), bool)
    good[bad] = False
    for c in range(3):
        out[~good, c] = np.interp(t[~good], t[good], rgb[good, c])
    return out


# --- report sections ----------------------------------------------------------------------


def _estimate(samples: list[SkinSample], options: RppgOptions) -> tuple[float, float]:
    result = estimate_pulse(samples, options)
    bpm = result.bpm if result.bpm is not None else math.nan
    snr = result.snr_db if result.snr_db is not None else math.nan
    return bpm, snr


def per_video(clips: list[Clip]) -> None:
    print("\n1. Per video (one region each)")
    print(
        f"  {'video':<34s} {'truth':>6s} | {'POS':>6s} {'err':>5s} | {'CHROM':>6s} {'err':>5s} | "
        f"{'ours':>6s} {'err':>5s} {'SNR dB':>7s}"
    )
    errors: dict[str, list[float]] = {"pos": [], "chrom": [], "ours": []}
    for clip in clips:
        pos = peak_bpm(*spectrum(textbook_pos(clip.rgb)))
        chrom = peak_bpm(*spectrum(textbook_chrom(clip.rgb)))
        ours, snr = _estimate(samples_of([clip]), RppgOptions())
        for key, value in (("pos", pos), ("chrom", chrom), ("ours", ours)):
            errors[key].append(abs(value - clip.truth_bpm))
        truth = clip.truth_bpm
        print(
            f"  {clip.name:<34s} {truth:6.1f} | {pos:6.1f} {abs(pos - truth):5.1f} | "
            f"{chrom:6.1f} {abs(chrom - truth):5.1f} | {ours:6.1f} "
            f"{abs(ours - truth):5.1f} {snr:7.2f}"
        )
    print(
        f"  MAE over {len(clips)} videos: POS {np.mean(errors['pos']):.1f}, "
        f"CHROM {np.mean(errors['chrom']):.1f}, ours {np.mean(errors['ours']):.1f} bpm"
    )


def by_subject(clips: list[Clip]) -> dict[str, list[Clip]]:
    subjects: dict[str, list[Clip]] = {}
    for clip in clips:
        subjects.setdefault(clip.subject, []).append(clip)
    return subjects


ABLATIONS: dict[str, RppgOptions] = {
    "POS + spectral fusion only": RppgOptions(reject_glitches=False, regress_illumination=False),
    "+ glitch rejection": RppgOptions(regress_illumination=False),
    "+ illumination regression (ours)": RppgOptions(),
    "ours + prior 75+-15 bpm": RppgOptions(prior_bpm=PRIOR[0], prior_sd_bpm=PRIOR[1]),
}


def per_subject(clips: list[Clip]) -> dict[str, dict[str, float]]:
    print("\n2. Per subject (three regions of one face fused)")
    names = ["textbook POS (fused)", *ABLATIONS, "prior alone (75 bpm)"]
    table: dict[str, dict[str, float]] = {name: {} for name in names}
    snrs = {}
    for subject, group in by_subject(clips).items():
        table["textbook POS (fused)"][subject] = textbook_fused([c.rgb for c in group])
        for name, options in ABLATIONS.items():
            bpm, snr = _estimate(samples_of(group), options)
            table[name][subject] = bpm
            if name.endswith("(ours)"):
                snrs[subject] = snr
        table["prior alone (75 bpm)"][subject] = PRIOR[0]
    truth = {c.subject: c.truth_bpm for c in clips}
    subjects = list(truth)
    print(f"  {'method':<34s} " + " ".join(f"{s:>21s}" for s in subjects) + "    MAE")
    print(f"  {'truth':<34s} " + " ".join(f"{truth[s]:21.1f}" for s in subjects))
    for name in names:
        cells = " ".join(
            f"{table[name][s]:9.1f} (err {abs(table[name][s] - truth[s]):5.1f})" for s in subjects
        )
        mae = np.mean([abs(table[name][s] - truth[s]) for s in subjects])
        print(f"  {name:<34s} {cells} {mae:6.1f}")
    print("  SNR of ours (dB): " + ", ".join(f"{s} {snrs[s]:.2f}" for s in subjects))
    print("  Sensitivity of 'ours + prior' to the prior (MAE, bpm):")
    groups = by_subject(clips)
    for sd in (10.0, 15.0, 20.0):
        cells = []
        for mean in (65.0, 70.0, 75.0, 80.0, 85.0):
            options = RppgOptions(prior_bpm=mean, prior_sd_bpm=sd)
            errs = [abs(_estimate(samples_of(g), options)[0] - truth[s]) for s, g in groups.items()]
            cells.append(f"{mean:.0f}: {np.mean(errs):5.1f}")
        print(f"    sd {sd:4.0f} bpm, prior mean " + "  ".join(cells))
    return table


def two_hertz(clips: list[Clip], data: Path) -> None:
    print("\n3. The ~2 Hz component")
    print(
        f"  {'video':<34s} {'glitch/s':>8s} {'train peak':>10s} {'I-frames':>9s} "
        f"{'GOP':>16s} {'POS':>6s} {'POS w/o glitches':>17s}"
    )
    for clip in clips:
        bad = glitch_indices(clip.rgb)
        rate = len(bad) / (len(clip.rgb) / FS)
        train = spike_train_peak(bad, len(clip.rgb)) if len(bad) >= 3 else math.nan
        count, gop = iframe_cadence(data / "rppg" / "videos" / f"{clip.name}.avi")
        pos = peak_bpm(*spectrum(textbook_pos(clip.rgb)))
        clean = peak_bpm(*spectrum(textbook_pos(interpolate(clip.rgb, bad))))
        print(
            f"  {clip.name:<34s} {rate:8.2f} {train:9.2f}Hz {count:9d} {gop:>16s} "
            f"{pos:6.1f} {clean:17.1f}"
        )
    # joint glitch events per face (median robust z over the regions, as the estimator does)
    from scipy.ndimage import median_filter

    for subject, group in by_subject(clips).items():
        n = min(len(c.rgb) for c in group)
        logs = np.array([np.log(np.maximum(c.rgb[:n].mean(axis=1), 0.5)) for c in group])
        residual = logs - median_filter(logs, size=(1, 5), mode="mirror")
        z = np.median(
            np.abs(residual) / (1.4826 * np.median(np.abs(residual), axis=1, keepdims=True)), axis=0
        )
        events = np.flatnonzero(z > 4.0)
        peak = spike_train_peak(events, n) if events.size >= 3 else math.nan
        spacing = float(np.median(np.diff(events))) if events.size >= 2 else math.nan
        rate = events.size / (n / FS)
        print(
            f"  {subject:<22s} frames where every region jumps together: {rate:.2f}/s, "
            f"median spacing {spacing:.0f} frames, spike-train peak {peak:.2f} Hz"
        )
    # is there a tone once glitches are gone? brightness and chrominance, 0.5 Hz bins
    from scipy.signal import welch

    shapes: dict[str, list[FloatArray]] = {"brightness": [], "chroma log(G/B)": []}
    for clip in clips:
        logs = np.log(np.maximum(interpolate(clip.rgb, glitch_indices(clip.rgb)), 0.5))
        for name, x in (
            ("brightness", logs.mean(axis=1)),
            ("chroma log(G/B)", logs[:, 1] - logs[:, 2]),
        ):
            x = x - np.convolve(x, np.ones(31) / 31, mode="same")
            f, p = welch(x[15:-15], FS, nperseg=128)
            shapes[name].append(p / np.median(p[(f > 0.4) & (f < 7.4)]))
    edges = np.arange(0.5, 7.5, 0.5)
    print("  Spectra after glitch removal, geometric mean over clips, per 0.5 Hz bin from 0.5 Hz:")
    for name, spectra in shapes.items():
        mean = np.exp(np.mean(np.log(np.array(spectra)), axis=0))
        cells = " ".join(f"{np.mean(mean[(f >= a) & (f < a + 0.5)]):4.1f}" for a in edges)
        print(f"    {name:<16s} {cells}")
    rng = np.random.default_rng(3)
    peaks = [
        peak_bpm(*spectrum(textbook_pos(100.0 * (1 + 0.02 * rng.standard_normal((480, 3)))))) / 60
        for _ in range(200)
    ]
    counts, _ = np.histogram(peaks, bins=np.arange(0.7, 3.51, 0.4))
    print(
        "  Textbook POS on pure white noise (200 x 32 s): its peak lands at 0.7-3.5 Hz in 0.4 Hz "
        f"bins {counts.tolist()}: anywhere in ~1-3 Hz, centred on 2 Hz."
    )


def detection_floor(clips: list[Clip], trials: int = 8) -> None:
    print("\n4. Detection floor: synthetic pulses injected into the real clips (3 regions)")
    rng = np.random.default_rng(20251124)
    amplitudes = (0.0025, 0.005, 0.01, 0.02)
    signature = np.array([0.33, 0.77, 0.53]) / 0.77  # relative R, G, B pulse strength
    hits: dict[str, dict[float, list[bool]]] = {"textbook POS (fused)": {}}
    hits.update({name: {} for name in ABLATIONS if "prior" not in name})
    for amplitude in amplitudes:
        for _ in range(trials):
            for group in by_subject(clips).values():
                truth = group[0].truth_bpm
                while True:
                    rate = rng.uniform(48.0, 180.0)
                    if abs(rate - truth) > 15.0:
                        break
                n = min(len(c.rgb) for c in group)
                t = np.arange(n) / FS
                drift = 0.05 * np.sin(2 * np.pi * 0.1 * t + rng.uniform(0, 2 * np.pi))
                phase = 2 * np.pi * np.cumsum(rate / 60.0 + drift) / FS + rng.uniform(0, 6.3)
                wave = np.sin(phase) + 0.4 * np.sin(2 * phase + 1.0)
                arrays = [
                    c.rgb[:n] * (1 + amplitude * signature[None, :] * wave[:, None]) for c in group
                ]
                base = textbook_fused(arrays)
                hits["textbook POS (fused)"].setdefault(amplitude, []).append(
                    abs(base - rate) < HIT_BPM
                )
                for name in hits:
                    if name in ABLATIONS:
                        bpm, _ = _estimate(samples_of(group, arrays), ABLATIONS[name])
                        hits[name].setdefault(amplitude, []).append(abs(bpm - rate) < HIT_BPM)
    print(
        f"  {'recovered within 5 bpm at amplitude':<36s} "
        + " ".join(f"{100 * a:7.2f}%" for a in amplitudes)
    )
    for name, row in hits.items():
        cells = " ".join(f"{100 * np.mean(row[a]):7.0f}%" for a in amplitudes)
        print(f"  {name:<36s} {cells}")
    print(f"  ({trials} pulses per subject and amplitude; chance is about 7 %)")


def leave_one_subject_out(clips: list[Clip], table: dict[str, dict[str, float]]) -> None:
    print("\n5. Leave-one-subject-out: choose a method by label MAE on two subjects")
    truth = {c.subject: c.truth_bpm for c in clips}
    methods = list(table)
    errors = []
    for held in truth:
        train = [s for s in truth if s != held]
        best = min(methods, key=lambda m: np.mean([abs(table[m][s] - truth[s]) for s in train]))
        error = abs(table[best][held] - truth[held])
        errors.append(error)
        print(f"  held out {held:<22s} chosen: {best:<34s} error {error:5.1f} bpm")
    print(f"  LOSO MAE {np.mean(errors):.1f} bpm")


def null_snr(trials: int = 300) -> None:
    print("\n6. SNR without a pulse (synthetic noise: 5 % shared flicker, 1 % per channel)")
    rng = np.random.default_rng(7)
    options = RppgOptions()
    for regions in (1, 3):
        for fs in (15.0, 30.0):
            snrs = []
            for _ in range(trials):
                n = int(10.0 * fs)
                base = rng.uniform(60, 180, (regions, 3))
                common = np.exp(0.05 * rng.standard_normal(n))
                shared = 1 + 0.003 * rng.standard_normal((n, 3))
                names = (
                    [SkinRegion.FRAME]
                    if regions == 1
                    else [SkinRegion.FOREHEAD, SkinRegion.LEFT_CHEEK, SkinRegion.RIGHT_CHEEK]
                )
                samples = []
                for k in range(n):
                    colours = []
                    for r in range(regions):
                        v = base[r] * common[k] * shared[k] * (1 + 0.01 * rng.standard_normal(3))
                        v = np.clip(np.round(v), 0, 255)
                        colours.append(RegionColor(names[r], (v[0], v[1], v[2]), 400))
                    samples.append(SkinSample(k / fs, tuple(colours)))
                snr = estimate_pulse(samples, options).snr_db
                snrs.append(snr if snr is not None else -99.0)
            p = np.percentile(snrs, [50, 95, 99])
            print(
                f"  {regions} region(s), {fs:.0f} fps, 10 s: median {p[0]:6.2f}  p95 {p[1]:6.2f}  "
                f"p99 {p[2]:6.2f} dB  (pass from {options.pass_snr_db:.1f} dB: "
                f"{100 * np.mean(np.array(snrs) >= options.pass_snr_db):.1f} % pass)"
            )


def main() -> int:
    data = require_shared_data()
    started = time.perf_counter()
    clips = load_clips(data)
    print(f"{len(clips)} clips, {len(by_subject(clips))} subjects, {FS:.0f} fps")
    per_video(clips)
    table = per_subject(clips)
    two_hertz(clips, data)
    detection_floor(clips)
    leave_one_subject_out(clips, table)
    null_snr()
    print(f"\n({time.perf_counter() - started:.0f} s)")
    _summary(clips, table)
    return 0


def _summary(clips: list[Clip], table: dict[str, dict[str, float]]) -> None:
    from tests.eval.summary import Figure, Summary, write_summary

    truth = {c.subject: c.truth_bpm for c in clips}

    def mae(name: str) -> float:
        return float(np.mean([abs(table[name][s] - truth[s]) for s in truth]))

    ours = next(n for n in table if n.endswith("(ours)"))
    figures = [
        Figure(f"per-subject MAE, {ours}", f"{mae(ours):.1f} bpm", "<= 5 bpm", mae(ours) <= 5),
        Figure("per-subject MAE, textbook POS fused", f"{mae('textbook POS (fused)'):.1f} bpm"),
        Figure(
            "per-subject MAE, constant 75 bpm (no measurement)",
            f"{mae('prior alone (75 bpm)'):.1f} bpm",
        ),
    ]
    notes = [
        "The pulse is below the noise floor of these clips (fused SNR < 0 dB for every "
        "subject): every estimate, ours included, is WEAK evidence and the session never "
        "rejects on it. Injected pulses of 1% amplitude are recovered within 5 bpm in 75% "
        "of trials (textbook POS: 42%); see section 4 of the output.",
    ]
    write_summary(Summary("rppg", "Liveness: remote photoplethysmography", figures, notes))


if __name__ == "__main__":
    sys.exit(main())
