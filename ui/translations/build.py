"""Refresh and compile the translations: ``python -m ui.translations.build``.

The ``.ts`` files here are the translation sources (edit them with
``pyside6-linguist``). This runs ``pyside6-lupdate`` over ``ui/`` to add new source
texts and drop obsolete ones, then ``pyside6-lrelease`` to compile each ``.qm``.
It exits 1, naming them, when a text has no translation yet.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
UI = HERE.parent


def ui_sources() -> list[str]:
    """Every Python file of ``ui`` (relative to it), the input of lupdate."""
    return sorted(str(p.relative_to(UI)) for p in UI.rglob("*.py") if "translations" not in p.parts)


def tool(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def update(ts: Path) -> None:
    """Add new source texts to ``ts`` and drop obsolete ones."""
    subprocess.run(
        [
            tool("pyside6-lupdate"),
            *ui_sources(),
            "-no-obsolete",
            "-locations",
            "none",
            "-ts",
            str(ts),
        ],
        cwd=UI,
        check=True,
        capture_output=True,
    )


def compile_qm(ts: Path, qm: Path) -> None:
    subprocess.run(
        [tool("pyside6-lrelease"), str(ts), "-qm", str(qm)], check=True, capture_output=True
    )


def unfinished(ts: Path) -> list[str]:
    """Source texts of ``ts`` without a finished translation."""
    text = ts.read_text("utf-8")
    return [
        re.search(r"<source>(.*?)</source>", m, re.S).group(1)  # type: ignore[union-attr]
        for m in re.findall(r"<message[^>]*>.*?</message>", text, re.S)
        if 'type="unfinished"' in m
    ]


def main() -> int:
    status = 0
    for ts in sorted(HERE.glob("kiosk_*.ts")):
        update(ts)
        missing = unfinished(ts)
        if missing:
            sys.stderr.write(
                f"{ts.name}: {len(missing)} untranslated:\n  " + "\n  ".join(missing) + "\n"
            )
            status = 1
        compile_qm(ts, ts.with_suffix(".qm"))
    return status


if __name__ == "__main__":
    sys.exit(main())
