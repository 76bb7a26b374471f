"""The allow-listed payload: canonical bytes, the schema, extras only when the policy names them,
and the receiver's strict reader."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random

import pytest

from kiosk.sync.errors import FieldNotAllowed, PayloadInvalid
from kiosk.sync.payload import (
    EXTRA_FIELDS,
    KEYS,
    ExtraField,
    build_payload,
    canonical_json,
    parse_payload,
    payload_for_case,
)
from pipeline.types import Timings
from tests.kiosk.sync.helpers import IDENTITIES, case_result, make_settings, policy

SETTINGS = make_settings("http://127.0.0.1:1")


def _payload(**changes: object) -> bytes:
    result = case_result(IDENTITIES[0], random.Random(1))
    payload = payload_for_case(result, policy(), SETTINGS)
    return payload.to_json_bytes() if not changes else _edited(payload.to_json_bytes(), changes)


def _edited(body: bytes, changes: dict[str, object]) -> bytes:
    raw = json.loads(body)
    raw.update(changes)
    return json.dumps(raw).encode()


def test_payload_is_canonical_json_with_exactly_the_schema_keys() -> None:
    body = _payload()
    raw = json.loads(body)
    assert set(raw) == KEYS
    assert body == json.dumps(raw, sort_keys=True, separators=(",", ":")).encode()
    assert b" " not in body
    assert raw["schema_version"] == 1
    assert raw["extra"] == {}
    assert raw["site_id"] == "branch-042" and raw["device_id"] == "kiosk-07"
    assert raw["created_at"].endswith("Z")
    assert raw["customer_ref"].startswith("cr1_") and len(raw["customer_ref"]) == 68
    assert set(raw["models"]) == {"face_landmarker", "sface", "yunet"}


def test_round_trip_through_the_strict_reader_gives_the_same_bytes() -> None:
    body = _payload()
    assert parse_payload(body).to_json_bytes() == body


def test_same_case_gives_identical_bytes() -> None:
    assert _payload() == _payload()


def test_no_personal_data_from_the_case_reaches_the_payload() -> None:
    person = IDENTITIES[1]
    result = case_result(person, random.Random(5))
    body = payload_for_case(result, policy(), SETTINGS).to_json_bytes().decode()
    for value in (person.surname, "OSWIN", person.document_number, "1991-02-05", "910205"):
        assert value not in body
    assert "JFIF" not in body


def test_without_a_document_reading_the_reference_is_null() -> None:
    result = case_result(None, random.Random(2))
    assert (
        json.loads(payload_for_case(result, policy(), SETTINGS).to_json_bytes())["customer_ref"]
        is None
    )


def test_without_a_reference_secret_the_reference_is_null() -> None:
    settings = dataclasses.replace(SETTINGS, reference_secret=None)
    result = case_result(IDENTITIES[0], random.Random(2))
    assert payload_for_case(result, policy(), settings).customer_ref is None


def test_extras_leave_only_when_the_policy_names_them() -> None:
    result = case_result(IDENTITIES[2], random.Random(3))
    site = policy(("risk_score", "document_number", "date_of_birth"))
    payload = payload_for_case(result, site, SETTINGS)
    extra = json.loads(payload.to_json_bytes())["extra"]
    assert extra == {
        "date_of_birth": "1964-07-30",
        "document_number": "P92K7M3Z5",
        "risk_score": 0.0,
    }


def test_a_policy_naming_an_unsendable_field_is_refused_with_a_suggestion() -> None:
    result = case_result(IDENTITIES[0], random.Random(3))
    for name in ("embedding", "portrait", "landmarks", "selfie_frame", "surnme"):
        with pytest.raises(FieldNotAllowed) as err:
            payload_for_case(result, policy((name,)), SETTINGS)
        assert name in err.value.message
    with pytest.raises(FieldNotAllowed, match="did you mean 'surname'"):
        payload_for_case(result, policy(("surnme",)), SETTINGS)


def test_build_payload_refuses_extras_the_policy_does_not_name() -> None:
    kwargs = _build_kwargs()
    with pytest.raises(FieldNotAllowed, match="not named in the site policy"):
        build_payload(**kwargs, extra=(ExtraField("surname", "X"),), allowed_extra=())
    ok = build_payload(**kwargs, extra=(ExtraField("surname", "X"),), allowed_extra=("surname",))
    assert ok.extra == (ExtraField("surname", "X"),)


def test_extra_values_are_typed() -> None:
    kwargs = _build_kwargs()
    with pytest.raises(PayloadInvalid, match=r"extra\.age_years"):
        build_payload(**kwargs, extra=(ExtraField("age_years", 3.5),), allowed_extra=("age_years",))
    with pytest.raises(PayloadInvalid, match=r"extra\.mrz_valid"):
        build_payload(**kwargs, extra=(ExtraField("mrz_valid", 1),), allowed_extra=("mrz_valid",))


def test_every_extra_field_has_a_getter_for_a_real_case() -> None:
    result = case_result(IDENTITIES[3], random.Random(4))
    names = tuple(spec.name for spec in EXTRA_FIELDS)
    payload = payload_for_case(result, policy(names), SETTINGS)
    assert [e.name for e in payload.extra] == sorted(names)
    assert parse_payload(payload.to_json_bytes()) == payload


def test_a_policy_that_did_not_decide_the_case_is_refused() -> None:
    result = case_result(IDENTITIES[0], random.Random(3))
    other = dataclasses.replace(
        policy(),
        decision=dataclasses.replace(policy().decision, content_hash="9" * 64),
    )
    with pytest.raises(PayloadInvalid, match="policy changed"):
        payload_for_case(result, other, SETTINGS)


def test_repeated_stages_are_summed_and_rounded() -> None:
    kwargs = _build_kwargs(timings=Timings((("a", 1.04), ("b", 2.0), ("a", 1.0))))
    payload = build_payload(**kwargs)
    assert json.loads(payload.to_json_bytes())["timings_ms"] == {"a": 2.0, "b": 2.0}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"\xff\xfe", "UTF-8"),
        (b"[]", "JSON object"),
        (b"{", "valid JSON"),
        (b'{"case_id": "a", "case_id": "b"}', "repeats a key"),
    ],
)
def test_the_strict_reader_refuses_malformed_bodies(body: bytes, field: str) -> None:
    with pytest.raises(PayloadInvalid, match=field):
        parse_payload(body)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"selfie": "AAAA"}, "outside the schema"),
        ({"schema_version": 2}, "schema_version"),
        ({"schema_version": True}, "schema_version"),
        ({"decision": "maybe"}, "decision"),
        ({"case_id": "short"}, "case_id"),
        ({"created_at": "2026-01-01T00:00:00Z"}, "created_at"),
        ({"created_at": "2026-02-30T00:00:00.000000Z"}, "created_at"),
        ({"reason_codes": ["Bad Code"]}, "reason_codes"),
        ({"policy_hash": "abc"}, "policy_hash"),
        ({"models": {"sface": "nothex"}}, "models"),
        ({"models": []}, "models"),
        ({"timings_ms": {"stage": -1}}, "timings_ms"),
        ({"timings_ms": {"stage": True}}, "timings_ms"),
        ({"site_id": "has space"}, "site_id"),
        ({"customer_ref": "SMITH"}, "customer_ref"),
        ({"extra": {"embedding": [0.1, 0.2]}}, "never sent upstream"),
        ({"extra": {"surname": ["A"]}}, "extra.surname"),
    ],
)
def test_the_strict_reader_refuses_values_outside_the_schema(
    change: dict[str, object], field: str
) -> None:
    with pytest.raises(PayloadInvalid) as err:
        parse_payload(_payload(**change))
    assert field in err.value.message
    for value in change.values():  # the message names the field, never the value
        if isinstance(value, str) and len(value) > 4:
            assert value not in err.value.message


def test_the_strict_reader_refuses_missing_keys_and_nan() -> None:
    raw = json.loads(_payload())
    del raw["policy_hash"]
    with pytest.raises(PayloadInvalid, match="policy_hash is missing"):
        parse_payload(json.dumps(raw).encode())
    with pytest.raises(PayloadInvalid, match="valid JSON"):
        parse_payload(_payload().replace(b'"timings_ms":{', b'"timings_ms":{"x":NaN,'))


def test_oversized_payloads_are_refused_before_parsing() -> None:
    with pytest.raises(PayloadInvalid, match="larger than"):
        parse_payload(b" " * (16 * 1024 + 1))


def test_canonical_json_refuses_nan() -> None:
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def _build_kwargs(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "case_id": "0123456789abcdef0123456789abcdef",
        "created_at": dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC),
        "decision": "approved",
        "reason_codes": (),
        "policy_hash": "3" * 64,
        "models": (("sface", "a" * 64),),
        "timings": Timings((("x", 1.0),)),
        "site_id": "s1",
        "device_id": "d1",
        "customer_ref": None,
    }
    base.update(changes)
    return base


# ---- review findings -------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"timings_ms": {"document_read": 10**400}},
        {"timings_ms": {"document_read": -(10**400)}},
        {"timings_ms": {"document_read": "12"}},
    ],
)
def test_huge_or_non_numbers_are_schema_errors(change: dict[str, object]) -> None:
    with pytest.raises(PayloadInvalid, match="timings_ms"):
        parse_payload(_payload(**change))


def test_huge_numbers_in_extras_are_schema_errors() -> None:
    site = policy(("risk_score", "age_years"))
    body = payload_for_case(case_result(IDENTITIES[0], random.Random(1)), site, SETTINGS)
    for name in ("risk_score", "age_years"):
        raw = json.loads(body.to_json_bytes())
        raw["extra"][name] = 10**400
        with pytest.raises(PayloadInvalid, match=f"extra.{name}"):
            parse_payload(json.dumps(raw).encode())


@pytest.mark.parametrize(
    "body",
    [
        b'{"zq_marker": 1, "zq_marker": 2}',
        json.dumps({"zq_marker": 1}).encode(),
    ],
)
def test_reader_errors_do_not_repeat_the_input(body: bytes) -> None:
    with pytest.raises(PayloadInvalid) as err:
        parse_payload(body)
    assert "zq_" not in str(err.value)


def test_unknown_keys_and_extras_are_counted_not_named() -> None:
    with pytest.raises(PayloadInvalid) as err:
        parse_payload(_payload(zq_one=1, zq_two=2))
    assert "2 key(s) outside the schema" in err.value.message and "zq_" not in str(err.value)
    with pytest.raises(FieldNotAllowed) as extra:
        parse_payload(_payload(extra={"zq_photo": "x"}))
    assert "zq_" not in str(extra.value)


@pytest.mark.parametrize(
    "change",
    [
        {"reason_codes": ["face_mismatch\n"]},
        {"site_id": "branch-042\n"},
        {"device_id": "kiosk-07\n"},
        {"case_id": "0123456789abcdef0123456789abcdef\n"},
        {"policy_hash": "3" * 64 + "\n"},
        {"created_at": "2026-01-02T03:04:05.000006Z\n"},
        {"models": {"sface\n": "a" * 64}},
        {"models": {"sface": "a" * 64 + "\n"}},
        {"timings_ms": {"document_read\n": 1.0}},
        {"customer_ref": "cr1_" + "a" * 64 + "\n"},
    ],
)
def test_a_trailing_newline_never_passes(change: dict[str, object]) -> None:
    with pytest.raises(PayloadInvalid):
        parse_payload(_payload(**change))


@pytest.mark.parametrize(
    ("name", "bad", "good"),
    [
        (
            "liveness_decision",
            ["maybe", "PASS", "pass\n", "QUIRINDOLFSKA"],
            ["pass", "review", "fail"],
        ),
        ("screening_outcome", ["cleared", "hit\n", "SMITH JOHN"], ["clear", "review", "hit"]),
        ("document_code", ["PASSPORT", "p", "P1", "1P", "P\n", "<P"], ["P", "ID", "I<", "AC"]),
        ("document_format", ["TD4", "td3", "TD3\n"], ["TD1", "TD3", "MRV-B"]),
        ("date_of_birth", ["23.11.1979", "1979-11-23\n"], ["1979-11-23"]),
        ("issuing_state", ["NLDX", "nld", "N1D"], ["NLD", "D<<", "D"]),
    ],
)
def test_coded_extra_fields_take_only_their_values(
    name: str, bad: list[str], good: list[str]
) -> None:
    kwargs = _build_kwargs()
    for value in bad:
        with pytest.raises(PayloadInvalid, match=f"extra.{name}"):
            build_payload(**kwargs, extra=(ExtraField(name, value),), allowed_extra=(name,))
    for value in good:
        payload = build_payload(**kwargs, extra=(ExtraField(name, value),), allowed_extra=(name,))
        assert parse_payload(payload.to_json_bytes()) == payload


def test_the_wire_value_sets_agree_with_the_pipeline() -> None:
    from kiosk.sync import payload as wire
    from pipeline.decision import LIVENESS_DECISIONS, SCREENING_OUTCOMES
    from pipeline.document.mrz_format import MrzFormat

    assert wire.LIVENESS_DECISIONS == LIVENESS_DECISIONS
    assert wire.SCREENING_OUTCOMES == SCREENING_OUTCOMES
    assert set(wire.DOCUMENT_FORMATS) == {f.value for f in MrzFormat}


def test_a_case_value_the_schema_cannot_carry_is_sent_as_null() -> None:
    result = case_result(IDENTITIES[0], random.Random(1))
    odd = dataclasses.replace(
        result,
        signals=dataclasses.replace(
            result.signals,
            document=dataclasses.replace(result.signals.document, document_code="P1"),
        ),
    )
    payload = payload_for_case(odd, policy(("document_code",)), SETTINGS)
    assert payload.extra == (ExtraField("document_code", None),)


def test_validate_field_names_for_policy_loading() -> None:
    from kiosk.sync.payload import validate_field_names

    assert validate_field_names(["surname", "risk_score"]) == ("surname", "risk_score")
    assert validate_field_names([]) == ()
    with pytest.raises(FieldNotAllowed, match=r"'surnme'.*did you mean 'surname'"):
        validate_field_names(["risk_score", "surnme"])
    with pytest.raises(FieldNotAllowed, match="'embedding'"):
        validate_field_names(["embedding"])
    with pytest.raises(FieldNotAllowed, match="twice"):
        validate_field_names(["surname", "surname"])
    with pytest.raises(FieldNotAllowed, match="string"):
        validate_field_names([3])


def test_personal_fields_and_restricting_extras() -> None:
    from kiosk.sync.payload import PERSONAL_FIELDS, personal_fields, restrict_extras

    assert personal_fields(["risk_score", "surname", "date_of_birth"]) == (
        "surname",
        "date_of_birth",
    )
    assert {"surname", "document_number", "date_of_birth"} <= PERSONAL_FIELDS
    assert "risk_score" not in PERSONAL_FIELDS
    site = policy(("risk_score", "surname", "date_of_birth"))
    payload = payload_for_case(case_result(IDENTITIES[0], random.Random(1)), site, SETTINGS)
    narrowed, dropped = restrict_extras(payload, ("risk_score",))
    assert dropped == ("date_of_birth", "surname")
    assert [e.name for e in narrowed.extra] == ["risk_score"]
    assert restrict_extras(payload, site.sync_fields) == (payload, ())
