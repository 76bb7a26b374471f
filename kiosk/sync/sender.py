"""The sender: drains the store's outbox to the receiver, at least once, in creation order.

One pass (:meth:`Sender.drain`) takes due outbox rows oldest first, checks
each payload against the allow-listed schema once more (a row that fails is
never sent), signs it, and POSTs it with up to ``concurrency`` requests in
flight. Failures are written to the store as they happen and deliveries once
per batch (one transaction), so a restart resumes from the store; a delivery
that was not yet written is sent again and the receiver answers it as a
duplicate. At least once on the wire, exactly once in effect:

=========================================  =========================================
answer                                     what happens
=========================================  =========================================
200 with a valid receipt                   delivered (``Idempotent-Replayed``: a
                                           duplicate, also delivered)
409 ``replayed`` with a valid receipt      delivered (the receiver has these bytes)
409 ``idempotency_conflict``; 400, 411,    rejected: set aside, never retried,
413, 415, 422                              shown by ``kiosk sync status``
401 (signature, clock), 403, 404, 405,     retried with back-off, and the pass stops:
429, 503, TLS pin mismatch, 200 without    the fault is the device's set-up or the
a valid receipt                            upstream, not this message
network error, time-out, other 5xx         retried with back-off; the pass stops after
                                           ``halt_after`` such failures in a row
=========================================  =========================================

Before a message goes on the wire it is checked again, against the schema and
against the site policy as it is now: extra fields the policy no longer names
in ``[sync] fields`` are removed and the message is signed without them (logged
and counted as ``stripped``), so a site that stops sending, say, ``surname``
stops at once for queued messages too. A row that cannot be read at all is set
aside (``schema_local``) and the pass goes on. A draft row (queued while the
sync configuration was broken, :mod:`kiosk.sync.queueing`) is turned into a
payload with the current settings and policy and sent.

Back-off is exponential with full jitter, capped at 24 hours:
``max(floor, uniform(0, min(cap, base * 2**attempts)))``. A pass that stops
early marks the upstream as down; the first acknowledged delivery after that
(or after a start) shows it is back, and the rest of that pass sends every
waiting message regardless of its back-off, so an outage does not leave
messages waiting up to a day after it ended. While the upstream is up, a
message that fails on its own backs off by its failures since the upstream
came back, not by the attempts the outage piled up. A rejected message keeps its row,
marked by a next attempt at :data:`PARKED_AT`, and is never sent again.

The app runs one :class:`SenderThread`; ``kiosk sync push`` runs one pass.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import logging
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kiosk.errors import KioskError
from kiosk.sync.errors import PayloadInvalid
from kiosk.sync.payload import (
    parse_payload,
    personal_fields,
    restrict_extras,
    validate_field_names,
)
from kiosk.sync.queueing import finish_draft, is_draft, read_draft
from kiosk.sync.signing import (
    DEVICE_HEADER,
    ED25519_HEADER,
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    ed25519_header,
    receipt_matches,
    signature_header,
)
from kiosk.sync.transport import HttpTransport, TransportError, WireResponse

if TYPE_CHECKING:
    from kiosk.store import OutboxItem, Store
    from kiosk.sync.config import SyncSettings

log = logging.getLogger("kiosk.sync.sender")

# A rejected message's next attempt: never, in practice; still an undelivered row.
PARKED_AT = datetime(9999, 12, 31, tzinfo=UTC)
_EVERYTHING_BUT_PARKED = PARKED_AT - timedelta(days=1)
_CODE_RE = re.compile(r"^[a-z0-9_]{1,48}$")  # applied with fullmatch
_REJECT_STATUSES = frozenset({400, 411, 413, 415, 422})
_HALT_STATUSES = frozenset({401, 403, 404, 405, 429, 503})


class Transport(Protocol):
    """What the sender needs from HTTP (:class:`kiosk.sync.transport.HttpTransport`)."""

    def post(self, body: bytes, headers: Sequence[tuple[str, str]]) -> WireResponse: ...

    def close(self) -> None: ...


class Verdict(enum.Enum):
    """What one delivery attempt means for its outbox row."""

    DELIVERED = "delivered"
    DUPLICATE = "duplicate"  # the receiver already had it: delivered too
    RETRY = "retry"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Attempt:
    """The outcome of one POST.

    Attributes:
        outbox_id: the row.
        verdict: delivered, duplicate, retry or rejected.
        kind: why it was not delivered (``network``, ``timeout``, ``tls``, ``tls_pin``,
            ``http_500``, ``signature``, ``clock``, ``config``, ``bad_response``,
            ``conflict``, ``rejected_<code>``, ``schema_local``); "" when delivered.
        detail: one short sentence, without personal data.
        status: HTTP status, or None when there was no answer.
        halt: stop the pass: the problem is not specific to this message.
        retry_after_s: the receiver's ``Retry-After``, if any.
        dropped: extra fields removed because the site policy no longer names them.
        from_draft: the message was finished from a draft row.
    """

    outbox_id: int
    verdict: Verdict
    kind: str = ""
    detail: str = ""
    status: int | None = None
    halt: bool = False
    retry_after_s: float | None = None
    dropped: tuple[str, ...] = ()
    from_draft: bool = False


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    """Exponential back-off with full jitter.

    Attributes:
        base_s: ceiling of the first retry's delay.
        cap_s: largest delay (24 hours).
        floor_s: smallest delay, so a retry never spins.
    """

    base_s: float = 2.0
    cap_s: float = 86_400.0
    floor_s: float = 1.0

    def ceiling_s(self, attempts: int) -> float:
        """Upper bound of the delay after ``attempts`` earlier failed attempts."""
        return min(self.cap_s, self.base_s * 2.0 ** min(max(attempts, 0), 64))

    def delay_s(self, attempts: int, rng: random.Random) -> float:
        """A delay drawn uniformly from ``[0, ceiling]``, at least ``floor_s``."""
        return max(self.floor_s, rng.uniform(0.0, self.ceiling_s(attempts)))


@dataclass(frozen=True, slots=True)
class SenderOptions:
    """Tuning of a sender.

    Attributes:
        batch_size: outbox rows read per query.
        halt_after: transient failures in a row that end a pass.
        backoff: retry schedule.
        probe_interval_s: after a failed pass, how often a pass with nothing due
            tries the oldest message anyway, to notice that the upstream is back.
    """

    batch_size: int = 64
    halt_after: int = 3
    backoff: BackoffPolicy = field(default_factory=BackoffPolicy)
    probe_interval_s: float = 60.0


@dataclass(frozen=True, slots=True)
class DrainReport:
    """What one pass did.

    Attributes:
        attempted: messages sent (or refused locally).
        delivered: first deliveries acknowledged.
        duplicates: acknowledged as already held by the receiver.
        retried: failed, scheduled again.
        rejected: set aside for good.
        halted: the failure kind that stopped the pass early, or None.
        seconds: wall time of the pass.
        stripped: messages sent without extra fields the site policy no longer names.
        drafts: messages finished from draft rows (queued while misconfigured).
    """

    attempted: int
    delivered: int
    duplicates: int
    retried: int
    rejected: int
    halted: str | None
    seconds: float
    stripped: int = 0
    drafts: int = 0


@dataclass(frozen=True, slots=True)
class RejectedItem:
    """A message set aside: the receiver refused it for good."""

    outbox_id: int
    case_id: str | None
    error: str | None


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """Queue health (``kiosk sync status``).

    Attributes:
        configured: a URL is set.
        endpoint, site_id, device_id: from the settings (None when not configured).
        queue_length: undelivered messages still to be tried.
        due_now: of those, the ones whose next attempt has come.
        rejected: messages set aside.
        delivered: delivered rows still kept by retention.
        oldest_pending_at: creation time of the oldest undelivered message.
        last_success_at, last_error_at, last_error: from the store.
        rejected_items: the first 20 rejected messages.
        blocked: waiting messages queued as drafts while the configuration was
            broken (sent once it loads).
        blocked_reason: the error recorded with the newest draft ("code: message").
        policy_fields: the extra fields the site policy names (None: not known).
        personal_fields: of those, the ones marked personal: these leave the kiosk.
        policy_error: why the site policy could not be read, if it could not.
    """

    configured: bool
    endpoint: str | None
    site_id: str | None
    device_id: str | None
    queue_length: int
    due_now: int
    rejected: int
    delivered: int
    oldest_pending_at: datetime | None
    last_success_at: datetime | None
    last_error_at: datetime | None
    last_error: str | None
    rejected_items: tuple[RejectedItem, ...] = ()
    blocked: int = 0
    blocked_reason: str | None = None
    policy_fields: tuple[str, ...] | None = None
    personal_fields: tuple[str, ...] = ()
    policy_error: str | None = None


@dataclass
class _Pass:
    """Counters of one pass (internal, mutable)."""

    attempted: int = 0
    in_a_row: int = 0
    halted: str | None = None
    counts: dict[Verdict, int] = field(default_factory=lambda: {v: 0 for v in Verdict})
    stripped: int = 0
    drafts: int = 0
    retried: set[int] = field(default_factory=set)
    tried: set[int] = field(default_factory=set)
    delivered: list[int] = field(default_factory=list)
    came_back: bool = False  # a delivery in this pass ended a recovery
    failed_while_down: set[int] = field(default_factory=set)  # retried while recovering


def _result(pair: tuple[OutboxItem, Future[Attempt]]) -> tuple[OutboxItem, Attempt]:
    return pair[0], pair[1].result()


def utc_clock() -> datetime:
    return datetime.now(UTC)


class Sender:
    """Drains one store's outbox to the configured receiver.

    Args:
        store: the open store.
        settings: URL, keys and identifiers.
        options: batch size, halting and back-off.
        transport: HTTP client (default: :class:`HttpTransport` for ``settings``).
        clock: scheduling time (due rows, next attempts); injectable for simulations.
        wall: UNIX time for signature timestamps (the receiver checks it).
        rng: jitter source; seed it for a reproducible schedule.
        fields: the extra fields the site policy names now, or a function giving
            them (asked at the start of every pass). Default: ``[sync] fields`` of
            the site policy at ``policy_path``, read at the start of every pass.
        policy_path: the site policy file (None: the configured one, as
            :func:`kiosk.policy.load_policy` finds it).
    """

    def __init__(
        self,
        store: Store,
        settings: SyncSettings,
        *,
        options: SenderOptions | None = None,
        transport: Transport | None = None,
        clock: Callable[[], datetime] = utc_clock,
        wall: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        fields: Sequence[str] | Callable[[], Sequence[str]] | None = None,
        policy_path: Path | None = None,
    ) -> None:
        self._store = store
        self._settings = settings
        if fields is None:
            self._fields: Callable[[], Sequence[str]] = policy_fields_reader(policy_path)
        elif callable(fields):
            self._fields = fields
        else:
            fixed = tuple(fields)
            self._fields = lambda: fixed
        # the fields of the current pass; None: the policy could not be read
        self._allowed: frozenset[str] | None = None
        self._warned_personal: tuple[str, ...] | None = None
        self._options = options or SenderOptions()
        self._transport: Transport = transport or HttpTransport(
            settings.endpoint,
            timeout_s=settings.timeout_s,
            pins=settings.pins,
            ca_file=settings.ca_file,
        )
        self._clock = clock
        self._wall = wall
        self._rng = rng or random.Random()
        self._pool: ThreadPoolExecutor | None = None
        self._drain_lock = threading.Lock()
        # After a start or a halted pass, the first acknowledged delivery shows the
        # upstream is back: the rest of that pass ignores back-off (not rejections),
        # so a long outage does not leave messages waiting up to a day afterwards.
        self._recovering = True
        # While recovering with nothing due, the oldest message is tried anyway once per
        # probe interval: otherwise a quiet kiosk whose backlog backed off for hours
        # waits that long after the upstream is back.
        self._last_probe: datetime | None = None
        # Failures per message since the upstream was last seen working. While it
        # works, back-off grows with these, not with the attempts an outage piled
        # up: one injected 500 after a day down must not cost a day's wait.
        self._failures_while_up: dict[int, int] = {}

    def close(self) -> None:
        """Stop the HTTP workers and close connections."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self._transport.close()

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def drain(self, *, limit: int | None = None, ignore_backoff: bool = False) -> DrainReport:
        """One pass over the due messages, oldest first; each is tried at most once.

        Args:
            limit: stop after this many attempts.
            ignore_backoff: also try messages whose next attempt has not come
                (``kiosk sync push``); rejected ones are still skipped.

        Returns:
            Counts, and the failure kind that stopped the pass early, if any.
        """
        with self._drain_lock:
            return self._drain(limit, ignore_backoff)

    def deliver(self, item: OutboxItem) -> Attempt:
        """Check one outbox row against the schema and the current site policy, sign
        and POST it, and classify the answer (writes nothing)."""
        allowed = self._allowed
        if allowed is None:
            return Attempt(
                item.outbox_id,
                Verdict.RETRY,
                "policy",
                "The site policy cannot be read; nothing is sent until it can.",
                halt=True,
            )
        try:
            body, case_id, device_id, dropped, from_draft = self._prepare(item, allowed)
        except PayloadInvalid as exc:
            return Attempt(item.outbox_id, Verdict.REJECTED, "schema_local", exc.message)
        except Exception as exc:  # one unreadable row must not end the pass for all others
            log.warning(
                "sync: message %d cannot be read (%s); set aside",
                item.outbox_id,
                type(exc).__name__,
            )
            return Attempt(
                item.outbox_id,
                Verdict.REJECTED,
                "schema_local",
                "The queued message cannot be read.",
            )
        settings = self._settings
        timestamp = int(self._wall())
        headers = [
            ("Content-Type", "application/json"),
            (SIGNATURE_HEADER, signature_header(settings.secret.value, timestamp, body)),
            (DEVICE_HEADER, device_id),
            (IDEMPOTENCY_HEADER, case_id),
        ]
        if settings.ed25519_key is not None:
            headers.append((ED25519_HEADER, ed25519_header(settings.ed25519_key, timestamp, body)))
        try:
            response = self._transport.post(body, headers)
        except TransportError as exc:
            return Attempt(
                item.outbox_id,
                Verdict.RETRY,
                exc.kind,
                exc.message,
                halt=exc.kind in ("tls", "tls_pin"),
                dropped=dropped,
                from_draft=from_draft,
            )
        attempt = classify_response(item.outbox_id, case_id, body, response, settings.secret.value)
        return dataclasses.replace(attempt, dropped=dropped, from_draft=from_draft)

    def _prepare(
        self, item: OutboxItem, allowed: frozenset[str]
    ) -> tuple[bytes, str, str, tuple[str, ...], bool]:
        """The bytes to send for a row: ``(body, case id, device id, dropped fields,
        from a draft)``.

        Raises:
            PayloadInvalid: the row is outside the schema, or a malformed draft.
        """
        if is_draft(item.payload):
            payload = finish_draft(item.payload, self._settings, allowed)
            return payload.to_json_bytes(), payload.case_id, payload.device_id, (), True
        payload = parse_payload(item.payload)
        narrowed, dropped = restrict_extras(payload, allowed)
        if not dropped:
            return item.payload, payload.case_id, payload.device_id, (), False  # bytes as queued
        log.warning(
            "sync: message %d (case %s): %d extra field(s) removed, no longer named by the "
            "site policy: %s",
            item.outbox_id,
            payload.case_id,
            len(dropped),
            ", ".join(dropped),
        )
        return narrowed.to_json_bytes(), payload.case_id, payload.device_id, dropped, False

    # ---- internals ----------------------------------------------------------------

    def _load_fields(self) -> None:
        """Read the site policy's fields for this pass (None when it cannot be read)."""
        try:
            names = validate_field_names(self._fields())
        except KioskError as exc:
            log.warning("sync: the site policy's [sync] fields cannot be used: %s", exc.code)
            self._allowed = None
            return
        self._allowed = frozenset(names)
        personal = personal_fields(names)
        if personal and personal != self._warned_personal:
            log.warning(
                "sync: the site policy sends personal fields upstream: %s", ", ".join(personal)
            )
        self._warned_personal = personal

    def _drain(self, limit: int | None, ignore_backoff: bool) -> DrainReport:
        started = time.perf_counter()
        self._load_fields()
        outbox = self._store.outbox
        horizon = _EVERYTHING_BUT_PARKED if ignore_backoff else self._clock()
        opts = self._options
        probing = self._probe_due(horizon)
        if probing:
            horizon = _EVERYTHING_BUT_PARKED
        state = _Pass()
        while state.halted is None and (limit is None or state.attempted < limit):
            if probing and state.attempted and self._recovering:
                break  # the probe failed: the rest keeps its back-off
            want = (
                opts.batch_size if limit is None else min(opts.batch_size, limit - state.attempted)
            )
            if probing and self._recovering:
                want = 1
            # rows retried in this pass are due again at once when back-off is ignored
            fetched = outbox.due(now=horizon, limit=want + len(state.retried))
            # each row at most once per pass, even if recording its outcome went wrong
            items = [i for i in fetched if i.outbox_id not in state.tried][:want]
            if not items:
                break
            in_flight: deque[tuple[OutboxItem, Future[Attempt]]] = deque()
            for item in items:
                if state.halted is not None:
                    break
                in_flight.append((item, self._submit(item)))
                if len(in_flight) >= self._settings.concurrency:
                    self._settle(state, *_result(in_flight.popleft()))
            while in_flight:
                self._settle(state, *_result(in_flight.popleft()))
            if state.delivered:
                outbox.mark_delivered_many(state.delivered, at=self._clock())
                state.delivered = []
            if state.came_back:
                horizon = _EVERYTHING_BUT_PARKED
                if state.failed_while_down:
                    # failed before the upstream showed it was back: not their fault
                    soon = self._clock() + timedelta(seconds=self._options.backoff.floor_s)
                    outbox.bring_forward(sorted(state.failed_while_down), soon)
                    state.failed_while_down.clear()
        if state.halted is not None:
            self._recovering = True
        report = DrainReport(
            attempted=state.attempted,
            delivered=state.counts[Verdict.DELIVERED],
            duplicates=state.counts[Verdict.DUPLICATE],
            retried=state.counts[Verdict.RETRY],
            rejected=state.counts[Verdict.REJECTED],
            halted=state.halted,
            seconds=time.perf_counter() - started,
            stripped=state.stripped,
            drafts=state.drafts,
        )
        if report.attempted:
            log.info(
                "sync pass: attempted=%d delivered=%d duplicates=%d retried=%d rejected=%d "
                "stripped=%d drafts=%d halted=%s",
                report.attempted,
                report.delivered,
                report.duplicates,
                report.retried,
                report.rejected,
                report.stripped,
                report.drafts,
                report.halted or "no",
            )
        return report

    def _probe_due(self, horizon: datetime) -> bool:
        """Whether this pass should try the oldest message although none is due."""
        if not self._recovering or horizon >= _EVERYTHING_BUT_PARKED:
            return False
        outbox = self._store.outbox
        if outbox.due(now=horizon, limit=1) or not outbox.due(now=_EVERYTHING_BUT_PARKED, limit=1):
            return False  # something is due anyway, or nothing is waiting
        now = self._clock()
        last = self._last_probe
        if last is not None and (now - last).total_seconds() < self._options.probe_interval_s:
            return False
        self._last_probe = now
        return True

    def _submit(self, item: OutboxItem) -> Future[Attempt]:
        if self._settings.concurrency == 1:
            done: Future[Attempt] = Future()
            done.set_result(self.deliver(item))
            return done
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=self._settings.concurrency, thread_name_prefix="kiosk-sync-http"
            )
        return self._pool.submit(self.deliver, item)

    def _settle(self, state: _Pass, item: OutboxItem, attempt: Attempt) -> None:
        """Record one outcome (in creation order); deliveries are written per batch."""
        state.attempted += 1
        state.tried.add(item.outbox_id)
        state.counts[attempt.verdict] += 1
        state.stripped += bool(attempt.dropped)
        state.drafts += attempt.from_draft
        if attempt.verdict in (Verdict.DELIVERED, Verdict.DUPLICATE):
            state.delivered.append(item.outbox_id)
            state.in_a_row = 0
            self._failures_while_up.pop(item.outbox_id, None)
            if self._recovering:  # the upstream is back
                self._recovering = False
                self._failures_while_up.clear()
                state.came_back = True
        elif attempt.verdict is Verdict.REJECTED:
            self._set_aside(item, attempt)
            state.in_a_row = 0
            self._failures_while_up.pop(item.outbox_id, None)
        else:
            self._schedule_retry(item, attempt)
            state.retried.add(item.outbox_id)
            if self._recovering:
                state.failed_while_down.add(item.outbox_id)
            state.in_a_row += 1
            if attempt.halt or state.in_a_row >= self._options.halt_after:
                state.halted = state.halted or attempt.kind

    def _schedule_retry(self, item: OutboxItem, attempt: Attempt) -> None:
        backoff = self._options.backoff
        exponent = item.attempts
        if not self._recovering:
            # the upstream answers others: this failure is the message's own
            exponent = min(exponent, self._failures_while_up.get(item.outbox_id, 0))
            self._failures_while_up[item.outbox_id] = exponent + 1
        delay = backoff.delay_s(exponent, self._rng)
        if attempt.retry_after_s is not None:
            delay = max(delay, min(attempt.retry_after_s, backoff.cap_s))
        next_at = self._clock() + timedelta(seconds=delay)
        self._store.outbox.mark_failed(item.outbox_id, _error_text(attempt), next_at)

    def _set_aside(self, item: OutboxItem, attempt: Attempt) -> None:
        log.warning(
            "sync: message %d (case %s) rejected for good: %s",
            item.outbox_id,
            item.case_id,
            attempt.kind,
        )
        self._store.outbox.mark_failed(item.outbox_id, _error_text(attempt), PARKED_AT)


