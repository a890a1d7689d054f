"""The UN Security Council Consolidated List (`consolidated.xml`), loaded as a reference list.

`CONSOLIDATED_LIST` (with `dateGenerated`) holds `INDIVIDUALS/INDIVIDUAL` and
`ENTITIES/ENTITY`, streamed one at a time. Records are keyed on the UN reference number
(`QDi.001`), unique in the list and cited by the national lists, which is what makes this list
useful: it tells which national listings implement a UN listing. The committee is
`UN_LIST_TYPE`; alias quality Low marks a weak alias.
"""

from __future__ import annotations

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
    Name,
    Programme,
    Record,
    Row,
)
from sanctions.parsers.common import (
    DateRange,
    ElementWatch,
    Enumeration,
    clean,
    countries,
    day_range,
    has_name,
    parse_date_text,
    programme_key,
    root_date,
    script_of,
    single_file,
    stream_records,
)
from sanctions.parsers.un_references import un_reference_rows

JURISDICTION = "UN"
# The record elements are children of these containers; their names are the entity types.
CONTAINERS = ("INDIVIDUALS", "ENTITIES")
RECORD_ELEMENTS = Enumeration("record element", {"INDIVIDUAL": "person", "ENTITY": "organization"})
NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
# QUALITY of an alias: its strength, or (in older entries) its kind.
ALIAS_QUALITIES = Enumeration(
    "alias QUALITY",
    {
        "Good": ("aka", False),
        "a.k.a.": ("aka", False),
        "Low": ("aka", True),
        "f.k.a.": ("fka", False),
    },
    unknown=("unknown", True),  # an alias of unread strength never decides a match alone
)
GENDERS = Enumeration("GENDER", {"Male": "male", "Female": "female"})
RECORD_CHILDREN = frozenset(
    {
        *NAME_PARTS,
        "DATAID",
        "VERSIONNUM",
        "UN_LIST_TYPE",
        "REFERENCE_NUMBER",
        "LISTED_ON",
        "NAME_ORIGINAL_SCRIPT",
        "COMMENTS1",
        "GENDER",
        "TITLE",
        "DESIGNATION",
        "NATIONALITY",
        "LIST_TYPE",
        "LAST_DAY_UPDATED",
        "INDIVIDUAL_ALIAS",
        "ENTITY_ALIAS",
        "INDIVIDUAL_ADDRESS",
        "ENTITY_ADDRESS",
        "INDIVIDUAL_DATE_OF_BIRTH",
        "INDIVIDUAL_PLACE_OF_BIRTH",
        "INDIVIDUAL_DOCUMENT",
        "SORT_KEY",
        "SORT_KEY_LAST_MOD",
    }
)


def publication_date(files: dict[str, Path]) -> date | None:
    """The root's dateGenerated (2025-04-19T23:00:04.625Z)."""
    return root_date(files, "dateGenerated")


def parse(files: dict[str, Path], source_id: str = "un_sc") -> Iterator[Row]:
    file_name, path = single_file(files, source_id, "consolidated.xml")
    watch = ElementWatch(RECORD_CHILDREN)
    yield from stream_records(
        source_id,
        file_name,
        path,
        RECORD_ELEMENTS.published,
        watch,
        lambda kind, element: _record_rows(element, kind, source_id, file_name, watch),
        lambda rows: has_name(rows, primary=True),
        containers=CONTAINERS,
    )


def _text(element, path: str) -> str | None:
    return clean(element.findtext("/".join(f"{{*}}{step}" for step in path.split("/"))))


def _values(element, path: str) -> list[str]:
    found = element.iterfind("/".join(f"{{*}}{step}" for step in path.split("/")))
    return [text for item in found if (text := clean(item.text))]


def _record_rows(
    element, kind: str, source_id: str, file_name: str, watch: ElementWatch
) -> Iterator[Row]:
    """Rows of one INDIVIDUAL or ENTITY (`kind`), whose aliases and addresses are named after it."""
    reference = _text(element, "REFERENCE_NUMBER")
    if reference is None:
        raise ParseError(
            source_id, file_name, f"DATAID {_text(element, 'DATAID')}: no REFERENCE_NUMBER"
        )
    record_id = f"{JURISDICTION}:{reference}"
    yield Record(
        record_id,
        reference,
        watch.read(RECORD_ELEMENTS, kind, record_id),
        next(iter(_values(element, "TITLE/VALUE")), None),
        watch.read(GENDERS, _text(element, "GENDER"), record_id),
        _text(element, "COMMENTS1"),
    )
    if name := " ".join(part for tag in NAME_PARTS if (part := _text(element, tag))):
        yield Name(record_id, name, "primary", False, script_of(name))
    if original := _text(element, "NAME_ORIGINAL_SCRIPT"):
        yield Name(record_id, original, "aka", False, script_of(original))
    for alias in element.iterfind(f"{{*}}{kind}_ALIAS"):
        if alias_name := _text(alias, "ALIAS_NAME"):
            name_kind, weak = watch.read(ALIAS_QUALITIES, _text(alias, "QUALITY"), record_id) or (
                "aka",
                False,
            )
            yield Name(record_id, alias_name, name_kind, weak, script_of(alias_name))
    if committee := _text(element, "UN_LIST_TYPE"):
        listed = _text(element, "LISTED_ON")
        yield Programme(
            record_id,
            committee,
            programme_key(JURISDICTION, committee),
            _text(element, "LIST_TYPE/VALUE"),
            parse_date_text(listed[:10]).earliest if listed else None,
        )
    yield from un_reference_rows(record_id, reference)
    for position in _values(element, "DESIGNATION/VALUE"):
        yield Attribute(record_id, "position", position)
    for nationality in _values(element, "NATIONALITY/VALUE"):
        if nationality.lower() != "na":
            yield Country(record_id, "nationality", countries().code(nationality), nationality)
    for birth in element.iterfind("{*}INDIVIDUAL_DATE_OF_BIRTH"):
        yield from _birth_date(record_id, birth)
    for place in element.iterfind("{*}INDIVIDUAL_PLACE_OF_BIRTH"):
        yield from _place_of_birth(record_id, place)
    for document in element.iterfind("{*}INDIVIDUAL_DOCUMENT"):
        yield from _document(record_id, document)
    for address in element.iterfind(f"{{*}}{kind}_ADDRESS"):
        yield from _address(record_id, address)


def _birth_date(record_id: str, element) -> Iterator[BirthDate]:
    """EXACT, APPROXIMATELY or BETWEEN, with a DATE, a YEAR or FROM_YEAR..TO_YEAR."""
    exact, year = _text(element, "DATE"), _text(element, "YEAR")
    first, last = _text(element, "FROM_YEAR"), _text(element, "TO_YEAR")
    if exact:
        raw, parsed = exact, parse_date_text(exact)
    elif year and year.isdigit():
        raw, parsed = year, day_range(int(year))
    elif first and last and first.isdigit() and last.isdigit():
        raw = f"{first} to {last}"
        parsed = DateRange(date(int(first), 1, 1), date(int(last), 12, 31), "range")
    else:
        return
    if parsed is None:
        parsed = DateRange(None, None, "unparsed")
    elif _text(element, "TYPE_OF_DATE") == "APPROXIMATELY" and parsed.earliest:
        parsed = parsed._replace(precision="circa")
    yield BirthDate(record_id, raw, *parsed)


def _place_of_birth(record_id: str, element) -> Iterator[Row]:
    country = _text(element, "COUNTRY")
    parts = [_text(element, tag) for tag in ("CITY", "STATE_PROVINCE")]
    place = ", ".join(part for part in (*parts, country) if part)
    if place:
        yield Attribute(record_id, "place_of_birth", place)
    if country:
        yield Country(record_id, "birth", countries().code(country), country)


def _document(record_id: str, element) -> Iterator[Identifier]:
    number = _text(element, "NUMBER")
    if not number:
        return
    country = _text(element, "ISSUING_COUNTRY") or _text(element, "COUNTRY_OF_ISSUE")
    kinds = [_text(element, "TYPE_OF_DOCUMENT"), _text(element, "TYPE_OF_DOCUMENT2")]
    notes = [_text(element, "CITY_OF_ISSUE"), _text(element, "NOTE")]
    yield Identifier(
        record_id,
        " / ".join(kind for kind in kinds if kind) or "unknown",
        number,
        countries().code(country),
        country,
        _text(element, "DATE_OF_ISSUE"),
        None,
        "; ".join(note for note in notes if note) or None,
    )


def _address(record_id: str, element) -> Iterator[Row]:
    street, city = _text(element, "STREET"), _text(element, "CITY")
    region, postal = _text(element, "STATE_PROVINCE"), _text(element, "ZIP_CODE")
    country, note = _text(element, "COUNTRY"), _text(element, "NOTE")
    code = countries().code(country)
    full = ", ".join(part for part in (street, city, region, postal, country, note) if part)
    if full:
        yield Address(record_id, full, street, city, region, postal, code, country)
    if country:
        yield Country(record_id, "address", code, country)
