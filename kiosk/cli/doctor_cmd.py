"""``kiosk doctor``."""

from __future__ import annotations

import argparse
from typing import Any

from kiosk.cli._base import EXIT_CHECK_FAILED, EXIT_OK, Output, Parser
from kiosk.config import active_profile, kiosk_paths
from models import ModelRegistry, Profile


def register(sub: argparse._SubParsersAction[Parser]) -> None:
    from kiosk.cli import command

    doctor = command(sub, "doctor", _doctor, "check packages, models, Tesseract, devices, storage")
    doctor.add_argument("--profile", choices=[p.value for p in Profile], help="licence profile")


def _doctor(args: argparse.Namespace, out: Output) -> int:
    from kiosk.doctor import Status, run_doctor

    paths = kiosk_paths()
    profile = active_profile(args.profile)
    report = run_doctor(paths, ModelRegistry.default(paths.models_dir), profile)

    def human(console: Any) -> None:
        from rich.table import Table

        table = Table(title=f"kiosk doctor (profile: {profile.value})")
        for col in ("group", "check", "status", "detail", "fix"):
            table.add_column(col, overflow="fold")
        colour = {Status.OK: "green", Status.WARN: "yellow", Status.FAIL: "red"}
        for c in report.checks:
            table.add_row(
                c.group, c.name, f"[{colour[c.status]}]{c.status.value}[/]", c.detail, c.fix
            )
        console.print(table)
        console.print("[green]ready[/]" if report.ok else "[red]not ready: see the fix column[/]")

    out.emit({"ok": report.ok, "profile": profile.value, "checks": report.checks}, human)
    return EXIT_OK if report.ok else EXIT_CHECK_FAILED
