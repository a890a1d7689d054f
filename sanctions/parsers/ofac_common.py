"""What the three OFAC layouts share, so that the same facts give the same rows in each.

The legacy CSV writes a party's facts as labelled items in its Remarks ("DOB 1962; Passport
123 (Russia); Website x.com"); the legacy SDN.XML puts the same labels in typed lists (`idList`
holds `idType` "Website", "Gender", "Passport", ...); the advanced XML has the same labels as
feature and document types. One table of labels decides which row each fact becomes.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator

from sanctions.model import (
    Address,
    Attribute,
    BirthDate,
    Country,
    Identifier,
    Name,
    Programme,
    Row,
)
from sanctions.parsers.common import (
    Enumeration,
    Reading,
    countries,
    parse_date_text,
    programme_key,
    slug,
)

JURISDICTION = "US"
LIST_NAME = "SDN List"  # the legacy layouts name no list: SDN.CSV and SDN.XML are the SDN list
# The CSV writes the type in lower case and no type (-0-) for an entity; SDN.XML writes Entity.
SDN_TYPES = Enumeration(
    "SDN type",
    {"individual": "person", "entity": "organization", "vessel": "vessel", "aircraft": "aircraft"},
)
ALIAS_TYPES = Enumeration(
    "alias type",
    {"aka": "aka", "fka": "fka", "nka": "nka", "a.k.a.": "aka", "f.k.a.": "fka", "n.k.a.": "nka"},
)
GENDERS = Enumeration("Gender", {"Male": "male", "Female": "female"})
# An alias of unread category is weak: it must never decide a match alone.
ALIAS_CATEGORIES = Enumeration("alias category", {"strong": False, "weak": True}, unknown=True)

# Labels of identity documents as OFAC writes them (the same labels as the advanced XML's
# IDRegDocType values).
ID_LABELS = frozenset(
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
        "Immigration No.",
        "Afghan Money Service Provider License Number",
    )
)
DIGITAL_CURRENCY = "Digital Currency Address -"  # followed by the currency: "... - XBT"
# Labels kept as attributes: label -> attribute name.
ATTRIBUTE_LABELS = {
    "Linked To:": "linked_to",
    "Website": "website",
    "Email Address": "email",
    "Email:": "email",
    "Phone Number": "phone",
    "Telephone No.": "phone",
    "Telephone:": "phone",
    "Fax:": "fax",
    "Fax": "fax",
    "Organization Established Date": "organization_established_date",
    "Organization Type:": "organization_type",
    "Target Type": "target_type",
    "Secondary sanctions risk:": "secondary_sanctions_risk",
    "Additional Sanctions Information -": "additional_sanctions_information",
    "Aircraft Model": "aircraft_model",
    "Aircraft Manufacture Date": "aircraft_manufacture_date",
    "Aircraft Operator": "aircraft_operator",
    "Aircraft Tail Number": "aircraft_tail_number",
    "Aircraft Construction Number (also called L/N or S/N or F/N)": (
        "aircraft_construction_number"
    ),
    "Vessel Year of Build": "vessel_year_of_build",
}
# label -> (kind of fact, detail: the country relation, identifier type or attribute name)
LABELS: dict[str, tuple[str, str]] = {
    "DOB": ("birth_date", ""),
    "POB": ("place_of_birth", ""),
    "nationality": ("country", "nationality"),
    "citizen": ("country", "citizenship"),
    "Nationality of Registration": ("country", "registration"),
    "Other Vessel Flag": ("country", "flag"),
    "Gender": ("gender", ""),
    DIGITAL_CURRENCY: ("digital_currency", ""),
    **{label: ("identifier", label) for label in ID_LABELS},
    **{label: ("attribute", name) for label, name in ATTRIBUTE_LABELS.items()},
}
_ID_TAIL = re.compile(
    r"^(?P<value>.+?)(?: \((?P<country>[^()]+)\))?(?: issued (?P<issued>[^;]+?))?"
    r"(?: expires (?P<expires>[^;]+?))?$"
)


def _prefix_table() -> dict[str, list[tuple[str, str]]]:
    """Remark item prefixes ("DOB ", "Linked To:") with their labels, indexed by their first
    three characters, longest first, so that an item is compared with a handful of labels."""
    prefixes = [(label if label.endswith(":") else label + " ", label) for label in LABELS]
    table: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for prefix, label in sorted(prefixes, key=lambda entry: len(entry[0]), reverse=True):
        table[prefix[:3]].append((prefix, label))
    return dict(table)


_PREFIXES = _prefix_table()


def record_id(uid: int | str) -> str:
    return f"{JURISDICTION}:{uid}"


def entity_type(sdn_type: str | None, reading: Reading, record: str) -> str:
    """The model's entity type of an SDN type; no type (`-0-`) is an organisation."""
    return reading.read(SDN_TYPES, sdn_type, record) or "organization"


