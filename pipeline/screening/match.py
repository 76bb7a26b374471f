"""Screen one person against sanctions and PEP lists.

How a query runs (:meth:`Screener.screen`):

1. **Normalise** the subject's surname and given names together (lists do not
   say reliably which part of a name is the surname, so the split is not used).
2. **Block**: every list name is indexed under two keys per token, the first
   four letters of its ``fold`` and the first three of its consonant
   ``skeleton`` (``normalize.py``). The candidates are the names sharing at
   least one key with the query, so a typo or a transliteration variant in one
   token is still found through the others.
3. **Rank** the candidates three ways, in C (rapidfuzz ``cdist`` and numpy):
   ``token_sort_ratio`` of the folds, the same of the skeletons (tokens are
   sorted once at build time, so it is a plain ``ratio`` here), and the number
   of index keys shared with the query (which keeps a long list name holding
   every query token, as ``token_set_ratio`` would, at a fraction of its cost).
   The best ``candidate_limit`` of each ranking go on.
4. **Score** each ranked name token by token (:func:`name_similarity`): every
   query token is paired with at most one list token, best pairs first; a pair
   scores the ``ratio`` of the folds, raised halfway towards the ratio of the
   skeletons (vowel variants: ``mohamed``/``muhamad``), or for Arabic-script
   tokens the skeleton ratio times ``abjad_weight``. The name score is the
   larger of the F1-style ``2 * sum / (|query| + |list name|)`` and, when the
   shorter name has two tokens or more, its containment ``sum / |shorter|``
   times ``subset_floor + subset_span * |shorter| / |longer|`` (0.90 for two
   of three tokens, 0.875 for two of four), so a list entry with a patronymic
   the passport lacks still scores high, and a short name inside a long one
   does not score as if it were the whole name.
5. **Corroborate** with the dates of birth and nationalities (:func:`dob_agreement`,
   :func:`nationality_agreement`) and **decide** (:func:`decide_match`).

The screener is immutable after construction and safe to share between threads.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from pipeline.screening.countries import country_from_mrz
from pipeline.screening.errors import (
    NoSanctionsList,
    ScreeningOptionsInvalid,
    ScreeningSubjectInvalid,
)
from pipeline.screening.lists import (
    BirthDate,
    DatePrecision,
    EntityType,
    ListInfo,
    SanctionsEntry,
    SanctionsList,
)
from pipeline.screening.normalize import (
    NameToken,
    NormalisedName,
    normalise_name,
    without_article,
    without_patronymic,
)
from pipeline.types import Timings


class Outcome(enum.Enum):
    """The screening outcome, in increasing severity."""

    CLEAR = "clear"
    REVIEW = "review"
    HIT = "hit"

    @property
    def rank(self) -> int:
        """0 for clear, 1 for review, 2 for hit."""
        return _OUTCOME_RANK[self]


_OUTCOME_RANK = {Outcome.CLEAR: 0, Outcome.REVIEW: 1, Outcome.HIT: 2}


class DobAgreement(enum.Enum):
    """How the subject's date of birth compares with an entry's listed ones.

    ``EXACT``: a full listed date is the same day. ``PARTIAL``: a listed month,
    year or span of years contains it. ``NEAR``: a full listed date in the same
    year, or with day and month swapped. ``CONFLICT``: the list gives dates and
    none of the above holds. ``NOT_LISTED``: the entry has none. ``NOT_GIVEN``:
    the subject's is unknown.
    """

    EXACT = "exact"
    PARTIAL = "partial"
    NEAR = "near"
    CONFLICT = "conflict"
    NOT_LISTED = "not_listed"
    NOT_GIVEN = "not_given"


class NationalityAgreement(enum.Enum):
    """Whether the subject's nationality is among an entry's listed ones."""

    AGREES = "agrees"
    CONFLICTS = "conflicts"
    NOT_LISTED = "not_listed"
    NOT_GIVEN = "not_given"


class NameKind(enum.Enum):
    """Which of an entry's names matched."""

    PRIMARY = "primary"
    ALIAS = "alias"
    WEAK_ALIAS = "weak_alias"


