"""A broken sync configuration never loses a decision: the case is saved with a draft
message, and the draft is sent once the configuration loads (over real loopback)."""

from __future__ import annotations

import json
import logging
import random
from pathlib import Path

import pytest

from kiosk.store import Passphrase, Store
from kiosk.sync.errors import PayloadInvalid
from kiosk.sync.payload import parse_payload, payload_for_case
from kiosk.sync.queueing import (
    OutboxState,
    finish_draft,
    is_draft,
    plan_outbox,
    read_draft,
)
from kiosk.sync.sender import Sender, sync_status
from tests.kiosk.store.helpers import PASSPHRASE
from tests.kiosk.sync.helpers import (
    DEVICE_ID,
    DEVICE_SECRET,
    IDENTITIES,
    REFERENCE_SECRET,
    SITE_ID,
    RunningReceiver,
    case_result,
    make_settings,
    outbox_payloads,
    policy,
    receiver_rows,
    write_policy,
    write_secret,
)


def configure(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str, *, reference: str | None = None
) -> Path:
    """Sync settings in the environment; returns the device secret file."""
    secret = write_secret(tmp_path / "sync.secret")
    monkeypatch.setenv("KIOSK_SYNC_URL", url)
    monkeypatch.setenv("KIOSK_SYNC_SECRET_FILE", str(secret))
    monkeypatch.setenv("KIOSK_SYNC_SITE_ID", SITE_ID)
    monkeypatch.setenv("KIOSK_SYNC_DEVICE_ID", DEVICE_ID)
    if reference is not None:
        ref = write_secret(tmp_path / "reference.secret", reference)
        monkeypatch.setenv("KIOSK_SYNC_REFERENCE_SECRET_FILE", str(ref))
    return secret


def personal_text(index: int) -> list[bytes]:
    person = IDENTITIES[index]
    return [
        person.surname.encode(),
        person.document_number.encode(),
        person.date_of_birth.isoformat().encode(),
        person.date_of_birth.strftime("%y%m%d").encode(),
    ]


def test_without_sync_there_is_no_row(data_dir: Path) -> None:
    plan = plan_outbox(case_result(IDENTITIES[0], random.Random(1)), None)
    assert (plan.state, plan.outbox_bytes) == (OutboxState.OFF, None)


