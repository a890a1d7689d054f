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
from rigour.ids import BIC, IMO, LEI
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
    strong: tuple[str, ...]  # sorted tokens that identify the party (a repeated one twice)
    weak: tuple[str, ...]  # legal forms, honorifics, prefixes
    legal_form: str = ""  # the generic legal form ("llc", "jsc", ...) when there is one
    initials: str = ""  # first letters of the name's words in published order ("irgc")
    spelt_out: bool = False  # written letter by letter ("H.U.J.I.", "K H N")

    @property
    def text(self) -> str:
        """The comparable form: strong tokens in sorted order."""
        return " ".join(self.strong)

    @property
    def folded(self) -> str:
        """The comparable form without spacing: "AL-QAIDA" = "ALQAIDA" = "AL QAIDA"."""
        return "".join(self.strong)


def ascii_text(name: str) -> str:
    return _APOSTROPHES.sub("", anyascii(unicodedata.normalize("NFKC", name)).casefold())


def ascii_tokens(text: str) -> list[str]:
    return [token for token in _NON_ALNUM.split(text) if token]


@lru_cache(maxsize=1 << 18)
def normalise_name(name: str, entity_type: str) -> NormalName:
    """Strong and weak tokens of a name of a party of `entity_type` (person, organization,
    vessel, aircraft). A repeated word stays repeated ("SA'ID, Sa'id" is two tokens, not one);
    in an organisation's name a run of single letters is one word ("H.U.J.I." = "HUJI")."""
    text = ascii_text(name)
    tokens = ascii_tokens(text)
    legal_form, spelt_out = "", False
    if entity_type == "organization":
        tokens, spelt_out = _join_letter_runs(tokens)
        forms = extract_org_types(" ".join(tokens), generic=True)
        weak = {token for matched, _ in forms for token in matched.split()}
        weak |= ORGANISATION_FILLERS.intersection(tokens)
        strong = [token for token in tokens if token not in weak]
        classes = {generic for _, generic in forms if generic}
        legal_form = classes.pop() if len(classes) == 1 else ""
    else:
        strong = []
        for part in text.split(","):
            strong += _without_prefixes(" ".join(ascii_tokens(part)), entity_type).split()
        weak = set(tokens) - set(strong)
    if not strong:  # a name made only of weak words ("The Company") still needs a form
        strong, weak = tokens, set()
    initials = "".join(token[0] for token in tokens)
    return NormalName(tuple(sorted(strong)), tuple(sorted(weak)), legal_form, initials, spelt_out)


def _join_letter_runs(tokens: list[str]) -> tuple[list[str], bool]:
    """Join runs of two or more one-letter tokens: "h u j i" -> "huji"."""
    joined: list[str] = []
    run: list[str] = []
    spelt_out = False
    for token in [*tokens, ""]:
        if len(token) == 1 and token.isalpha():
            run.append(token)
            continue
        if len(run) >= 2:
            joined.append("".join(run))
            spelt_out = True
        else:
            joined += run
        run = []
        if token:
            joined.append(token)
    return joined, spelt_out


@lru_cache(maxsize=1 << 16)
def _without_prefixes(part: str, entity_type: str) -> str:
    """A name part without its leading titles (persons) or prefixes (vessels, aircraft); cached
    because the lists repeat parts ("PETROV, Ivan", "PETROV, Sergei")."""
    if entity_type == "person":
        return RELIGIOUS_TITLES.sub("", remove_person_prefixes(part))
    return remove_obj_prefixes(part)


@lru_cache(maxsize=1 << 18)
def blocking_keys(text: str) -> tuple[str, ...]:
    """The keys a normalised name is blocked on: each token of two letters or more, its
    spelling-tolerant skeleton (marked with ~), and the whole name without spacing (marked with
    =), so that a name of common words ("SA'ID, Sa'id") still meets its equal and "AL-QAIDA"
    meets "ALQAIDA"."""
    tokens = [token for token in text.split() if len(token) >= 2]
    return (*tokens, *(f"~{skeleton(token)}" for token in tokens), f"={text.replace(' ', '')}")


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
    ("company number", "registration"),
    ("commercial registry", "registration"),
    ("unified social credit", "registration"),
    ("tax id", "tax_id"),
    ("v.a.t.", "tax_id"),
    ("swift", "swift"),
    ("mmsi", "mmsi"),
    ("legal entity number", "lei"),
)
_ID_CHARS = re.compile(r"[^0-9A-Z]+")
MIN_ID_LENGTH = 5
# A UN sanctions reference: committee letters, i (individual) or e (entity), three digits
# ("QDi.001", "KPe.067"); compared without the dot and in upper case.
UN_REFERENCE = re.compile(r"[A-Z]{2}[IE]\d{3}")
# Classes whose numbers carry a check digit: a number that fails it is a typo or a placeholder.
CHECKED = {"lei": LEI, "swift": BIC}


class NormalIdentifier(NamedTuple):
    id_class: str
    value: str


def normalise_identifier(id_type: str, value: str) -> NormalIdentifier | None:
    """Comparable form of an identifier, or None when it is too short, of no shared class, or
    fails its class's check digit or shape (kept as published text, never used as evidence)."""
    lowered = id_type.lower()
    id_class = next((cls for key, cls in ID_CLASSES if key in lowered), None)
    if id_class is None:
        return None
    if id_class == "imo":  # only a number with a valid IMO check digit
        number = IMO.normalize(value)
        return NormalIdentifier("imo", number.removeprefix("IMO")) if number else None
    compact = _ID_CHARS.sub("", anyascii(value).upper())
    if id_class == "un_reference" and not UN_REFERENCE.fullmatch(compact):
        return None
    if id_class in CHECKED and not CHECKED[id_class].is_valid(compact):
        return None
    return NormalIdentifier(id_class, compact) if len(compact) >= MIN_ID_LENGTH else None