@dataclass(frozen=True, slots=True, repr=False)
class ScreeningSubject:
    """The person to screen, as read from the document.

    ``repr`` hides every field: this is personal data and must not reach a log.

    Attributes:
        surname: primary identifier (MRZ fillers allowed).
        given_names: secondary identifier, may be empty.
        date_of_birth: full date, or None when unknown.
        nationality: ISO 3166-1 alpha-3 or MRZ code (``DEU``, ``D<<``, ``UTO``), or None.
    """

    surname: str
    given_names: str = ""
    date_of_birth: dt.date | None = None
    nationality: str | None = None

    def __repr__(self) -> str:
        return "ScreeningSubject(<redacted>)"

    @property
    def full_name(self) -> str:
        """Surname and given names in one string (the matcher ignores the order)."""
        return f"{self.surname} {self.given_names}".strip()


@dataclass(frozen=True, slots=True)
class ScreeningOptions:
    """Thresholds and limits; scores are in [0, 1].

    Attributes:
        review_threshold: a combined score at or above it is at least ``review``. 0.85
            keeps recall on the benchmark's planted variants within 0.3 points of 0.80
            while halving the reviews of absent names (``tests/bench/bench_screening.py``).
        hit_name: name score needed for ``hit`` when a full date of birth agrees.
        near_exact_name: name score needed for ``hit`` when the list gives only a
            year, month or span that contains the subject's date, or no date at all.
        dob_exact_bonus, dob_partial_bonus: added to the name score for agreement.
        dob_conflict_penalty: subtracted when every listed date disagrees.
        nationality_bonus, nationality_penalty: added / subtracted for agreement / conflict.
        abjad_weight: the most an Arabic-script token pair can score (its vowels are unknown).
        subset_floor, subset_span: scaling of the containment score (module docstring).
        candidate_limit: names kept from each rapidfuzz ranking pass.
        coarse_cutoff: rapidfuzz scores (0..100) below this are not ranked.
        max_matches: matches reported, strongest first.
        include_organisations: also screen against organisations, vessels and aircraft
            (a person is screened against persons and entries of unknown type only).
        hit_without_listed_dob: a near-exact name on an entry that lists no date of
            birth is a ``hit``; when False it is ``review``, since nothing but the name
            corroborates it (see the benchmark for what each setting costs).
    """

    review_threshold: float = 0.85
    hit_name: float = 0.90
    near_exact_name: float = 0.97
    dob_exact_bonus: float = 0.05
    dob_partial_bonus: float = 0.02
    dob_conflict_penalty: float = 0.15
    nationality_bonus: float = 0.02
    nationality_penalty: float = 0.05
    abjad_weight: float = 0.95
    subset_floor: float = 0.80
    subset_span: float = 0.15
    candidate_limit: int = 40
    coarse_cutoff: float = 40.0
    max_matches: int = 10
    include_organisations: bool = False
    hit_without_listed_dob: bool = True

    def __post_init__(self) -> None:
        unit = (
            "review_threshold",
            "hit_name",
            "near_exact_name",
            "dob_exact_bonus",
            "dob_partial_bonus",
            "dob_conflict_penalty",
            "nationality_bonus",
            "nationality_penalty",
            "abjad_weight",
            "subset_floor",
            "subset_span",
        )
        for name in unit:
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ScreeningOptionsInvalid(f"Screening option {name} must be within 0..1.")
        if not self.review_threshold <= self.hit_name <= self.near_exact_name:
            raise ScreeningOptionsInvalid(
                "Screening thresholds must satisfy review_threshold <= hit_name <= near_exact_name."
            )
        if self.subset_floor + self.subset_span > 1.0:
            raise ScreeningOptionsInvalid("subset_floor + subset_span must not exceed 1.")
        if self.candidate_limit < 1 or self.max_matches < 1:
            raise ScreeningOptionsInvalid("candidate_limit and max_matches must be at least 1.")
        if not 0.0 <= self.coarse_cutoff <= 100.0:
            raise ScreeningOptionsInvalid("coarse_cutoff must be within 0..100.")


@dataclass(frozen=True, slots=True)
class NameScore:
    """How well two names agree.

    Attributes:
        score: in [0, 1], rounded to 4 decimals.
        matched_tokens: token pairs that scored above zero.
        query_tokens, entry_tokens: token counts of the two names.
        abjad: an Arabic-script token took part in a pair.
    """

    score: float
    matched_tokens: int
    query_tokens: int
    entry_tokens: int
    abjad: bool


