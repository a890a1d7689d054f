"""Normal forms of names and identifiers, so that the lists' spellings can be compared.

A name becomes lower-case ASCII tokens (non-Latin scripts transliterated with anyascii, accents
dropped, punctuation gone). Words that say what kind of party it is are weak tokens: kept apart
so that "OOO EXAMPLE HOLDING" and "EXAMPLE HOLDING LLC" compare equal, but never a reason to
match. Which words those are depends on the entity type, so that a person called "Kim Sa Ho"
keeps "sa" and the "General Directorate" of an organisation keeps "general":
- organisations: legal forms as rigour's org-types database finds them ("OOO", "Public Joint
  Stock Company", "S.A. de C.V.") with their generic class (llc, jsc, ...);
- persons: honorifics at the head of the name or of a comma-separated part ("Dr.", "General";
  "AGHA, Haji Abdul Manan");
- vessels and aircraft: prefixes such as "M/V".
Token order is ignored downstream ("PETROV, Ivan" == "Ivan Petrov").
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from typing import NamedTuple

from anyascii import anyascii
from rigour.ids import IMO
from rigour.names import extract_org_types, remove_obj_prefixes, remove_person_prefixes

# rigour's person prefixes are Western titles; these Arabic and South Asian religious titles
# lead many names on the lists and are missing from it.
RELIGIOUS_TITLES = re.compile(
    r"^((haji|hajji|hadji|sheikh|shaykh|sheik|shaikh|mullah|mulla|maulavi|mawlawi|maulana"
    r"|sayyid|sayyed|seyyed|seyed|sayed|syed)\s+)+"
)
# Words of organisation names that rigour does not count as legal forms but the lists add or
# drop at will ("TIDEWATER MIDDLE EAST CO." / "MIDDLE EAST TIDEWATER COMPANY", "(PVT) LTD.").
# rigour's own stopword list would also drop "al" and "de", which identify many organisations.
ORGANISATION_FILLERS = frozenset(
    ["the", "of", "and", "co", "company", "corp", "corporation", "pvt"]
)
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_APOSTROPHES = re.compile(r"['`]+")  # "SA'ID" is one word, "said", not "sa" and "id"
_VOWELS = re.compile(r"[aeiouy]")
_REPEATS = re.compile(r"(.)\1+")


class NormalName(NamedTuple):
    strong: tuple[str, ...]  # sorted distinct tokens that identify the party
    weak: tuple[str, ...]  # legal forms, honorifics, prefixes
    legal_form: str = ""  # the generic legal form ("llc", "jsc", ...) when there is one

    @property
    def text(self) -> str:
        """The comparable form: strong tokens in sorted order."""
        return " ".join(self.strong)


def ascii_text(name: str) -> str:
    return _APOSTROPHES.sub("", anyascii(unicodedata.normalize("NFKC", name)).casefold())


def ascii_tokens(text: str) -> list[str]:
    return [token for token in _NON_ALNUM.split(text) if token]


@lru_cache(maxsize=1 << 18)
def normalise_name(name: str, entity_type: str) -> NormalName:
    """Strong and weak tokens of a name of a party of `entity_type` (person, organization,
    vessel, aircraft)."""
    text = ascii_text(name)
    tokens = ascii_tokens(text)
    legal_form = ""
    if entity_type == "organization":
        forms = extract_org_types(" ".join(tokens), generic=True)
        weak = {token for matched, _ in forms for token in matched.split()}
        weak |= ORGANISATION_FILLERS.intersection(tokens)
        strong = set(tokens) - weak
        classes = {generic for _, generic in forms if generic}
        legal_form = classes.pop() if len(classes) == 1 else ""
    else:
        strong = set()
        for part in text.split(","):
            strong.update(_without_prefixes(" ".join(ascii_tokens(part)), entity_type).split())
        weak = set(tokens) - strong
    if not strong:  # a name made only of weak words ("The Company") still needs a form
        strong, weak = weak, set()
    return NormalName(tuple(sorted(strong)), tuple(sorted(weak)), legal_form)


@lru_cache(maxsize=1 << 16)
def _without_prefixes(part: str, entity_type: str) -> str:
    """A name part without its leading titles (persons) or prefixes (vessels, aircraft); cached
    because the lists repeat parts ("PETROV, Ivan", "PETROV, Sergei")."""
    if entity_type == "person":
        return RELIGIOUS_TITLES.sub("", remove_person_prefixes(part))
    return remove_obj_prefixes(part)


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
    if id_class == "imo":  # only a number with a valid IMO check digit
        number = IMO.normalize(value)
        return NormalIdentifier("imo", number.removeprefix("IMO")) if number else None
    compact = _ID_CHARS.sub("", anyascii(value).upper())
    return NormalIdentifier(id_class, compact) if len(compact) >= MIN_ID_LENGTH else None
