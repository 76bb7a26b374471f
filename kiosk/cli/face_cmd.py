"""``kiosk face``, ``kiosk match`` and ``kiosk calibrate faces``."""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.cli._base import EXIT_OK, Output, Parser
from kiosk.config import active_profile
from kiosk.errors import UsageError
from models import Profile


@dataclass(frozen=True, slots=True)
class BoxView:
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True, slots=True)
class FaceView:
    """A face in pixels of the input file (EXIF-upright), not of the downscaled analysis copy."""

    box: BoxView
    score: float
    landmarks5: tuple[tuple[float, float], ...]
    rotation: int


@dataclass(frozen=True, slots=True)
class IssueView:
    code: str
    message: str
    value: float
    limit: float


@dataclass(frozen=True, slots=True)
class QualityView:
    ok: bool
    brightness: float
    contrast: float
    clipped_fraction: float
    sharpness: float
    face_height_px: float
    inter_eye_px: float
    yaw_deg: float
    pitch_deg: float
    roll_deg: float
    pose_source: str
    eye_blink: float | None
    issues: tuple[IssueView, ...]


@dataclass(frozen=True, slots=True)
class FaceReport:
    face: FaceView
    quality: QualityView


@dataclass(frozen=True, slots=True)
class ImageView:
    """The input as analysed: upright size in pixels, EXIF tag applied, analysis scale."""

    width: int
    height: int
    exif_orientation: int
    analysis_scale: float


@dataclass(frozen=True, slots=True)
class PoseView:
    yaw_deg: float
    pitch_deg: float
    roll_deg: float
    source: str


def register(sub: argparse._SubParsersAction[Parser]) -> None:
    from kiosk.cli import command

    face = command(sub, "face", _face, "detect faces, pose and quality in an image")
    face.add_argument("image", type=Path)
    face.add_argument("--document", action="store_true", help="treat the image as a document")

    match = command(sub, "match", _match, "compare a document portrait with a selfie")
    match.add_argument("document", type=Path)
    match.add_argument("selfie", type=Path)
    match.add_argument("--model", help="face-embedding model (default: preferred for the profile)")
    match.add_argument("--profile", choices=[p.value for p in Profile])

    cal = sub.add_parser("calibrate", help="calibrate thresholds on labelled data")
    csub = cal.add_subparsers(dest="calibrate_what", parser_class=Parser, metavar="WHAT")
    cal.set_defaults(handler=_need_what)
    faces = command(
        csub, "faces", _calibrate_faces, "ROC/EER/TAR@FAR and a DET plot for face pairs"
    )
    faces.add_argument("--pairs", type=Path, required=True, help="CSV: file_a,file_b,same")
    faces.add_argument("--images", type=Path, required=True, help="folder the file names refer to")
    faces.add_argument("--plot", type=Path, help="write the DET curve (PNG/SVG/PDF)")
    faces.add_argument(
        "--model", action="append", help="model(s) to calibrate (default: all allowed)"
    )
    faces.add_argument("--profile", choices=[p.value for p in Profile])


def _need_what(args: argparse.Namespace, out: Output) -> int:
    raise UsageError("kiosk calibrate: say what to calibrate, e.g. kiosk calibrate faces.")


def face_view(face: Any, scale: float) -> FaceView:
    inv = 1.0 / scale
    b = face.box
    return FaceView(
        BoxView(round(b.x * inv, 1), round(b.y * inv, 1), round(b.w * inv, 1), round(b.h * inv, 1)),
        round(face.score, 4),
        tuple((round(x * inv, 1), round(y * inv, 1)) for x, y in face.landmarks5),
        face.rotation,
    )


def quality_view(q: Any) -> QualityView:
    return QualityView(
        ok=q.ok,
        brightness=round(q.brightness, 1),
        contrast=round(q.contrast, 1),
        clipped_fraction=round(q.clipped_fraction, 4),
        sharpness=round(q.sharpness, 1),
        face_height_px=round(q.face_height_px, 1),
        inter_eye_px=round(q.inter_eye_px, 1),
        yaw_deg=round(q.pose.yaw_deg, 1),
        pitch_deg=round(q.pose.pitch_deg, 1),
        roll_deg=round(q.pose.roll_deg, 1),
        pose_source=q.pose_source,
        eye_blink=None if q.eye_blink is None else round(q.eye_blink, 3),
        issues=tuple(
            IssueView(i.code.value, i.message, round(i.value, 3), i.limit) for i in q.issues
        ),
    )


