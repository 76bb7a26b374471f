from __future__ import annotations

import dataclasses
import json

import pytest

from kiosk.jsonout import dumps
from pipeline.decision import (
    CaseSignals,
    DecisionPolicy,
    DocumentSignals,
    FaceSignals,
    LivenessSignals,
    Outcome,
    ScreeningSignals,
    UnknownRules,
    decide,
)
from pipeline.errors import PolicyError

POLICY = DecisionPolicy(name="test", version="1", content_hash="ab" * 32)
GOOD = CaseSignals(
    document=DocumentSignals(
        True,
        mrz_found=True,
        mrz_valid=True,
        mrz_format="TD3",
        document_code="P",
        expired=False,
        age_years=40,
        names_trusted=True,
        portrait_found=True,
    ),
    face=FaceSignals(True, similarity=0.72, threshold=0.373, model="sface"),
    liveness=LivenessSignals(True, decision="pass", score=0.9),
    screening=ScreeningSignals(True, outcome="clear", lists=("un:2026-11-01",)),
)


def with_(part: str, **changes: object) -> CaseSignals:
    return dataclasses.replace(GOOD, **{part: dataclasses.replace(getattr(GOOD, part), **changes)})


def test_a_clean_case_is_approved_with_the_policy_identity() -> None:
    d = decide(GOOD, POLICY)
    assert d.outcome is Outcome.APPROVED and d.reasons == ()
    assert (d.policy_name, d.policy_version, d.policy_hash) == ("test", "1", "ab" * 32)


@pytest.mark.parametrize(
    ("signals", "code"),
    [
        (with_("face", available=False, similarity=None, error_code="no_face"), "no_face"),
        (with_("screening", outcome="hit"), "sanctions_hit"),
        (with_("document", expired=True), "document_expired"),
        (with_("document", mrz_valid=False), "mrz_invalid"),
        (with_("document", age_years=17), "under_min_age"),
        (with_("document", document_code="V", mrz_format="MRV-A"), "document_type_not_accepted"),
        (with_("liveness", decision="fail"), "liveness_failed"),
        (with_("face", similarity=0.2), "face_mismatch"),
        (
            with_("face", available=False, similarity=None, error_code="multiple_faces"),
            "multiple_faces",
        ),
    ],
)
def test_hard_rejects(signals: CaseSignals, code: str) -> None:
    d = decide(signals, POLICY)
    assert d.outcome is Outcome.REJECTED
    assert d.reasons[0].code == code


@pytest.mark.parametrize(
    ("signals", "code"),
    [
        (with_("face", similarity=0.35), "face_uncertain"),
        (with_("liveness", decision="review"), "liveness_review"),
        (with_("screening", outcome="review"), "screening_review"),
        (with_("document", viz_mismatch=True), "mrz_viz_mismatch"),
        (with_("document", names_trusted=False), "names_untrusted"),
        (with_("document", mrz_found=False, mrz_valid=False), "mrz_not_found"),
        (with_("document", portrait_found=False), "portrait_not_found"),
    ],
)
def test_soft_findings_send_to_review(signals: CaseSignals, code: str) -> None:
    d = decide(signals, POLICY)
    assert d.outcome is Outcome.MANUAL_REVIEW
    assert code in d.reason_codes
    assert d.risk_score >= POLICY.review_score


def test_weights_add_up() -> None:
    light = with_("document", quality_issues=("glare",))
    d = decide(light, POLICY)
    assert d.outcome is Outcome.APPROVED and d.reason_codes == ("document_quality",)
    both = dataclasses.replace(
        light, face=dataclasses.replace(GOOD.face, selfie_quality_issues=("blurry",))
    )
    d2 = decide(both, POLICY)
    assert d2.risk_score == pytest.approx(0.6)
    assert d2.outcome is Outcome.MANUAL_REVIEW


def test_unknown_means_what_the_policy_says() -> None:
    missing = with_("liveness", available=False, decision=None, error_code="still_image")
    assert decide(missing, POLICY).outcome is Outcome.MANUAL_REVIEW
    strict = dataclasses.replace(POLICY, unknown=UnknownRules(liveness=Outcome.REJECTED))
    d = decide(missing, strict)
    assert d.outcome is Outcome.REJECTED and d.reasons[0].code == "liveness_unknown"
    lost_doc = with_("document", available=False, error_code="document_unreadable")
    assert decide(lost_doc, POLICY).reason_codes[0] == "document_unknown"


