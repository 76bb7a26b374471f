"""The pseudonymous customer reference: stable, keyed, normalised, null without a reading."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import random

import pytest

from kiosk.sync.errors import PayloadInvalid
from kiosk.sync.reference import REFERENCE_RE, customer_reference, reference_for_reading
from tests.kiosk.sync.helpers import IDENTITIES, REFERENCE_SECRET, case_result

KEY = REFERENCE_SECRET.encode()
DOB = dt.date(1979, 11, 23)


def test_reference_is_the_documented_hmac() -> None:
    ref = customer_reference(KEY, "NLD", "L8X4Q2T7W", DOB)
    message = b"kiosk.customer-ref.v1\x00NLD\x00L8X4Q2T7W\x001979-11-23"
    assert ref == "cr1_" + hmac.new(KEY, message, hashlib.sha256).hexdigest()
    assert REFERENCE_RE.match(ref)


def test_mrz_fillers_case_and_spacing_do_not_change_the_reference() -> None:
    ref = customer_reference(KEY, "NLD", "L8X4Q2T7W", DOB)
    assert customer_reference(KEY, "nld", "l8x4 q2t7w<<", DOB) == ref
    assert customer_reference(KEY, "NL D<", "L8X4-Q2T7W", DOB) == ref


def test_any_field_or_the_key_changes_it() -> None:
    ref = customer_reference(KEY, "NLD", "L8X4Q2T7W", DOB)
    assert customer_reference(KEY, "BEL", "L8X4Q2T7W", DOB) != ref
    assert customer_reference(KEY, "NLD", "L8X4Q2T7X", DOB) != ref
    assert customer_reference(KEY, "NLD", "L8X4Q2T7W", DOB.replace(day=24)) != ref
    assert customer_reference(b"z" * 32, "NLD", "L8X4Q2T7W", DOB) != ref
    # fields cannot run into each other
    assert customer_reference(KEY, "NL", "DL8X4Q2T7W", DOB) != ref


def test_the_reference_of_a_reading_uses_its_mrz() -> None:
    person = IDENTITIES[0]
    result = case_result(person, random.Random(1))
    assert reference_for_reading(KEY, result.document) == customer_reference(
        KEY, person.issuing_state, person.document_number, person.date_of_birth
    )
    assert reference_for_reading(KEY, None) is None


def test_a_short_key_is_refused() -> None:
    with pytest.raises(PayloadInvalid, match="at least 32 bytes"):
        customer_reference(b"short", "NLD", "L8X4Q2T7W", DOB)
    result = case_result(IDENTITIES[0], random.Random(1))
    with pytest.raises(PayloadInvalid):
        reference_for_reading(b"short", result.document)


def test_unusable_fields_are_refused() -> None:
    with pytest.raises(PayloadInvalid, match="issuing state"):
        customer_reference(KEY, "N3L", "L8X4Q2T7W", DOB)
    with pytest.raises(PayloadInvalid, match="document number"):
        customer_reference(KEY, "NLD", "", DOB)
