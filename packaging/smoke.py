"""Smoke check of a built bundle, started as a bare host would start it.

    python packaging/smoke.py [BUNDLE_DIR] [--isolated]

Each command runs under ``env -i`` (no HOME, no PATH, nothing inherited) from an
empty working directory: ``kiosk --version`` (start-up time, best of three),
``kiosk doctor --json`` (must be ready, with libtesseract and the models taken
from the bundle) and ``kiosk demo --json`` (must approve). ``--isolated`` (root,
Linux) also hides the host's Python, Tesseract, leptonica, tessdata, fonts, this
checkout's venv and the fetched models in a private mount namespace first. Prints one line per check
and exits 1 when any fails.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_BUNDLE = Path(__file__).resolve().parents[1] / "dist" / "kiosk"
TIMEOUT_S = 900.0

# What a clean host would not have, hidden by --isolated. Globs; missing ones are skipped.
HOST_ONLY = (
    "/usr/lib/x86_64-linux-gnu/libtesseract.so.*",
    "/usr/lib/x86_64-linux-gnu/liblept.so.*",
    "/usr/lib/x86_64-linux-gnu/libleptonica.so.*",
    "/usr/bin/tesseract",
    "/usr/share/tesseract-ocr",
    "/usr/share/fonts",
    "/usr/lib/python3*",
    "/usr/local/lib/python3*",
    "/usr/local/lib/libpython3*",
    "/usr/lib/x86_64-linux-gnu/libpython3*",
)


def host_only() -> list[str]:
    """``HOST_ONLY`` plus the Python that builds (venv and base), and the fetched models."""
    root = Path(__file__).resolve().parents[1]
    base = Path(sys.base_prefix) / "lib"
    models = Path("~/.local/share/kiosk").expanduser()
    return [
        *HOST_ONLY,
        str(base / "python3*"),
        str(base / "libpython3*"),
        str(root / ".venv"),
        str(models),
    ]


@dataclass(frozen=True, slots=True)
class Run:
    """One command of the bundle and what it did."""

    args: tuple[str, ...]
    returncode: int
    seconds: float
    stdout: str
    stderr: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One line of the smoke report."""

    name: str
    ok: bool
    detail: str


