"""OFAC's advanced XML (`SDN_ADVANCED.XML`, and `CONS_ADVANCED.XML` with the same schema).

The file is relational: reference value sets, then locations and identity documents, then the
parties, their relationships, and last the sanctions entries that carry programmes and listing
dates. It is streamed: each top-level item is turned into rows and freed at once; only the
small lookup tables (values, locations, documents not yet claimed by a party) stay in memory.
Elements are matched on local names because OFAC changed the namespace in 2024.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from lxml import etree

from sanctions.errors import ParseError
from sanctions.model import (
    Attribute,
    BirthDate,
    Country,
    Identifier,
    Name,
    Programme,
    Record,
    Relationship,
    Row,
)
from sanctions.parsers.common import (
    UNKNOWN,
    Enumeration,
    Reading,
    local_name,
    precision_of,
    programme_key,
    release,
    safe_iterparse,
    slug,
)
from sanctions.parsers.ofac_common import (
    GENDERS,
    ID_LABELS,
    JURISDICTION,
    address_rows,
    full_address,
)
from sanctions.parsers.ofac_common import record_id as ofac_record_id

MAIN_FILE = "SDN_ADVANCED.XML"
STREAMED_TAGS = (
    "DateOfIssue",
    "ReferenceValueSets",
    "Location",
    "IDRegDocument",
    "DistinctParty",
    "ProfileRelationship",
    "SanctionsEntry",
)
ALIAS_KINDS = Enumeration(
    "AliasType", {"A.K.A.": "aka", "F.K.A.": "fka", "N.K.A.": "nka", "Name": "primary"}
)
# An alias of unread quality is weak: it must never decide a match alone.
LOW_QUALITY = Enumeration("Alias LowQuality", {"true": True, "false": False}, unknown=True)
PARTY_TYPES = Enumeration(
    "PartyType", {"Individual": "person", "Entity": "organization", "Other Entity": "organization"}
)
# A subtype decides for vessels and aircraft; "Unknown" (None) leaves it to the party type.
SUBTYPES = Enumeration(
    "PartySubType", {"Vessel": "vessel", "Aircraft": "aircraft", "Unknown": None}
)
# Lists that only aggregate others; their entries duplicate a more specific list's.
META_LISTS = frozenset({"Consolidated List"})
# Feature types that map onto the model's own columns or tables; the rest become attributes.
COUNTRY_FEATURES = {
    "Nationality Country": "nationality",
    "Citizenship Country": "citizenship",
    "Nationality of Registration": "registration",
    "Vessel Flag": "flag",
    "Other Vessel Flag": "flag",
}
ATTRIBUTE_NAMES = {
    "Place of Birth": "place_of_birth",
    "Vessel Call Sign": "call_sign",
    "VESSEL TYPE": "vessel_type",
    "Vessel Type": "vessel_type",
    "Vessel Tonnage": "tonnage",
    "Vessel Gross Registered Tonnage": "gross_tonnage",
    "Vessel Owner": "vessel_owner",
    "Vessel Flag": "vessel_flag",
    "Email Address": "email",
    "Website": "website",
    "Phone Number": "phone",
    "Fax": "fax",
}
ADDRESS_PARTS = {
    "ADDRESS1": "street",
    "ADDRESS2": "street",
    "ADDRESS3": "street",
    "CITY": "city",
    "STATE/PROVINCE": "region",
    "REGION": "region",
    "POSTAL CODE": "postal_code",
}


def publication_date(files: dict[str, Path]) -> date | None:
    """`DateOfIssue`, read from the head of the file without parsing the rest."""
    _, path = _main_file(files, "us_ofac")
    try:
        for name, element in safe_iterparse(path, ("DateOfIssue", "ReferenceValueSets")):
            return _ymd(element) if name == "DateOfIssue" else None
    except etree.XMLSyntaxError:
        return None  # the parse step reports what is wrong with the file
    return None


def parse(files: dict[str, Path], source_id: str = "us_ofac") -> Iterator[Row]:
    name, path = _main_file(files, source_id)
    return _Parser(source_id, name).rows(path)


def _main_file(files: dict[str, Path], source_id: str) -> tuple[str, Path]:
    if len(files) != 1:
        raise ParseError(source_id, ", ".join(files), "expected exactly one advanced XML file")
    return next(iter(files.items()))


class _Parser:
    def __init__(self, source_id: str, file_name: str):
        self.source_id = source_id
        self.file_name = file_name
        self.values: dict[str, dict[str, str]] = defaultdict(dict)
        self.country_codes: dict[str, str] = {}
        self.locations: dict[str, tuple[dict[str, list[str]], str | None]] = {}
        self.party_type_of_subtype: dict[str, str] = {}
        # Identity documents precede the parties: held, keyed by identity, until claimed.
        self.documents: dict[str, list[tuple]] = defaultdict(list)
        self.parties = 0
        self.reading = Reading(source_id, file_name)

    def rows(self, path: Path) -> Iterator[Row]:
        handlers = {
            "ReferenceValueSets": self._reference_values,
            "Location": self._location,
            "IDRegDocument": self._document,
            "DistinctParty": self._party,
            "ProfileRelationship": self._relationship,
            "SanctionsEntry": self._entry,
        }
        try:
            for name, element in safe_iterparse(path, STREAMED_TAGS):
                handler = handlers.get(name)
                if handler is not None:
                    produced = handler(element)
                    if produced:
                        yield from produced
                    release(element)
        except etree.XMLSyntaxError as exc:
            raise ParseError(self.source_id, self.file_name, f"malformed XML: {exc}") from exc
        if not self.parties:
            raise ParseError(
                self.source_id,
                self.file_name,
                "no DistinctParty elements: not an OFAC advanced XML file, or its format changed",
            )
        self.reading.verdict()

    # -- lookups -------------------------------------------------------------------------------

    def _reference_values(self, element) -> None:
        for value_set in element:
            set_name = local_name(value_set)
            for value in value_set:
                self.values[set_name][value.get("ID")] = (value.text or "").strip()
                if set_name == "CountryValues" and value.get("ISO2"):
                    self.country_codes[value.get("ID")] = value.get("ISO2")
                elif set_name == "PartySubTypeValues":
                    self.party_type_of_subtype[value.get("ID")] = value.get("PartyTypeID")

    def _value(self, set_name: str, value_id: str | None) -> str | None:
        return self.values[set_name].get(value_id) if value_id else None

    def _location(self, element) -> None:
        parts: dict[str, list[str]] = defaultdict(list)
        country_id = None
        for child in element:
            name = local_name(child)
            if name == "LocationCountry":
                country_id = child.get("CountryID")
            elif name == "LocationPart":
                part_type = self._value("LocPartTypeValues", child.get("LocPartTypeID"))
                text = _text(child, "LocationPartValue/Value")
                if part_type and text:
                    parts[part_type].append(text)
        self.locations[element.get("ID")] = (dict(parts), country_id)

    def _document(self, document) -> None:
        country_id = document.get("IssuedBy-CountryID")
        dates = {}
        for document_date in document.iterfind("{*}DocumentDate"):
            date_type = self._value(
                "IDRegDocDateTypeValues", document_date.get("IDRegDocDateTypeID")
            )
            period = _child(document_date, "DatePeriod")
            if period is not None and date_type:
                earliest, _ = _period(period)
                dates[date_type] = earliest.isoformat() if earliest else None
        self.documents[document.get("IdentityID")].append(
            (
                self._value("IDRegDocTypeValues", document.get("IDRegDocTypeID")) or "unknown",
                _text(document, "IDRegistrationNo") or "",
                self.country_codes.get(country_id),
                self._value("CountryValues", country_id),
                dates.get("Issue Date"),
                dates.get("Expiration Date"),
                _text(document, "Comment"),
            )
        )

    # -- parties -------------------------------------------------------------------------------

    def _party(self, party) -> Iterator[Row]:
        self.parties += 1
        profile = _child(party, "Profile")
        if profile is None:
            raise ParseError(
                self.source_id,
                self.file_name,
                f"DistinctParty {party.get('FixedRef')} has no Profile",
            )
        record_id = ofac_record_id(profile.get("ID"))
        entity_type = self._entity_type(record_id, profile.get("PartySubTypeID"))
        facts: list[Row] = []
        gender = title = None
        for child in profile:
            name = local_name(child)
            if name == "Identity":
                facts.extend(self._names(record_id, entity_type, child))
                for document in self.documents.pop(child.get("ID"), ()):
                    facts.append(Identifier(record_id, *document))
            elif name == "Feature":
                feature_type = self._value("FeatureTypeValues", child.get("FeatureTypeID"))
                if feature_type == "Gender":
                    gender = self.reading.read(GENDERS, self._feature_text(child), record_id)
                elif feature_type == "Title":
                    title = self._feature_text(child)
                else:
                    facts.extend(self._feature(record_id, feature_type or "unknown", child))
        comment = _text(party, "Comment")
        yield Record(record_id, profile.get("ID"), entity_type, title, gender, comment)
        yield from facts
        yield from self.reading.rows()

    def _entity_type(self, record_id: str, subtype_id: str | None) -> str:
        subtype = self._value("PartySubTypeValues", subtype_id)
        if found := self.reading.read(SUBTYPES, subtype, record_id):
            return found
        party_type = self._value("PartyTypeValues", self.party_type_of_subtype.get(subtype_id))
        return self.reading.read(PARTY_TYPES, party_type, record_id) or UNKNOWN

    def _names(self, record_id: str, entity_type: str, identity) -> Iterator[Name]:
        part_types = {
            group.get("ID"): self._value("NamePartTypeValues", group.get("NamePartTypeID"))
            for group in identity.iter("{*}NamePartGroup")
        }
        for alias in identity.iterfind("{*}Alias"):
            alias_type = self._value("AliasTypeValues", alias.get("AliasTypeID"))
            kind = self.reading.read(ALIAS_KINDS, alias_type, record_id) or "aka"
            if alias.get("Primary") == "true":
                kind = "primary"
            weak = self.reading.read(LOW_QUALITY, alias.get("LowQuality"), record_id) or False
            for documented in alias.iterfind("{*}DocumentedName"):
                parts = [
                    (
                        part_types.get(value.get("NamePartGroupID")),
                        (value.text or "").strip(),
                        value.get("ScriptID"),
                    )
                    for value in documented.iter("{*}NamePartValue")
                ]
                yield self._name(record_id, entity_type, kind, weak, parts)

    def _name(self, record_id, entity_type, kind, weak, parts) -> Name:
        parts = [part for part in parts if part[1]]
        family = " ".join(text for part_type, text, _ in parts if part_type == "Last Name")
        given = " ".join(
            text
            for part_type, text, _ in parts
            if part_type not in ("Last Name", "Entity Name", "Vessel Name", "Aircraft Name")
        )
        if entity_type == "person" and family and given:
            full = f"{family}, {given}"
        else:
            full = " ".join(text for _, text, _ in parts)
        script = self._value("ScriptValues", parts[0][2]) if parts else None
        return Name(record_id, full, kind, weak, script, given or None, family or None)

    def _feature(self, record_id: str, feature_type: str, feature) -> Iterator[Row]:
        for version in feature.iterfind("{*}FeatureVersion"):
            period = _child(version, "DatePeriod")
            location = _child(version, "VersionLocation")
            if feature_type == "Birthdate" and period is not None:
                earliest, latest = _period(period)
                if earliest and latest:
                    raw = _describe(earliest, latest)
                    yield BirthDate(
                        record_id, raw, earliest, latest, precision_of(earliest, latest)
                    )
                continue
            if location is not None:
                yield from self._located(record_id, feature_type, location.get("LocationID"))
                continue
            text = self._version_text(version)
            if not text and period is not None:
                earliest, latest = _period(period)
                text = _describe(earliest, latest) if earliest and latest else None
            if text and feature_type in ID_LABELS:  # SWIFT/BIC, BIK (RU): identifiers in the
                yield Identifier(record_id, feature_type, text)  # CSV and SDN.XML too
            elif text:
                attribute = ATTRIBUTE_NAMES.get(feature_type) or slug(feature_type)
                yield Attribute(record_id, attribute, text)

    def _located(self, record_id: str, feature_type: str, location_id: str) -> Iterator[Row]:
        parts, country_id = self.locations.get(location_id, ({}, None))
        country_name = self._value("CountryValues", country_id)
        country_code = self.country_codes.get(country_id)
        relation = COUNTRY_FEATURES.get(feature_type)
        if relation:
            if country_name:
                yield Country(record_id, relation, country_code, country_name)
                if feature_type == "Vessel Flag":
                    yield Attribute(record_id, "vessel_flag", country_name)
            return
        fields = {"street": [], "city": [], "region": [], "postal_code": []}
        for part_type, texts in parts.items():
            fields.setdefault(ADDRESS_PARTS.get(part_type, "street"), []).extend(texts)
        joined = {key: ", ".join(texts) or None for key, texts in fields.items()}
        if feature_type == "Location":
            yield from address_rows(
                record_id,
                joined["street"],
                joined["city"],
                joined["region"],
                joined["postal_code"],
                country_name,
                country_code,
            )
            return
        full = full_address(
            joined["street"], joined["city"], joined["region"], joined["postal_code"], country_name
        )
        if full:
            yield Attribute(
                record_id, ATTRIBUTE_NAMES.get(feature_type) or slug(feature_type), full
            )

    def _feature_text(self, feature) -> str | None:
        version = _child(feature, "FeatureVersion")
        return self._version_text(version) if version is not None else None

    def _version_text(self, version) -> str | None:
        detail = _child(version, "VersionDetail")
        if detail is None:
            return None
        if detail.get("DetailReferenceID"):
            return self._value("DetailReferenceValues", detail.get("DetailReferenceID"))
        return (detail.text or "").strip() or None

    # -- relationships and sanctions entries ------------------------------------------------------

    def _relationship(self, element) -> Iterator[Row]:
        relation = self._value("RelationTypeValues", element.get("RelationTypeID")) or "related"
        yield Relationship(
            ofac_record_id(element.get("From-ProfileID")),
            ofac_record_id(element.get("To-ProfileID")),
            relation,
            element.get("Former") == "true",
        )

    def _entry(self, entry) -> Iterator[Row]:
        list_name = self._value("ListValues", entry.get("ListID"))
        if list_name in META_LISTS:
            return
        record_id = ofac_record_id(entry.get("ProfileID"))
        listed_on = legal_basis = None
        for event in entry.iterfind("{*}EntryEvent"):
            event_date = _ymd(_child(event, "Date"))
            if event_date and (listed_on is None or event_date < listed_on):
                listed_on = event_date
                legal_basis = self._value("LegalBasisValues", event.get("LegalBasisID"))
        for measure in entry.iterfind("{*}SanctionsMeasure"):
            if self._value("SanctionsTypeValues", measure.get("SanctionsTypeID")) != "Program":
                continue
            code = _text(measure, "Comment")
            if code:
                yield Programme(
                    record_id,
                    code,
                    programme_key(JURISDICTION, code),
                    list_name,
                    listed_on,
                    legal_basis,
                )


def _child(element, name: str):
    return element.find(f"{{*}}{name}")


def _text(element, path: str) -> str | None:
    found = element.find("/".join(f"{{*}}{step}" for step in path.split("/")))
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _ymd(element) -> date | None:
    if element is None:
        return None
    try:
        return date(
            int(_text(element, "Year")),
            int(_text(element, "Month") or 1),
            int(_text(element, "Day") or 1),
        )
    except (TypeError, ValueError):
        return None


def _period(period) -> tuple[date | None, date | None]:
    start_from = _ymd(period.find("{*}Start/{*}From"))
    end_to = _ymd(period.find("{*}End/{*}To"))
    return start_from, end_to or start_from


def _describe(earliest: date, latest: date) -> str:
    precision = precision_of(earliest, latest)
    if precision == "day":
        return earliest.isoformat()
    if precision == "month":
        return earliest.isoformat()[:7]
    if precision == "year":
        return str(earliest.year)
    return f"{earliest.isoformat()} to {latest.isoformat()}"
