"""Canada's Consolidated Canadian Autonomous Sanctions List (`sema-lmes.xml`): SEMA and JVCFOA.

A flat list of `<record>` elements with no ids and no attributes. Global Affairs Canada has
renamed the elements twice without notice (2025: `EntityOrShip`, `TitleOrShip`, ...; 2026-08-24:
bilingual `Country-Pays`, `LastName-NomDeFamille`, ...), so elements are read by their English
part, every known generation is accepted, and unknown elements are reported by name. `Country`
holds the sanctions regime, not a nationality.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from sanctions.model import Attribute, BirthDate, Identifier, Name, Programme, Record, Row
from sanctions.parsers.common import (
    ElementWatch,
    clean,
    excel_serial_date,
    has_name,
    local_name,
    parse_date_text,
    programme_key,
    script_of,
    single_file,
    stream_records,
)

JURISDICTION = "CA"
# English element name (the part before the first "-") -> field, for all three generations.
FIELDS = {
    "Country": "regime",
    "LastName": "last_name",
    "GivenName": "given_name",
    "Entity": "entity_name",
    "EntityOrShip": "entity_name",
    "Title": "title_or_ship_type",
    "TitleOrShip": "title_or_ship_type",
    "TitleOrShipType": "title_or_ship_type",
    "Aliases": "aliases",
    "DateOfBirth": "date",
    "DateOfBirthOrShipBuildDate": "date",
    "ShipIMONumber": "imo",
    "Schedule": "schedule",
    "Item": "item",
    "DateOfListing": "listed_on",
}
JVCFOR = "Justice for Victims of Corrupt Foreign Officials Regulations (JVCFOR)"
# Alias separators seen in the real files; script labels ("Russian: ...") are dropped too.
_ALIAS_SPLIT = re.compile(
    r"\s*(?:;|,|\(?\ba\.k\.a\.?|\(?\balso known as\b|\bALIAS:)\s*", re.IGNORECASE
)
_SCRIPT_LABEL = re.compile(r"^(?:[A-Z][a-z]+ ?){1,2}:\s*")
# A fragment that is only a legal form belongs to the name before it ("Htoo Co., Ltd.").
_LEGAL_FORM_ONLY = re.compile(
    r"^(?:ltd|limited|llc|inc|co|corp|plc|jsc|pjsc|ojsc|cjsc|ooo|oao|zao|s\.?a|gmbh|fze|llp)\.?$",
    re.IGNORECASE,
)


def publication_date(files: dict[str, Path]) -> date | None:
    """The Canadian file carries no publication date."""
    return None


def parse(files: dict[str, Path], source_id: str = "ca_sema") -> Iterator[Row]:
    file_name, path = single_file(files, source_id, "sema-lmes.xml")
    yield from stream_records(
        source_id,
        file_name,
        path,
        ("record",),
        ElementWatch(frozenset(FIELDS), key=_english, required=frozenset(("Country", "Item"))),
        lambda _, element: _rows(_fields(element)),
        lambda rows: has_name(rows, primary=True),
    )


def _english(element) -> str:
    """The English part of an element name: Country-Pays -> Country."""
    return local_name(element).split("-", 1)[0]


def _fields(record) -> dict[str, str]:
    fields = {}
    for child in record:
        field = FIELDS.get(_english(child))
        if field and (value := clean(child.text)):
            fields[field] = value
    return fields


def _rows(fields: dict[str, str]) -> Iterator[Row]:
    regime = fields.get("regime", "")
    key = "|".join((regime, fields.get("schedule", ""), fields.get("item", "")))
    record_id = f"{JURISDICTION}:{key}"
    given, last = fields.get("given_name"), fields.get("last_name")
    imo = fields.get("imo")
    if given or last:
        entity_type = "person"
    elif imo or "title_or_ship_type" in fields:
        entity_type = "vessel"
    else:
        entity_type = "organization"
    title = fields.get("title_or_ship_type") if entity_type == "person" else None
    yield Record(record_id, key, entity_type, title)

    if entity_type == "person":
        full = " ".join(part for part in (given, last) if part)
        yield Name(record_id, full, "primary", False, script_of(full), given, last)
    elif fields.get("entity_name"):
        yield Name(
            record_id, fields["entity_name"], "primary", False, script_of(fields["entity_name"])
        )
    for alias in split_aliases(fields.get("aliases", "")):
        yield Name(record_id, alias, "aka", False, script_of(alias))

    english = regime.split(" / ", 1)[0].strip()
    code = JVCFOR if english.startswith(JVCFOR) else english
    listed_on = parse_date_text(fields["listed_on"]).earliest if "listed_on" in fields else None
    yield Programme(
        record_id, regime, programme_key(JURISDICTION, code), fields.get("schedule"), listed_on
    )

    if imo:
        yield Identifier(record_id, "IMO", imo)
    if entity_type == "vessel" and "title_or_ship_type" in fields:
        yield Attribute(record_id, "vessel_type", fields["title_or_ship_type"])
    if raw_date := fields.get("date"):
        parsed = (excel_serial_date(raw_date) if entity_type == "vessel" else None) or (
            parse_date_text(raw_date)
        )
        yield BirthDate(record_id, raw_date, *parsed)


def split_aliases(text: str) -> list[str]:
    """Split Canada's one-string alias field into names."""
    aliases: list[str] = []
    for piece in _ALIAS_SPLIT.split(text):
        piece = _SCRIPT_LABEL.sub("", piece.strip()).strip(" ()")
        if not piece:
            continue
        if aliases and _LEGAL_FORM_ONLY.match(piece):
            aliases[-1] = f"{aliases[-1]}, {piece}"
        else:
            aliases.append(piece)
    return aliases
