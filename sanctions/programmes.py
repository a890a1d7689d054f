"""The programme taxonomy: classify the regime strings publishers write into stable keys.

Publishers rename regimes cosmetically (case, dashes, no-break spaces, a French half) and add
new ones every few months. Matching is done on a normalised form of the string, then on the
jurisdiction's own short form of it (the UK publishes each regime under a short name, under its
statutory title with or without "The", "(EU Exit)" and the year, and as the letter prefix of its
references); a string that only names a country falls back to the jurisdiction's regime for that
country (resolved with `countrynames`). This is the one classification path: parsers and
staging both call `classify`, so they cannot disagree. schemas/programmes.csv is re-read when an
analyst edits it, so a long-running process picks up a new row without a restart.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import countrynames
from anyascii import anyascii

from schemas import SCHEMA_FILES

PROGRAMMES_CSV = SCHEMA_FILES / "programmes.csv"
log = logging.getLogger("sanctions.programmes")


def taxonomy_path() -> Path:
    """The taxonomy in use: schemas/programmes.csv, or the analysts' own copy named by
    SANCTIONS_PROGRAMMES (so a team can classify a new regime without editing the install)."""
    configured = os.environ.get("SANCTIONS_PROGRAMMES")
    return Path(configured) if configured else Path(str(PROGRAMMES_CSV))


class ProgrammeInfo(NamedTuple):
    key: str
    title: str
    category: str


# ---------------------------------------------------------------------------------- normalising

_QUOTES = dict.fromkeys(map(ord, "\u2018\u2019\u201b\u02bc\u2032`"), "'")
_BILINGUAL = " / "  # Canada: "English / French", in every element generation
_TRAILING = " .,;:"


def _fold_dashes(text: str) -> str:
    """Every dash (hyphen, en and em dash, minus, ...) becomes "-"."""
    return "".join(
        "-" if char == "\u2212" or unicodedata.category(char) == "Pd" else char for char in text
    )


def normalise_programme(text: str) -> str:
    """The matching form of a published regime string: NFKC, case-folded, one kind of dash,
    quote and space, only the English half of a bilingual string, no trailing punctuation."""
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    text = " ".join(_fold_dashes(text).translate(_QUOTES).split())
    return text.split(_BILINGUAL, 1)[0].rstrip(_TRAILING)


def unclassified_key(jurisdiction: str, raw: str) -> str:
    """A deterministic key for a regime the taxonomy cannot classify, so its listings are kept
    and counted apart until an analyst adds a row: `<JURISDICTION>-UNCLASSIFIED-<SLUG>`."""
    normal = normalise_programme(raw)
    slug = re.sub(r"[^A-Z0-9]+", "-", anyascii(normal).upper()).strip("-")
    digest = hashlib.sha256(normal.encode()).hexdigest()[:8].upper()
    if not slug:  # nothing transliterable (only punctuation): the digest keeps keys apart
        slug = digest
    elif len(slug) > 60:  # long bilingual titles: keep keys readable and still distinct
        slug = f"{slug[:51].rstrip('-')}-{digest}"
    return f"{jurisdiction.upper()}-UNCLASSIFIED-{slug}"


# ---------------------------------------------------------------- jurisdictions' published forms

_UK_TITLE_WRAPPING = (
    re.compile(r"^the "),
    re.compile(r" \((?:united nations )?sanctions\)| \(eu exit\)"),
    re.compile(r" \d{4}$"),
    re.compile(r" regulations$"),
    re.compile(r" sanctions$"),
)
_UK_PREFIX = r"[a-z]{3}"  # the regime letters of a UK Sanctions List reference: GHR0190
_UK_REFERENCE = re.compile(rf"^({_UK_PREFIX})\d+$")


def uk_short_name(normal: str) -> str:
    """The OFSI short name inside a normalised UK statutory title: "the russia (sanctions) (eu
    exit) regulations 2019" -> "russia", "the global human rights sanctions regulations 2020" ->
    "global human rights", "the iran (sanctions) (nuclear) (eu exit) regulations 2019" -> "iran
    (nuclear)"; a UK Sanctions List reference ("ghr0190") -> its regime prefix ("ghr")."""
    if match := _UK_REFERENCE.match(normal):
        return match[1]
    for wrapping in _UK_TITLE_WRAPPING:
        normal = wrapping.sub("", normal)
    return normal


# jurisdiction -> the short form its publishers' longer strings reduce to
SHORT_FORMS = {"UK": uk_short_name}


def _is_reference_prefix(jurisdiction: str, normal: str) -> bool:
    return jurisdiction == "UK" and re.fullmatch(_UK_PREFIX, normal) is not None


# ------------------------------------------------------------------------------------ countries

_QUALIFIED = re.compile(r"^(?P<name>[^()]+) \((?P<qualifier>[^()]+)\)$")