@dataclass(frozen=True, slots=True)
class ScreeningMatch:
    """One list entry that the subject may be.

    Attributes:
        entry: the list entry.
        list_sha256: digest of the list it came from (see :class:`ListInfo`).
        matched_name: the entry's name, as published, that scored best.
        name_kind: primary name, alias or weak alias.
        name_score: see :func:`name_similarity`.
        dob: date-of-birth agreement.
        nationality: nationality agreement.
        combined_score: name score plus the agreement bonuses and penalties, in [0, 1].
        outcome: ``hit`` or ``review`` (clear matches are not reported).
        why: short reasons a compliance officer can read; they quote no personal data.
    """

    entry: SanctionsEntry
    list_sha256: str
    matched_name: str
    name_kind: NameKind
    name_score: float
    dob: DobAgreement
    nationality: NationalityAgreement
    combined_score: float
    outcome: Outcome
    why: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """JSON for the CLI and the case record."""
        return {
            "outcome": self.outcome.value,
            "combined_score": self.combined_score,
            "name_score": self.name_score,
            "matched_name": self.matched_name,
            "name_kind": self.name_kind.value,
            "dob": self.dob.value,
            "nationality": self.nationality.value,
            "why": list(self.why),
            "list_sha256": self.list_sha256,
            "entry": self.entry.to_json(),
        }


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    """The outcome of screening one subject.

    Attributes:
        outcome: the most severe outcome among the matches, ``clear`` without any.
        matches: hit and review matches, most severe and highest scoring first.
        lists: every list screened against, with version, date and digest.
        timings: milliseconds per stage (normalise, candidates, rank, score).
        candidates: list names the key index proposed for this query.
        options: the thresholds the decision used.
    """

    outcome: Outcome
    matches: tuple[ScreeningMatch, ...]
    lists: tuple[ListInfo, ...]
    timings: Timings
    candidates: int
    options: ScreeningOptions = field(default_factory=ScreeningOptions)

    def to_json(self) -> dict[str, Any]:
        """JSON for the CLI and the case record (no data about the subject)."""
        from dataclasses import asdict

        return {
            "outcome": self.outcome.value,
            "matches": [m.to_json() for m in self.matches],
            "lists": [i.to_json() for i in self.lists],
            "timings_ms": self.timings.to_json(),
            "candidates": self.candidates,
            "options": asdict(self.options),
        }


# --- scoring ---------------------------------------------------------------------------


@functools.cache
def _rapidfuzz() -> Any:
    """rapidfuzz, imported on first use (about 20 ms) rather than with the package."""
    import rapidfuzz

    return rapidfuzz


def _pair_similarity(
    a: NameToken, b: NameToken, abjad_weight: float, similarity: Callable[[str, str], float]
) -> float:
    best = _token_similarity(a, b, abjad_weight, similarity)
    if best < 1.0:
        # "ALTAMIMI" against "al-Tamimi" (whose separate article normalisation dropped).
        for x, y in ((without_article(a), b), (a, without_article(b))):
            if x is not None and y is not None:
                best = max(best, _token_similarity(x, y, abjad_weight, similarity))
    return best


def _token_similarity(
    a: NameToken, b: NameToken, abjad_weight: float, similarity: Callable[[str, str], float]
) -> float:
    if a.abjad or b.abjad:
        if not a.skeleton or not b.skeleton:
            return abjad_weight * similarity(a.fold, b.fold)
        return abjad_weight * similarity(a.skeleton, b.skeleton)
    folded: float = similarity(a.fold, b.fold)
    if folded == 1.0 or not a.skeleton or not b.skeleton:
        return folded
    return max(folded, (folded + similarity(a.skeleton, b.skeleton)) / 2.0)


def _merge_adjacent(tokens: Sequence[NameToken], other_folds: set[str]) -> list[NameToken]:
    """Join two neighbouring tokens where the other name has them as one word."""
    out = list(tokens)
    i = 0
    while i + 1 < len(out):
        joined = out[i].fold + out[i + 1].fold
        if joined in other_folds and out[i].fold not in other_folds:
            a, b = out[i], out[i + 1]
            out[i : i + 2] = [
                NameToken(a.text + b.text, joined, a.skeleton + b.skeleton, a.abjad or b.abjad)
            ]
        i += 1
    return out