def test_with_good_settings_the_row_is_the_payload(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    configure(monkeypatch, tmp_path, "http://127.0.0.1:8787", reference=REFERENCE_SECRET)
    result = case_result(IDENTITIES[0], random.Random(1))
    plan = plan_outbox(result, None)
    assert plan.state is OutboxState.READY
    assert (
        plan.outbox_bytes
        == payload_for_case(
            result, policy(), make_settings("http://127.0.0.1:8787")
        ).to_json_bytes()
    )


@pytest.mark.parametrize(
    "problem", ["secret_mode", "same_reference_key", "short_reference_key", "policy"]
)
def test_a_bad_configuration_gives_a_draft_without_personal_data(
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    problem: str,
) -> None:
    secret = configure(monkeypatch, tmp_path, "http://127.0.0.1:8787")
    policy_path = None
    if problem == "secret_mode":
        secret.chmod(0o644)
    elif problem == "same_reference_key":
        monkeypatch.setenv("KIOSK_SYNC_REFERENCE_SECRET_FILE", str(secret))
    elif problem == "short_reference_key":
        short = write_secret(tmp_path / "short.secret", "0123456789abcdef")
        monkeypatch.setenv("KIOSK_SYNC_REFERENCE_SECRET_FILE", str(short))
    else:
        policy_path = tmp_path / "no-such-policy.toml"
    caplog.set_level(logging.WARNING, logger="kiosk.sync")
    result = case_result(IDENTITIES[0], random.Random(1))
    plan = plan_outbox(result, policy_path)
    assert plan.state is OutboxState.BLOCKED and plan.error_code
    assert plan.outbox_bytes is not None and is_draft(plan.outbox_bytes)
    draft = read_draft(plan.outbox_bytes)
    assert (draft.case_id, draft.blocked_code) == (result.case_id, plan.error_code)
    for text in personal_text(0):
        assert text not in plan.outbox_bytes
    with pytest.raises(PayloadInvalid):  # a draft is not a payload: nothing can send it as it is
        parse_payload(plan.outbox_bytes)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "blocked by the sync configuration" in logged and IDENTITIES[0].surname not in logged


def test_finishing_a_draft_is_deterministic_and_limited(data_dir: Path) -> None:
    from kiosk.errors import ConfigError
    from kiosk.sync.queueing import build_draft

    result = case_result(IDENTITIES[1], random.Random(2))
    draft = build_draft(result, ConfigError("broken"))
    settings = make_settings("http://127.0.0.1:1")
    fields = ("risk_score", "mrz_valid", "surname", "date_of_birth")
    first = finish_draft(draft, settings, fields)
    assert first.to_json_bytes() == finish_draft(draft, settings, fields).to_json_bytes()
    assert parse_payload(first.to_json_bytes()) == first
    assert first.customer_ref is None
    assert [e.name for e in first.extra] == ["mrz_valid", "risk_score"]  # never personal
    full = payload_for_case(result, policy(fields), settings)
    assert (first.case_id, first.decision, first.timings, first.models) == (
        full.case_id,
        full.decision,
        full.timings,
        full.models,
    )


def test_verify_store_saves_the_case_and_the_draft_is_delivered_once_fixed(
    data_dir: Path,
    store: Store,
    receiver: RunningReceiver,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from kiosk.cli.verify_cmd import _store

    store.close()
    passphrase = tmp_path / "passphrase"
    passphrase.write_text(PASSPHRASE + "\n")
    monkeypatch.setenv("KIOSK_PASSPHRASE_FILE", str(passphrase))
    secret = configure(monkeypatch, tmp_path, receiver.url)
    secret.chmod(0o644)  # a wrong mode: the settings do not load
    result = case_result(IDENTITIES[2], random.Random(3))
    summary = _store(result, {"case_id": result.case_id}, None)
    assert summary.outbox is True
    secret.chmod(0o600)  # fixed
    site = write_policy(tmp_path / "site.toml", ("risk_score", "surname"))
    with Store.open(data_dir, Passphrase(PASSPHRASE)) as reopened:
        assert reopened.get_case(result.case_id).decision.value == "approved"
        settings = make_settings(receiver.url)
        status = sync_status(reopened, settings)
        assert status.blocked == 1 and (status.blocked_reason or "").startswith("config_invalid")
        with Sender(reopened, settings, policy_path=site) as sender:
            report = sender.drain()
        assert (report.delivered, report.drafts) == (1, 1)
        assert sync_status(reopened, settings).blocked == 0
    [(key, body, _)] = receiver_rows(receiver.db)
    sent = json.loads(body)
    assert key == result.case_id
    assert (sent["site_id"], sent["device_id"], sent["customer_ref"]) == (SITE_ID, DEVICE_ID, None)
    assert list(sent["extra"]) == ["risk_score"]
    for text in personal_text(2):
        assert text not in body


def test_the_app_saves_the_case_when_sync_is_misconfigured(
    data_dir: Path, store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from ui.store_service import KioskStore

    configure(monkeypatch, tmp_path, "http://127.0.0.1:8787")
    monkeypatch.setenv("KIOSK_SYNC_REFERENCE_SECRET_FILE", str(tmp_path / "sync.secret"))
    app = KioskStore()
    app._store = store  # opened by the fixture; no sender thread needed here
    result = case_result(IDENTITIES[0], random.Random(4))
    app.save_case(result)
    assert store.get_case(result.case_id).case_id == result.case_id
    [(case_id, row)] = list(outbox_payloads(store))
    assert case_id == result.case_id and is_draft(row)
    assert DEVICE_SECRET.encode() not in row
