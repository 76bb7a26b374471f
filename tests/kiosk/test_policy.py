from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from kiosk.policy import default_policy_bytes, load_policy
from pipeline.decision import Outcome
from pipeline.errors import PolicyError


def test_the_bundled_default_loads_and_is_hashed() -> None:
    policy = load_policy()
    assert policy.content_hash == hashlib.sha256(default_policy_bytes()).hexdigest()
    assert policy.decision.content_hash == policy.content_hash
    assert policy.decision.min_age == 18 and policy.profile.value == "commercial"
    assert policy.liveness.challenge.pose_steps == 2


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(text)
    return path


def test_a_site_policy_changes_the_rules(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
[policy]
name = "branch 12"
version = "7"
[documents]
min_age = 21
accepted_formats = ["TD3"]
[unknown]
liveness = "rejected"
[rules.weights]
names_untrusted = 2.0
""",
    )
    p = load_policy(path)
    assert (p.decision.name, p.decision.version, p.decision.min_age) == ("branch 12", "7", 21)
    assert p.decision.accepted_formats == ("TD3",)
    assert p.decision.unknown.liveness is Outcome.REJECTED
    assert p.decision.weight("names_untrusted") == 2.0
    assert p.decision.weight("document_quality") == 0.3, "unset weights keep their defaults"
    assert p.content_hash != load_policy().content_hash


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[documents]\nmin_agee = 21\n", "did you mean 'min_age'"),
        ("[documnets]\nmin_age = 21\n", "did you mean 'documents'"),
        ('[documents]\nmin_age = "21"\n', "must be a int"),
        ("[documents]\nmin_age = 200\n", "between 14 and 99"),
        ("[documents]\nmin_age = 0\n", "between 14 and 99"),
        ("[documents]\naccepted_formats = []\n", "accepted_formats is empty"),
        ("[face]\nthreshold = -1.0\n", "face.threshold"),
        ('[face]\nmodel = "nonexistent"\n', "not a face-embedding model"),
        ('[face]\nmodel = "yunet"\n', "not a face-embedding model"),
        ('[face]\nmodel = "arcface_mbf"\n', "may not be used under the commercial profile"),
        ("[rules.weights]\nscreening_reveiw = 0.0\n", "did you mean 'screening_review'"),
        ('[liveness.weights]\nchallenge = "x"\n', "liveness.weights.challenge"),
        ("[liveness.weights]\nchallenge = -3.0\n", "liveness.weights.challenge"),
        ("[liveness.weights]\nchallenge = 0.0\n", "liveness.weights.challenge"),
        ('[sync]\nfields = ["surnme"]\n', "did you mean 'surname'"),
        ("[sync]\nfields = [1]\n", "must be a field name"),
        ('[sync]\nfields = ["surname", "surname"]\n', "names 'surname' twice"),
        ("[face]\nthreshold = 1.5\n", "face.threshold"),
        ('[unknown]\nface = "approve"\n', "manual_review"),
        ('[documents]\naccepted_formats = ["TD9"]\n', "unknown ['TD9']"),
        ("[liveness]\npose_steps = 9\n", "pose_steps"),
        ("[liveness.weights]\nchalenge = 1.0\n", "did you mean 'challenge'"),
        ('[policy]\nprofile = "anything"\n', "commercial or research"),
        ("this is = not = toml", "not valid TOML"),
    ],
)
def test_typos_and_bad_values_are_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(PolicyError) as info:
        load_policy(_write(tmp_path, text))
    assert message in info.value.message
    assert "site.toml" in info.value.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="Cannot read"):
        load_policy(tmp_path / "absent.toml")