def name_similarity(
    query: NormalisedName,
    candidate: NormalisedName,
    options: ScreeningOptions | None = None,
    *,
    cache: dict[tuple[NameToken, NameToken], float] | None = None,
) -> NameScore:
    """Token-order-insensitive similarity of two normalised names.

    Args:
        query: the subject's name.
        candidate: a list name.
        options: supplies ``abjad_weight``, ``subset_floor`` and ``subset_span``.
        cache: token-pair similarities already computed for this query (list names
            share tokens, so one query meets the same pairs again and again).

    Returns:
        The score and how many tokens took part (module docstring, step 4).
    """
    opts = options or ScreeningOptions()
    q_tokens = _merge_adjacent(query.tokens, {t.fold for t in candidate.tokens})
    c_tokens = _merge_adjacent(candidate.tokens, {t.fold for t in q_tokens})
    if not q_tokens or not c_tokens:
        return NameScore(0.0, 0, len(q_tokens), len(c_tokens), False)
    similarity = _rapidfuzz().distance.Indel.normalized_similarity
    memo = cache if cache is not None else {}
    scored = []
    for i, q in enumerate(q_tokens):
        for j, c in enumerate(c_tokens):
            sim = memo.get((q, c))
            if sim is None:
                sim = memo[(q, c)] = _pair_similarity(q, c, opts.abjad_weight, similarity)
            scored.append((sim, i, j))
    pairs = sorted(scored, reverse=True)
    used_q: set[int] = set()
    used_c: set[int] = set()
    total, matched, abjad = 0.0, 0, False
    for sim, i, j in pairs:
        if sim <= 0.0 or i in used_q or j in used_c:
            continue
        used_q.add(i)
        used_c.add(j)
        total += sim
        matched += 1
        abjad = abjad or q_tokens[i].abjad or c_tokens[j].abjad
    nq, nc = len(q_tokens), len(c_tokens)
    score = 2.0 * total / (nq + nc)
    shorter, longer = min(nq, nc), max(nq, nc)
    if shorter >= 2 and longer > shorter:
        scale = opts.subset_floor + opts.subset_span * shorter / longer
        score = max(score, total / shorter * scale)
    return NameScore(round(min(score, 1.0), 4), matched, nq, nc, abjad)


def dob_agreement(subject_dob: dt.date | None, listed: Sequence[BirthDate]) -> DobAgreement:
    """Compare the subject's date of birth with an entry's listed dates (best one wins)."""
    if not listed:
        return DobAgreement.NOT_LISTED
    if subject_dob is None:
        return DobAgreement.NOT_GIVEN
    best = DobAgreement.CONFLICT
    for birth in listed:
        if birth.precision is DatePrecision.DAY:
            if birth.earliest == subject_dob:
                return DobAgreement.EXACT
            swapped = (
                birth.earliest.year == subject_dob.year
                and birth.earliest.month == subject_dob.day
                and birth.earliest.day == subject_dob.month
            )
            if (birth.earliest.year == subject_dob.year or swapped) and best is not (
                DobAgreement.PARTIAL
            ):
                best = DobAgreement.NEAR
        elif birth.contains(subject_dob):
            best = DobAgreement.PARTIAL
    return best


def nationality_agreement(
    subject_alpha3: str | None, listed: Sequence[str]
) -> NationalityAgreement:
    """Whether the subject's ISO alpha-3 nationality is among the entry's."""
    if not listed:
        return NationalityAgreement.NOT_LISTED
    if subject_alpha3 is None:
        return NationalityAgreement.NOT_GIVEN
    if subject_alpha3 in listed:
        return NationalityAgreement.AGREES
    return NationalityAgreement.CONFLICTS


_DOB_WHY = {
    DobAgreement.EXACT: "date of birth matches a listed date exactly",
    DobAgreement.PARTIAL: "date of birth lies within a listed year, month or span",
    DobAgreement.NEAR: "date of birth in the same year as a listed date, or day and month swapped",
    DobAgreement.CONFLICT: "date of birth disagrees with every listed date",
    DobAgreement.NOT_LISTED: "the list gives no date of birth",
    DobAgreement.NOT_GIVEN: "no date of birth to compare",
}
_NAT_WHY = {
    NationalityAgreement.AGREES: "nationality is among the listed ones",
    NationalityAgreement.CONFLICTS: "nationality is not among the listed ones",
    NationalityAgreement.NOT_LISTED: "the list gives no nationality",
    NationalityAgreement.NOT_GIVEN: "no nationality to compare",
}