def alias_kind(alias_type: str | None, reading: Reading, record: str) -> str:
    """The model's alias kind of OFAC's alias types: a.k.a. / fka / N.K.A. -> aka / fka / nka;
    an alias without a type is an a.k.a."""
    return reading.read(ALIAS_TYPES, alias_type, record) or "aka"


def name_row(
    record: str, kind: str, entity: str, last: str, first: str | None = None, weak: bool = False
) -> Name:
    """A name written OFAC's way, "LAST, First" for people with a given name."""
    full = f"{last}, {first}" if first else last
    if entity == "person" and first:
        return Name(record, full, kind, weak, "Latin", first, last)
    return Name(record, full, kind, weak, "Latin")


def programme_row(record: str, code: str) -> Programme:
    return Programme(record, code, programme_key(JURISDICTION, code), LIST_NAME)


def vessel_rows(record: str, attribute: str, value: str) -> Iterator[Row]:
    """A vessel attribute (call_sign, vessel_type, tonnage, gross_tonnage, vessel_flag,
    vessel_owner); the flag is also a country of the record."""
    yield Attribute(record, attribute, value)
    if attribute == "vessel_flag":
        yield Country(record, "flag", countries().code(value), value)


def full_address(*parts: str | None) -> str:
    """The parts of an address that are there, joined in OFAC's order."""
    return ", ".join(part for part in parts if part)


def address_rows(
    record: str,
    street: str | None,
    city: str | None,
    region: str | None,
    postal_code: str | None,
    country_name: str | None,
    country_code: str | None,
) -> Iterator[Row]:
    """An address and the address country."""
    full = full_address(street, city, region, postal_code, country_name)
    if full:
        yield Address(record, full, street, city, region, postal_code, country_code, country_name)
    if country_name:
        yield Country(record, "address", country_code, country_name)


def _iso_day(text: str | None) -> str | None:
    """ISO form of an exact date ("01 Mar 2010" -> 2010-03-01); anything else as published."""
    if not text:
        return None
    parsed = parse_date_text(text)
    return parsed.earliest.isoformat() if parsed.precision == "day" else text


class Facts:
    """The labelled facts of one record, turned into rows; the gender goes on its Record."""

    def __init__(self, record: str, reading: Reading):
        self.record = record
        self.reading = reading
        self.gender: str | None = None
        self.rows: list[Row] = []

    def read_remarks(self, remarks: str) -> None:
        """Read "DOB 1962; POB Shati; alt. Passport 123 (Iraq); (Linked To: X)" items; items
        without a known label stay in the remarks only."""
        for item in remarks.split("; "):
            item = item.strip().rstrip(".").strip()
            if item.startswith("(") and item.endswith(")"):  # SDN.XML: "(Linked To: X CO.)"
                item = item[1:-1].rstrip(".").strip()
            item = item.removeprefix("alt. ")
            for prefix, label in _PREFIXES.get(item[:3], ()):
                if item.startswith(prefix):
                    self.add(label, item[len(prefix) :].strip())
                    break

    def add(self, label: str, value: str) -> None:
        """One fact of a known label, its value written as in Remarks (an identifier with its
        "(country) issued ... expires ..." tail, a digital currency as "XBT address")."""
        if not value:
            return
        kind, detail = LABELS[label]
        rid = self.record
        if kind == "birth_date":
            self.rows.append(BirthDate(rid, value, *parse_date_text(value)))
        elif kind == "place_of_birth":
            self.rows.append(Attribute(rid, "place_of_birth", value))
            country = value.rpartition(", ")[2]
            if code := countries().code(country):
                self.rows.append(Country(rid, "birth", code, country))
        elif kind == "country":
            self.rows.append(Country(rid, detail, countries().code(value), value))
        elif kind == "gender":
            self.gender = self.reading.read(GENDERS, value, rid)
        elif kind == "identifier":
            number, country, issued, expires = _ID_TAIL.match(value).groups()
            self.identifier(detail, number, country, issued, expires)
        elif kind == "digital_currency":
            currency, _, address = value.partition(" ")
            self.identifier(f"{DIGITAL_CURRENCY} {currency}", address)
        else:
            self.rows.append(Attribute(rid, detail, value))

    def identifier(
        self,
        id_type: str,
        number: str,
        country: str | None = None,
        issued: str | None = None,
        expires: str | None = None,
    ) -> None:
        self.rows.append(
            Identifier(
                self.record,
                id_type,
                number,
                countries().code(country),
                country,
                _iso_day(issued),
                _iso_day(expires),
            )
        )

    def id_list_item(self, id_type: str, number: str, country, issued, expires) -> None:
        """An SDN.XML `idList/id`: a document, or a labelled fact OFAC files there too
        ("Website", "Gender", "Secondary sanctions risk:"); other labels become attributes
        named as the advanced XML's features of that label are."""
        kind = LABELS.get(id_type, ("",))[0]
        if kind == "identifier" or id_type.startswith(DIGITAL_CURRENCY):
            self.identifier(id_type, number, country, issued, expires)
        elif kind:
            self.add(id_type, number)
        else:
            self.rows.append(Attribute(self.record, slug(id_type), number))
