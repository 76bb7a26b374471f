"""``kiosk sync push|status|serve`` end to end, and the ``kiosk verify --store`` call site."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kiosk.cli import main
from kiosk.store import Passphrase, Store
from kiosk.sync.payload import payload_for_case
from tests.kiosk.store.helpers import PASSPHRASE
from tests.kiosk.sync.helpers import (
    DEVICE_ID,
    DEVICE_SECRET,
    IDENTITIES,
    REFERENCE_SECRET,
    RunningReceiver,
    case_result,
    make_settings,
    outbox_payloads,
    policy,
    queue_cases,
    receiver_rows,
    write_policy,
    write_secret,
)
from tests.kiosk.sync.outage import free_port


@pytest.fixture
def cli_env(data_dir: Path, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    secret = tmp_path / "passphrase"
    secret.write_text(PASSPHRASE + "\n")
    monkeypatch.setenv("KIOSK_PASSPHRASE_FILE", str(secret))
    return store


def configure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str) -> None:
    monkeypatch.setenv("KIOSK_SYNC_URL", url)
    monkeypatch.setenv("KIOSK_SYNC_SECRET_FILE", str(write_secret(tmp_path / "sync.secret")))
    monkeypatch.setenv("KIOSK_SYNC_SITE_ID", "branch-042")
    monkeypatch.setenv("KIOSK_SYNC_DEVICE_ID", DEVICE_ID)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    code = main([*args, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_status_without_sync_configured(
    cli_env: Store, capsys: pytest.CaptureFixture[str], rng: random.Random
) -> None:
    queue_cases(cli_env, 3, make_settings("http://127.0.0.1:1"), rng)
    cli_env.close()
    code, status = run(capsys, "sync", "status")
    assert code == 0
    assert status["configured"] is False and status["endpoint"] is None
    assert (status["queue_length"], status["rejected"], status["delivered"]) == (3, 0, 0)
    assert status["last_success_at"] is None


def test_push_then_status(
    cli_env: Store,
    receiver: RunningReceiver,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    rng: random.Random,
) -> None:
    ids = queue_cases(cli_env, 12, make_settings(receiver.url), rng)
    cli_env.close()
    configure(monkeypatch, tmp_path, receiver.url)
    code, result = run(capsys, "sync", "push", "--limit", "5")
    assert code == 0 and result["push"]["delivered"] == 5
    assert result["status"]["queue_length"] == 7
    code, result = run(capsys, "sync", "push")
    assert code == 0 and result["push"]["delivered"] == 7
    code, status = run(capsys, "sync", "status")
    assert code == 0
    assert status["configured"] is True
    assert status["endpoint"] == receiver.url + "/v1/decisions"
    assert (status["queue_length"], status["delivered"]) == (0, 12)
    assert status["last_success_at"] is not None and status["last_error"] is None
    assert sorted(k for k, _, _ in receiver_rows(receiver.db)) == sorted(ids)
    assert DEVICE_SECRET not in json.dumps(status)


def test_status_shows_the_personal_fields_the_policy_sends(
    cli_env: Store,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    cli_env.close()
    configure(monkeypatch, tmp_path, "http://127.0.0.1:8787")
    site = write_policy(tmp_path / "site.toml", ("risk_score", "surname", "date_of_birth"))
    monkeypatch.setenv("KIOSK_POLICY_FILE", str(site))
    code, status = run(capsys, "sync", "status")
    assert code == 0
    assert status["policy_fields"] == ["risk_score", "surname", "date_of_birth"]
    assert status["personal_fields"] == ["surname", "date_of_birth"]
    assert main(["sync", "status"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "personal fields sent upstream: surname, date_of_birth" in text
    monkeypatch.setenv("KIOSK_POLICY_FILE", str(tmp_path / "missing.toml"))
    code, status = run(capsys, "sync", "status")
    assert code == 0 and status["policy_fields"] is None and status["policy_error"]


def test_push_with_the_upstream_down_exits_1_and_reports_the_error(
    cli_env: Store,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    rng: random.Random,
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    queue_cases(cli_env, 4, make_settings(url), rng)
    cli_env.close()
    configure(monkeypatch, tmp_path, url)
    code, result = run(capsys, "sync", "push")
    assert code == 1
    assert result["push"]["halted"] == "network" and result["push"]["delivered"] == 0
    assert result["status"]["queue_length"] == 4
    assert result["status"]["last_error"].startswith("network:")


def test_push_without_configuration_is_a_clear_error(
    cli_env: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    cli_env.close()
    code, result = run(capsys, "sync", "push")
    assert code == 2
    assert result["error"]["code"] == "sync_not_configured"
    assert "KIOSK_SYNC_URL" in result["error"]["hint"]


def test_a_bad_setting_is_a_clear_error(
    cli_env: Store,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    cli_env.close()
    configure(monkeypatch, tmp_path, "http://10.1.2.3:8787")
    code, result = run(capsys, "sync", "status")
    assert code == 2 and result["error"]["code"] == "config_invalid"
    assert "not loopback" in result["error"]["message"]


def test_sync_without_an_action(capsys: pytest.CaptureFixture[str]) -> None:
    code, result = run(capsys, "sync")
    assert code == 2 and result["error"]["code"] == "usage"


def test_serve_in_a_child_process(tmp_path: Path, store: Store, rng: random.Random) -> None:
    secret = write_secret(tmp_path / "receiver.secret")
    env = {**os.environ, "KIOSK_DATA_DIR": str(tmp_path / "home")}
    db = tmp_path / "served.db"
    command = [sys.executable, "-m", "kiosk", "sync", "serve", "--port", "0", "--db", str(db)]
    proc = subprocess.Popen(
        [*command, "--secret-file", str(secret), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        started = json.loads(proc.stdout.readline())
        url = started["listening"]
        assert started["endpoint"] == url + "/v1/decisions"
        from kiosk.sync.sender import Sender

        settings = make_settings(url)
        ids = queue_cases(store, 6, settings, rng)
        with Sender(store, settings) as sender:
            assert sender.drain().delivered == 6
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert json.loads(out.strip().splitlines()[-1]) == {
        "stopped": True,
        "decisions": 6,
        "deliveries": 6,
    }
    assert "Traceback" not in err
    assert sorted(k for k, _, _ in receiver_rows(db)) == sorted(ids)


def test_serve_refuses_a_readable_secret_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = write_secret(tmp_path / "open.secret")
    secret.chmod(0o644)
    code, result = run(
        capsys,
        "sync",
        "serve",
        "--port",
        "0",
        "--db",
        str(tmp_path / "x.db"),
        "--secret-file",
        str(secret),
    )
    assert code == 2 and result["error"]["code"] == "config_invalid"
    assert "chmod 600" in result["error"]["hint"]


@pytest.mark.skipif(importlib.util.find_spec("psycopg") is not None, reason="psycopg installed")
def test_serve_with_a_dsn_needs_psycopg(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = write_secret(tmp_path / "receiver.secret")
    code, result = run(
        capsys,
        "sync",
        "serve",
        "--port",
        "0",
        "--dsn",
        "dbname=kyc",
        "--secret-file",
        str(secret),
    )
    assert code == 2 and result["error"]["code"] == "config_invalid"
    assert "psycopg" in result["error"]["message"]


def test_serve_needs_a_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, result = run(capsys, "sync", "serve", "--port", "0", "--secret-file", "x")
    assert code == 2 and result["error"]["code"] == "usage"


# ---- the kiosk verify --store call site ----------------------------------------------


def test_verify_store_queues_the_payload_when_sync_is_configured(
    cli_env: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data_dir: Path
) -> None:
    from kiosk.cli.verify_cmd import _store

    cli_env.close()
    result = case_result(IDENTITIES[0], random.Random(3))
    summary = _store(result, {"case_id": result.case_id}, None)
    assert summary.outbox is False  # not configured: no outbox row
    configure(monkeypatch, tmp_path, "http://127.0.0.1:8787")
    reference = write_secret(tmp_path / "reference.secret", REFERENCE_SECRET)
    monkeypatch.setenv("KIOSK_SYNC_REFERENCE_SECRET_FILE", str(reference))
    second = case_result(IDENTITIES[1], random.Random(4))
    summary = _store(second, {"case_id": second.case_id}, None)
    assert summary.outbox is True
    with Store.open(data_dir, Passphrase(PASSPHRASE)) as store:
        queued = dict(outbox_payloads(store))
    assert list(queued) == [second.case_id]
    # the device id, site id and reference secret come from the environment set above
    settings = make_settings("http://127.0.0.1:8787", reference_secret=_reference(tmp_path))
    expected = payload_for_case(second, policy(), settings)
    assert queued[second.case_id] == expected.to_json_bytes()


def _reference(tmp_path: Path) -> Any:
    from kiosk.sync.signing import load_secret

    return load_secret(tmp_path / "reference.secret")