def decide_match(
    entry: SanctionsEntry,
    name: NameScore,
    name_kind: NameKind,
    dob: DobAgreement,
    nationality: NationalityAgreement,
    options: ScreeningOptions,
    name_note: str = "",
) -> tuple[Outcome, float, tuple[str, ...]]:
    """The outcome of one candidate, its combined score and the reasons.

    ``hit`` needs a sanctioned entry, a match on its primary name or a normal
    alias, no nationality conflict, and either a name score >= ``hit_name`` with
    an exact date of birth, or a name score >= ``near_exact_name`` with a
    listed year/month/span containing the date of birth or no listed date at
    all. Otherwise a combined score >= ``review_threshold`` is ``review``.

    Returns:
        (outcome, combined score, reasons).
    """
    o = options
    adjust = {
        DobAgreement.EXACT: o.dob_exact_bonus,
        DobAgreement.PARTIAL: o.dob_partial_bonus,
        DobAgreement.CONFLICT: -o.dob_conflict_penalty,
    }.get(dob, 0.0)
    adjust += {
        NationalityAgreement.AGREES: o.nationality_bonus,
        NationalityAgreement.CONFLICTS: -o.nationality_penalty,
    }.get(nationality, 0.0)
    combined = round(min(1.0, max(0.0, name.score + adjust)), 4)
    kind = {
        NameKind.PRIMARY: "primary name",
        NameKind.ALIAS: "an alias",
        NameKind.WEAK_ALIAS: "a weak alias",
    }[name_kind]
    why = [
        f"name score {name.score:.2f} on {kind} "
        f"({name.matched_tokens} of {name.query_tokens} query tokens paired with "
        f"{name.entry_tokens} listed)"
        + (", Arabic script compared by consonants" if name.abjad else "")
        + (f", {name_note}" if name_note else ""),
        _DOB_WHY[dob],
        _NAT_WHY[nationality],
    ]
    strong = name.score >= o.hit_name
    near_exact = name.score >= o.near_exact_name
    corroborated = (
        (strong and dob is DobAgreement.EXACT)
        or (near_exact and dob is DobAgreement.PARTIAL)
        or (near_exact and dob is DobAgreement.NOT_LISTED and o.hit_without_listed_dob)
    )
    blocked = []
    if not entry.sanctioned:
        blocked.append(
            "politically exposed person, not a sanctions designation"
            if entry.pep
            else "listed for a reason other than sanctions"
        )
    if name_kind is NameKind.WEAK_ALIAS:
        blocked.append("the list marks this alias as low quality")
    if nationality is NationalityAgreement.CONFLICTS:
        blocked.append("nationality conflict")
    if corroborated and not blocked:
        why.append(
            {
                DobAgreement.EXACT: "hit: strong name match and the exact date of birth",
                DobAgreement.PARTIAL: "hit: near-exact name match, birth within the listed period",
                DobAgreement.NOT_LISTED: "hit: near-exact name match; no date of birth listed",
            }[dob]
        )
        return Outcome.HIT, combined, tuple(why)
    if combined >= o.review_threshold:
        if corroborated:
            why.append("review, not hit: " + "; ".join(blocked))
        elif entry.pep and not entry.sanctioned:
            why.append("review: " + blocked[0])
        else:
            why.append(f"review: combined score {combined:.2f} >= {o.review_threshold:.2f}")
        return Outcome.REVIEW, combined, tuple(why)
    return Outcome.CLEAR, combined, tuple(why)


# --- index -------------------------------------------------------------------------------


def _keys(tokens: Iterable[NameToken]) -> set[str]:
    keys: set[str] = set()
    for token in tokens:
        bare = without_article(token)
        for t in (token, bare) if bare is not None else (token,):
            _add_keys(keys, t)
    return keys


def _add_keys(keys: set[str], t: NameToken) -> None:
    if t.fold:
        keys.add("f" + t.fold[:4])
    if len(t.skeleton) >= 2:
        keys.add("s" + t.skeleton[:3])


class _IndexForm(NamedTuple):
    """A normalised name with its sorted folds and skeletons and its index keys."""

    name: NormalisedName
    fold: str
    skeleton: str
    keys: set[str]
    note: str  # how the form differs from the published name, or ""


