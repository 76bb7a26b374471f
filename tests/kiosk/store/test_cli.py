"""``kiosk store|audit|case`` end to end with --json, in a temporary data directory."""

from __future__ import annotations

import base64
import json
import os
import random
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kiosk.cli import main
from kiosk.store import Passphrase, Store
from tests.kiosk.store.helpers import (
    FAST_KDF,
    KNOWN_DOCNUM,
    KNOWN_SURNAME,
    OTHER_PASSPHRASE,
    PASSPHRASE,
    ago,
    files_under,
    make_record,
    raw_connection,
)

# The cheapest parameters the CLI accepts (OWASP's Argon2id minimum).
FAST = ["--kdf-memory-mib", "19", "--kdf-time", "2", "--kdf-parallelism", "1"]


@pytest.fixture
def cli_env(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    secret = tmp_path / "passphrase"
    secret.write_text(PASSPHRASE + "\n")
    secret.chmod(0o600)
    monkeypatch.setenv("KIOSK_PASSPHRASE_FILE", str(secret))
    return data_dir


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    code = main([*args, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def _init_with_cases(capsys: pytest.CaptureFixture[str], data_dir: Path) -> tuple[str, str]:
    code, payload = run(capsys, "store", "init", *FAST)
    assert code == 0 and payload["initialized"] is True
    assert payload["status"]["kdf_memory_kib"] == 19 * 1024
    old = make_record(random.Random(1), created_at=ago(40))
    new = make_record(random.Random(2))
    with Store.open(data_dir, Passphrase(PASSPHRASE)) as store:
        store.save_case(old, outbox_payload=b"m", actor="kiosk")
        store.save_case(new, outbox_payload=b"m", actor="kiosk")
    return old.case_id, new.case_id


def test_store_lifecycle_through_the_cli(
    cli_env: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, payload = run(capsys, "store", "status")
    assert (code, payload["initialized"]) == (0, False)
    old_id, new_id = _init_with_cases(capsys, cli_env)

    code, payload = run(capsys, "store", "status")
    assert code == 0 and payload["locked"] is False
    assert payload["status"]["cases"] == 2 and payload["status"]["outbox"]["pending"] == 2

    code, payload = run(capsys, "case", "list")
    assert code == 0
    assert [c["case_id"] for c in payload["cases"]] == [new_id, old_id]
    assert set(payload["cases"][0]) >= {"decision", "final_decision", "evidence_count", "reasons"}

    code, payload = run(capsys, "case", "show", new_id)
    assert code == 0
    assert payload["case_data"]["document"]["fields"]["surname"] == KNOWN_SURNAME
    assert [e["kind"] for e in payload["evidence"]] == [
        "document_image",
        "selfie_frame",
        "portrait_crop",
    ]

    html = tmp_path / "report.html"
    code, payload = run(capsys, "case", "report", new_id, "--html", str(html))
    assert code == 0 and payload["evidence_available"] and len(payload["evidence"]) == 3
    page = html.read_text()
    assert page.count("data:image/jpeg;base64,") == 3
    assert KNOWN_DOCNUM in page and "Content-Security-Policy" in page
    assert stat.S_IMODE(html.stat().st_mode) == 0o600

    code, payload = run(capsys, "audit", "verify")
    # init, two cases, then the reads: show (case data), report (case data and evidence)
    assert (code, payload["ok"], payload["entries"]) == (0, True, 6)

    bundle = tmp_path / "audit.json"
    code, payload = run(capsys, "audit", "export", "--out", str(bundle))
    assert code == 0 and payload["entries"] == 7
    with Store.open(cli_env, Passphrase(PASSPHRASE)) as store:
        public = base64.b64encode(store.device_public_key).decode()
    code, payload = run(capsys, "audit", "verify-bundle", str(bundle), "--public-key", public)
    assert (code, payload["ok"], payload["signer_matches_expected"]) == (0, True, True)
    code, payload = run(capsys, "audit", "verify", "--anchor", str(bundle))
    assert (code, payload["ok"]) == (0, True)

    code, payload = run(capsys, "store", "purge", "--dry-run")
    assert code == 0 and payload["dry_run"] and payload["evidence_purged"] == [old_id]
    code, payload = run(capsys, "case", "report", old_id)
    assert code == 0 and payload["evidence_available"] is True
    code, payload = run(capsys, "store", "purge")
    assert code == 0 and payload["evidence_purged"] == [old_id] and payload["blob_files"] == 3
    code, payload = run(capsys, "case", "report", old_id, "--html", str(tmp_path / "old.html"))
    assert code == 0 and payload["evidence_available"] is False
    assert "purged" in (tmp_path / "old.html").read_text()

    code, payload = run(capsys, "store", "rekey")
    assert code == 0 and payload["old_key_id"] != payload["new_key_id"]

    new_secret = tmp_path / "new-passphrase"
    new_secret.write_text(OTHER_PASSPHRASE)
    code, payload = run(capsys, "store", "passwd", "--new-passphrase-file", str(new_secret))
    assert code == 0 and payload["kek_generation"] == 2
    code, payload = run(capsys, "case", "list")
    assert code == 2 and payload["error"]["code"] == "store_wrong_passphrase"
    os.environ["KIOSK_PASSPHRASE_FILE"] = str(new_secret)
    code, payload = run(capsys, "audit", "verify")
    assert (code, payload["ok"]) == (0, True)

    # The CLI's log file lives under the data dir too: no personal data there either.
    logs = [p for p in files_under(cli_env) if p.suffix == ".log"]
    assert logs
    for path in files_under(cli_env):
        content = path.read_bytes()
        assert KNOWN_SURNAME.encode() not in content and KNOWN_DOCNUM.encode() not in content


def test_a_tampered_chain_fails_audit_verify(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _init_with_cases(capsys, cli_env)
    conn = raw_connection(cli_env)
    conn.execute("DROP TRIGGER audit_log_no_delete")
    conn.execute("DELETE FROM audit_log WHERE seq = 2")
    conn.close()
    code, payload = run(capsys, "audit", "verify")
    assert code == 1
    assert (payload["ok"], payload["first_bad_seq"], payload["problem"]) == (False, 2, "removed")


def test_tampered_evidence_is_flagged_by_the_report(
    cli_env: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _, new_id = _init_with_cases(capsys, cli_env)
    blob = next((cli_env / "store" / "blobs" / new_id).iterdir())
    data = bytearray(blob.read_bytes())
    data[100] ^= 1
    blob.write_bytes(bytes(data))
    html = tmp_path / "r.html"
    code, payload = run(capsys, "case", "report", new_id, "--html", str(html))
    assert code == 1 and payload["evidence_error"] == "evidence_tampered"
    assert "WARNING" in html.read_text()


def test_errors_are_typed(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = run(capsys, "case", "list")
    assert (code, payload["error"]["code"]) == (2, "store_not_initialized")
    _init_with_cases(capsys, cli_env)
    code, payload = run(capsys, "store", "init", *FAST)
    assert (code, payload["error"]["code"]) == (2, "store_exists")
    code, payload = run(capsys, "case", "show", "no-such-case")
    assert (code, payload["error"]["code"]) == (2, "case_not_found")
    code, payload = run(capsys, "audit", "verify-bundle", str(cli_env / "absent.json"))
    assert (code, payload["error"]["code"]) == (2, "config_invalid")
    code, payload = run(capsys, "store")
    assert (code, payload["error"]["code"]) == (2, "usage")


def test_no_credential_without_a_terminal_and_no_traceback(data_dir: Path) -> None:
    """In a fresh process with stdin not a terminal: a clear error, exit 2, no traceback."""
    kiosk = Path(sys.executable).with_name("kiosk")
    env = {k: v for k, v in os.environ.items() if k != "KIOSK_PASSPHRASE_FILE"}
    env["KIOSK_DATA_DIR"] = str(data_dir)
    proc = subprocess.run(
        [str(kiosk), "store", "init", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["error"]["code"] == "store_no_credential"
    assert "Traceback" not in proc.stdout + proc.stderr
    Store.create(data_dir, PASSPHRASE, kdf=FAST_KDF).close()
    proc = subprocess.run(
        [str(kiosk), "case", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: No passphrase is available")
    assert "Traceback" not in proc.stderr


def test_init_remember_without_a_keyring_creates_nothing(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, payload = run(capsys, "store", "init", "--remember", *FAST)
    assert (code, payload["error"]["code"]) == (2, "keyring_unavailable")
    assert not (cli_env / "store" / "keyfile.json").exists()
    code, payload = run(capsys, "store", "status")
    assert payload["initialized"] is False


def test_status_reports_a_locked_store(
    cli_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _init_with_cases(capsys, cli_env)
    monkeypatch.delenv("KIOSK_PASSPHRASE_FILE")
    code, payload = run(capsys, "store", "status")
    assert code == 0 and payload["locked"] is True
    assert payload["locked_reason"] == "store_no_credential"
    assert payload["status"] is None and payload["failed_unlocks"] == 0


def test_init_refuses_a_weak_kdf_and_creates_nothing(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    weak = ["--kdf-memory-mib", "8", "--kdf-time", "1", "--kdf-parallelism", "1"]
    code, payload = run(capsys, "store", "init", *weak)
    assert (code, payload["error"]["code"]) == (2, "store_kdf_too_weak")
    assert "--kdf-memory-mib 19" in payload["error"]["hint"]
    assert not (cli_env / "store" / "keyfile.json").exists()
    code, payload = run(capsys, "store", "init", "--kdf-memory-mib", "19", "--kdf-time", "1")
    assert (code, payload["error"]["code"]) == (2, "store_kdf_too_weak")


def test_passwd_refuses_a_weak_kdf(
    cli_env: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _init_with_cases(capsys, cli_env)
    new_secret = tmp_path / "new-passphrase"
    new_secret.write_text(OTHER_PASSPHRASE)
    new_secret.chmod(0o600)
    code, payload = run(
        capsys, "store", "passwd", "--new-passphrase-file", str(new_secret), "--kdf-time", "1"
    )
    assert (code, payload["error"]["code"]) == (2, "store_kdf_too_weak")
    with Store.open(cli_env, Passphrase(PASSPHRASE)) as store:  # unchanged
        assert store.kdf.time_cost == 2


def test_a_passphrase_file_others_can_read_is_refused(
    cli_env: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _init_with_cases(capsys, cli_env)
    shared = tmp_path / "etc"
    shared.mkdir()
    shared.chmod(0o755)
    secret = shared / "passphrase"
    secret.write_text(PASSPHRASE)
    for mode in (0o644, 0o640, 0o604):
        secret.chmod(mode)
        os.environ["KIOSK_PASSPHRASE_FILE"] = str(secret)
        code, payload = run(capsys, "case", "list")
        assert (code, payload["error"]["code"]) == (2, "store_passphrase_file_exposed"), mode
        assert payload["error"]["hint"] == f"chmod 600 {secret}"
    secret.chmod(0o600)
    code, payload = run(capsys, "case", "list")
    assert code == 0 and len(payload["cases"]) == 2


def test_reading_a_case_is_audited_without_personal_data(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import getpass

    _, new_id = _init_with_cases(capsys, cli_env)
    assert run(capsys, "case", "list")[0] == 0  # summaries only: not audited
    assert run(capsys, "case", "show", new_id)[0] == 0
    assert run(capsys, "case", "report", new_id)[0] == 0
    with Store.open(cli_env, Passphrase(PASSPHRASE)) as store:
        views = [e for e in store.audit_entries() if e.action == "case.viewed"]
    assert [(e.case_id, dict(e.details)) for e in views] == [
        (new_id, {"data": "case", "purpose": "view"}),
        (new_id, {"data": "case", "purpose": "report"}),
        (new_id, {"data": "evidence", "purpose": "report"}),
    ]
    assert {e.actor for e in views} == {f"cli:{getpass.getuser()}"}


def test_the_html_report_is_private_new_and_announced(
    cli_env: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _, new_id = _init_with_cases(capsys, cli_env)
    reports = tmp_path / "reports"
    reports.mkdir()
    html = reports / "case.html"
    created: list[str] = []
    real_open = os.open

    def spy(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & os.O_CREAT and Path(path).parent == reports:
            created.append(Path(path).name)
        return real_open(path, flags, *args, **kwargs)

    old_umask = os.umask(0)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(os, "open", spy)
            code, payload = run(capsys, "case", "report", new_id, "--html", str(html))
    finally:
        os.umask(old_umask)
    assert code == 0 and stat.S_IMODE(html.stat().st_mode) == 0o600
    assert created == ["case.html"], "no temporary plaintext beside the report"
    assert "personal data in the clear" in payload["html_warning"]
    page = html.read_bytes()

    code, payload = run(capsys, "case", "report", new_id, "--html", str(html))
    assert (code, payload["error"]["code"]) == (2, "output_exists")
    assert html.read_bytes() == page
    link = reports / "link.html"
    link.symlink_to(tmp_path / "elsewhere.html")
    code, payload = run(capsys, "case", "report", new_id, "--html", str(link))
    assert (code, payload["error"]["code"]) == (2, "output_exists")
    assert not (tmp_path / "elsewhere.html").exists()

    assert main(["case", "report", new_id, "--html", str(reports / "human.html")]) == 0
    assert "WARNING" in capsys.readouterr().out


def test_a_failed_report_write_leaves_no_plaintext(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kiosk.store.fsutil import write_private_file

    target = tmp_path / "report.html"

    def fail(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(OSError):
        write_private_file(target, b"<html>" + KNOWN_SURNAME.encode() + b"</html>")
    assert list(tmp_path.iterdir()) == []


def test_an_anchor_bundle_signed_by_another_key_is_refused(
    cli_env: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Roll the store back, then offer an anchor forged to match the rolled-back chain."""
    import shutil

    from kiosk.store.audit import ChainHead, StoredEntry

    _init_with_cases(capsys, cli_env)
    snapshot = tmp_path / "snapshot"
    shutil.copytree(cli_env / "store", snapshot)
    with Store.open(cli_env, Passphrase(PASSPHRASE)) as store:
        store.save_case(make_record(random.Random(9)), actor="kiosk")
    shutil.rmtree(cli_env / "store")
    shutil.copytree(snapshot, cli_env / "store")
    conn = raw_connection(cli_env)
    rows = [
        StoredEntry(seq, bytes(body), bytes(entry_hash), None)
        for seq, body, entry_hash in conn.execute(
            "SELECT seq, body, entry_hash FROM audit_log ORDER BY seq"
        )
    ]
    conn.close()
    from tests.kiosk.store.test_audit import _forged_bundle

    with Store.open(cli_env, Passphrase(PASSPHRASE)) as store:
        install_id = store.install_id
    forged = tmp_path / "forged.json"
    forged.write_bytes(
        _forged_bundle(install_id, rows, ChainHead(rows[-1].seq, rows[-1].entry_hash.hex()))
    )
    code, payload = run(capsys, "audit", "verify", "--anchor", str(forged))
    assert (code, payload["ok"], payload["problem"]) == (1, False, "unexpected_signer")


def test_verify_bundle_needs_a_pinned_or_local_key(
    cli_env: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    with Store.create(elsewhere, PASSPHRASE, kdf=FAST_KDF) as other:
        bundle = tmp_path / "other.json"
        other.export_audit(bundle, actor="auditor-1")
        other_key = other.device_public_key.hex()
    # no key given and no store here: only self-consistency could be checked
    code, payload = run(capsys, "audit", "verify-bundle", str(bundle))
    assert (code, payload["ok"], payload["self_consistent"]) == (1, False, True)
    assert payload["problem"] == "unpinned_signer" and payload["key_source"] is None
    assert main(["audit", "verify-bundle", str(bundle)]) == 1
    assert "NOT AUTHENTICATED" in capsys.readouterr().out
    code, payload = run(capsys, "audit", "verify-bundle", str(bundle), "--public-key", other_key)
    assert (code, payload["ok"], payload["key_source"]) == (0, True, "--public-key")

    _init_with_cases(capsys, cli_env)  # now there is a local store: its key is the default
    code, payload = run(capsys, "audit", "verify-bundle", str(bundle))
    assert (code, payload["problem"], payload["key_source"]) == (
        1,
        "unexpected_signer",
        "local store",
    )
    own = tmp_path / "own.json"
    assert run(capsys, "audit", "export", "--out", str(own))[0] == 0
    code, payload = run(capsys, "audit", "verify-bundle", str(own))
    assert (code, payload["ok"], payload["signer_matches_expected"]) == (0, True, True)
