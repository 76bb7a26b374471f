"""``kiosk mrz IMAGE`` and ``kiosk document IMAGE``: read an identity document page."""

from __future__ import annotations

import argparse
import datetime as dt
import threading
from pathlib import Path
from typing import Any

from kiosk.cli._base import EXIT_OK, Output, Parser
from kiosk.config import kiosk_paths
from kiosk.errors import UsageError


def register(sub: argparse._SubParsersAction[Parser]) -> None:
    from kiosk.cli import command

    mrz = command(sub, "mrz", _mrz, "read the machine-readable zone of a document image")
    mrz.add_argument("image", type=Path, help="JPEG, PNG, WebP, BMP or TIFF")
    mrz.add_argument("--today", help="reference date YYYY-MM-DD for expiry and age")

    doc = command(
        sub, "document", _document, "read a document: MRZ, visual zone, checks, portrait, quality"
    )
    doc.add_argument("image", type=Path, help="JPEG, PNG, WebP, BMP or TIFF")
    doc.add_argument("--today", help="reference date YYYY-MM-DD for expiry and age")
    doc.add_argument("--no-portrait", action="store_true", help="skip the face detector")


def _today(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--today expects YYYY-MM-DD, got {value!r}.") from None


def _registry() -> Any:
    from models import ModelRegistry

    return ModelRegistry.default(kiosk_paths().models_dir)


def _mrz(args: argparse.Namespace, out: Output) -> int:
    from pipeline.document.mrz import MrzOptions, MrzReader
    from pipeline.image import DOCUMENT_MAX_SIDE, load_image

    today = _today(args.today)
    # a command has the machine to itself: both Tesseract models read at once
    reader = MrzReader(MrzOptions(second_engine_ahead=True), registry=_registry())
    # Load the Tesseract models while the image is decoded and the zone located
    # (a few hundred ms); read() waits on the engine's lock until they are ready.
    warm = threading.Thread(target=_quiet_warm_up, args=(reader,), daemon=True)
    warm.start()
    image = load_image(args.image, max_side=DOCUMENT_MAX_SIDE)
    result = reader.read(image, today=today)

    def human(console: Any) -> None:
        rec = result.record
        if rec is None:
            console.print(f"no machine-readable zone found ({result.reason})")
            return
        state = "[green]valid[/]" if rec.valid else "[red]not valid[/]"
        console.print(f"{rec.format.value} MRZ, {state}, confidence {rec.confidence:.2f}")
        for line in rec.lines:
            console.print(f"  {line}")
        _fields_table(console, rec)
        failed = [c.name for c in rec.checks if not c.passed]
        console.print("checks failed: " + (", ".join(failed) if failed else "none"))
        if rec.flags:
            console.print("flags: " + ", ".join(rec.flags))

    out.emit(result, human)
    return EXIT_OK


def _quiet_warm_up(reader: Any, visual_zone: bool = False) -> None:
    # errors surface again, typed, when read() needs the engine
    try:
        reader.warm_up(all_tesseract=True)
        if visual_zone:  # the RapidOCR sessions load while Tesseract reads the MRZ
            reader.rapid_ocr().warm_up()
    except Exception:  # re-raised, typed, by read() on the main thread
        return


def _fields_table(console: Any, rec: Any) -> None:
    from rich.table import Table

    table = Table()
    for col in ("field", "value", "confidence", "trusted"):
        table.add_column(col)
    for f in rec.fields:
        table.add_row(f.name, f.value, f"{f.confidence:.2f}", "yes" if f.trusted else "NO")
    console.print(table)


def _document(args: argparse.Namespace, out: Output) -> int:
    from pipeline.document.document import DocumentOptions, DocumentReader
    from pipeline.document.mrz import MrzOptions
    from pipeline.image import DOCUMENT_MAX_SIDE, load_image

    today = _today(args.today)
    # a command has the machine to itself: both Tesseract models at once, and two
    # threads for each RapidOCR run of the visual zone
    options = DocumentOptions(
        mrz=MrzOptions(second_engine_ahead=True, onnx_threads=2), portrait=not args.no_portrait
    )
    reader = DocumentReader(options, registry=_registry())
    warm = threading.Thread(target=_quiet_warm_up, args=(reader.mrz_reader, True), daemon=True)
    warm.start()
    image = load_image(args.image, max_side=DOCUMENT_MAX_SIDE)
    reading = reader.read(image, today=today)

    def human(console: Any) -> None:
        rec = reading.mrz.record
        if rec is None:
            console.print("no machine-readable zone found")
        else:
            state = "[green]valid[/]" if rec.valid else "[red]not valid[/]"
            console.print(f"{rec.format.value} MRZ, {state}")
            _fields_table(console, rec)
        for f in reading.viz.fields:
            console.print(f"visual {f.name}: {f.value}")
        for nid in reading.viz.national_ids:
            console.print(f"national ID ({nid.scheme}): {'valid' if nid.valid else 'INVALID'}")
        for c in reading.consistency:
            console.print(f"MRZ vs visual {c.name}: {c.agreement.value}")
        box = reading.portrait.box
        console.print(
            f"portrait: {box.w:.0f}x{box.h:.0f} px at ({box.x:.0f}, {box.y:.0f})"
            if box
            else f"portrait: none ({reading.portrait.note})"
        )
        console.print("quality issues: " + (", ".join(reading.quality.issues) or "none"))
        console.print("flags: " + (", ".join(reading.flags) or "none"))

    out.emit(reading, human)
    return EXIT_OK
