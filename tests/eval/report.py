"""`make eval`: every accuracy evaluation in one run, and one report a risk officer can read.

    .venv/bin/python -m tests.eval.report [--quick]

Runs the face, MRZ (with the PassportEye peer unless --quick), whole-document, rPPG and
presentation-attack evaluations, keeps each one's full output, and writes
reports/evaluation.html (self-contained: figures embedded) and reports/evaluation.md
with a summary table of every figure against its target.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import html
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.eval.summary import REPORTS, Summary, read_summary
from tests.shared import require_shared_data

EVALUATIONS: tuple[tuple[str, list[str], list[str]], ...] = (
    # topic, module + args, args added by --quick
    ("faces", ["tests.eval.eval_faces"], []),
    ("mrz", ["tests.eval.eval_mrz"], ["--no-peer"]),
    ("document", ["tests.eval.eval_document", "--n", "24"], []),
    ("rppg", ["tests.eval.eval_rppg"], []),
    ("pad", ["tests.eval.eval_pad"], []),
)


def run_all(quick: bool) -> list[tuple[str, str, float, int]]:
    """Run each evaluation; returns (topic, output, seconds, exit status)."""
    REPORTS.mkdir(exist_ok=True)
    out = []
    for topic, cmd, quick_args in EVALUATIONS:
        args = [sys.executable, "-m", *cmd, *(quick_args if quick else [])]
        print(f"== {topic}: {' '.join(args[2:])}", flush=True)
        started = time.perf_counter()
        proc = subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=7200,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        seconds = time.perf_counter() - started
        text = proc.stdout + (("\n[stderr]\n" + proc.stderr[-4000:]) if proc.returncode else "")
        (REPORTS / f"{topic}.txt").write_text(text)
        print(f"   exit {proc.returncode} in {seconds:.0f} s", flush=True)
        out.append((topic, text, seconds, proc.returncode))
    return out


def _status(met: bool | None) -> str:
    return {True: "met", False: "NOT met", None: ""}[met]


def write_reports(runs: list[tuple[str, str, float, int]]) -> tuple[Path, Path]:
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()
    summaries: list[tuple[str, Summary | None, str, float, int]] = [
        (topic, read_summary(topic), text, seconds, rc) for topic, text, seconds, rc in runs
    ]
    md = [
        f"# Evaluation report\n\n{when}; {os.cpu_count()} CPU cores, load average "
        f"{load[0]:.1f} at the end. Every figure was measured in this run; the full output "
        "of each evaluation is in `reports/<topic>.txt`.\n"
    ]
    md.append("| area | figure | measured | target | status |\n|---|---|---|---|---|")
    for topic, summary, _, _, rc in summaries:
        if summary is None:
            md.append(f"| {topic} | (evaluation failed, exit {rc}) | | | NOT met |")
            continue
        for f in summary.figures:
            md.append(f"| {summary.title} | {f.name} | {f.value} | {f.target} | {_status(f.met)} |")
    for _topic, summary, _, seconds, _ in summaries:
        if summary is None:
            continue
        md.append(f"\n## {summary.title}\n\n({seconds:.0f} s)\n")
        md += [f"- {n}" for n in summary.notes]
        md += [f"\n![{i}]({i})" for i in summary.images]
    md_path = REPORTS / "evaluation.md"
    md_path.write_text("\n".join(md) + "\n")

    rows = []
    for topic, summary, _, _, rc in summaries:
        if summary is None:
            rows.append(
                f"<tr class=bad><td>{topic}</td><td colspan=4>evaluation failed "
                f"(exit {rc})</td></tr>"
            )
            continue
        for f in summary.figures:
            cls = {True: "ok", False: "bad", None: ""}[f.met]
            rows.append(
                f"<tr class='{cls}'><td>{html.escape(summary.title)}</td>"
                f"<td>{html.escape(f.name)}</td><td>{html.escape(f.value)}</td>"
                f"<td>{html.escape(f.target)}</td><td>{_status(f.met)}</td></tr>"
            )
    sections = []
    for topic, summary, text, seconds, _ in summaries:
        title = summary.title if summary else topic
        parts = [f"<h2>{html.escape(title)}</h2><p class=dim>{seconds:.0f} s</p>"]
        if summary:
            parts += [f"<p>{html.escape(n)}</p>" for n in summary.notes]
            for image in summary.images:
                path = REPORTS / image
                if path.is_file():
                    data = base64.b64encode(path.read_bytes()).decode()
                    parts.append(
                        f"<img alt='{html.escape(image)}' src='data:image/png;base64,{data}'>"
                    )
        parts.append(
            f"<details><summary>full output</summary><pre>{html.escape(text)}</pre></details>"
        )
        sections.append("\n".join(parts))
    page = f"""<!doctype html><html lang=en><meta charset=utf-8>
<title>Kiosk KYC evaluation report</title>
<style>body{{font:15px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#111}}
table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #ccc;padding:4px 8px;
text-align:left;vertical-align:top}}tr.ok td:last-child{{color:#1a7f37;font-weight:600}}
tr.bad td:last-child{{color:#c62828;font-weight:600}}.dim{{color:#666}}img{{max-width:100%}}
pre{{font-size:12px;overflow-x:auto;background:#f6f6f6;padding:8px}}</style>
<h1>Evaluation report</h1>
<p class=dim>{when}; {os.cpu_count()} CPU cores; load average {load[0]:.1f} at the end.
Every figure below was measured in this run.</p>
<table><tr><th>area</th><th>figure</th><th>measured</th><th>target</th><th>status</th></tr>
{chr(10).join(rows)}</table>
{chr(10).join(sections)}
</html>"""
    html_path = REPORTS / "evaluation.html"
    html_path.write_text(page)
    return md_path, html_path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="skip the slow PassportEye peer")
    args = parser.parse_args()
    require_shared_data()
    runs = run_all(args.quick)
    md, page = write_reports(runs)
    print(f"\nreport: {page}\n        {md}")
    return 0 if all(rc == 0 for *_, rc in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
