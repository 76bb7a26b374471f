"""Whole-page reading on hard synthetic documents: visual-zone fields, national IDs,
MRZ-versus-visual agreement (false alarms on genuine pages, detection on pages
whose MRZ belongs to someone else), portrait detection with real faces.

Run: ``.venv/bin/python -m tests.eval.eval_document`` (``--n 40``). Faces come
from ``../shared/data/faces`` and are pasted into the rendered portrait area.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import statistics
import time
from collections import Counter

import numpy as np

from pipeline.document.document import DocumentReader
from pipeline.document.mrz_format import MrzFormat
from pipeline.document.types import Agreement
from pipeline.image import load_image
from pipeline.synthetic.documents import degrade_hard, random_identity, render_document
from tests.shared import require_shared_data

SEED = 20_260_501
TODAY = dt.date(2026, 1, 1)
FACES = ("obama.jpg", "biden.jpg", "alex-lacamoire.png", "lin-manuel-miranda.png")
VIZ_FIELDS = ("surname", "given_names", "date_of_birth", "expiry_date", "document_number", "sex")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=40)
    args = parser.parse_args()
    shared = require_shared_data()
    faces = [load_image(shared / "faces" / "face_recognition" / f).pixels for f in FACES]
    reader = DocumentReader()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores at start")
    viz_ok: Counter[str] = Counter()
    viz_n: Counter[str] = Counter()
    genuine_mismatch = spliced_flagged = spliced_n = 0
    spliced_valid = 0
    portrait_hit = ids_found = ids_n = 0
    seconds: list[float] = []
    kinds = (MrzFormat.TD3, MrzFormat.TD1, MrzFormat.TD2)
    for i in range(args.n):
        seed = SEED + i
        kind = kinds[i % len(kinds)]
        rng = np.random.default_rng(seed)
        who = random_identity(kind, rng, today=TODAY)
        doc = render_document(kind, seed, identity=who, portrait=faces[i % len(faces)])
        image = degrade_hard(doc.image, np.random.default_rng(seed))
        start = time.perf_counter()
        reading = reader.read(image, today=TODAY)
        seconds.append(time.perf_counter() - start)

        expected = {
            "surname": who.surname,
            "given_names": who.given_names,
            "date_of_birth": who.date_of_birth.isoformat(),
            "expiry_date": who.expiry_date.isoformat(),
            "document_number": who.document_number,
            "sex": who.sex,
        }
        got = {f.name: f.value for f in reading.viz.fields}
        for name in VIZ_FIELDS:
            viz_n[name] += 1
            viz_ok[name] += got.get(name) == expected[name]
        genuine_mismatch += "mrz_viz_mismatch" in reading.flags
        if who.national_id:
            ids_n += 1
            ids_found += any(
                n.value == who.national_id and n.valid for n in reading.viz.national_ids
            )
        box = reading.portrait.box
        if box is not None:
            cx, cy = box.center
            pb = doc.portrait_box
            # the degradation adds a margin of at most ~8 % on each side
            portrait_hit += (
                abs(cx - (pb.x + pb.w / 2)) < pb.w and abs(cy - (pb.y + pb.h / 2)) < pb.h
            )

        # the same page with the MRZ of another person (surname changed)
        other = dataclasses.replace(who, surname=who.surname[::-1] + "X")
        forged = render_document(kind, seed, identity=other, portrait=faces[i % len(faces)])
        page = doc.image.copy()
        y0, y1 = int(forged.mrz_box.y), int(forged.mrz_box.y + forged.mrz_box.h)
        page[y0:y1] = forged.image[y0:y1]
        spliced = reader.read(degrade_hard(page, np.random.default_rng(seed)), today=TODAY)
        spliced_n += 1
        spliced_flagged += "mrz_viz_mismatch" in spliced.flags
        spliced_valid += spliced.mrz.valid
        agreements = {c.name: c.agreement for c in spliced.consistency}
        if agreements.get("surname") is Agreement.AGREE:
            print(f"  seed {seed}: spliced surname reported as agreeing")

    print(f"\n== {args.n} hard synthetic pages (TD3/TD1/TD2, seed {SEED}), real faces pasted ==")
    print("visual-zone fields read exactly:")
    for name in VIZ_FIELDS:
        print(f"  {name:16} {viz_ok[name]:3d}/{viz_n[name]}")
    print(f"national ID found and valid:   {ids_found}/{ids_n}")
    print(f"portrait found in its area:    {portrait_hit}/{args.n}")
    print(f"mrz_viz_mismatch on genuine pages (false alarm): {genuine_mismatch}/{args.n}")
    print(f"mrz_viz_mismatch on pages with another person's MRZ: {spliced_flagged}/{spliced_n}")
    print(f"  of those, MRZ still marked valid: {spliced_valid}/{spliced_n}")
    print(f"median read_document seconds: {statistics.median(seconds):.2f}")
    print(f"load average {os.getloadavg()[0]:.2f} at end")
    from tests.eval.summary import Figure, Summary, write_summary

    figures = [
        Figure(f"visual zone {name} read exactly", f"{viz_ok[name]}/{viz_n[name]}")
        for name in VIZ_FIELDS
    ]
    figures += [
        Figure("national ID found and checksum valid", f"{ids_found}/{ids_n}"),
        Figure("portrait found", f"{portrait_hit}/{args.n}"),
        Figure(
            "mrz_viz_mismatch false alarms on genuine pages",
            f"{genuine_mismatch}/{args.n}",
            "0",
            genuine_mismatch == 0,
        ),
        Figure(
            "pages with another person's MRZ flagged mrz_viz_mismatch",
            f"{spliced_flagged}/{spliced_n}",
            "all",
            spliced_flagged == spliced_n,
        ),
        Figure("  of those still marked valid", f"{spliced_valid}/{spliced_n}"),
        Figure(
            "median read_document seconds (in process)",
            f"{statistics.median(seconds):.2f}",
            "<= 1.5",
            statistics.median(seconds) <= 1.5,
        ),
    ]
    write_summary(
        Summary("document", "Document: whole page (visual zone, checks, portrait)", figures)
    )


if __name__ == "__main__":
    main()
