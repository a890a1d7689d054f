"""The normalised model every parser produces: one row type per warehouse table.

Parsers yield these rows as they stream through a file; the warehouse stages them in bulk.
Field names are the column names of the matching `core.*` table (see schemas/020_core.sql);
the loader adds `source_id` (and `snapshot_id` on records) itself.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

# "unknown": the publisher's type is a value the parser's table lacks (named by the checks).
ENTITY_TYPES = ("person", "organization", "vessel", "aircraft", "unknown")


class Record(NamedTuple):
    record_id: str  # "<jurisdiction>:<source key>"
    source_key: str
    entity_type: str  # one of ENTITY_TYPES
    title: str | None = None
    gender: str | None = None  # "male" / "female" as published, lower case
    remarks: str | None = None


class Name(NamedTuple):
    record_id: str
    name: str
    kind: str  # primary, aka, fka, nka; unknown when the published kind is not in the table
    is_weak: bool = False  # OFAC "weak" / LowQuality aliases
    script: str | None = None
    given_name: str | None = None
    family_name: str | None = None


class Programme(NamedTuple):
    record_id: str
    programme_raw: str  # the tag or regime text as published
    programme_key: str | None  # the taxonomy key, None when the tag is unknown
    list_name: str | None = None
    listed_on: date | None = None
    legal_basis: str | None = None


class Identifier(NamedTuple):
    record_id: str
    id_type: str
    value: str
    country_code: str | None = None
    country_name: str | None = None
    issued_on: str | None = None
    expires_on: str | None = None
    note: str | None = None


class BirthDate(NamedTuple):
    record_id: str
    raw: str
    earliest: date | None
    latest: date | None
    precision: str  # day, month, year, range, circa, unparsed


class Country(NamedTuple):
    record_id: str
    relation: str  # nationality, citizenship, address, birth, flag, registration, location
    country_code: str | None
    country_name: str


class Address(NamedTuple):
    record_id: str
    full_address: str
    street: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country_code: str | None = None
    country_name: str | None = None


class Attribute(NamedTuple):
    record_id: str
    attribute: str
    value: str


class Relationship(NamedTuple):
    record_id: str
    related_record_id: str
    relation: str
    is_former: bool = False


class FieldCount(NamedTuple):
    """How many records of the file carry a published column or record element with content
    (yielded once per field at the end of a parse; kept on the snapshot, not per record)."""

    field: str  # "column 'IMO Number'", "element <INDIVIDUAL_DATE_OF_BIRTH>"
    records: int

    @property
    def record_id(self) -> None:
        """It belongs to the file, not to a record (so `row.record_id` works on every row)."""
        return None


Row = (
    Record
    | Name
    | Programme
    | Identifier
    | BirthDate
    | Country
    | Address
    | Attribute
    | Relationship
    | FieldCount
)

TABLE_OF_ROW: dict[type, str] = {
    Record: "records",
    Name: "names",
    Programme: "programmes",
    Identifier: "identifiers",
    BirthDate: "birth_dates",
    Country: "countries",
    Address: "addresses",
    Attribute: "attributes",
    Relationship: "relationships",
}
