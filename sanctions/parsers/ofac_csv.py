"""OFAC's legacy CSV set: SDN.CSV (required), ALT.CSV, ADD.CSV and SDN_COMMENTS.CSV (optional).

No header row, `-0-` as null, CRLF and a lone 0x1A ending each file as published (copies
re-saved with LF and without the 0x1A, as the 2019 set here, read the same). Birth dates,
places of birth, nationalities and identity documents exist only inside the free-text Remarks,
and long remarks continue, mid-word, in SDN_COMMENTS.CSV.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from sanctions.errors import ParseError
from sanctions.model import Name, Record, Row
from sanctions.parsers.common import Reading, clean, countries, csv_rows, decode_text
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

SDN_COLUMNS = 12  # ent_num, name, type, programs, title, call sign, vessel type, tonnage, GRT,
# vessel flag, vessel owner, remarks
COMPANION_COLUMNS = {"ALT.CSV": 5, "ADD.CSV": 6, "SDN_COMMENTS.CSV": 2}
VESSEL_COLUMNS = (
    (5, "call_sign"),
    (6, "vessel_type"),
    (7, "tonnage"),
    (8, "gross_tonnage"),
    (9, "vessel_flag"),
    (10, "vessel_owner"),
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
    reading = Reading(source_id, "SDN.CSV")
    for row in read_rows("SDN.CSV", files["SDN.CSV"], SDN_COLUMNS, source_id):
        seen += 1
        ent_num = int(row[0])
        yield from _sdn_rows(
            ent_num,
            row,
            comments.get(ent_num),
            aliases.get(ent_num, ()),
            addresses.get(ent_num, ()),
            reading,
        )
        yield from reading.rows()
    if not seen:
        raise ParseError(source_id, "SDN.CSV", "no records in the file")
    reading.verdict()


def _companion(files: dict[str, Path], name: str, source_id: str) -> Iterator[list[str]]:
    if name in files:
        yield from read_rows(name, files[name], COMPANION_COLUMNS[name], source_id)


def _sdn_rows(ent_num, row, continuation, alias_rows, addresses, reading) -> Iterator[Row]:
    record = record_id(ent_num)
    entity = entity_type(clean(row[2]), reading, record)
    remarks = clean((row[11] if clean(row[11]) else "") + (continuation or ""))
    facts = Facts(record, reading)
    if remarks:
        facts.read_remarks(remarks)
    yield Record(record, str(ent_num), entity, clean(row[4]), facts.gender, remarks)

    name = clean(row[1])
    if name:
        yield _name(record, name, "primary", entity)
    for alias in alias_rows:
        alias_name = clean(alias[3])
        if alias_name:
            kind = alias_kind(clean(alias[2]), reading, record)
            yield _name(record, alias_name, kind, entity)

    for code in _programme_codes(row[3]):
        yield programme_row(record, code)

    for column, attribute in VESSEL_COLUMNS:
        value = clean(row[column])
        if value:
            yield from vessel_rows(record, attribute, value)

    for address in addresses:
        street, locality, country = clean(address[2]), clean(address[3]), clean(address[4])
        yield from address_rows(
            record, street, locality, None, None, country, countries().code(country)
        )
    yield from facts.rows


def _name(record: str, name: str, kind: str, entity: str) -> Name:
    """The CSV writes people "LAST, First" in one field."""
    last, first = name.partition(", ")[::2] if entity == "person" else (name, None)
    return name_row(record, kind, entity, last, first or None)


def _programme_codes(cell: str) -> list[str]:
    text = (clean(cell) or "").strip("[]")
    return [code.strip() for code in text.split("] [") if code.strip()]
