"""Name normalisation for screening: one Latin, lower-case, accent-free token form.

The same function runs on list names and on the name being screened, so every
rule below applies to both sides alike:

* Unicode NFKD, combining marks removed (``José`` -> ``jose``, ``й`` -> ``и``),
  case folded (``ß`` -> ``ss``), and the Latin letters NFKD leaves alone mapped
  (``ø`` -> ``o``, ``ł`` -> ``l``, ``æ`` -> ``ae``).
* Cyrillic transliterated with the ICAO 9303-3 table (the one machine-readable
  passports use: ``Юрий`` -> ``iurii``); Greek with ICAO's ELOT 743 table.
* Arabic script transliterated letter by letter to consonants with the long
  vowels ``ا و ي`` as ``a u i`` and short vowels unwritten (``محمد`` -> ``mhmd``).
  Such tokens are flagged ``abjad``: the matcher compares them on consonant
  skeletons only, since the vowels are not in the text.
* Separators (space, ``-``, ``<``, ``,``, ``.``, ``/``, parentheses) split tokens;
  apostrophes vanish (``O'Brien`` -> ``obrien``, as in an MRZ).
* Arabic name particles: the article ``al``/``el`` as a separate word (or
  hyphenated, or assimilated as in ``ar-rahman``, or written ``ال`` in Arabic
  script) is dropped; ``abd``, ``abu``, ``bin``, ``ibn``, ``bint`` and their
  spellings (``abdul``, ``abdel``, ``abou``...) are joined to the next word and
  spelt one way (``Abd al-Rahman``, ``ABDUL RAHMAN``, ``Abdurrahman`` ->
  ``abdrahman``; ``Abdullah``, ``ABD ALLAH`` -> ``abdlah``).

Each token also carries two comparison forms. ``fold`` evens out the spellings
that romanisation schemes disagree on (English, French, German, ICAO):
``sch tsch tch dzh ph ck`` -> ``sh ch ch j f k``, ``ou oo`` -> ``u``, ``ee`` -> ``i``,
``y j`` -> ``i``, ``w`` -> ``v``, then doubled letters single (``Semjonowa``,
``Semyonova`` -> ``semionova``; ``Youssef`` -> ``iusef``; ``Rasheed`` -> ``rashid``).
Arabic-script tokens keep their ``j`` and ``w``. ``skeleton`` is the fold's
consonants, with ``c q`` -> ``k`` (``mohammed`` and ``muhammad`` are both ``mhmd``).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

# ICAO 9303-3 (2021) transliteration of Cyrillic, lower case, applied after NFKD has
# split off diacritics (so й, ё, ї, ў, ѓ, ќ arrive as и, е, і, у, г, к, as ICAO wants).
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z",
    "и": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "ie", "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia",
    "є": "ie", "і": "i", "ґ": "g", "ђ": "d", "ј": "j", "љ": "lj", "њ": "nj", "ћ": "c",
    "џ": "dz", "ѕ": "dz",
}  # fmt: skip

# ICAO 9303-3 / ELOT 743 for Greek, lower case, after NFKD removed the tonos.
_GREEK = {
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th",
    "ι": "i", "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p",
    "ρ": "r", "σ": "s", "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps",
    "ω": "o",
}  # fmt: skip

# Arabic script (with the Persian and Urdu letters) to Latin consonants. Long vowels
# and the letters that carry them become vowels (dropped from skeletons); ع and ء
# become vowels or nothing, since Latin spellings mostly drop them too.
_ARABIC = {
    "ا": "a", "ب": "b", "ت": "t", "ث": "th", "ج": "j", "ح": "h", "خ": "kh", "د": "d",
    "ذ": "dh", "ر": "r", "ز": "z", "س": "s", "ش": "sh", "ص": "s", "ض": "d", "ط": "t",
    "ظ": "z", "ع": "a", "غ": "gh", "ف": "f", "ق": "q", "ك": "k", "ل": "l", "م": "m",
    "ن": "n", "ه": "h", "و": "u", "ي": "i", "ى": "a", "ة": "a", "ء": "", "ـ": "",
    "پ": "p", "چ": "ch", "ژ": "zh", "گ": "g", "ک": "k", "ی": "i", "ۀ": "h", "ہ": "h",
    "ھ": "h", "ے": "e", "ٹ": "t", "ڈ": "d", "ڑ": "r", "ں": "n",
}  # fmt: skip

# Latin letters that NFKD does not decompose.
_LATIN_EXTRA = {
    "æ": "ae", "ø": "o", "œ": "oe", "đ": "d", "ð": "d", "þ": "th", "ł": "l", "ı": "i",
    "ħ": "h", "ŋ": "n", "ŧ": "t", "ĸ": "k", "ſ": "s", "ŀ": "l",
}  # fmt: skip

_CHAR_MAP = str.maketrans({**_CYRILLIC, **_GREEK, **_ARABIC, **_LATIN_EXTRA})

_APOSTROPHES = "'\u2019\u2018\u02bc\u02bb`\u00b4"
# Everything that is neither a letter nor a digit separates tokens.
_SEPARATORS = re.compile(r"[^\w]+|_+")
# A hyphenated Latin article, including the assimilated forms (ar-rahman, ash-shami).
_HYPHEN_ARTICLE = re.compile(
    r"(?<![^\s<,./()\-])(?:al|el|ar|as|ash|at|ad|az|an|ath|adh)-(?=\w)", re.IGNORECASE
)
_ARTICLES = frozenset({"al", "el"})
# The article assimilated to a "sun letter" (ar rahman, ash shami, ad din): dropped
# when it stands alone and the next word starts with the letter it doubles.
_SUN_ARTICLES = frozenset({"ar", "as", "ash", "at", "ad", "az", "an", "ath", "adh"})
_JOINED = {
    "abd": "abd",
    "abdul": "abd",
    "abdel": "abd",
    "abdal": "abd",
    "abdol": "abd",
    "abdoul": "abd",
    "abdu": "abd",
    "abu": "abu",
    "abou": "abu",
    "bin": "bin",
    "ibn": "bin",
    "bint": "bint",
}
_ABD_PREFIX = re.compile(r"^abd[aeiou]*l?")
_ABU_PREFIX = re.compile(r"^ab(?:ou|o|u)(?=[a-z])")
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_VOWELS = frozenset("aeiouy")
# Spelling folds, in order (longer patterns first).
_FOLDS = (
    ("tsch", "ch"),
    ("sch", "sh"),
    ("tch", "ch"),
    ("dzh", "j"),
    ("ph", "f"),
    ("ck", "k"),
    ("ou", "u"),
    ("oo", "u"),
    ("ee", "i"),
    ("y", "i"),
    ("j", "i"),
    ("w", "v"),
)


@dataclass(frozen=True, slots=True)
class NameToken:
    """One normalised name token.

    Attributes:
        text: Latin, lower case, accent-free letters and digits.
        fold: ``text`` with ``y`` -> ``i`` and doubled letters single.
        skeleton: the consonants of ``fold`` (see the module docstring); may be empty.
        abjad: written in Arabic script, so its vowels are unknown.
    """

    text: str
    fold: str
    skeleton: str
    abjad: bool


@dataclass(frozen=True, slots=True)
class NormalisedName:
    """A name as screening compares it: tokens in the original order."""

    tokens: tuple[NameToken, ...]

    @property
    def text(self) -> str:
        """Tokens joined by spaces (for display in tests and debugging, not for logs)."""
        return " ".join(t.text for t in self.tokens)

    def __bool__(self) -> bool:
        return bool(self.tokens)


def to_latin(text: str) -> str:
    """Transliterate and fold ``text`` to Latin lower case; separators are kept as they are.

    Args:
        text: any name, in any script this module knows (others pass through).

    Returns:
        The folded text.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    # ELOT 743 writes the Greek digraph ου as "ou", not letter by letter ("oy").
    return stripped.casefold().replace("ου", "ou").translate(_CHAR_MAP)