def _index_forms(name: NormalisedName) -> list[_IndexForm]:
    """The forms a list name is indexed under: itself, and without a patronymic."""
    forms = []
    for variant, note in ((name, ""), (without_patronymic(name), "without the patronymic")):
        if variant:
            tokens = variant.tokens
            folds = " ".join(sorted(t.fold for t in tokens))
            skeletons = " ".join(sorted(t.skeleton or t.fold for t in tokens))
            forms.append(_IndexForm(variant, folds, skeletons, _keys(tokens), note))
    return forms


class _IndexedName(NamedTuple):
    """One list name in the index (a tuple: 60 000 of them are built at start-up)."""

    entry: int
    kind: NameKind
    name: NormalisedName
    published: str
    note: str


_KIND_ORDER = {NameKind.PRIMARY: 0, NameKind.ALIAS: 1, NameKind.WEAK_ALIAS: 2}
_DOB_ORDER = {d: i for i, d in enumerate(DobAgreement)}


class Screener:
    """Screens subjects against one or more lists; build once, query many times.

    Use :meth:`from_lists`. Immutable after construction; safe across threads.
    """

    def __init__(self, lists: Sequence[SanctionsList], options: ScreeningOptions) -> None:
        if not lists:
            raise NoSanctionsList()
        started = time.perf_counter()
        self.options = options
        self._lists = tuple(lists)
        self._entries: list[tuple[SanctionsEntry, str]] = []
        names: list[_IndexedName] = []
        folds: list[str] = []
        skeletons: list[str] = []
        postings: dict[str, list[int]] = {}
        screened_types = (EntityType.PERSON, EntityType.UNKNOWN)  # a tuple: enum hashing is slow
        seen_names: dict[str, list[_IndexForm]] = {}
        for sanctions_list in lists:
            for entry in sanctions_list.entries:
                if not (options.include_organisations or entry.entity_type in screened_types):
                    continue
                index = len(self._entries)
                self._entries.append((entry, sanctions_list.sha256))
                done: set[str] = set()
                variants = (
                    [(entry.primary_name, NameKind.PRIMARY)]
                    + [(a, NameKind.ALIAS) for a in entry.aliases]
                    + [(a, NameKind.WEAK_ALIAS) for a in entry.weak_aliases]
                )
                for published, kind in variants:
                    known = seen_names.get(published)
                    if known is None:
                        known = seen_names[published] = _index_forms(normalise_name(published))
                    for normalised, fold, skeleton, keys, note in known:
                        if fold in done:
                            continue  # the same name once more (after folding)
                        done.add(fold)
                        name_id = len(names)
                        names.append(_IndexedName(index, kind, normalised, published, note))
                        folds.append(fold)
                        skeletons.append(skeleton)
                        for key in keys:
                            postings.setdefault(key, []).append(name_id)
        self._names = names
        self._postings = {k: np.asarray(v, dtype=np.int32) for k, v in postings.items()}
        self._fold_array = np.asarray(folds, dtype=object)
        self._skeleton_array = np.asarray(skeletons, dtype=object)
        self.build_ms = (time.perf_counter() - started) * 1000.0

    @classmethod
    def from_lists(
        cls, lists: Iterable[SanctionsList], options: ScreeningOptions | None = None
    ) -> Screener:
        """Index the lists for screening.

        Args:
            lists: one or more imported lists (``load_list``, ``ListStore.load_all``).
            options: thresholds; defaults to :class:`ScreeningOptions`.

        Raises:
            NoSanctionsList: no list given.
        """
        return cls(tuple(lists), options or ScreeningOptions())

    @property
    def lists(self) -> tuple[ListInfo, ...]:
        """The lists this screener searches, as cited in results."""
        return tuple(lst.info for lst in self._lists)

    @property
    def indexed_names(self) -> int:
        """Distinct normalised names in the index (primary names and aliases)."""
        return len(self._names)

    def close(self) -> None:
        """Nothing to release; present for the component shape."""

    def __enter__(self) -> Screener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _candidates(
        self, query: NormalisedName
    ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Names sharing a key with the query, and how many keys each shares."""
        hit_lists = [p for k in _keys(query.tokens) if (p := self._postings.get(k)) is not None]
        if not hit_lists:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        counts = np.bincount(np.concatenate(hit_lists), minlength=len(self._names))
        ids = np.flatnonzero(counts)
        return ids, counts[ids]

    def _rank(
        self, query: NormalisedName, ids: np.ndarray[Any, Any], shared: np.ndarray[Any, Any]
    ) -> list[int]:
        """The candidates worth scoring in full: the best of three rankings (module docstring)."""
        rf = _rapidfuzz()
        o = self.options
        limit = o.candidate_limit
        q_fold = " ".join(sorted(t.fold for t in query.tokens))
        q_skel = " ".join(sorted(t.skeleton or t.fold for t in query.tokens))
        folds = self._fold_array[ids].tolist()
        skels = self._skeleton_array[ids].tolist()
        by_fold = rf.process.cdist([q_fold], folds, scorer=rf.fuzz.ratio, workers=1)[0]
        by_skel = rf.process.cdist([q_skel], skels, scorer=rf.fuzz.ratio, workers=1)[0]
        by_keys = shared * 1000.0 + by_fold  # most shared keys first, fold ratio breaks ties
        chosen: set[int] = set()
        for scores, floor in (
            (by_fold, o.coarse_cutoff),
            (by_skel, o.coarse_cutoff),
            (by_keys, 0.0),
        ):
            top = (
                np.argpartition(-scores, limit - 1)[:limit]
                if len(scores) > limit
                else (np.arange(len(scores)))
            )
            chosen.update(int(ids[i]) for i in top if scores[i] >= floor)
        return sorted(chosen)

    def screen(self, subject: ScreeningSubject) -> ScreeningResult:
        """Screen one person.

        Args:
            subject: names, date of birth and nationality from the document.

        Returns:
            The outcome with every hit/review match and the lists searched.

        Raises:
            ScreeningSubjectInvalid: the name has no letter or digit to compare.
        """
        o = self.options
        watch: list[tuple[str, float]] = []
        t = time.perf_counter()

        def lap(stage: str) -> None:
            nonlocal t
            now = time.perf_counter()
            watch.append((stage, (now - t) * 1000.0))
            t = now

        query = normalise_name(subject.full_name)
        if not query:
            raise ScreeningSubjectInvalid("The name to screen has no letters or digits.")
        nationality = country_from_mrz(subject.nationality) if subject.nationality else None
        subject_dob = subject.date_of_birth
        if isinstance(subject_dob, dt.datetime):  # a datetime would not compare with dates
            subject_dob = subject_dob.date()
        lap("normalise")
        ids, shared = self._candidates(query)
        lap("candidates")
        ranked = self._rank(query, ids, shared) if len(ids) else []
        lap("rank")
        best: dict[int, tuple[NameScore, _IndexedName]] = {}
        pair_cache: dict[tuple[NameToken, NameToken], float] = {}
        for name_id in ranked:
            indexed = self._names[name_id]
            score = name_similarity(query, indexed.name, o, cache=pair_cache)
            held = best.get(indexed.entry)
            if held is None or (score.score, -_KIND_ORDER[indexed.kind]) > (
                held[0].score,
                -_KIND_ORDER[held[1].kind],
            ):
                best[indexed.entry] = (score, indexed)
        matches: list[ScreeningMatch] = []
        for entry_index, (score, indexed) in best.items():
            if score.score < o.review_threshold - o.dob_exact_bonus - o.nationality_bonus:
                continue  # no bonus could lift it to review
            entry, list_sha = self._entries[entry_index]
            dob = dob_agreement(subject_dob, entry.dates_of_birth)
            nat = nationality_agreement(nationality, entry.nationalities)
            outcome, combined, why = decide_match(
                entry, score, indexed.kind, dob, nat, o, indexed.note
            )
            if outcome is Outcome.CLEAR:
                continue
            matches.append(
                ScreeningMatch(
                    entry,
                    list_sha,
                    indexed.published,
                    indexed.kind,
                    score.score,
                    dob,
                    nat,
                    combined,
                    outcome,
                    why,
                )
            )
        # The combined score is capped at 1, so ties at the top go to the stronger evidence.
        matches.sort(
            key=lambda m: (
                -m.outcome.rank,
                -m.combined_score,
                -m.name_score,
                _DOB_ORDER[m.dob],
                m.entry.entry_id,
            )
        )
        kept = tuple(matches[: o.max_matches])
        lap("score")
        overall = kept[0].outcome if kept else Outcome.CLEAR
        return ScreeningResult(overall, kept, self.lists, Timings(tuple(watch)), len(ids), o)