def named_country(normal: str) -> str | None:
    """The ISO 3166 code of the country a normalised regime string names and nothing more:
    "myanmar (burma)" names Myanmar, "iran (human rights)" and "iran (nuclear)" are thematic
    regimes about Iran, not the Iran regime. Two-letter strings are never read as ISO codes
    (the EU's "HR" is its human-rights regime, the UN's "GB" is Guinea-Bissau)."""
    if len(normal) <= 2:
        return None
    if code := countrynames.to_code(normal):
        return code
    match = _QUALIFIED.match(normal)
    if match:
        country = countrynames.to_code(match["name"])
        if country and countrynames.to_code(match["qualifier"]) == country:
            return country
    return None


# ------------------------------------------------------------------------------------- taxonomy


@dataclass(frozen=True)
class Taxonomy:
    """schemas/programmes.csv, indexed for classification."""

    path: Path
    by_code: dict[tuple[str, str], ProgrammeInfo]  # (jurisdiction, normalised code)
    # (jurisdiction, ISO country) -> the country regime whose published code names the country
    by_country: dict[tuple[str, str], ProgrammeInfo]
    # parsers ask once per record: remember each (jurisdiction, raw string) answered
    _answers: dict[tuple[str, str], ProgrammeInfo | None] = field(default_factory=dict)

    def classify(self, jurisdiction: str, raw: str) -> ProgrammeInfo | None:
        if (jurisdiction, raw) not in self._answers:
            normal = normalise_programme(raw)
            forms = [normal]
            if short_form := SHORT_FORMS.get(jurisdiction):
                forms.append(short_form(normal))
            info = next(
                (
                    found
                    for form in forms
                    if (found := self.by_code.get((jurisdiction, form))) is not None
                ),
                None,
            )
            for form in forms:
                if info is None and (country := named_country(form)):
                    info = self.by_country.get((jurisdiction, country))
            self._answers[(jurisdiction, raw)] = info
        return self._answers[(jurisdiction, raw)]

    @classmethod
    def load(cls, path: Path) -> Taxonomy:
        by_code: dict[tuple[str, str], ProgrammeInfo] = {}
        by_country: dict[tuple[str, str], ProgrammeInfo | None] = {}
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                info = _info(row, path, reader.line_num)
                jurisdiction, normal = (
                    row["jurisdiction"],
                    normalise_programme(row["programme_code"]),
                )
                earlier = by_code.setdefault((jurisdiction, normal), info)
                if earlier.key != info.key:
                    raise ValueError(
                        f"programme taxonomy {path}: line {reader.line_num}: "
                        f"{jurisdiction} {row['programme_code']!r} is {info.key} but an earlier "
                        f"row with the same normalised code is {earlier.key}"
                    )
                # a reference prefix ("BEL" for Belarus) is no country name (BEL is Belgium)
                names_country = info.category == "country" and not _is_reference_prefix(
                    jurisdiction, normal
                )
                country = named_country(normal) if names_country else None
                if country:
                    known = by_country.setdefault((jurisdiction, country), info)
                    if known is not None and known.key != info.key:
                        log.warning(
                            "programme taxonomy %s: %s has two regimes for country %s (%s, %s); "
                            "strings naming only that country stay unclassified",
                            path,
                            jurisdiction,
                            country,
                            known.key,
                            info.key,
                        )
                        by_country[(jurisdiction, country)] = None
        for (jurisdiction, normal), info in by_code.items():
            short_form = SHORT_FORMS.get(jurisdiction)
            other = by_code.get((jurisdiction, short_form(normal))) if short_form else None
            if other is not None and other.key != info.key:
                raise ValueError(
                    f"programme taxonomy {path}: {jurisdiction} {normal!r} is {info.key} but "
                    f"its short form {short_form(normal)!r} is {other.key}"
                )
        resolved = {where: info for where, info in by_country.items() if info is not None}
        return cls(path, by_code, resolved)


def _info(row: dict[str, str], path: Path, line: int) -> ProgrammeInfo:
    if not all(row.get(column) for column in ("jurisdiction", "programme_code", "programme_key")):
        raise ValueError(f"programme taxonomy {path}: line {line}: empty jurisdiction, code or key")
    return ProgrammeInfo(row["programme_key"], row["title"], row["category"])


_loaded: dict[Path, tuple[tuple[int, int], Taxonomy]] = {}


def taxonomy(path: Path | None = None) -> Taxonomy:
    """The taxonomy in `path`, re-read whenever the file's mtime or size changes, so a row an
    analyst adds reaches a long-running Dagster process without a restart."""
    path = path or taxonomy_path()
    stat = path.stat()
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _loaded.get(path)
    if cached and cached[0] == stamp:
        return cached[1]
    loaded = Taxonomy.load(path)
    _loaded[path] = (stamp, loaded)
    return loaded


def classify(jurisdiction: str, raw: str, path: Path | None = None) -> ProgrammeInfo | None:
    """The taxonomy entry of a published regime string: its normalised form, else, when it only
    names a country, the jurisdiction's regime for that country; None when neither is known."""
    return taxonomy(path).classify(jurisdiction, raw)


def key_for(jurisdiction: str, raw: str) -> str:
    """The key every table gives a published regime string under the taxonomy in use: its
    classification, else its UNCLASSIFIED key (staging, core and the history key alike)."""
    info = classify(jurisdiction, raw)
    return info.key if info else unclassified_key(jurisdiction, raw)
