"""OFSI's Consolidated List as `ConList.csv` (retired 2026-01-28; read for historical files).

Line 1 is metadata ("Last Updated,10/04/2025"), line 2 the header, then one row per name,
grouped by Group ID. The regime is per row, so a group listed under two regimes keeps both.
Gender, ship details and reference numbers live in "(Key):value" runs of Other Information.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from sanctions.errors import ParseError
from sanctions.model import (
    Address,
    Attribute,
    BirthDate,
    Country,
    Identifier,
    Programme,
    Record,
    Row,
)
from sanctions.parsers.common import (
    UNKNOWN,
    Enumeration,
    Reading,
    clean,
    countries,
    csv_rows,
    decode_text,
    parse_date_text,
    programme_key,
)
from sanctions.parsers.uk_common import (
    ALIAS_QUALITIES,
    ENTITY_TYPES,
    GENDERS,
    JURISDICTION,
    NAME_KINDS,
    non_latin_name,
    numbered,
    person_or_entity_name,
    record_key,
)
from sanctions.parsers.un_references import un_reference_rows

REQUIRED_COLUMNS = (
    "Name 6",
    "Name 1",
    "Name 2",
    "Name 3",
    "Name 4",
    "Name 5",
    "Title",
    "Name Non-Latin Script",
    "DOB",
    "Town of Birth",
    "Country of Birth",
    "Nationality",
    "Passport Number",
    "Passport Details",
    "National Identification Number",
    "National Identification Details",
    "Position",
    "Address 1",
    "Address 2",
    "Address 3",
    "Address 4",
    "Address 5",
    "Address 6",
    "Post/Zip Code",
    "Country",
    "Other Information",
    "Group Type",
    "Alias Type",
    "Alias Quality",
    "Regime",
    "Listed On",
    "Group ID",
)
DATE_DESIGNATED = "UK Sanctions List Date Designated"
# Columns read elsewhere or deliberately not read; any other column holding data is named.
OTHER_COLUMNS = (
    "Non-Latin Script Type",
    "Non-Latin Script Language",
    DATE_DESIGNATED,
    "Last Updated",
)
GROUP_TYPES = Enumeration("Group Type", ENTITY_TYPES)
ALIAS_TYPES = Enumeration("Alias Type", NAME_KINDS)
ALIAS_QUALITY = Enumeration("Alias Quality", ALIAS_QUALITIES, unknown=True)
GENDER = Enumeration("Other Information (Gender)", GENDERS)
_OTHER_INFO_KEY = re.compile(r"\(([A-Z][A-Za-z /.-]{1,40})\):")
OTHER_INFO_IDENTIFIERS = {
    "UK Sanctions List Ref": "UK Sanctions List Ref",
    "IMO number": "IMO",
    "Business Reg No": "Business registration number",
}
OTHER_INFO_ATTRIBUTES = {
    "Phone number": "phone",
    "Email address": "email",
    "Website": "website",
    "Fax": "fax",
    "Type of entity": "entity_type",
    "Parent company": "parent_company",
    "Subsidiaries": "subsidiaries",
    "Type of ship": "vessel_type",
    "Tonnage of ship": "tonnage",
    "Length of ship": "length",
    "Year built": "year_built",
    "Current owners": "vessel_owner",
    "Previous flags": "previous_flags",
}


def _read(path: Path, file_name: str, source_id: str) -> tuple[list[str], list[list[str]]]:
    """The header and the data rows; line 1 (metadata) is checked and skipped."""
    lines = csv_rows(decode_text(path), source_id, file_name)
    metadata = next(lines, (0, []))[1]
    header = next(lines, (0, []))[1]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if not metadata or metadata[0].strip() != "Last Updated" or missing:
        problem = (
            f"columns missing: {', '.join(missing)}"
            if missing
            else "line 1 is not 'Last Updated,<date>'"
        )
        raise ParseError(source_id, file_name, f"not an OFSI ConList.csv: {problem}")
    rows = []
    for line, row in lines:
        if len(row) != len(header):
            raise ParseError(
                source_id, file_name, f"line {line}: {len(row)} fields, expected {len(header)}"
            )
        rows.append(row)
    return header, rows


def publication_date(files: dict[str, Path]) -> date | None:
    with next(iter(files.values())).open(encoding="utf-8-sig", errors="replace") as handle:
        first = handle.readline().strip().split(",")
    return parse_date_text(first[1]).earliest if len(first) > 1 else None


def parse(files: dict[str, Path], source_id: str = "uk_fcdo") -> Iterator[Row]:
    file_name, path = next(iter(files.items()))
    header, rows = _read(path, file_name, source_id)
    column = {name: index for index, name in enumerate(header)}
    groups: dict[str, list[dict[str, str | None]]] = defaultdict(list)
    for row in rows:
        values = {name: clean(row[index]) for name, index in column.items()}
        groups[record_key(values["Group ID"], None)].append(values)
    if not groups:
        raise ParseError(source_id, file_name, "no rows after the header")
    reading = Reading(source_id, file_name)
    unknown = [name for name in header if name not in (*REQUIRED_COLUMNS, *OTHER_COLUMNS)]
    for key, group in groups.items():
        yield from _group_rows(key, group, reading, unknown)
    reading.verdict()
    yield from reading.field_counts()


def _group_rows(key: str, group: list[dict], reading: Reading, unknown: list[str]) -> Iterator[Row]:
    record_id = f"{JURISDICTION}:{key}"
    first = group[0]
    entity_type = reading.read(GROUP_TYPES, first["Group Type"], record_id) or UNKNOWN
    info = _other_information(first["Other Information"])
    gender = info.pop("Gender", [None])[0]
    yield Record(
        record_id,
        key,
        entity_type,
        first["Title"],
        reading.read(GENDER, gender, record_id),
        first["Other Information"],
    )
    facts: dict[Row, None] = {}  # ordered set: the same fact repeats on every name row
    reading.carries(f"column {name!r}" for row in group for name, value in row.items() if value)
    for row in group:
        for fact in _row_facts(record_id, entity_type, row, reading):
            facts.setdefault(fact)
        for column in unknown:
            if row[column]:
                reading.unread(record_id, f"column {column!r}")
    for label, values in info.items():
        for value in values:
            if label == "UN Ref":  # "(UN Ref):QDi.001" runs on into free text
                facts.update(dict.fromkeys(un_reference_rows(record_id, value)))
            elif label in OTHER_INFO_IDENTIFIERS:
                facts.setdefault(Identifier(record_id, OTHER_INFO_IDENTIFIERS[label], value))
            elif label in OTHER_INFO_ATTRIBUTES:
                facts.setdefault(Attribute(record_id, OTHER_INFO_ATTRIBUTES[label], value))
            elif label == "Flag of ship":
                facts.setdefault(Country(record_id, "flag", countries().code(value), value))
    facts.update(dict.fromkeys(reading.rows()))
    yield from facts


def _row_facts(record_id: str, entity_type: str, row: dict, reading: Reading) -> Iterator[Row]:
    weak = reading.read(ALIAS_QUALITY, row["Alias Quality"], record_id) or False
    kind = reading.read(ALIAS_TYPES, row["Alias Type"], record_id) or "aka"
    parts = [row[f"Name {n}"] for n in range(1, 7)]
    if name := person_or_entity_name(record_id, entity_type == "person", parts, kind, weak):
        yield name
    if name := non_latin_name(record_id, row["Name Non-Latin Script"]):
        yield name
    if regime := row["Regime"]:
        # The regime's own designation date: "Listed On" is the first listing on the list,
        # often under an older (EU-era) regime. Files before the column existed give only it.
        dated = row.get(DATE_DESIGNATED, row["Listed On"])
        listed = parse_date_text(dated).earliest if dated else None
        yield Programme(record_id, regime, programme_key(JURISDICTION, regime), None, listed)
    for raw in numbered(row["DOB"]):
        yield BirthDate(record_id, raw, *parse_date_text(raw))
    town, country_of_birth = row["Town of Birth"], row["Country of Birth"]
    if town or country_of_birth:
        place = ", ".join(p for p in (town, country_of_birth) if p)
        yield Attribute(record_id, "place_of_birth", place)
    if country_of_birth:
        yield Country(record_id, "birth", countries().code(country_of_birth), country_of_birth)
    for nationality in numbered(row["Nationality"]):
        yield Country(record_id, "nationality", countries().code(nationality), nationality)
    yield from _documents(record_id, "Passport", row["Passport Number"], row["Passport Details"])
    yield from _documents(
        record_id,
        "National ID",
        row["National Identification Number"],
        row["National Identification Details"],
    )
    for position in numbered(row["Position"]):
        yield Attribute(record_id, "position", position)
    lines = [row[f"Address {n}"] for n in range(1, 7)]
    country = row["Country"]
    full = ", ".join(p for p in (*lines, row["Post/Zip Code"], country) if p)
    if full:
        street = ", ".join(p for p in lines[:5] if p) or None
        yield Address(
            record_id,
            full,
            street,
            lines[5],
            None,
            row["Post/Zip Code"],
            countries().code(country),
            country,
        )
    if country:
        yield Country(record_id, "address", countries().code(country), country)


def _documents(record_id: str, id_type: str, numbers: str | None, details: str | None):
    """Numbers and details come as parallel numbered lists: "(1) 223611 (2) C00146605"."""
    notes = numbered(details)
    for index, number in enumerate(numbered(numbers)):
        note = notes[index] if index < len(notes) else None
        yield Identifier(record_id, id_type, number, None, None, None, None, note)


def _other_information(text: str | None) -> dict[str, list[str]]:
    """The "(Key):value" runs of Other Information, e.g. (Gender):Male (IMO number):7408873."""
    found: dict[str, list[str]] = defaultdict(list)
    if not text:
        return found
    pieces = _OTHER_INFO_KEY.split(text)
    for label, value in zip(pieces[1::2], pieces[2::2], strict=True):
        value = clean(value.rstrip(". "))
        if value and label not in ("UK Statement of Reasons",):
            found[label].append(value)
    return found
