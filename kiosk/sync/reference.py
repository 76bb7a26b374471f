"""The pseudonymous customer reference: lets the bank link repeat customers without
learning who they are.

``cr1_`` + HMAC-SHA256(site secret, normalised issuing state, document number,
date of birth), hex. The same document gives the same reference at every kiosk
that holds the same secret; different sites (different secrets) give unrelated
references.

Threat model, plainly:

* Without the secret the reference is not reversible and cannot be confirmed:
  HMAC-SHA256 under a key of at least 256 bits gives an attacker who sees only
  references nothing to test a guessed identity against.
* With the secret and a candidate identity (issuing state, document number and
  date of birth) anyone can recompute the reference and so confirm that this
  person was a customer. With the secret and a list of identities (a leaked
  passport database, say) the whole list can be tested. So the secret is as
  sensitive as the link it protects: keep it on the kiosks of the site (file
  mode 0600), do not give it to the upstream receiver unless the bank is meant to
  be able to confirm identities, and rotate it to cut the link between periods.
* It identifies a document, not a person: a renewed passport gives a new reference.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from typing import Any

from kiosk.sync.errors import PayloadInvalid

REFERENCE_PREFIX = "cr1_"
REFERENCE_RE = re.compile(r"^cr1_[0-9a-f]{64}$")
MIN_KEY_BYTES = 32
_DOMAIN = b"kiosk.customer-ref.v1"
_STATE_RE = re.compile(r"^[A-Z]{1,3}$")
_DOCNUM_RE = re.compile(r"^[A-Z0-9]{1,24}$")


def normalise_identity(issuing_state: str, document_number: str, date_of_birth: dt.date) -> bytes:
    """The canonical message the reference is computed over.

    Upper case; MRZ fillers (``<``), spaces and hyphens removed; the date as ISO
    ``YYYY-MM-DD``; fields separated by NUL so no two inputs run together.

    Raises:
        PayloadInvalid: a state that is not 1-3 letters, a document number that is
            not 1-24 letters and digits, or a date that is not a ``date``.
    """
    state = re.sub(r"[<\s]", "", issuing_state).upper()
    number = re.sub(r"[<\s-]", "", document_number).upper()
    if not _STATE_RE.fullmatch(state):
        raise PayloadInvalid("The issuing state for the customer reference is not 1-3 letters.")
    if not _DOCNUM_RE.fullmatch(number):
        raise PayloadInvalid(
            "The document number for the customer reference is not 1-24 letters and digits."
        )
    if not isinstance(date_of_birth, dt.date) or isinstance(date_of_birth, dt.datetime):
        raise PayloadInvalid("The date of birth for the customer reference is not a date.")
    return b"\x00".join(
        (_DOMAIN, state.encode(), number.encode(), date_of_birth.isoformat().encode())
    )


def customer_reference(
    key: bytes, issuing_state: str, document_number: str, date_of_birth: dt.date
) -> str:
    """``cr1_`` + 64 hex digits for this document under the site's ``key``.

    Raises:
        PayloadInvalid: a key shorter than 32 bytes, or fields that do not normalise.
    """
    if not isinstance(key, bytes) or len(key) < MIN_KEY_BYTES:
        raise PayloadInvalid(f"The customer-reference key must be at least {MIN_KEY_BYTES} bytes.")
    message = normalise_identity(issuing_state, document_number, date_of_birth)
    return REFERENCE_PREFIX + hmac.new(key, message, hashlib.sha256).hexdigest()


def reference_for_reading(key: bytes, reading: Any) -> str | None:
    """The reference of a document reading, or None when it lacks the MRZ fields.

    ``reading`` is a :class:`pipeline.document.types.DocumentReading` (or None).
    An MRZ without a valid date of birth, issuing state or document number gives
    None rather than a reference built on a guess.
    """
    record = getattr(getattr(reading, "mrz", None), "record", None)
    if record is None or record.date_of_birth is None:
        return None
    state = record.value("issuing_state")
    number = record.value("document_number")
    if not state.strip() or not number.strip():
        return None
    try:
        return customer_reference(key, state, number, record.date_of_birth)
    except PayloadInvalid:
        if len(key) < MIN_KEY_BYTES:
            raise
        return None
