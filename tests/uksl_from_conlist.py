"""A full-scale UK Sanctions List XML built from the content of a real OFSI ConList.csv, as the
FCDO publishes it: one `Designation` per group and regime, `RegimeName` the statutory title of
the regulations, `UniqueID` the ConList's "UK Sanctions List Ref", `DateDesignated` its "UK
Sanctions List Date Designated"."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from pathlib import Path

from lxml import etree

# The regulations' names as made (legislation.gov.uk), keyed by the ConList's short name. Written
# out here, not read from schemas/programmes.csv, so the taxonomy is tested, not echoed. The ISIL
# title is spelled as the real UK Sanctions List spells it (no "The", "Al-Qaeda").
STATUTORY_TITLES = {
    "Afghanistan": "The Afghanistan (Sanctions) (EU Exit) Regulations 2020",
    "Belarus": "The Republic of Belarus (Sanctions) (EU Exit) Regulations 2019",
    "Bosnia and Herzegovina": "The Bosnia and Herzegovina (Sanctions) (EU Exit) Regulations 2020",
    "Central African Republic": (
        "The Central African Republic (Sanctions) (EU Exit) Regulations 2020"
    ),
    "Chemical Weapons": "The Chemical Weapons (Sanctions) (EU Exit) Regulations 2019",
    "Counter-Terrorism (Domestic)": "The Counter-Terrorism (Sanctions) (EU Exit) Regulations 2019",
    "Counter-Terrorism (International)": (
        "The Counter-Terrorism (International Sanctions) (EU Exit) Regulations 2019"
    ),
    "Cyber": "The Cyber (Sanctions) (EU Exit) Regulations 2020",
    "Democratic People's Republic of Korea": (
        "The Democratic People's Republic of Korea (Sanctions) (EU Exit) Regulations 2019"
    ),
    "Democratic Republic of the Congo": (
        "The Democratic Republic of the Congo (Sanctions) (EU Exit) Regulations 2019"
    ),
    "Global Anti-Corruption": "The Global Anti-Corruption Sanctions Regulations 2021",
    "Global Human Rights": "The Global Human Rights Sanctions Regulations 2020",
    "Guinea": "The Republic of Guinea (Sanctions) (EU Exit) Regulations 2019",
    "Guinea-Bissau": "The Guinea-Bissau (Sanctions) (EU Exit) Regulations 2019",
    "Haiti": "The Haiti (Sanctions) Regulations 2022",
    "ISIL (Da'esh) and Al-Qaida": (
        "Isil (Da'esh) and Al-Qaeda (United Nations Sanctions) (EU Exit) Regulations 2019"
    ),
    "Iran": "The Iran (Sanctions) Regulations 2023",
    "Iran (Nuclear)": "The Iran (Sanctions) (Nuclear) (EU Exit) Regulations 2019",
    "Iraq": "The Iraq (Sanctions) (EU Exit) Regulations 2020",
    "Libya": "The Libya (Sanctions) (EU Exit) Regulations 2020",
    "Mali": "The Mali (Sanctions) (EU Exit) Regulations 2020",
    "Myanmar": "The Myanmar (Sanctions) Regulations 2021",
    "Nicaragua": "The Nicaragua (Sanctions) (EU Exit) Regulations 2020",
    "Russia": "The Russia (Sanctions) (EU Exit) Regulations 2019",
    "Somalia": "The Somalia (Sanctions) (EU Exit) Regulations 2020",
    "South Sudan": "The South Sudan (Sanctions) (EU Exit) Regulations 2019",
    "Sudan": "The Sudan (Sanctions) (EU Exit) Regulations 2020",
    "Syria": "The Syria (Sanctions) (EU Exit) Regulations 2019",
    "Venezuela": "The Venezuela (Sanctions) (EU Exit) Regulations 2019",
    "Yemen": "The Yemen (Sanctions) (EU Exit) Regulations 2020",
    "Zimbabwe": "The Zimbabwe (Sanctions) (EU Exit) Regulations 2019",
}
NAME_TYPES = {
    "Primary name": "Primary Name",
    "Primary name variation": "Primary Name Variation",
    "AKA": "Alias",
    "FKA": "FKA",
}
ALIAS_STRENGTHS = {"Good quality": "Good quality a.k.a", "Low quality": "Low quality a.k.a"}
_LABEL = re.compile(r"\(([A-Z][A-Za-z /.-]{1,40})\):")
_NUMBERED = re.compile(r"\(\d+\)\s*")
# ConList "(Label):value" runs of Other Information -> where the UK Sanctions List writes them
ENTITY_DETAILS = {
    "Type of entity": ("TypeOfEntities", "TypeOfEntity"),
    "Parent company": ("ParentCompanies", "ParentCompany"),
    "Subsidiaries": ("Subsidiaries", "Subsidiary"),
    "Business Reg No": ("BusinessRegistrationNumbers", "BusinessRegistrationNumber"),
}
SHIP_DETAILS = {
    "IMO number": ("IMONumbers", "IMONumber"),
    "Current owners": ("CurrentOwnerOperators", "CurrentOwnerOperator"),
    "Flag of ship": ("CurrentBelievedFlagOfShips", "CurrentBelievedFlagOfShip"),
    "Previous flags": ("PreviousFlags", "PreviousFlag"),
    "Type of ship": ("TypeOfShipDetails", "TypeOfShip"),
    "Tonnage of ship": ("TonnageOfShipDetails", "TonnageOfShip"),
    "Length of ship": ("LengthOfShipDetails", "LengthOfShip"),
    "Year built": ("YearsBuilt", "YearBuilt"),
}
CONTACTS = {
    "Phone number": ("PhoneNumbers", "PhoneNumber"),
    "Email address": ("EmailAddresses", "EmailAddress"),
    "Website": ("Websites", "Website"),
}


def conlist_rows(path: Path) -> tuple[str, list[dict[str, str]]]:
    """The ConList's "Last Updated" date and its rows."""
    text = path.read_text(encoding="utf-8-sig")
    first, _, rest = text.partition("\n")
    return first.split(",")[1].strip(), list(csv.DictReader(io.StringIO(rest)))


