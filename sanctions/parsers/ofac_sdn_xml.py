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
    ALIAS_CATEGORIES,
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
                uid = clean(element.findtext("{*}uid"))
                watch.see(element, element.find("{*}lastName") is not None, record_id(uid or ""))
                yield from _entry_rows(element, source_id, file_name, watch)
                yield from watch.rows()
            else:
                declared = clean(element.text)
            release(element)
    except etree.XMLSyntaxError as exc:
        raise ParseError(source_id, file_name, f"malformed XML: {exc}") from exc
    watch.verdict(source_id, file_name, ENTRY)
    yield from watch.field_counts()
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


def _entry_rows(entry, source_id: str, file_name: str, watch: ElementWatch) -> Iterator[Row]:
    fields = _fields(entry)
    uid = fields.get("uid")
    if not uid or not uid.isdigit():
        raise ParseError(source_id, file_name, f"{ENTRY} with uid {uid!r}, expected a number")
    record = record_id(uid)
    entity = entity_type(fields.get("sdnType"), watch, record)
    facts = Facts(record, watch)
    rows: list[Row] = []
    if last := fields.get("lastName"):
        rows.append(name_row(record, "primary", entity, last, fields.get("firstName")))
    for child in entry:
        name = local_name(child)
        if name == "programList":
            codes = (clean(program.text) for program in child)
            rows.extend(programme_row(record, code) for code in codes if code)
        elif name == "akaList":
            rows.extend(_aliases(record, entity, child, watch))
        elif name == "idList":
            for item in child:
                _id_item(facts, _fields(item))
        elif name == "addressList":
            for address in child:
                rows.extend(_address(record, _fields(address)))
        elif name == "vesselInfo":
            for attribute, value in _fields(child).items():
                if attribute := VESSEL_FIELDS.get(attribute):
                    rows.extend(vessel_rows(record, attribute, value))
        elif name in LABELLED_LISTS:
            for item in child:
                value_field, label = LABELLED_ITEMS.get(local_name(item), (None, None))
                if value_field and (value := _fields(item).get(value_field)):
                    facts.add(label, value)
    remarks = fields.get("remarks")
    if remarks:
        facts.read_remarks(remarks)  # "(Linked To: X)" and the like, as in the CSV's Remarks
    yield Record(record, uid, entity, fields.get("title"), facts.gender, remarks)
    yield from rows
    yield from facts.rows


def _aliases(record: str, entity: str, aka_list, watch: ElementWatch) -> Iterator[Row]:
    for aka in map(_fields, aka_list):
        if last := aka.get("lastName"):
            weak = watch.read(ALIAS_CATEGORIES, aka.get("category"), record) or False
            kind = alias_kind(aka.get("type"), watch, record)
            yield name_row(record, kind, entity, last, aka.get("firstName"), weak)


def _id_item(facts: Facts, item: dict[str, str]) -> None:
    if "idType" in item and "idNumber" in item:
        facts.id_list_item(
            item["idType"],
            item["idNumber"],
            item.get("idCountry"),
            item.get("issueDate"),
            item.get("expirationDate"),
        )


def _address(record: str, address: dict[str, str]) -> Iterator[Row]:
    country = address.get("country")
    yield from address_rows(
        record,
        _joined(address, "address1", "address2", "address3"),
        address.get("city"),
        _joined(address, "stateOrProvince", "region"),
        address.get("postalCode"),
        country,
        countries().code(country),
    )


def _fields(element) -> dict[str, str]:
    """The element's children that hold text, by local name, cleaned (containers hold none)."""
    return {local_name(child): text for child in element if (text := clean(child.text))}


def _joined(fields: dict[str, str], *names: str) -> str | None:
    return ", ".join(fields[name] for name in names if name in fields) or None