def collapse_doubles(text: str) -> str:
    """``mohammed`` -> ``mohamed``: runs of one letter become one letter."""
    out: list[str] = []
    for ch in text:
        if not out or out[-1] != ch:
            out.append(ch)
    return "".join(out)


def skeleton_of(fold: str) -> str:
    """The consonant skeleton of a folded token (``mohamed`` -> ``mhmd``)."""
    s = fold.replace("c", "k").replace("q", "k")
    return collapse_doubles("".join(ch for ch in s if ch not in _VOWELS))


def fold_of(text: str, abjad: bool = False) -> str:
    """The comparison form of one Latin token (module docstring)."""
    if abjad:
        return collapse_doubles(text)
    for written, folded in _FOLDS:
        if written in text:
            text = text.replace(written, folded)
    return collapse_doubles(text)


@functools.lru_cache(maxsize=65536)
def _token(text: str, abjad: bool) -> NameToken:
    fold = fold_of(text, abjad)
    return NameToken(text=text, fold=fold, skeleton=skeleton_of(fold), abjad=abjad)


def _chunks(text: str) -> list[tuple[str, bool]]:
    """Split raw text into (latin token, written-in-Arabic) pairs, before the particle rules."""
    for apostrophe in _APOSTROPHES:
        text = text.replace(apostrophe, "")
    text = _HYPHEN_ARTICLE.sub(" ", text)
    out: list[tuple[str, bool]] = []
    for raw in _SEPARATORS.split(text):
        if raw:
            out.extend(_word(raw))
    return out


