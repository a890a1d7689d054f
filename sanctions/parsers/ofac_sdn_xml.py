"""OFAC's legacy `SDN.XML` (`sdnList`; CONS_SDN.XML has the same layout).

One `sdnEntry` per party with typed child lists: programmes, names (`akaList`), documents and
other labelled facts (`idList`: "Passport", but also "Website", "Gender", ...), addresses,
nationalities, birth dates and places, vessel details. The labels are those of the CSV's
Remarks, so the rows are built by the same helpers (ofac_common) and the same party gives the
same rows in every OFAC layout. Streamed one entry at a time; elements are matched on local
names because the namespace changed from `http://tempuri.org/sdnList.xsd` with OFAC's Sanctions
List Service in 2024.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from lxml import etree

from sanctions.errors import ParseError
from sanctions.model import Record, Row
from sanctions.parsers.common import (
    ElementWatch,
    clean,
    countries,
    local_name,
    log,
    release,
    safe_iterparse,
)
from sanctions.parsers.ofac_common import (
    Facts,
    address_rows,
    alias_kind,
    entity_type,
    name_row,
    programme_row,
    record_id,
    vessel_rows,
)

ROOT = "sdnList"
ENTRY = "sdnEntry"
ENTRY_CHILDREN = frozenset(
    {
        "uid",
        "firstName",
        "lastName",
        "title",
        "sdnType",
        "remarks",
        "programList",
        "idList",
        "akaList",
        "addressList",
        "nationalityList",
        "citizenshipList",
        "dateOfBirthList",
        "placeOfBirthList",
        "vesselInfo",
    }
)
# Lists whose items carry one labelled value each: item -> (value element, label).
LABELLED_LISTS = frozenset(
    {"nationalityList", "citizenshipList", "dateOfBirthList", "placeOfBirthList"}
)
LABELLED_ITEMS = {
    "nationality": ("country", "nationality"),
    "citizenship": ("country", "citizen"),
    "dateOfBirthItem": ("dateOfBirth", "DOB"),
    "placeOfBirthItem": ("placeOfBirth", "POB"),
}
VESSEL_FIELDS = {
    "callSign": "call_sign",
    "vesselType": "vessel_type",
    "tonnage": "tonnage",
    "grossRegisteredTonnage": "gross_tonnage",
    "vesselFlag": "vessel_flag",
    "vesselOwner": "vessel_owner",
}


def publication_date(files: dict[str, Path]) -> date | None:
    """`publshInformation/Publish_Date` (MM/DD/YYYY), read from the head of the file."""
    _, path = _main_file(files, "us_ofac")
    try:
        for name, element in safe_iterparse(path, ("Publish_Date", ENTRY)):
            text = clean(element.text) if name == "Publish_Date" else None
            return datetime.strptime(text, "%m/%d/%Y").date() if text else None
    except (etree.XMLSyntaxError, ValueError):
        return None  # the parse step reports what is wrong with the file
    return None


def parse(files: dict[str, Path], source_id: str = "us_ofac") -> Iterator[Row]:
    file_name, path = _main_file(files, source_id)
    watch = ElementWatch(ENTRY_CHILDREN)
    declared = None
    try:
        _check_root(path, source_id, file_name)
        for name, element in safe_iterparse(path, ("Record_Count", ENTRY)):
            if name == ENTRY:
                watch.see(element, _text(element, "lastName") is not None)
                yield from _entry_rows(element, source_id, file_name)
            else:
                declared = clean(element.text)
            release(element)
    except etree.XMLSyntaxError as exc:
        raise ParseError(source_id, file_name, f"malformed XML: {exc}") from exc
    watch.verdict(source_id, file_name, ENTRY)
    if declared and declared != str(watch.records):
        log.warning(
            "%s: %s: Record_Count says %s, the file holds %d entries",
            source_id,
            file_name,
            declared,
            watch.records,
        )


def _main_file(files: dict[str, Path], source_id: str) -> tuple[str, Path]:
    if len(files) != 1:
        raise ParseError(source_id, ", ".join(files), "expected exactly one SDN.XML file")
    return next(iter(files.items()))


def _check_root(path: Path, source_id: str, file_name: str) -> None:
    for _, root in safe_iterparse(path, None, event="start"):
        if local_name(root) != ROOT:
            raise ParseError(
                source_id,
                file_name,
                f"root element <{local_name(root)}>, expected <{ROOT}>: not an OFAC SDN.XML file",
            )
        return


def _entry_rows(entry, source_id: str, file_name: str) -> Iterator[Row]:
    uid = _text(entry, "uid")
    if not uid or not uid.isdigit():
        raise ParseError(source_id, file_name, f"{ENTRY} with uid {uid!r}, expected a number")
    record = record_id(uid)
    entity = entity_type(_text(entry, "sdnType"))
    remarks = _text(entry, "remarks")
    facts = Facts(record)
    rows: list[Row] = []
    last = _text(entry, "lastName")
    if last:
        rows.append(name_row(record, "primary", entity, last, _text(entry, "firstName")))
    for child in entry:
        name = local_name(child)
        if name == "programList":
            rows.extend(programme_row(record, code) for code in _texts(child, "program"))
        elif name == "akaList":
            rows.extend(_aliases(record, entity, child))
        elif name == "idList":
            for item in child:
                _id_item(facts, item)
        elif name == "addressList":
            for address in child:
                rows.extend(_address(record, address))
        elif name == "vesselInfo":
            for field in child:
                attribute, value = VESSEL_FIELDS.get(local_name(field)), clean(field.text)
                if attribute and value:
                    rows.extend(vessel_rows(record, attribute, value))
        elif name in LABELLED_LISTS:
            for item in child:
                value_element, label = LABELLED_ITEMS.get(local_name(item), (None, None))
                value = _text(item, value_element) if value_element else None
                if value:
                    facts.add(label, value)
    if remarks:
        facts.read_remarks(remarks)  # "(Linked To: X)" and the like, as in the CSV's Remarks
    yield Record(record, uid, entity, _text(entry, "title"), facts.gender, remarks)
    yield from rows
    yield from facts.rows


def _aliases(record: str, entity: str, aka_list) -> Iterator[Row]:
    for aka in aka_list:
        last = _text(aka, "lastName")
        if last:
            weak = (_text(aka, "category") or "").lower() == "weak"
            kind = alias_kind(_text(aka, "type"))
            yield name_row(record, kind, entity, last, _text(aka, "firstName"), weak)


def _id_item(facts: Facts, item) -> None:
    id_type, number = _text(item, "idType"), _text(item, "idNumber")
    if id_type and number:
        facts.id_list_item(
            id_type,
            number,
            _text(item, "idCountry"),
            _text(item, "issueDate"),
            _text(item, "expirationDate"),
        )


def _address(record: str, address) -> Iterator[Row]:
    street = _joined(address, "address1", "address2", "address3")
    country = _text(address, "country")
    yield from address_rows(
        record,
        street,
        _text(address, "city"),
        _joined(address, "stateOrProvince", "region"),
        _text(address, "postalCode"),
        country,
        countries().code(country),
    )


def _joined(element, *names: str) -> str | None:
    return ", ".join(text for name in names if (text := _text(element, name))) or None


def _text(element, name: str) -> str | None:
    found = element.find(f"{{*}}{name}")
    return clean(found.text) if found is not None else None


def _texts(element, name: str) -> list[str]:
    return [text for found in element.iterfind(f"{{*}}{name}") if (text := clean(found.text))]
