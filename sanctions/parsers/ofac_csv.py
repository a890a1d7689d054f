"""OFAC's legacy CSV set: SDN.CSV (required), ALT.CSV, ADD.CSV and SDN_COMMENTS.CSV (optional).

No header row, `-0-` as null, CRLF, a lone 0x1A ending each file. Birth dates, places of birth,
nationalities and identity documents exist only inside the free-text Remarks, and long remarks
continue, mid-word, in SDN_COMMENTS.CSV.
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
    Name,
    Programme,
    Record,
    Row,
)
from sanctions.parsers.common import (
    clean,
    countries,
    csv_rows,
    decode_text,
    parse_date_text,
    programme_key,
)

JURISDICTION = "US"
SDN_COLUMNS = 12  # ent_num, name, type, programs, title, call sign, vessel type, tonnage, GRT,
# vessel flag, vessel owner, remarks
COMPANION_COLUMNS = {"ALT.CSV": 5, "ADD.CSV": 6, "SDN_COMMENTS.CSV": 2}
ENTITY_TYPES = {"individual": "person", "vessel": "vessel", "aircraft": "aircraft"}
VESSEL_COLUMNS = (
    (5, "call_sign"),
    (6, "vessel_type"),
    (7, "tonnage"),
    (8, "gross_tonnage"),
    (9, "vessel_flag"),
    (10, "vessel_owner"),
)

# Labels of identity documents as OFAC writes them in Remarks (the same labels as the
# advanced XML's IDRegDocType values), longest first so that "Diplomatic Passport" wins.
ID_LABELS = sorted(
    set(
        (
            "Passport",
            "Diplomatic Passport",
            "National ID No.",
            "Cedula No.",
            "Tax ID No.",
            "Registration ID",
            "Registration Number",
            "Identification Number",
            "Government Gazette Number",
            "Business Registration Document #",
            "Business Registration Number",
            "NIT #",
            "Company Number",
            "UK Company Number",
            "SWIFT/BIC",
            "MMSI",
            "Folio Mercantil No.",
            "Commercial Registry Number",
            "RUC #",
            "V.A.T. Number",
            "License",
            "Trade License No.",
            "Unified Social Credit Code (USCC)",
            "Legal Entity Number",
            "C.R. No.",
            "Economic Register Number (CBLS)",
            "Matricula Mercantil No",
            "D.N.I.",
            "Chamber of Commerce Number",
            "D-U-N-S Number",
            "Central Registration System Number",
            "Istanbul Chamber of Comm. No.",
            "Birth Certificate Number",
            "Driver's License No.",
            "RIF #",
            "Electoral Registry No.",
            "BIK (RU)",
            "RFC",
            "R.F.C.",
            "C.U.R.P.",
            "Enterprise Number",
            "Italian Fiscal Code",
            "Personal ID Card",
            "Credencial electoral",
            "Public Security and Immigration No.",
            "C.U.I.",
            "Cartilla de Servicio Militar Nacional",
            "US FEIN",
            "Residency Number",
            "I.F.E.",
            "Permit Number",
            "SSN",
            "Registered Charity No.",
            "Dubai Chamber of Commerce Membership No.",
            "Branch Unit Number",
            "Certificate of Incorporation Number",
            "Vessel Registration Identification",
            "Aircraft Manufacturer's Serial Number (MSN)",
            "Chinese Commercial Code",
            "Stateless Person Passport",
            "Stateless Person ID Card",
            "Refugee ID Card",
            "Kenyan ID No.",
            "Bosnian Personal ID No.",
            "Moldovan Fiscal Code",
            "Pasaporte",
            "Serial No.",
            "Tax ID",
            "Travel Document Number",
            "Turkish Identification Number",
            "Fiscal Code",
            "Numero Unico de Identificacao Tributaria (NUIT)",
            "Public Registration Number",
            "Commercial Registry Number",
            "Immigration No.",
            "Afghan Money Service Provider License Number",
        ),
    ),
    key=len,
    reverse=True,
)
_ID_TAIL = re.compile(
    r"^(?P<value>.+?)(?: \((?P<country>[^()]+)\))?(?: issued (?P<issued>[^;]+?))?"
    r"(?: expires (?P<expires>[^;]+?))?$"
)
_DIGITAL_CURRENCY = "Digital Currency Address - "
# Remark items kept as attributes: prefix -> attribute name.
ATTRIBUTE_PREFIXES = (
    ("Linked To: ", "linked_to"),
    ("Website ", "website"),
    ("Email Address ", "email"),
    ("Email:", "email"),
    ("Phone Number ", "phone"),
    ("Telephone No. ", "phone"),
    ("Telephone: ", "phone"),
    ("Fax: ", "fax"),
    ("Fax ", "fax"),
    ("Organization Established Date ", "organization_established_date"),
    ("Organization Type: ", "organization_type"),
    ("Target Type ", "target_type"),
    ("Secondary sanctions risk: ", "secondary_sanctions_risk"),
    ("Additional Sanctions Information - ", "additional_sanctions_information"),
    ("Aircraft Model ", "aircraft_model"),
    ("Aircraft Manufacture Date ", "aircraft_manufacture_date"),
    ("Aircraft Operator ", "aircraft_operator"),
    ("Aircraft Tail Number ", "aircraft_tail_number"),
    (
        "Aircraft Construction Number (also called L/N or S/N or F/N) ",
        "aircraft_construction_number",
    ),
    ("Vessel Year of Build ", "vessel_year_of_build"),
)
COUNTRY_PREFIXES = (
    ("Nationality of Registration ", "registration"),
    ("Other Vessel Flag ", "flag"),
)


def read_rows(file_name: str, path: Path, columns: int, source_id: str) -> Iterator[list[str]]:
    """Rows of one OFAC CSV file, each with exactly `columns` fields, or a ParseError."""
    for line, row in csv_rows(decode_text(path), source_id, file_name, columns):
        if not row[0].strip().isdigit():
            raise ParseError(
                source_id, file_name, f"line {line}: entity number {row[0][:30]!r} is not a number"
            )
        yield row


def publication_date(files: dict[str, Path]) -> date | None:
    """The CSV set carries no publication date."""
    return None


def parse(files: dict[str, Path], source_id: str = "us_ofac") -> Iterator[Row]:
    """Yield the records of an OFAC CSV set; `files` maps official file names to paths."""
    if "SDN.CSV" not in files:
        raise ParseError(source_id, "SDN.CSV", "the CSV set has no SDN.CSV")
    comments = {
        int(row[0]): row[1]
        for row in _companion(files, "SDN_COMMENTS.CSV", source_id)
        if clean(row[1])
    }
    aliases = defaultdict(list)
    for row in _companion(files, "ALT.CSV", source_id):
        aliases[int(row[0])].append(row)
    addresses = defaultdict(list)
    for row in _companion(files, "ADD.CSV", source_id):
        addresses[int(row[0])].append(row)

    seen = 0
    for row in read_rows("SDN.CSV", files["SDN.CSV"], SDN_COLUMNS, source_id):
        seen += 1
        ent_num = int(row[0])
        yield from _sdn_rows(
            ent_num,
            row,
            comments.get(ent_num),
            aliases.get(ent_num, ()),
            addresses.get(ent_num, ()),
        )
    if not seen:
        raise ParseError(source_id, "SDN.CSV", "no records in the file")


def _companion(files: dict[str, Path], name: str, source_id: str) -> Iterator[list[str]]:
    if name in files:
        yield from read_rows(name, files[name], COMPANION_COLUMNS[name], source_id)


def _sdn_rows(ent_num, row, continuation, alias_rows, address_rows) -> Iterator[Row]:
    record_id = f"{JURISDICTION}:{ent_num}"
    sdn_type = clean(row[2])
    entity_type = ENTITY_TYPES.get((sdn_type or "").lower(), "organization")  # -0- is an entity
    remarks = clean((row[11] if clean(row[11]) else "") + (continuation or ""))
    facts = _RemarkFacts(record_id)
    if remarks:
        facts.read(remarks)
    yield Record(record_id, str(ent_num), entity_type, clean(row[4]), facts.gender, remarks)

    name = clean(row[1])
    if name:
        yield _name(record_id, name, "primary", entity_type)
    for alias in alias_rows:
        alias_name = clean(alias[3])
        if alias_name:
            kind = (clean(alias[2]) or "aka").lower().replace(".", "")
            yield _name(record_id, alias_name, kind, entity_type)

    for code in _programme_codes(row[3]):
        yield Programme(record_id, code, programme_key(JURISDICTION, code), "SDN List")

    for column, attribute in VESSEL_COLUMNS:
        value = clean(row[column])
        if value:
            yield Attribute(record_id, attribute, value)
            if attribute == "vessel_flag":
                yield Country(record_id, "flag", countries().code(value), value)

    for address in address_rows:
        street, locality, country = clean(address[2]), clean(address[3]), clean(address[4])
        full = ", ".join(part for part in (street, locality, country) if part)
        if full:
            code = countries().code(country)
            yield Address(record_id, full, street, locality, None, None, code, country)
            if country:
                yield Country(record_id, "address", code, country)
    yield from facts.rows


def _name(record_id: str, name: str, kind: str, entity_type: str) -> Name:
    family, given = None, None
    if entity_type == "person" and ", " in name:
        family, _, given = name.partition(", ")
    return Name(record_id, name, kind, False, "Latin", given, family)


def _programme_codes(cell: str) -> list[str]:
    text = (clean(cell) or "").strip("[]")
    return [code.strip() for code in text.split("] [") if code.strip()]


def _iso_day(text: str | None) -> str | None:
    """ISO form of an exact date ("01 Mar 2010" -> 2010-03-01); anything else as published."""
    if not text:
        return None
    parsed = parse_date_text(text)
    return parsed.earliest.isoformat() if parsed.precision == "day" else text


def _prefix_table() -> dict[str, list[tuple[str, str, str]]]:
    """Remark item prefixes, indexed by their first three characters, longest first, so that
    each item is compared with a handful of candidates rather than with every label."""
    entries = [
        ("DOB ", "birth_date", ""),
        ("POB ", "place_of_birth", ""),
        ("nationality ", "country", "nationality"),
        ("citizen ", "country", "citizenship"),
        ("Gender ", "gender", ""),
        (_DIGITAL_CURRENCY, "digital_currency", ""),
    ]
    entries += [(label + " ", "identifier", label) for label in ID_LABELS]
    entries += [(prefix, "country", relation) for prefix, relation in COUNTRY_PREFIXES]
    entries += [(prefix, "attribute", name) for prefix, name in ATTRIBUTE_PREFIXES]
    table: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for entry in sorted(entries, key=lambda entry: len(entry[0]), reverse=True):
        table[entry[0][:3]].append(entry)
    return dict(table)


_PREFIXES = _prefix_table()


class _RemarkFacts:
    """Structured facts read out of one record's Remarks ("DOB 1962; POB Shati; ...")."""

    def __init__(self, record_id: str):
        self.record_id = record_id
        self.gender: str | None = None
        self.rows: list[Row] = []

    def read(self, remarks: str) -> None:
        for item in remarks.split("; "):
            item = item.strip().rstrip(".").strip()
            if item.startswith("alt. "):
                item = item[5:]
            for prefix, kind, payload in _PREFIXES.get(item[:3], ()):
                if item.startswith(prefix):
                    self._fact(kind, payload, item[len(prefix) :].strip())
                    break

    def _fact(self, kind: str, payload: str, value: str) -> None:
        rid = self.record_id
        if not value:
            return
        if kind == "birth_date":
            self.rows.append(BirthDate(rid, value, *parse_date_text(value)))
        elif kind == "place_of_birth":
            self.rows.append(Attribute(rid, "place_of_birth", value))
            country = value.rpartition(", ")[2]
            if code := countries().code(country):
                self.rows.append(Country(rid, "birth", code, country))
        elif kind == "country":
            self.rows.append(Country(rid, payload, countries().code(value), value))
        elif kind == "gender":
            self.gender = value.lower()
        elif kind == "identifier":
            number, country, issued, expires = _ID_TAIL.match(value).groups()
            self.rows.append(
                Identifier(
                    rid,
                    payload,
                    number,
                    countries().code(country),
                    country,
                    _iso_day(issued),
                    _iso_day(expires),
                )
            )
        elif kind == "digital_currency":
            currency, _, address = value.partition(" ")
            self.rows.append(Identifier(rid, _DIGITAL_CURRENCY + currency, address))
        else:
            self.rows.append(Attribute(rid, payload, value))