def classify_response(
    outbox_id: int, case_id: str, body: bytes, response: WireResponse, secret: bytes
) -> Attempt:
    """What a receiver's answer means for the message (see the module table).

    Args:
        outbox_id: the row.
        case_id: the payload's case id.
        body: the exact bytes sent (the receipt covers their sha256).
        response: the answer.
        secret: the device secret the receipt is checked with.
    """
    status = response.status
    answer = _json_object(response.body)
    error = answer.get("error")
    raw_code = error.get("code") if isinstance(error, dict) else None
    code = raw_code if isinstance(raw_code, str) and _CODE_RE.fullmatch(raw_code) else ""
    acknowledged = answer.get("case_id") == case_id and receipt_matches(
        secret, case_id, body, answer.get("receipt")
    )

    def retry(kind: str, detail: str, *, halt: bool = False) -> Attempt:
        return Attempt(outbox_id, Verdict.RETRY, kind, detail, status, halt, response.retry_after_s)

    if status == 200:
        if not acknowledged:
            return retry(
                "bad_response", "The upstream answered 200 without a valid receipt.", halt=True
            )
        verdict = Verdict.DUPLICATE if response.idempotent_replayed else Verdict.DELIVERED
        return Attempt(outbox_id, verdict, status=status)
    if status == 409 and code == "replayed" and acknowledged:
        return Attempt(outbox_id, Verdict.DUPLICATE, status=status)
    if status == 409 and code == "idempotency_conflict":
        return Attempt(
            outbox_id,
            Verdict.REJECTED,
            "conflict",
            "The upstream holds a different payload for this case id.",
            status,
        )
    if status in _REJECT_STATUSES:
        return Attempt(
            outbox_id,
            Verdict.REJECTED,
            f"rejected_{code or status}",
            f"The upstream refused the message ({status} {code or 'no code'}).",
            status,
        )
    if status == 401:
        kind = "clock" if code == "stale_timestamp" else "signature"
        return retry(kind, f"The upstream refused the signature ({code or 'no code'}).", halt=True)
    if status in _HALT_STATUSES:
        kind = "config" if status in (403, 404, 405) else f"http_{status}"
        return retry(kind, f"The upstream answered {status} ({code or 'no code'}).", halt=True)
    if status == 408 or 500 <= status <= 599:
        return retry(f"http_{status}", f"The upstream answered {status} ({code or 'no code'}).")
    return retry(f"http_{status}", f"The upstream answered {status}.", halt=True)


