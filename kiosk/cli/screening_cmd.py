"""``kiosk sanctions import | list`` and ``kiosk screen``.

Imported lists live in ``<data dir>/sanctions`` (``KIOSK_DATA_DIR``), one
active list per source, each verified against its sha256 when loaded.
Nothing here logs a name or a date of birth.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.cli._base import EXIT_OK, Output, Parser
from kiosk.errors import UsageError

if TYPE_CHECKING:
    from pipeline.screening import ListStore, SanctionsList

log = logging.getLogger("kiosk.screening")

FORMATS = ("un-xml", "ofac-csv", "ftm-jsonl")
_ALPHA3 = re.compile(r"^[A-Za-z<]{1,3}$")


def register(sub: argparse._SubParsersAction[Parser]) -> None:
    """Add ``sanctions import|list`` and ``screen`` to the command line."""
    from kiosk.cli import command

    sanctions = sub.add_parser("sanctions", help="import and list local sanctions/PEP lists")
    ssub = sanctions.add_subparsers(dest="sanctions_command", parser_class=Parser, metavar="ACTION")
    sanctions.set_defaults(handler=lambda a, o: _need_action())

    imp = command(ssub, "import", _import, "import a UN XML, OFAC CSV or FtM JSON-lines list")
    imp.add_argument("path", type=Path, metavar="FILE")
    imp.add_argument("--format", choices=FORMATS, help="skip detection (default: by content)")
    imp.add_argument("--alt", type=Path, metavar="ALT_CSV", help="OFAC alt.csv (aliases)")
    imp.add_argument("--source", help="source id to record (default: the format's)")
    imp.add_argument(
        "--list-version",
        dest="list_version",
        metavar="LABEL",
        help="the publication's version, for files that carry none (OFAC CSV)",
    )
    imp.add_argument(
        "--published",
        metavar="YYYY-MM-DD",
        help="the publication date, for files that carry none (OFAC CSV)",
    )

    command(ssub, "list", _list, "show the installed lists: source, version, date, sha256")

    screen = command(sub, "screen", _screen, "screen a name against the sanctions/PEP lists")
    screen.add_argument("--surname", required=True, help="surname (MRZ fillers allowed)")
    screen.add_argument("--given", default="", help="given names")
    screen.add_argument("--dob", metavar="YYYY-MM-DD", help="date of birth")
    screen.add_argument("--nationality", metavar="AAA", help="ISO 3166 alpha-3 or MRZ code")
    screen.add_argument(
        "--list",
        dest="lists",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="screen against this file (repeatable) instead of the installed lists",
    )
    screen.add_argument(
        "--include-organisations",
        action="store_true",
        help="also match organisations, vessels and aircraft",
    )


def _need_action() -> int:
    raise UsageError("kiosk sanctions: choose an action: import or list.")


def _store() -> ListStore:
    from kiosk.config import kiosk_paths
    from pipeline.screening import ListStore

    return ListStore(kiosk_paths().data_dir / "sanctions")


def _date_arg(value: str | None, flag: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        # The value is not echoed: for --dob it is personal data.
        raise UsageError(f"{flag} expects a date as YYYY-MM-DD.") from None


def _import(args: argparse.Namespace, out: Output) -> int:
    from pipeline.screening import ListFormat, load_list

    published = _date_arg(args.published, "--published")
    lst = load_list(
        args.path,
        format=ListFormat(args.format) if args.format else None,
        alt_path=args.alt,
        source=args.source,
        version=args.list_version,
        published=published,
    )
    installed = _store().install(lst)
    log.info(
        "sanctions list installed: source=%s entries=%d sha256=%s",
        lst.source,
        len(lst.entries),
        lst.sha256,
    )

    def human(console: Any) -> None:
        info = installed.info
        console.print(
            f"installed {info.source} version {info.version} "
            f"({info.date or 'no date'}): {info.entries} entries"
        )
        console.print(f"sha256 {info.sha256}")
        console.print(f"stored in {installed.path}")
        for note in installed.notes:
            console.print(f"[yellow]note:[/] {note}")

    out.emit(installed, human)
    return EXIT_OK


def _list(args: argparse.Namespace, out: Output) -> int:
    store = _store()
    rows = store.installed()

    def human(console: Any) -> None:
        from rich.table import Table

        table = Table(title=f"Sanctions lists in {store.directory}")
        for col in ("source", "version", "date", "entries", "format", "sha256"):
            table.add_column(col)
        for r in rows:
            i = r.info
            table.add_row(
                i.source,
                i.version,
                str(i.date or "-"),
                str(i.entries),
                i.format.value,
                i.sha256[:16] + "...",
            )
        console.print(table if rows else "no sanctions list installed (kiosk sanctions import)")

    out.emit({"store": str(store.directory), "lists": rows}, human)
    return EXIT_OK


def _load_lists(paths: list[Path]) -> tuple[SanctionsList, ...]:
    from pipeline.screening import NoSanctionsList, load_list

    if paths:
        return tuple(load_list(p) for p in paths)
    lists = _store().load_all()
    if not lists:
        raise NoSanctionsList(hint="import one with: kiosk sanctions import FILE")
    return lists


def _screen(args: argparse.Namespace, out: Output) -> int:
    from pipeline.screening import (
        Screener,
        ScreeningOptions,
        ScreeningSubject,
    )

    dob = _date_arg(args.dob, "--dob")
    nationality = args.nationality
    if nationality is not None and not _ALPHA3.match(nationality):
        raise UsageError("--nationality expects an ISO 3166 alpha-3 or MRZ country code.")
    lists = _load_lists(args.lists)
    options = ScreeningOptions(include_organisations=args.include_organisations)
    screener = Screener.from_lists(lists, options)
    result = screener.screen(ScreeningSubject(args.surname, args.given, dob, nationality))
    log.info(
        "screened against %d list(s): %d candidates, %.1f ms",
        len(lists),
        result.candidates,
        result.timings.total_ms,
    )

    def human(console: Any) -> None:
        colour = {"clear": "green", "review": "yellow", "hit": "red"}[result.outcome.value]
        console.print(f"[{colour}]{result.outcome.value.upper()}[/]")
        for m in result.matches:
            e = m.entry
            console.print(
                f"  {m.outcome.value:<6} {m.combined_score:.2f}  {e.source}:{e.entry_id}  "
                f"{m.matched_name}  ({e.entity_type.value})"
            )
            for reason in m.why:
                console.print(f"         {reason}")
        for info in result.lists:
            console.print(
                f"list {info.source} {info.version} ({info.date or 'no date'}), "
                f"{info.entries} entries, sha256 {info.sha256}"
            )

    out.emit(result, human)
    return EXIT_OK
