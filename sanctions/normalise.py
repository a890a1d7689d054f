"""Normal forms of names and identifiers, so that the lists' spellings can be compared.

A name becomes lower-case ASCII tokens (non-Latin scripts transliterated with anyascii, accents
dropped, punctuation gone). Legal forms and honorifics are weak tokens: kept apart so that
"OOO EXAMPLE HOLDING" and "EXAMPLE HOLDING LLC" compare equal, but never a reason to match.
Token order is ignored downstream ("PETROV, Ivan" == "Ivan Petrov").
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from typing import NamedTuple

from anyascii import anyascii


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


LEGAL_FORMS = _words(
    """llc ltd limited co company corp corporation inc incorporated plc jsc ojsc cjsc pjsc
    ooo oao zao pao ao tov pp gmbh ag kg sa sas sarl srl spa bv nv ab oy fze fzc fzco fz
    llp lp pte pvt private public joint stock closed open liability the of and"""
)
HONORIFICS = _words(
    """mr mrs ms dr prof sheikh shaykh sheik haji hajji hadji mullah mulla maulavi mawlawi
    maulana sayyid sayed syed general gen colonel col major brigadier lieutenant captain
    admiral commander"""
)
WEAK_TOKENS = LEGAL_FORMS | HONORIFICS
# Limited-liability and joint-stock forms: "OOO X" and "OAO X" are two companies, "OOO X" and
# "X LLC" one.
FORM_CLASSES = {
    **dict.fromkeys(
        ["llc", "ooo", "tov", "ltd", "limited", "gmbh", "sarl", "srl", "bv", "pvt", "pte", "llp"],
        "llc",
    ),
    **dict.fromkeys(
        ["jsc", "ojsc", "cjsc", "pjsc", "oao", "zao", "pao", "ao", "ag", "sa", "spa", "nv", "plc"],
        "jsc",
    ),
}
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_VOWELS = re.compile(r"[aeiouy]")
_REPEATS = re.compile(r"(.)\1+")


class NormalName(NamedTuple):
    strong: tuple[str, ...]  # sorted distinct tokens that identify the party
    weak: tuple[str, ...]  # legal forms and honorifics

    @property
    def text(self) -> str:
        """The comparable form: strong tokens in sorted order."""
        return " ".join(self.strong)

    @property
    def legal_form(self) -> str:
        """ "llc" or "jsc" when the name carries one kind of company form, else ""."""
        classes = {FORM_CLASSES[token] for token in self.weak if token in FORM_CLASSES}
        return classes.pop() if len(classes) == 1 else ""


def ascii_tokens(name: str) -> list[str]:
    text = anyascii(unicodedata.normalize("NFKC", name)).casefold()
    return [token for token in _NON_ALNUM.split(text) if token]


@lru_cache(maxsize=1 << 18)
def normalise_name(name: str) -> NormalName:
    tokens = ascii_tokens(name)
    strong = sorted({token for token in tokens if token not in WEAK_TOKENS})
    weak = sorted({token for token in tokens if token in WEAK_TOKENS})
    if not strong:  # a name made only of weak words ("The Company") still needs a form
        strong, weak = weak, []
    return NormalName(tuple(strong), tuple(weak))


@lru_cache(maxsize=1 << 18)
def blocking_keys(text: str) -> tuple[str, ...]:
    """The keys a normalised name is blocked on: each token of two letters or more, and its
    spelling-tolerant skeleton (marked with ~)."""
    tokens = [token for token in text.split() if len(token) >= 2]
    return (*tokens, *(f"~{skeleton(token)}" for token in tokens))


@cache
def skeleton(token: str) -> str:
    """A spelling-tolerant blocking key: no Arabic article, no vowels, no doubled letters
    (mohammed / muhammad / mohamad -> mhmd; al-asiri / assiri -> srs)."""
    for article in ("al", "el", "ul", "ad", "as", "ash", "at", "az"):
        if token.startswith(article) and len(token) > len(article) + 3:
            token = token[len(article) :]
            break
    core = _REPEATS.sub(r"\1", token[0] + _VOWELS.sub("", token[1:]))
    return core if len(core) >= 3 else token


# ---------------------------------------------------------------------------------- identifiers

# id_type text (lower case, contains) -> identifier class compared across lists
ID_CLASSES = (
    ("imo", "imo"),
    ("vessel registration", "imo"),
    ("passport", "passport"),
    ("national id", "national_id"),
    ("national identification", "national_id"),
    ("personal id", "national_id"),
    ("cedula", "national_id"),
    ("c.u.r.p", "national_id"),
    ("ssn", "national_id"),
    ("un reference", "un_reference"),
    ("registration", "registration"),
    ("tax id", "tax_id"),
    ("swift", "swift"),
    ("mmsi", "mmsi"),
    ("legal entity number", "lei"),
)
_ID_CHARS = re.compile(r"[^0-9A-Z]+")
_IMO = re.compile(r"\b(\d{7})\b")
MIN_ID_LENGTH = 5


class NormalIdentifier(NamedTuple):
    id_class: str
    value: str


def normalise_identifier(id_type: str, value: str) -> NormalIdentifier | None:
    """Comparable form of an identifier, or None when it is too short or of no shared class."""
    lowered = id_type.lower()
    id_class = next((cls for key, cls in ID_CLASSES if key in lowered), None)
    if id_class is None:
        return None
    if id_class == "imo":
        found = _IMO.search(value)
        return NormalIdentifier("imo", found.group(1)) if found else None
    compact = _ID_CHARS.sub("", anyascii(value).upper())
    return NormalIdentifier(id_class, compact) if len(compact) >= MIN_ID_LENGTH else None
