"""The FCDO UK Sanctions List XML (`UK-Sanctions-List.xml`), the UK's only list since 2026-01-28.

One `Designation` per Unique ID, streamed. Records are keyed on the OFSI Group ID, which the
FCDO kept, so a party designated under two regimes (two Unique IDs, one group) is one record
with two programmes, and history continues from the OFSI ConList.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

from lxml import etree

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
    ElementWatch,
    Enumeration,
    clean,
    countries,
    local_name,
    parse_date_text,
    programme_key,
    safe_iterparse,
    stream_records,
)
from sanctions.parsers.uk_common import (
    ALIAS_QUALITIES,
    ENTITY_TYPES,
    GENDERS,
    JURISDICTION,
    NAME_KINDS,
    non_latin_name,
    person_or_entity_name,
    record_key,
)
from sanctions.parsers.un_references import un_reference_rows

DESIGNATION_CHILDREN = frozenset(
    {
        "LastUpdated",
        "DateDesignated",
        "UniqueID",
        "OFSIGroupID",
        "UNReferenceNumber",
        "Names",
        "NonLatinNames",
        "Titles",
        "RegimeName",
        "IndividualEntityShip",
        "DesignationSource",
        "SanctionsImposed",
        "SanctionsImposedIndicators",
        "OtherInformation",
        "UKStatementofReasons",
        "Addresses",
        "PhoneNumbers",
        "EmailAddresses",
        "Websites",
        "IndividualDetails",
        "EntityDetails",
        "ShipDetails",
    }
)
DESIGNATION_TYPES = Enumeration("IndividualEntityShip", ENTITY_TYPES)
NAME_TYPES = Enumeration("NameType", NAME_KINDS)
ALIAS_STRENGTHS = Enumeration("AliasStrength", ALIAS_QUALITIES, unknown=True)
GENDER = Enumeration("Gender", GENDERS)
# Leaf elements kept as attributes (their names are unique in the schema): element -> attribute.
TEXT_ATTRIBUTES = {
    "PhoneNumber": "phone",
    "EmailAddress": "email",
    "Website": "website",
    "Position": "position",
    "TypeOfEntity": "entity_type",
    "ParentCompany": "parent_company",
    "Subsidiary": "subsidiaries",
    "CurrentOwnerOperator": "vessel_owner",
    # the published file nests TypeOfShip in TypeOfShipDetails; the *Detail forms are older
    "TypeOfShip": "vessel_type",
    "TypeOfShipDetail": "vessel_type",
    "TonnageOfShip": "tonnage",
    "TonnageOfShipDetail": "tonnage",
    "LengthOfShip": "length",
    "LengthOfShipDetail": "length",
    "YearBuilt": "year_built",
    "PreviousFlag": "previous_flags",
}


def publication_date(files: dict[str, Path]) -> date | None:
    """`DateGenerated` (dd/mm/yyyy), the first element of the file."""
    try:
        for _, element in safe_iterparse(next(iter(files.values())), ("DateGenerated",)):
            return parse_date_text(element.text or "").earliest
    except etree.XMLSyntaxError:
        return None
    return None


def parse(files: dict[str, Path], source_id: str = "uk_fcdo") -> Iterator[Row]:
    file_name, path = next(iter(files.items()))
    emitted: set[str] = set()  # record ids; a group can hold several designations
    watch = ElementWatch(DESIGNATION_CHILDREN)
    yield from stream_records(
        source_id,
        file_name,
        path,
        ("Designation",),
        watch,
        lambda _, designation: _designation_rows(designation, emitted, watch),
    )


def _texts(element, path: str) -> list[str]:
    found = element.iterfind("/".join(f"{{*}}{step}" for step in path.split("/")))
    return [text for item in found if (text := clean(item.text))]


def _text(element, path: str) -> str | None:
    texts = _texts(element, path)
    return texts[0] if texts else None


def _designation_rows(designation, emitted: set[str], watch: ElementWatch) -> Iterator[Row]:
    unique_id = _text(designation, "UniqueID")
    key = record_key(_text(designation, "OFSIGroupID"), unique_id)
    record_id = f"{JURISDICTION}:{key}"
    published_type = _text(designation, "IndividualEntityShip")
    entity_type = watch.read(DESIGNATION_TYPES, published_type, record_id) or UNKNOWN
    if record_id not in emitted:
        emitted.add(record_id)
        gender = _text(designation, "IndividualDetails/Individual/Genders/Gender")
        remarks = (
            "\n".join(
                _texts(designation, "OtherInformation")
                + _texts(designation, "UKStatementofReasons")
            )
            or None
        )
        yield Record(
            record_id,
            key,
            entity_type,
            _text(designation, "Titles/Title"),
            watch.read(GENDER, gender, record_id),
            remarks,
        )
    for name in designation.iterfind("{*}Names/{*}Name"):
        parts = [clean(name.findtext(f"{{*}}Name{n}")) for n in range(1, 7)]
        weak = watch.read(ALIAS_STRENGTHS, name.findtext("{*}AliasStrength"), record_id)
        kind = watch.read(NAME_TYPES, name.findtext("{*}NameType"), record_id) or "aka"
        if row := person_or_entity_name(
            record_id, entity_type == "person", parts, kind, weak or False
        ):
            yield row
    for text in _texts(designation, "NonLatinNames/NonLatinName/NameNonLatinScript"):
        yield non_latin_name(record_id, text)
    # without a RegimeName, the reference's prefix names the regime (GHR0190: Global Human Rights)
    if regime := _text(designation, "RegimeName") or unique_id:
        listed = _text(designation, "DateDesignated")
        yield Programme(
            record_id,
            regime,
            programme_key(JURISDICTION, regime),
            None,  # as in ConList, so both UK formats give the same programme rows
            parse_date_text(listed).earliest if listed else None,
        )
    if source := _text(designation, "DesignationSource"):
        yield Attribute(record_id, "designation_source", source)
    for value in _texts(designation, "UniqueID"):
        yield Identifier(record_id, "UK Sanctions List Ref", value)
    for value in _texts(designation, "UNReferenceNumber"):
        yield from un_reference_rows(record_id, value)
    yield from _individual(record_id, designation)
    yield from _ship(record_id, designation)
    for value in _texts(
        designation, "EntityDetails/Entity/BusinessRegistrationNumbers/BusinessRegistrationNumber"
    ):
        yield Identifier(record_id, "Business registration number", value)
    for element in designation.iter():
        attribute = TEXT_ATTRIBUTES.get(local_name(element))
        if attribute and (value := clean(element.text)):
            yield Attribute(record_id, attribute, value)
    for address in designation.iterfind("{*}Addresses/{*}Address"):
        yield from _address(record_id, address)


def _individual(record_id: str, designation) -> Iterator[Row]:
    individual = designation.find("{*}IndividualDetails/{*}Individual")
    if individual is None:
        return
    for raw in _texts(individual, "DOBs/DOB"):
        yield BirthDate(record_id, raw, *parse_date_text(raw))
    for nationality in _texts(individual, "Nationalities/Nationality"):
        yield Country(record_id, "nationality", countries().code(nationality), nationality)
    for id_type, document in (
        ("Passport", "PassportDetails/Passport"),
        ("National ID", "NationalIdentifierDetails/NationalIdentifier"),
    ):
        element = document.rpartition("/")[2]
        for found in individual.iterfind(f"{{*}}{document.replace('/', '/{*}')}"):
            if number := clean(found.findtext(f"{{*}}{element}Number")):
                note = clean(found.findtext(f"{{*}}{element}AdditionalInformation"))
                yield Identifier(record_id, id_type, number, note=note)
    for location in individual.iterfind("{*}BirthDetails/{*}Location"):
        town = clean(location.findtext("{*}TownOfBirth"))
        country = clean(location.findtext("{*}CountryOfBirth"))
        if town or country:
            yield Attribute(record_id, "place_of_birth", ", ".join(p for p in (town, country) if p))
        if country:
            yield Country(record_id, "birth", countries().code(country), country)


def _ship(record_id: str, designation) -> Iterator[Row]:
    ship = designation.find("{*}ShipDetails/{*}Ship")
    if ship is None:
        return
    for imo in _texts(ship, "IMONumbers/IMONumber"):
        yield Identifier(record_id, "IMO", imo.upper().removeprefix("IMO").strip())
    for flag in _texts(ship, "CurrentBelievedFlagOfShips/CurrentBelievedFlagOfShip"):
        yield Country(record_id, "flag", countries().code(flag), flag)


def _address(record_id: str, address) -> Iterator[Row]:
    lines = [clean(address.findtext(f"{{*}}AddressLine{n}")) for n in range(1, 7)]
    postal = clean(address.findtext("{*}AddressPostalCode"))
    country = clean(address.findtext("{*}AddressCountry"))
    full = ", ".join(p for p in (*lines, postal, country) if p)
    code = countries().code(country)
    if full:
        street = ", ".join(p for p in lines[:5] if p) or None
        yield Address(record_id, full, street, lines[5], None, postal, code, country)
    if country:
        yield Country(record_id, "address", code, country)