def _hide_script(executable: Path, args: Sequence[str], env: Sequence[str] = ()) -> list[str]:
    """A shell command that hides ``HOST_ONLY`` in a new mount namespace, then runs."""
    hide = [
        "mount --make-rprivate /",
        *(
            f'for p in {pattern}; do [ -e "$p" ] || continue; '
            'if [ -d "$p" ]; then mount -t tmpfs none "$p"; '
            'else mount --bind /dev/null "$p"; fi; done'
            for pattern in host_only()
        ),
        " ".join(["exec env -i", *map(_quote, env), _quote(str(executable)), *map(_quote, args)]),
    ]
    return ["unshare", "--mount", "sh", "-ec", "; ".join(hide)]


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def run_bare(
    bundle: Path,
    *args: str,
    isolated: bool = False,
    env: Mapping[str, str] | None = None,
    timeout: float = TIMEOUT_S,
) -> Run:
    """``env -i [NAME=VALUE...] <bundle>/kiosk ARGS`` from an empty directory.

    Raises:
        FileNotFoundError: ``env`` (or ``unshare`` when isolated) is missing.
    """
    executable = (bundle / "kiosk").resolve()
    assignments = [f"{name}={value}" for name, value in (env or {}).items()]
    cmd = (
        _hide_script(executable, args, assignments)
        if isolated
        else ["env", "-i", *assignments, str(executable), *args]
    )
    with tempfile.TemporaryDirectory(prefix="kiosk-smoke-") as cwd:
        started = time.perf_counter()
        try:
            proc = subprocess.run(
                cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            return Run(tuple(args), -1, timeout, "", f"timed out after {timeout:.0f} s")
        seconds = time.perf_counter() - started
    return Run(tuple(args), proc.returncode, seconds, proc.stdout, proc.stderr)


def _json(run: Run) -> dict[str, Any]:
    try:
        payload = json.loads(run.stdout)
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _failure(run: Run) -> str:
    lines = (run.stderr or run.stdout).strip().splitlines()
    return f"exit {run.returncode}: {lines[-1][:200] if lines else 'no output'}"


def check_version(bundle: Path, *, isolated: bool = False) -> Finding:
    runs = [run_bare(bundle, "--version", isolated=isolated) for _ in range(3)]
    if any(r.returncode != 0 for r in runs):
        bad = next(r for r in runs if r.returncode != 0)
        return Finding("kiosk --version", False, _failure(bad))
    times = ", ".join(f"{r.seconds:.2f}" for r in runs)
    return Finding(
        "kiosk --version",
        True,
        f"{runs[0].stdout.strip()} in {min(r.seconds for r in runs):.2f} s (best of {times} s)",
    )


def check_doctor(bundle: Path, *, isolated: bool = False) -> Finding:
    run = run_bare(bundle, "doctor", "--json", isolated=isolated)
    payload = _json(run)
    checks = payload.get("checks", [])
    if run.returncode != 0 or not payload.get("ok"):
        failing = [f"{c['name']}: {c['detail']}" for c in checks if c.get("status") == "fail"]
        return Finding("kiosk doctor", False, "; ".join(failing)[:400] or _failure(run))
    internal = str((bundle / "_internal").resolve())
    by_name = {c["name"]: c for c in checks}
    for name in ("tesseract library", "language eng", "language mrz"):
        if internal not in by_name.get(name, {}).get("detail", ""):
            detail = by_name.get(name, {}).get("detail", "missing")
            return Finding("kiosk doctor", False, f"{name} not from the bundle: {detail}")
    warnings = [c["name"] for c in checks if c.get("status") == "warn"]
    return Finding(
        "kiosk doctor",
        True,
        f"ready in {run.seconds:.1f} s; {len(checks)} checks, warnings: "
        f"{', '.join(warnings) or 'none'}",
    )


def check_demo(bundle: Path, *, isolated: bool = False) -> Finding:
    run = run_bare(bundle, "demo", "--json", isolated=isolated)
    payload = _json(run)
    decision = payload.get("decision")
    if run.returncode != 0 or decision != "approved":
        reasons = [r.get("code", "?") for r in payload.get("reasons", [])]
        detail = f"decision {decision}, reasons {reasons}" if payload else _failure(run)
        return Finding("kiosk demo", False, detail)
    face = payload.get("signals", {}).get("face", {})
    return Finding(
        "kiosk demo",
        True,
        f"approved in {run.seconds:.1f} s (face similarity {face.get('similarity', 0):.3f})",
    )


def bundle_size(bundle: Path) -> Finding:
    files = [p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink()]
    total = sum(p.stat().st_size for p in files)
    return Finding("bundle size", True, f"{total / 2**20:.0f} MiB in {len(files)} files")


def smoke(bundle: Path, *, isolated: bool = False) -> list[Finding]:
    """Every check, in order; a missing bundle is one failed finding."""
    if not (bundle / "kiosk").is_file():
        return [Finding("bundle", False, f"{bundle / 'kiosk'} not found; run make bundle")]
    return [
        bundle_size(bundle),
        check_version(bundle, isolated=isolated),
        check_doctor(bundle, isolated=isolated),
        check_demo(bundle, isolated=isolated),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Smoke check of the kiosk bundle under env -i.")
    parser.add_argument("bundle", nargs="?", type=Path, default=DEFAULT_BUNDLE)
    parser.add_argument(
        "--isolated",
        action="store_true",
        help="hide the host's Python, Tesseract, fonts and models first (root, Linux)",
    )
    args = parser.parse_args(argv)
    if args.isolated and shutil.which("unshare") is None:
        sys.stderr.write("error: --isolated needs unshare (util-linux) and root\n")
        return 2
    findings = smoke(args.bundle, isolated=args.isolated)
    for f in findings:
        sys.stdout.write(f"{'ok  ' if f.ok else 'FAIL'} {f.name}: {f.detail}\n")
    return 0 if all(f.ok for f in findings) else 1


if __name__ == "__main__":
    sys.exit(main())
