"""``kiosk liveness VIDEO``: replay a recorded session through the live liveness path."""

from __future__ import annotations

import argparse
import secrets
import time
from dataclasses import dataclass
from typing import Any

from kiosk.cli._base import EXIT_OK, Output, Parser


@dataclass(frozen=True, slots=True)
class SignalView:
    name: str
    value: float
    verdict: str
    weight: float
    explanation: str


@dataclass(frozen=True, slots=True)
class StepView:
    action: str
    prompted_s: float
    completed_s: float | None
    attempts: int


def register(sub: argparse._SubParsersAction[Parser]) -> None:
    from kiosk.cli import command

    live = command(
        sub,
        "liveness",
        _liveness,
        "replay a recorded selfie session (video or image folder) through liveness",
    )
    live.add_argument("video", help="video file, folder of images, or camera:N")
    live.add_argument("--challenge-seed", type=int, help="challenge seed (default: random)")


def run_liveness(spec: str, seed: int) -> Any:
    """Feed every frame of ``spec`` to a new session; returns (result, source info, timings)."""
    from kiosk.capture import open_frame_source
    from pipeline.face import FaceLandmarker, FaceToolkit, LandmarkerOptions, RunningMode
    from pipeline.liveness.session import LivenessSession, passive_pad_check, selfie_face_counter

    started = time.perf_counter()
    source = open_frame_source(spec)
    lm = FaceLandmarker.from_options(LandmarkerOptions(running_mode=RunningMode.VIDEO, num_faces=1))
    kit = FaceToolkit()
    try:
        session = LivenessSession(
            seed,
            lm,
            device_name=source.info.name if source.info.kind == "camera" else "",
            passive=passive_pad_check(),
            count_faces=selfie_face_counter(kit.detector()),
        )
        for frame in source:
            session.feed(frame.pixels, frame.t_s)
        result = session.finish()
    finally:
        lm.close()
        kit.close()
        source.close()
    return result, source.info, (time.perf_counter() - started) * 1000.0


def _liveness(args: argparse.Namespace, out: Output) -> int:
    seed = args.challenge_seed if args.challenge_seed is not None else secrets.randbelow(2**31)
    result, info, total_ms = run_liveness(args.video, seed)
    v = result.verdict
    payload = {
        "decision": v.decision.value,
        "live": v.live,
        "score": None if v.score != v.score else round(v.score, 3),
        "reasons": [{"code": r.code, "message": r.message} for r in v.reasons],
        "challenge": {
            "seed": result.seed,
            "steps": list(result.steps),
            "records": [
                StepView(
                    r.action.value,
                    round(r.prompted_s, 3),
                    None if r.completed_s is None else round(r.completed_s, 3),
                    r.attempts,
                )
                for r in result.records
            ],
        },
        "signals": [
            SignalView(s.name, s.value, s.verdict.value, s.weight, s.explanation) for s in v.signals
        ],
        "rppg": {"bpm": result.rppg.bpm, "snr": result.rppg.snr_db},
        "motion3d": result.motion,
        "frames": result.frames,
        "frames_with_face": result.frames_with_face,
        "duration_s": round(result.duration_s, 3),
        "source": {"kind": info.kind, "width": info.width, "height": info.height, "fps": info.fps},
        "timings_ms": {
            "median_per_frame": round(result.median_frame_ms, 2),
            "total": round(total_ms, 1),
        },
    }

    def human(console: Any) -> None:
        colour = {"pass": "green", "review": "yellow", "fail": "red"}[v.decision.value]
        console.print(
            f"[{colour}]{v.decision.value.upper()}[/] (seed {seed}, steps "
            f"{' -> '.join(result.steps)})"
        )
        for r in v.reasons:
            console.print(f"  {r.code}: {r.message}")

    out.emit(payload, human)
    return EXIT_OK
