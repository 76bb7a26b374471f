"""The staff-review HTML report: every value escaped, images embedded, nothing loaded."""

from __future__ import annotations

import json
import random
import re
from dataclasses import replace

from kiosk.store import EvidenceItem, EvidenceKind, Store
from kiosk.store.report import render_case_html
from tests.kiosk.store.helpers import KNOWN_SURNAME, make_record

HOSTILE = '<script>alert("x")</script><img src=http://evil.example/x>'


def test_hostile_case_data_is_escaped(store: Store, rng: random.Random) -> None:
    record = make_record(rng)
    body = json.loads(record.case_json)
    body["document"]["fields"]["surname"] = HOSTILE
    body["signals"] = {"note": HOSTILE, "nested": [{"deep": HOSTILE}]}
    body[HOSTILE] = "key too"
    evidence = (*record.evidence, EvidenceItem(EvidenceKind.FACE_CROP, b"%PDF", "application/pdf"))
    record = replace(record, case_json=json.dumps(body).encode(), evidence=evidence)
    store.save_case(record, actor="kiosk")
    page = render_case_html(
        store.get_case(record.case_id), store.load_evidence(record.case_id), generated_at="t"
    )
    assert "<script" not in page
    assert not re.search(r"<img[^>]+src=\"?http", page)
    assert page.count("&lt;script&gt;") >= 4
    assert page.count("data:image/jpeg;base64,") == 3  # the PDF is listed, not embedded
    assert "not an image type" in page
    assert "default-src 'none'" in page


def test_unknown_case_json_shapes_still_render(store: Store, rng: random.Random) -> None:
    for shape in ([1, 2, {"a": None}], "just a string", {"document": "not a mapping"}, {}):
        record = replace(make_record(rng, evidence_sizes=()), case_json=json.dumps(shape).encode())
        store.save_case(record, actor="kiosk")
        page = render_case_html(store.get_case(record.case_id), (), generated_at="t")
        assert page.startswith("<!DOCTYPE html>") and "No evidence stored" in page
    deep: object = "bottom"
    for _ in range(50):
        deep = {"d": deep}
    record = replace(make_record(rng, evidence_sizes=()), case_json=json.dumps(deep).encode())
    store.save_case(record, actor="kiosk")
    assert "…" in render_case_html(store.get_case(record.case_id), (), generated_at="t")


def test_report_shows_fields_reasons_timings_and_reviews(store: Store, rng: random.Random) -> None:
    record = make_record(rng)
    store.save_case(record, actor="kiosk")
    store.set_review(record.case_id, record.decision, "confirmed at desk", "staff-9")
    page = render_case_html(
        store.get_case(record.case_id), store.load_evidence(record.case_id), generated_at="t"
    )
    for text in (
        KNOWN_SURNAME,
        "face_match_ok",
        "liveness_ok",
        "812.5",
        "staff-9",
        "confirmed at desk",
        "sface",
    ):
        assert text in page


def test_importing_the_store_loads_no_crypto_or_database() -> None:
    import subprocess
    import sys

    code = (
        "import json, sys; import kiosk.store, kiosk.cli.store_cmd; "
        "print(json.dumps([m for m in ('sqlcipher3', 'argon2', 'cryptography', 'keyring') "
        "if m in sys.modules]))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []
