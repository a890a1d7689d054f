"""The EU Financial Sanctions Files, XML v1.1 (namespace http://eu.europa.ec/fpi/fsd/export).

One `sanctionEntity` per record, streamed and freed one at a time (the full file is ~25 MB).
Names come in many languages, often repeated word for word; alias quality hides in free-text
remarks with typos ("low quality aliias"). The programme is on `regulation/@programme`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

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
    UNKNOWN,
    DateRange,
    ElementWatch,
    Enumeration,
    clean,
    day_range,
    local_name,
    parse_date_text,
    programme_key,
    root_date,
    script_of,
    single_file,
    stream_records,
)
from sanctions.parsers.un_references import un_reference_rows

JURISDICTION = "EU"
SUBJECT_TYPES = Enumeration("subjectType code", {"person": "person", "enterprise": "organization"})
GENDERS = Enumeration("nameAlias gender", {"M": "male", "F": "female"})
# An alias of unread strength is weak: it must never decide a match alone.
STRENGTHS = Enumeration("nameAlias strong", {"true": False, "false": True}, unknown=True)
CONTACT_ATTRIBUTES = Enumeration(
    "contactInfo key",
    {"WEB": "website", "PHONE": "phone", "EMAIL": "email", "FAX": "fax"},
    unknown="contact",
)
_WEAK_REMARK = re.compile(r"\blow?\s+qual", re.IGNORECASE)
UNKNOWN_COUNTRY = "00"
ENTITY_CHILDREN = frozenset(
    {
        "regulation",
        "subjectType",
        "nameAlias",
        "citizenship",
        "birthdate",
        "identification",
        "address",
        "remark",
    }
)


def publication_date(files: dict[str, Path]) -> date | None:
    """The root's generationDate (e.g. 2026-08-05T16:47:04.449+02:00)."""
    return root_date(files, "generationDate")


def parse(files: dict[str, Path], source_id: str = "eu_fsf") -> Iterator[Row]:
    file_name, path = single_file(files, source_id, "FSF XML file")
    watch = ElementWatch(ENTITY_CHILDREN)
    yield from stream_records(
        source_id,
        file_name,
        path,
        ("sanctionEntity",),
        watch,
        lambda _, entity: _entity_rows(entity, watch),
    )


def _attr(element, name: str) -> str | None:
    return clean(element.get(name))


def _country(element) -> tuple[str | None, str | None]:
    code = _attr(element, "countryIso2Code")
    name = _attr(element, "countryDescription")
    if code == UNKNOWN_COUNTRY:
        return None, None
    return code, name


def _remarks(element) -> list[str]:
    return [text for child in element.iterfind("{*}remark") if (text := clean(child.text))]


def _entity_rows(entity, watch: ElementWatch) -> Iterator[Row]:
    logical_id = entity.get("logicalId")
    record_id = f"{JURISDICTION}:{logical_id}"
    subject = entity.find("{*}subjectType")
    code = subject.get("code") if subject is not None else None
    entity_type = watch.read(SUBJECT_TYPES, code, record_id) or UNKNOWN
    names, facts = [], []
    gender = title = None
    for child in entity:
        kind = local_name(child)
        if kind == "nameAlias":
            names.append(child)
            gender = gender or watch.read(GENDERS, child.get("gender"), record_id)
            title = title or _attr(child, "title")
            if function := _attr(child, "function"):
                facts.append(Attribute(record_id, "position", function))
        elif kind == "regulation":
            facts.extend(_programme(record_id, entity, child))
        elif kind == "citizenship":
            code, name = _country(child)
            if name:
                facts.append(Country(record_id, "citizenship", code, name))
        elif kind == "birthdate":
            facts.extend(_birth(record_id, child))
        elif kind == "identification":
            facts.extend(_identifier(record_id, child))
        elif kind == "address":
            facts.extend(_address(record_id, child, watch))
    remarks = "\n".join(_remarks(entity)) or None
    yield Record(record_id, logical_id, entity_type, title, gender, remarks)
    yield from _names(record_id, names, watch)
    if value := _attr(entity, "euReferenceNumber"):
        yield Identifier(record_id, "EU reference number", value)
    yield from un_reference_rows(record_id, _attr(entity, "unitedNationId"))
    yield from dict.fromkeys(facts)  # the EU repeats facts once per amending act


def _names(record_id: str, aliases: list, watch: ElementWatch) -> Iterator[Name]:
    """One row per distinct name; the first strong full name of the list is the primary one."""
    seen: dict[str, Name] = {}
    for alias in aliases:
        whole = _attr(alias, "wholeName")
        given = " ".join(p for p in (_attr(alias, "firstName"), _attr(alias, "middleName")) if p)
        family = _attr(alias, "lastName")
        name = whole or " ".join(part for part in (given, family) if part)
        if not name:
            continue
        weak = watch.read(STRENGTHS, alias.get("strong"), record_id) or any(
            _WEAK_REMARK.search(remark) for remark in _remarks(alias)
        )
        row = Name(record_id, name, "aka", weak, script_of(name), given or None, family)
        if name not in seen or (seen[name].is_weak and not weak):
            seen[name] = row
    rows = list(seen.values())
    strong = [row for row in rows if not row.is_weak]
    primary = next((row for row in strong if row.family_name), strong[0] if strong else None)
    if primary is None and rows:
        primary = rows[0]
    for row in rows:
        yield row._replace(kind="primary") if row is primary else row


def _programme(record_id: str, entity, regulation) -> Iterator[Row]:
    code = _attr(regulation, "programme")
    if not code:
        return
    dates = [
        parsed
        for value in (entity.get("designationDate"), regulation.get("entryIntoForceDate"))
        if value and (parsed := parse_date_text(value).earliest)
    ]
    yield Programme(
        record_id,
        code,
        programme_key(JURISDICTION, code),
        None,
        min(dates) if dates else None,
        _attr(regulation, "numberTitle"),
    )


def _birth(record_id: str, element) -> Iterator[Row]:
    full = _attr(element, "birthdate")
    year, month, day = (_int(element.get(name)) for name in ("year", "monthOfYear", "dayOfMonth"))
    range_from, range_to = _int(element.get("yearRangeFrom")), _int(element.get("yearRangeTo"))
    calendar_type = (element.get("calendarType") or "GREGORIAN").upper()
    parsed: DateRange | None = None
    if calendar_type != "GREGORIAN":
        raw = full or "-".join(str(part) for part in (year, month, day) if part)
        parsed = DateRange(None, None, "unparsed")
    elif full:
        raw, parsed = full, parse_date_text(full)
    elif year:
        raw, parsed = (
            "-".join(f"{part:02d}" for part in (year, month, day) if part),
            day_range(year, month, day),
        )
    elif range_from and range_to:
        raw = f"{range_from} to {range_to}"
        parsed = DateRange(date(range_from, 1, 1), date(range_to, 12, 31), "range")
    else:
        raw = None
    if raw and parsed:
        if element.get("circa") == "true" and parsed.earliest:
            parsed = parsed._replace(precision="circa")
        yield BirthDate(record_id, raw, *parsed)
    place = ", ".join(
        p
        for p in (_attr(element, "city"), _attr(element, "place"), _attr(element, "region"))
        if p and p != "-"
    )
    code, country = _country(element)
    if place or country:
        yield Attribute(record_id, "place_of_birth", ", ".join(p for p in (place, country) if p))
    if country:
        yield Country(record_id, "birth", code, country)


def _identifier(record_id: str, element) -> Iterator[Row]:
    number = _attr(element, "number") or _attr(element, "latinNumber")
    if not number:
        return
    code, country = _country(element)
    yield Identifier(
        record_id,
        _attr(element, "identificationTypeDescription")
        or _attr(element, "identificationTypeCode")
        or "unknown",
        number,
        code,
        country,
        _attr(element, "issueDate"),
        _attr(element, "validTo"),
        "; ".join(_remarks(element)) or None,
    )


def _address(record_id: str, element, watch: ElementWatch) -> Iterator[Row]:
    code, country = _country(element)
    street = ", ".join(p for p in (_attr(element, "street"), _attr(element, "poBox")) if p) or None
    city, region = _attr(element, "city"), _attr(element, "region") or _attr(element, "place")
    postal = _attr(element, "zipCode")
    full = ", ".join(p for p in (street, city, region, postal, country) if p)
    if full:
        yield Address(record_id, full, street, city, region, postal, code, country)
    if country:
        yield Country(record_id, "address", code, country)
    for contact in element.iterfind("{*}contactInfo"):
        if value := _attr(contact, "value"):
            attribute = watch.read(CONTACT_ATTRIBUTES, contact.get("key"), record_id) or "contact"
            yield Attribute(record_id, attribute, value)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and int(value) else None
