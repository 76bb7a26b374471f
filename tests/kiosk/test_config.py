from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.config import active_profile, load_config, policy_path
from kiosk.errors import ConfigError
from tests.kiosk.test_cli import run_cli


def test_no_file_means_defaults(tmp_path: Path) -> None:
    c = load_config(tmp_path / "kiosk.toml")
    assert c.path is None and c.log_level == "INFO" and c.evidence_days == 30


def test_the_documented_default_file_is_valid(tmp_path: Path) -> None:
    env = {"KIOSK_CONFIG_DIR": str(tmp_path)}
    proc = run_cli("config", "init", "--json", env=env)
    assert proc.returncode == 0, proc.stdout
    written = Path(json.loads(proc.stdout)["written"])
    assert load_config(written).path == written
    again = run_cli("config", "init", "--json", env=env)
    assert again.returncode == 2 and "--force" in json.loads(again.stdout)["error"]["message"]
    shown = json.loads(run_cli("config", "show", "--json", env=env).stdout)
    assert shown["paths"]["config_file_exists"] is True
    assert shown["profile"] == "commercial"


def test_values_flow_to_profile_policy_and_retention(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = tmp_path / "site.toml"
    policy.write_text('[policy]\nname = "branch 9"\n')
    (tmp_path / "kiosk.toml").write_text(
        '[kiosk]\nprofile = "research"\npolicy_file = "site.toml"\n[retention]\nevidence_days = 7\n'
    )
    monkeypatch.setenv("KIOSK_CONFIG_DIR", str(tmp_path))
    monkeypatch.delenv("KIOSK_PROFILE", raising=False)
    monkeypatch.delenv("KIOSK_POLICY_FILE", raising=False)
    assert active_profile().value == "research"
    assert policy_path() == policy.resolve()
    from kiosk.persist import retention_policy
    from kiosk.policy import load_policy

    assert load_policy().decision.name == "branch 9"
    assert retention_policy().evidence.days == 7
    monkeypatch.setenv("KIOSK_PROFILE", "commercial")
    assert active_profile().value == "commercial", "the environment wins"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[kiosk]\nprofle = "research"\n', "did you mean 'profile'"),
        ('[loging]\nlevel = "INFO"\n', "did you mean [logging]"),
        ('[logging]\nlevel = "LOUD"\n', "logging.level"),
        ("[retention]\nevidence_days = 0\n", "retention.evidence_days"),
        ('[retention]\nevidence_days = "30"\n', "wrong type"),
        ('[kiosk]\nprofile = "free"\n', "commercial or research"),
        ("not toml = = 1", "not readable TOML"),
    ],
)
def test_mistakes_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert message in info.value.message