def _face(args: argparse.Namespace, out: Output) -> int:
    from pipeline.face import (
        DOCUMENT_QUALITY,
        DetectPurpose,
        assess_quality,
        default_toolkit,
    )
    from pipeline.image import DOCUMENT_MAX_SIDE, SELFIE_MAX_SIDE, load_image
    from pipeline.types import Stopwatch

    watch = Stopwatch()
    purpose = DetectPurpose.DOCUMENT if args.document else DetectPurpose.SELFIE
    with watch("load"):
        image = load_image(
            args.image, max_side=DOCUMENT_MAX_SIDE if args.document else SELFIE_MAX_SIDE
        )
    kit = default_toolkit()
    with watch("detect"):
        faces = kit.detector().detect(image.pixels, purpose)
    reports: list[FaceReport] = []
    with watch("pose_quality"):
        marks = kit.landmarker().detect(image.pixels) if faces and not args.document else ()
        for i, face in enumerate(faces):
            q = assess_quality(
                image,
                face,
                marks[0] if (i == 0 and marks) else None,
                DOCUMENT_QUALITY if args.document else None,
            )
            reports.append(FaceReport(face_view(face, image.scale), quality_view(q)))
    main = reports[0].quality if reports else None
    payload = {
        "image": ImageView(
            image.original_size[0],
            image.original_size[1],
            image.exif_orientation,
            round(image.scale, 4),
        ),
        "faces": [r.face for r in reports],
        "pose": None
        if main is None
        else PoseView(main.yaw_deg, main.pitch_deg, main.roll_deg, main.pose_source),
        "quality": [r.quality for r in reports],
        "timings_ms": watch.timings(),
    }

    def human(console: Any) -> None:
        console.print(f"{len(reports)} face(s)")
        for n, r in enumerate(reports, 1):
            f, q = r.face, r.quality
            reasons = "; ".join(i.message for i in q.issues) or "quality ok"
            console.print(
                f"{n}: box {f.box.x:.0f},{f.box.y:.0f} {f.box.w:.0f}x{f.box.h:.0f} "
                f"score {f.score:.2f} yaw {q.yaw_deg:+.0f} pitch {q.pitch_deg:+.0f} "
                f"roll {q.roll_deg:+.0f}: {reasons}"
            )

    out.emit(payload, human)
    return EXIT_OK


def _match(args: argparse.Namespace, out: Output) -> int:
    from pipeline.face import FaceToolkit, ToolkitOptions, match_faces
    from pipeline.image import DOCUMENT_MAX_SIDE, SELFIE_MAX_SIDE, load_image
    from pipeline.types import Stopwatch, Timings

    started = time.perf_counter()
    watch = Stopwatch()
    with watch("load_document"):
        document = load_image(args.document, max_side=DOCUMENT_MAX_SIDE)
    with watch("load_selfie"):
        selfie = load_image(args.selfie, max_side=SELFIE_MAX_SIDE)
    kit = FaceToolkit(ToolkitOptions(profile=active_profile(args.profile)))
    try:
        result = match_faces(document, selfie, model=args.model, toolkit=kit)
    finally:
        kit.close()
    timings = (
        watch.timings()
        + result.timings
        + Timings((("total", (time.perf_counter() - started) * 1000.0),))
    )
    payload = {
        "similarity": round(result.similarity, 4),
        "threshold": result.threshold,
        "match": result.match,
        "model": result.model,
        "document_face": face_view(result.document_face, document.scale),
        "selfie_face": face_view(result.selfie_face, selfie.scale),
        "quality": {
            "document": quality_view(result.document_quality),
            "selfie": quality_view(result.selfie_quality),
        },
        "timings_ms": timings,
    }

    def human(console: Any) -> None:
        verdict = "[green]MATCH[/]" if result.match else "[red]NO MATCH[/]"
        console.print(
            f"{verdict}: similarity {result.similarity:.3f} "
            f"(threshold {result.threshold:.3f}, model {result.model})"
        )
        for name, q in (("selfie", result.selfie_quality), ("document", result.document_quality)):
            if q.issues:
                console.print(f"{name} quality: " + "; ".join(q.messages))

    out.emit(payload, human)
    return EXIT_OK


def _calibrate_faces(args: argparse.Namespace, out: Output) -> int:
    from kiosk.calibrate import calibrate_face_models

    report = calibrate_face_models(
        args.pairs,
        args.images,
        models=tuple(args.model or ()),
        profile=active_profile(args.profile),
        plot=args.plot,
    )

    def human(console: Any) -> None:
        from rich.table import Table

        table = Table(
            title=f"face calibration: {report.n_pairs} pairs ({report.n_failed} unscorable)"
        )
        for col in (
            "model",
            "genuine",
            "impostor",
            "AUC",
            "EER",
            "TAR@FAR1%",
            "TAR@FAR0.1%",
            "threshold",
            "FAR/FRR at threshold",
            "suggested",
        ):
            table.add_column(col)
        for m in report.models:
            cells = []
            for t in m.metrics.tar_at_far:
                cells.append(f"{t.tar:.1%}" if t.tar is not None else "n/r")
            table.add_row(
                m.model,
                str(m.metrics.n_genuine),
                str(m.metrics.n_impostor),
                f"{m.metrics.auc:.4f}",
                f"{m.metrics.eer:.2%}",
                *cells,
                f"{m.threshold:.3f}",
                f"{m.far_at_threshold:.2%} / {m.frr_at_threshold:.2%}",
                f"{m.suggested_threshold:.3f}",
            )
        console.print(table)
        for m in report.models:
            for t in m.metrics.tar_at_far:
                if not t.resolvable:
                    console.print(f"{m.model}: {t.note}")
        if report.plot:
            console.print(f"DET curve written to {report.plot}")

    out.emit(report, human)
    return EXIT_OK
