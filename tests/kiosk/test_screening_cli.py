"""``kiosk sanctions import | list`` and ``kiosk screen``: JSON contract, exit codes, no PII."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.cli import main
from tests.kiosk.test_cli import run_cli

DATA = Path(__file__).resolve().parents[1] / "pipeline" / "screening" / "data"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path))
    return tmp_path


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = main([*args, "--json"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, json.loads(out)


def test_import_list_and_screen(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, un = cli(capsys, "sanctions", "import", str(DATA / "un_consolidated.xml"))
    assert code == 0
    assert un["source"] == "un-consolidated" and un["entries"] == 5
    assert un["date"] == "2025-03-14" and len(un["sha256"]) == 64
    assert Path(un["path"]).parent == data_dir / "sanctions"
    code, ofac = cli(
        capsys,
        "sanctions",
        "import",
        str(DATA / "sdn.csv"),
        "--alt",
        str(DATA / "alt.csv"),
        "--published",
        "2025-03-01",
        "--list-version",
        "SDN 2025-03-01",
    )
    assert code == 0 and ofac["version"] == "SDN 2025-03-01" and ofac["date"] == "2025-03-01"
    assert [f["name"] for f in ofac["files"]] == ["sdn.csv", "alt.csv"]
    code, ftm = cli(
        capsys, "sanctions", "import", str(DATA / "entities.ftm.jsonl"), "--format", "ftm-jsonl"
    )
    assert code == 0 and ftm["notes"]

    code, listing = cli(capsys, "sanctions", "list")
    assert code == 0
    assert {r["source"]: r["sha256"] for r in listing["lists"]} == {
        "un-consolidated": un["sha256"],
        "ofac-sdn": ofac["sha256"],
        "opensanctions": ftm["sha256"],
    }

    code, hit = cli(
        capsys,
        "screen",
        "--surname",
        "ERIKSSON",
        "--given",
        "ANNA MARIA",
        "--dob",
        "1980-02-03",
        "--nationality",
        "SWE",
    )
    assert code == 0 and hit["outcome"] == "hit"
    first = hit["matches"][0]
    assert first["entry"]["id"] == "9002" and first["list_sha256"] == ofac["sha256"]
    assert {i["sha256"] for i in hit["lists"]} == {un["sha256"], ofac["sha256"], ftm["sha256"]}
    assert set(hit["timings_ms"]) == {"normalise", "candidates", "rank", "score"}

    code, clear = cli(capsys, "screen", "--surname", "NOBODY", "--given", "INVENTED")
    assert code == 0 and clear["outcome"] == "clear" and clear["matches"] == []

    log = (data_dir / "logs" / "kiosk.log").read_text(encoding="utf-8")
    assert "ERIKSSON" not in log and "1980" not in log and "NOBODY" not in log
    assert "screened against 3 list(s)" in log


def test_screen_a_file_directly_without_installing(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, result = cli(
        capsys,
        "screen",
        "--surname",
        "ERIKSSON<<ANNA<MARIA",
        "--list",
        str(DATA / "sdn.csv"),
        "--list",
        str(DATA / "entities.ftm.jsonl"),
    )
    assert code == 0 and result["outcome"] == "review"  # no DOB given: the name alone
    assert [i["source"] for i in result["lists"]] == ["ofac-sdn", "opensanctions"]
    assert not (data_dir / "sanctions").exists()


def test_screening_without_a_list_names_the_fix(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, body = cli(capsys, "screen", "--surname", "ERIKSSON")
    assert code == 2 and body["error"]["code"] == "sanctions_no_list"
    assert "kiosk sanctions import" in body["error"]["hint"]


def test_a_corrupt_csv_is_refused_with_its_line(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = (DATA / "sdn.csv").read_bytes().split(b"\r\n")
    lines[1] = lines[1].rsplit(b',"', 2)[0]
    bad = tmp_path / "sdn.csv"
    bad.write_bytes(b"\r\n".join(lines))
    code, body = cli(capsys, "sanctions", "import", str(bad))
    assert code == 2 and body["error"]["code"] == "sanctions_corrupt"
    assert "line 2: 10 columns, expected 12" in body["error"]["message"]
    assert "ERIKSSON" not in body["error"]["message"]
    assert not list(data_dir.glob("sanctions/*.jsonl")), "nothing was installed"


def test_wrong_files_and_arguments_are_typed_errors(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, body = cli(capsys, "sanctions", "import", str(DATA / "alt.csv"))
    assert code == 2 and body["error"]["code"] == "sanctions_format"
    code, body = cli(capsys, "sanctions", "import", str(DATA / "sdn.csv"), "--format", "un-xml")
    assert code == 2 and body["error"]["code"] == "sanctions_format"
    code, body = cli(capsys, "sanctions", "import", str(tmp_path / "missing.xml"))
    assert code == 2 and body["error"]["code"] == "sanctions_file_missing"
    code, body = cli(
        capsys, "screen", "--surname", "X", "--dob", "03/02/1980", "--list", str(DATA / "sdn.csv")
    )
    assert code == 2 and body["error"]["code"] == "usage"
    assert "03/02/1980" not in body["error"]["message"], "a date of birth is never echoed"
    code, body = cli(
        capsys,
        "screen",
        "--surname",
        "X",
        "--nationality",
        "SWEDEN",
        "--list",
        str(DATA / "sdn.csv"),
    )
    assert code == 2 and body["error"]["code"] == "usage"


def test_the_console_script_prints_json_and_no_traceback(tmp_path: Path) -> None:
    env = {"KIOSK_DATA_DIR": str(tmp_path)}
    truncated = tmp_path / "consolidated.xml"
    truncated.write_bytes((DATA / "un_consolidated.xml").read_bytes()[:900])
    proc = run_cli("sanctions", "import", str(truncated), "--json", env=env)
    assert proc.returncode == 2 and "Traceback" not in proc.stdout + proc.stderr
    error = json.loads(proc.stdout)["error"]
    assert error["code"] == "sanctions_corrupt" and "truncated" in error["message"]
    human = run_cli(
        "screen",
        "--surname",
        "KARIMOVA",
        "--given",
        "NADIA",
        "--dob",
        "1974-08-12",
        "--list",
        str(DATA / "sdn.csv"),
        env=env,
    )
    assert human.returncode == 0 and "HIT" in human.stdout and "9001" in human.stdout
