"""MRZ accuracy: 200 hard synthetic documents (TD1 and TD3, fixed seed), the ICAO
specimens field by field, and PassportEye with Debian's Tesseract data beside ours.

Run: ``.venv/bin/python -m tests.eval.eval_mrz`` (``--n 40`` for a quick look,
``--no-peer`` to skip PassportEye). "Hard" is ``degrade_hard``: rotation up to
4 degrees, blur sigma 0.6-1.4, noise sigma 5-12, JPEG 70-92, exposure changes.
A false valid is a record marked valid while any field differs from the truth.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import statistics
import time
from collections import Counter
from dataclasses import dataclass

import numpy as np

from pipeline.document.correction import EngineRead, build_record, correct
from pipeline.document.mrz import MrzReader
from pipeline.document.mrz_format import MrzFormat, detect_format
from pipeline.document.types import MrzRecord, OcrChar, OcrEngineName, OcrLine
from pipeline.image import DOCUMENT_MAX_SIDE, load_image
from pipeline.synthetic.documents import degrade_hard, render_document
from tests.shared import require_shared_data

SEED = 20_260_401
TODAY = dt.date(2026, 1, 1)
FIELDS = (
    "document_code",
    "issuing_state",
    "document_number",
    "date_of_birth",
    "expiry_date",
    "nationality",
    "sex",
    "surname",
    "given_names",
    "optional_data",
    "personal_number",
)


@dataclass
class Tally:
    """Counts for one reader."""

    n: int = 0
    found: int = 0
    exact: int = 0
    valid: int = 0
    false_valid: int = 0
    field_ok: Counter[str] | None = None
    field_n: Counter[str] | None = None
    seconds: list[float] | None = None

    def __post_init__(self) -> None:
        self.field_ok, self.field_n, self.seconds = Counter(), Counter(), []


def truth_record(lines: tuple[str, ...]) -> MrzRecord:
    """The parsed truth: the printed lines through the same parser, read perfectly."""
    fmt = detect_format(lines)
    assert fmt is not None
    perfect = tuple(
        OcrLine(
            tuple(OcrChar(c, 1.0, (), i * 10.0, i * 10.0 + 9) for i, c in enumerate(line)),
            len(line) * 10.0,
        )
        for line in lines
    )
    reads = [EngineRead(OcrEngineName.TESSERACT_MRZ, perfect)] * 2
    return build_record(fmt, reads, correct(fmt, reads), today=TODAY)


def compare_fields(truth: MrzRecord, got: MrzRecord | None, tally: Tally) -> bool:
    """Count per-field hits; True when every field of the truth was read exactly."""
    assert tally.field_ok is not None and tally.field_n is not None
    all_ok = True
    for name in FIELDS:
        expected = truth.field(name)
        if expected is None:
            continue
        tally.field_n[name] += 1
        value = got.value(name) if got is not None else None
        if value == expected.value:
            tally.field_ok[name] += 1
        else:
            all_ok = False
    return all_ok


def peer_read(image: np.ndarray) -> tuple[tuple[str, ...] | None, bool]:
    """PassportEye 2.2 with whatever tessdata Tesseract finds (Debian's, LSTM only)."""
    import warnings

    import cv2
    from passporteye import read_mrz as pe_read_mrz

    _, buf = cv2.imencode(".png", image)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scikit-image deprecations inside PassportEye
            mrz = pe_read_mrz(io.BytesIO(buf.tobytes()))
    except Exception:  # the peer's own failures count as "not found"
        return None, False
    if mrz is None:
        return None, False
    raw = mrz.to_dict().get("raw_text", "")
    lines = tuple(line for line in raw.split("\n") if line)
    return lines, bool(mrz.valid)


def run(n: int, with_peer: bool) -> tuple[Tally, Tally]:
    reader = MrzReader()
    reader.warm_up(all_tesseract=True)
    ours, peer = Tally(), Tally()
    engines_used: Counter[int] = Counter()
    failures: list[str] = []
    for i in range(n):
        seed = SEED + i
        kind = MrzFormat.TD1 if i % 2 == 0 else MrzFormat.TD3
        doc = render_document(kind, seed)
        image = degrade_hard(doc.image, np.random.default_rng(seed))
        truth = truth_record(doc.truth.mrz_lines)

        start = time.perf_counter()
        result = reader.read(image, today=TODAY)
        assert ours.seconds is not None
        ours.seconds.append(time.perf_counter() - start)
        ours.n += 1
        rec = result.record
        ours.found += result.found
        exact = rec is not None and rec.lines == doc.truth.mrz_lines
        ours.exact += exact
        fields_ok = compare_fields(truth, rec, ours)
        ours.valid += result.valid
        if result.valid and not fields_ok:
            ours.false_valid += 1
            failures.append(f"FALSE VALID seed={seed} {kind.value}")
        elif not exact:
            failures.append(
                f"seed={seed} {kind.value} found={result.found} valid={result.valid} "
                f"flags={list(rec.flags) if rec else result.reason}"
            )
        engines_used[len(rec.engines) if rec else 0] += 1

        if with_peer:
            start = time.perf_counter()
            lines, valid = peer_read(image)
            assert peer.seconds is not None
            peer.seconds.append(time.perf_counter() - start)
            peer.n += 1
            peer.found += lines is not None
            peer_exact = lines == doc.truth.mrz_lines
            peer.exact += peer_exact
            peer.valid += valid
            peer.false_valid += valid and not peer_exact
        if (i + 1) % 20 == 0:
            print(f"  {i + 1}/{n}: ours exact {ours.exact}, peer exact {peer.exact}", flush=True)

    print(f"\n== {n} hard synthetic documents (TD1/TD3 alternating, seed {SEED}) ==")
    header = f"{'':28}{'ours':>12}{'PassportEye':>14}"
    print(header)

    def row(label: str, a: float | str, b: float | str) -> None:
        print(f"{label:28}{a!s:>12}{b!s:>14}")

    def pct(k: int, t: Tally) -> str:
        return f"{100.0 * k / t.n:.1f}%" if t.n else "-"

    row("MRZ found", pct(ours.found, ours), pct(peer.found, peer) if with_peer else "-")
    row("exact MRZ (all lines)", pct(ours.exact, ours), pct(peer.exact, peer) if with_peer else "-")
    row("marked valid", pct(ours.valid, ours), pct(peer.valid, peer) if with_peer else "-")
    row("false valid (count)", ours.false_valid, peer.false_valid if with_peer else "-")
    assert ours.seconds is not None and peer.seconds is not None
    row(
        "median seconds / page",
        f"{statistics.median(ours.seconds):.3f}" if ours.seconds else "-",
        f"{statistics.median(peer.seconds):.3f}" if peer.seconds else "-",
    )
    print("\nper-field accuracy (ours):")
    assert ours.field_ok is not None and ours.field_n is not None
    for name in FIELDS:
        if ours.field_n[name]:
            print(f"  {name:18} {ours.field_ok[name]:4d}/{ours.field_n[name]:<4d}")
    print(f"engines used per page: {dict(sorted(engines_used.items()))}")
    if failures:
        print("not exact:")
        for line in failures:
            print("  " + line)
    return ours, peer


def specimens() -> tuple[int, int]:
    data = require_shared_data() / "mrz"
    reader = MrzReader()
    print("\n== ICAO specimens (../shared/data/mrz/labels.csv) ==")
    with (data / "labels.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    total = ok = 0
    for row in rows:
        image = load_image(data / row["file"], max_side=DOCUMENT_MAX_SIDE)
        result = reader.read(image, today=TODAY)
        rec = result.record
        expected = {
            "document_code": row["doc_code"],
            "issuing_state": row["issuer"],
            "document_number": row["number"],
            "nationality": row["nationality"],
            "date_of_birth_raw": row["dob_yymmdd"],
            "sex": row["sex"],
            "expiry_date_raw": row["expiry_yymmdd"],
            "surname": row["surname"],
            "given_names": row["given_names"],
            "lines": row["mrz"],
        }
        got = {
            "document_code": rec.value("document_code") if rec else "",
            "issuing_state": rec.value("issuing_state") if rec else "",
            "document_number": rec.value("document_number") if rec else "",
            "nationality": rec.value("nationality") if rec else "",
            "date_of_birth_raw": (
                rec.field("date_of_birth").raw if rec and rec.field("date_of_birth") else ""
            ),  # type: ignore[union-attr]
            "sex": rec.value("sex") if rec else "",
            "expiry_date_raw": (
                rec.field("expiry_date").raw if rec and rec.field("expiry_date") else ""
            ),  # type: ignore[union-attr]
            "surname": rec.value("surname") if rec else "",
            "given_names": rec.value("given_names") if rec else "",
            "lines": "|".join(rec.lines) if rec else "",
        }
        marks = []
        for key, value in expected.items():
            total += 1
            hit = got[key] == value
            ok += hit
            marks.append(f"{key}={'ok' if hit else 'WRONG'}")
        print(f"  {row['file']:18} valid={result.valid} " + " ".join(marks))
    print(f"  specimen fields exact: {ok}/{total}")
    return ok, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--no-peer", action="store_true")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    ok, total = specimens()
    ours, peer = run(args.n, not args.no_peer)
    from tests.eval.summary import Figure, Summary, write_summary

    exact = 100.0 * ours.exact / max(ours.n, 1)
    figures = [
        Figure("ICAO specimens: fields exact", f"{ok}/{total}", "every field", ok == total),
        Figure(
            f"exact MRZ, {ours.n} hard synthetic TD1+TD3", f"{exact:.1f}%", ">= 97%", exact >= 97.0
        ),
        Figure(
            "false valid (valid while a field is wrong)",
            str(ours.false_valid),
            "0",
            ours.false_valid == 0,
        ),
        Figure(
            "median seconds per page (in process)",
            f"{statistics.median(ours.seconds):.2f}" if ours.seconds else "-",
        ),
    ]
    if not args.no_peer and peer.n:
        figures += [
            Figure(
                "peer: PassportEye + Debian tessdata, exact MRZ",
                f"{100.0 * peer.exact / peer.n:.1f}%",
            ),
            Figure("peer: false valid", str(peer.false_valid)),
        ]
    write_summary(Summary("mrz", "Document: machine-readable zone", figures))


if __name__ == "__main__":
    main()