def _add(parent, tag: str, text: str | None = None):
    element = etree.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def _list(parent, outer: str, inner: str, values) -> None:
    values = [value for value in values if value]
    if values:
        container = _add(parent, outer)
        for value in values:
            _add(container, inner, value)


def _numbered(text: str) -> list[str]:
    return [part.strip() for part in _NUMBERED.split(text) if part.strip()]


def _every(rows: list[dict[str, str]], column: str) -> list[str]:
    """The numbered items of a column over every row of a group, once each, in order."""
    return list(dict.fromkeys(item for row in rows for item in _numbered(row[column])))


def _labelled(text: str) -> dict[str, list[str]]:
    pieces = _LABEL.split(text)
    found = defaultdict(list)
    for label, value in zip(pieces[1::2], pieces[2::2], strict=True):
        if value := value.strip().rstrip(". ").strip():
            found[label].append(value)
    return found


def _details(parent, outer: str, inner: str, labelled: dict, table: dict) -> None:
    found = {label: values for label, values in labelled.items() if label in table}
    if found:
        element = _add(_add(parent, outer), inner)
        for label, values in found.items():
            _list(element, *table[label], values)


def _documents(parent, outer: str, inner: str, numbers: str, notes: str) -> None:
    numbers, notes = _numbered(numbers), _numbered(notes)
    if numbers:
        container = _add(parent, outer)
        for index, number in enumerate(numbers):
            document = _add(container, inner)
            _add(document, f"{inner}Number", number)
            if index < len(notes):
                _add(document, f"{inner}AdditionalInformation", notes[index])