def policy_fields_reader(policy_path: Path | None = None) -> Callable[[], tuple[str, ...]]:
    """A function that reads ``[sync] fields`` of the site policy afresh on every call.

    Raises (when called):
        PolicyError: the policy cannot be read.
    """

    def read() -> tuple[str, ...]:
        from kiosk.policy import load_policy

        return load_policy(policy_path).sync_fields

    return read


def sync_status(
    store: Store,
    settings: SyncSettings | None,
    *,
    now: datetime | None = None,
    fields: Sequence[str] | None = None,
    policy_error: str | None = None,
) -> SyncStatus:
    """Queue length, rejected and blocked messages, last success and last error, and
    which fields the site policy sends.

    Args:
        store: the open store.
        settings: the sync settings (None: not configured).
        now: the time "due now" is counted at.
        fields: the site policy's ``[sync] fields``, when the caller read it.
        policy_error: why the policy could not be read, when it could not.
    """
    outbox = store.outbox
    stats = outbox.stats()
    at = now or utc_clock()
    undelivered = outbox.due(now=PARKED_AT, limit=stats.pending) if stats.pending else ()
    parked = [i for i in undelivered if i.next_attempt_at >= PARKED_AT]
    waiting = [i for i in undelivered if i.next_attempt_at < PARKED_AT]
    drafts = [i for i in waiting if is_draft(i.payload)]
    blocked_reason = None
    if drafts:
        try:
            newest = read_draft(drafts[-1].payload)
            blocked_reason = f"{newest.blocked_code}: {newest.blocked_message}"
        except PayloadInvalid:
            blocked_reason = "unreadable draft"
    return SyncStatus(
        configured=settings is not None,
        endpoint=settings.endpoint if settings else None,
        site_id=settings.site_id if settings else None,
        device_id=settings.device_id if settings else None,
        queue_length=len(waiting),
        due_now=sum(1 for i in waiting if i.next_attempt_at <= at),
        rejected=len(parked),
        delivered=stats.delivered,
        oldest_pending_at=stats.oldest_pending_at,
        last_success_at=stats.last_success_at,
        last_error_at=stats.last_error_at,
        last_error=stats.last_error,
        rejected_items=tuple(
            RejectedItem(i.outbox_id, i.case_id, i.last_error) for i in parked[:20]
        ),
        blocked=len(drafts),
        blocked_reason=blocked_reason,
        policy_fields=None if fields is None else tuple(fields),
        personal_fields=personal_fields(fields or ()),
        policy_error=policy_error,
    )


class SenderThread:
    """The app's one sender thread: a pass when poked (a case was saved) or every
    ``poll_interval_s``, and at once again while passes make progress.

    Args:
        sender: the sender to run.
        poll_interval_s: longest wait between passes.
    """

    def __init__(self, sender: Sender, *, poll_interval_s: float = 30.0) -> None:
        self._sender = sender
        self._poll = poll_interval_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_report: DrainReport | None = None

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="kiosk-sync", daemon=True)
            self._thread.start()

    def poke(self) -> None:
        """Run a pass soon (call after saving a case)."""
        self._wake.set()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Finish the current pass and stop."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stop.is_set():
            report: DrainReport | None = None
            try:
                report = self._sender.drain()
            except KioskError as exc:
                log.warning("sync pass failed: %s", exc.code)
            except Exception:  # the thread must survive a bug; the log has the details
                log.exception("sync pass failed unexpectedly")
            self.last_report = report
            progressing = report is not None and report.attempted > 0 and report.halted is None
            if not progressing:
                self._wake.wait(self._poll)
                self._wake.clear()


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _error_text(attempt: Attempt) -> str:
    return f"{attempt.kind}: {attempt.detail}" if attempt.detail else attempt.kind