def test_reasons_are_ordered_hard_then_unknown_then_by_weight() -> None:
    s = dataclasses.replace(
        GOOD,
        document=dataclasses.replace(
            GOOD.document, expired=True, names_trusted=False, quality_issues=("blur",)
        ),
        screening=ScreeningSignals(False, error_code="no_list"),
    )
    d = decide(s, POLICY)
    assert d.reason_codes == (
        "document_expired",
        "screening_unknown",
        "names_untrusted",
        "document_quality",
    )


def test_signals_round_trip_through_json_and_replay() -> None:
    s = with_("document", viz_mismatch=True, quality_issues=("glare", "blur"))
    raw = json.loads(dumps(s))
    back = CaseSignals.from_json(raw)
    assert back == s
    assert decide(back, POLICY) == decide(s, POLICY)
    with pytest.raises(PolicyError):
        CaseSignals.from_json({"schema": 99})
    raw["face"]["surprise"] = 1
    with pytest.raises(PolicyError, match="unknown fields"):
        CaseSignals.from_json(raw)


def test_a_liveness_pass_that_carries_an_attack_cue_is_not_approved() -> None:
    s = with_("liveness", reason_codes=("liveness_multiple_faces_attack",))
    d = decide(s, POLICY)
    assert d.outcome is Outcome.MANUAL_REVIEW and "liveness_review" in d.reason_codes


@pytest.mark.parametrize(
    ("part", "field", "value"),
    [
        ("liveness", "decision", "attack"),
        ("liveness", "decision", "FAIL"),
        ("liveness", "decision", ""),
        ("screening", "outcome", "HIT"),
        ("screening", "outcome", "error"),
    ],
)
def test_a_verdict_the_engine_does_not_know_is_refused(part: str, field: str, value: str) -> None:
    with pytest.raises(PolicyError, match="Unknown"):
        with_(part, **{field: value})
    raw = json.loads(dumps(GOOD))
    raw[part][field] = value
    with pytest.raises(PolicyError, match="Unknown"):
        CaseSignals.from_json(raw)


@pytest.mark.parametrize("field", ["similarity", "threshold"])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_a_face_comparison_without_a_usable_number_is_never_approved(
    field: str, value: float
) -> None:
    d = decide(with_("face", **{field: value}), POLICY)
    assert d.outcome is not Outcome.APPROVED and "face_unknown" in d.reason_codes
    raw = json.loads(dumps(GOOD))
    raw["face"][field] = value
    with pytest.raises(PolicyError, match="malformed"):
        CaseSignals.from_json(raw)


@pytest.mark.parametrize(
    ("part", "field", "value"),
    [
        ("face", "similarity", "0.9"),
        ("document", "age_years", "17"),
        ("document", "available", "no"),
        ("document", "age_years", True),
        ("document", "quality_issues", "glare"),
        ("liveness", "reason_codes", [1, 2]),
    ],
)
def test_recorded_signals_of_the_wrong_type_are_named(part: str, field: str, value: object) -> None:
    raw = json.loads(dumps(GOOD))
    raw[part][field] = value
    with pytest.raises(PolicyError, match=field):
        CaseSignals.from_json(raw)


def test_a_found_mrz_without_a_document_code_is_not_accepted() -> None:
    d = decide(with_("document", document_code=None), POLICY)
    assert d.outcome is Outcome.REJECTED and d.reason_codes[0] == "document_type_not_accepted"


def test_a_visa_gets_one_reason_per_code() -> None:
    d = decide(with_("document", document_code="V", mrz_format="MRV-A"), POLICY)
    assert d.reason_codes.count("document_type_not_accepted") == 1


def test_without_required_valid_mrz_an_invalid_one_still_goes_to_review() -> None:
    lenient = dataclasses.replace(POLICY, require_valid_mrz=False)
    s = with_("document", mrz_valid=False, expired=None, age_years=None)
    d = decide(s, lenient)
    assert d.outcome is Outcome.MANUAL_REVIEW
    assert {"mrz_invalid", "expiry_unknown", "age_unknown"} <= set(d.reason_codes)


def test_an_invalid_national_id_number_goes_to_review() -> None:
    d = decide(with_("document", national_id_invalid=True), POLICY)
    assert d.outcome is Outcome.MANUAL_REVIEW and "national_id_invalid" in d.reason_codes