def uksl_from_conlist(path: Path, titles: dict[str, str] = STATUTORY_TITLES) -> bytes:
    """The UK Sanctions List XML of the ConList at `path` (regimes renamed through `titles`)."""
    generated, rows = conlist_rows(path)
    designations: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        designations[(row["Group ID"], row["Regime"])].append(row)
    root = etree.Element("Designations")
    _add(root, "DateGenerated", generated)
    for (group, regime), group_rows in designations.items():
        first = group_rows[0]
        labelled = _labelled(first["Other Information"])
        designation = _add(root, "Designation")
        _add(designation, "LastUpdated", first["Last Updated"] or None)
        _add(designation, "DateDesignated", first["UK Sanctions List Date Designated"])
        _add(designation, "UniqueID", labelled.get("UK Sanctions List Ref", [None])[0])
        _add(designation, "OFSIGroupID", group)
        for value in labelled.get("UN Ref", []):
            _add(designation, "UNReferenceNumber", value)
        names = _add(designation, "Names")
        for row in group_rows:
            name = _add(names, "Name")
            for n in range(1, 7):
                if row[f"Name {n}"]:
                    _add(name, f"Name{n}", row[f"Name {n}"])
            _add(name, "NameType", NAME_TYPES[row["Alias Type"]])
            if strength := ALIAS_STRENGTHS.get(row["Alias Quality"]):
                _add(name, "AliasStrength", strength)
        non_latin = list(dict.fromkeys(row["Name Non-Latin Script"] for row in group_rows))
        if non_latin := [text for text in non_latin if text]:
            container = _add(designation, "NonLatinNames")
            for text in non_latin:
                _add(_add(container, "NonLatinName"), "NameNonLatinScript", text)
        _list(designation, "Titles", "Title", [first["Title"]])
        _add(designation, "RegimeName", titles.get(regime, regime))
        _add(designation, "IndividualEntityShip", first["Group Type"])
        _add(designation, "DesignationSource", "UK")
        if first["Other Information"]:
            _add(designation, "OtherInformation", first["Other Information"])
        addresses = dict.fromkeys(
            (*(row[f"Address {n}"] for n in range(1, 7)), row["Post/Zip Code"], row["Country"])
            for row in group_rows
        )
        if addresses := [address for address in addresses if any(address)]:
            container = _add(designation, "Addresses")
            for address in addresses:
                element = _add(container, "Address")
                for n, line in enumerate(address[:6], 1):
                    if line:
                        _add(element, f"AddressLine{n}", line)
                if address[6]:
                    _add(element, "AddressPostalCode", address[6])
                if address[7]:
                    _add(element, "AddressCountry", address[7])
        for label, (outer, inner) in CONTACTS.items():
            _list(designation, outer, inner, labelled.get(label, []))
        if first["Group Type"] == "Individual":
            individual = _add(_add(designation, "IndividualDetails"), "Individual")
            _list(individual, "DOBs", "DOB", _every(group_rows, "DOB"))
            _list(individual, "Nationalities", "Nationality", _every(group_rows, "Nationality"))
            _list(individual, "Genders", "Gender", labelled.get("Gender", []))
            _list(individual, "Positions", "Position", _every(group_rows, "Position"))
            _documents(
                individual,
                "PassportDetails",
                "Passport",
                first["Passport Number"],
                first["Passport Details"],
            )
            _documents(
                individual,
                "NationalIdentifierDetails",
                "NationalIdentifier",
                first["National Identification Number"],
                first["National Identification Details"],
            )
            if first["Town of Birth"] or first["Country of Birth"]:
                location = _add(_add(individual, "BirthDetails"), "Location")
                if first["Town of Birth"]:
                    _add(location, "TownOfBirth", first["Town of Birth"])
                if first["Country of Birth"]:
                    _add(location, "CountryOfBirth", first["Country of Birth"])
        _details(designation, "EntityDetails", "Entity", labelled, ENTITY_DETAILS)
        _details(designation, "ShipDetails", "Ship", labelled, SHIP_DETAILS)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")