@functools.lru_cache(maxsize=65536)
def _word(raw: str) -> tuple[tuple[str, bool], ...]:
    """One separator-free word as Latin parts, each flagged if written in Arabic script."""
    abjad = _ARABIC_SCRIPT.search(raw) is not None
    # The Arabic article is written joined to its word; alef-lam then at least
    # two letters (so الله, "Allah", keeps its lam-lam and the rule stays exact).
    if abjad and raw.startswith("\u0627\u0644") and len(raw) > 4:
        raw = raw[2:]
    return tuple((part, abjad) for part in _SEPARATORS.split(to_latin(raw)) if part)


def normalise_name(text: str) -> NormalisedName:
    """Normalise one name (any script, any order, MRZ fillers allowed).

    Args:
        text: e.g. ``"José Müller"``, ``"ERIKSSON<<ANNA<MARIA"``, ``"محمد عبد الله"``.

    Returns:
        The tokens; empty when the text holds no letter or digit.
    """
    raw = _chunks(text)
    chunks = [
        (t, a)
        for k, (t, a) in enumerate(raw)
        if t not in _ARTICLES
        and not (
            t in _SUN_ARTICLES
            and k + 1 < len(raw)
            and raw[k + 1][0].startswith(t[1:])
            and len(raw[k + 1][0]) > len(t)
        )
    ]
    tokens: list[NameToken] = []
    i = 0
    while i < len(chunks):
        word, abjad = chunks[i]
        particle = _JOINED.get(word)
        if particle is not None and i + 1 < len(chunks):
            nxt, nxt_abjad = chunks[i + 1]
            word, abjad = particle + nxt, abjad or nxt_abjad
            i += 1
        if not abjad:
            word = _ABD_PREFIX.sub("abd", word) if word.startswith("abd") else word
            word = _ABU_PREFIX.sub("abu", word)
            if word.startswith("ibn") and len(word) > 3:
                word = "bin" + word[3:]
        tokens.append(_token(word, abjad))
        i += 1
    return NormalisedName(tuple(tokens))


_PATRONYMIC_ENDINGS = ("ovich", "evich", "ovna", "evna", "ichna", "inichna", "ich")


def is_patronymic(token: NameToken) -> bool:
    """An East Slavic patronymic (``Sergeyevich``, ``Aleksandrovna``, ``Ilyich``) in any
    romanisation; passports' machine-readable zones leave these out."""
    return len(token.fold) >= 5 and token.fold.endswith(_PATRONYMIC_ENDINGS) and not token.abjad


def without_patronymic(name: NormalisedName) -> NormalisedName | None:
    """The name without its patronymic, for names of three tokens or more that have one."""
    if len(name.tokens) < 3:
        return None
    kept = tuple(t for t in name.tokens[1:-1] if not is_patronymic(t))
    if len(kept) == len(name.tokens) - 2:
        return None
    return NormalisedName((name.tokens[0], *kept, name.tokens[-1]))


@functools.lru_cache(maxsize=65536)
def without_article(token: NameToken) -> NameToken | None:
    """``altamimi`` -> ``tamimi``: the Arabic article written joined to a Latin word.

    Only offered as an alternative when comparing and indexing (the token itself
    keeps it), since Western names start with these letters too (``Albert``).
    """
    if token.abjad or len(token.text) < 6 or not token.text.startswith(("al", "el")):
        return None
    return _token(token.text[2:], False)


def split_mrz_name(field: str) -> tuple[str, str]:
    """(surname, given names) from an MRZ name field such as ``ERIKSSON<<ANNA<MARIA``.

    ``<<`` separates the primary from the secondary identifier and ``<`` is a space
    (ICAO 9303-3); a field without ``<<`` is all surname.
    """
    body = field.strip().rstrip("<")
    surname, _, given = body.partition("<<")
    return (" ".join(surname.replace("<", " ").split()), " ".join(given.replace("<", " ").split()))
