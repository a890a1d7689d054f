"""The OFAC legacy CSV parser on hand-written files in the official layout."""

import pytest

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
)
from sanctions.parsers import ofac_csv
from sanctions.parsers.common import parse_date_text


def rows_of(kind, rows, record_id=None):
    return [r for r in rows if type(r) is kind and (record_id is None or r.record_id == record_id)]


@pytest.fixture
def rows(csv_files):
    return list(ofac_csv.parse(csv_files))


def test_records_and_entity_types(rows):
    records = {r.record_id: r for r in rows_of(Record, rows)}
    assert {rid: r.entity_type for rid, r in records.items()} == {
        "US:1001": "person",
        "US:1002": "organization",  # SDN_Type -0- means entity
        "US:1003": "vessel",
        "US:1004": "aircraft",
        "US:1005": "person",
    }
    assert records["US:1001"].title == "Former Deputy Minister"
    assert records["US:1001"].gender == "male" and records["US:1005"].gender == "female"
    assert records["US:1002"].title is None  # -0- is null


def test_programmes_are_split_and_keyed(rows):
    programmes = {(p.record_id, p.programme_raw, p.programme_key) for p in rows_of(Programme, rows)}
    assert ("US:1001", "GLOMAG", "US-GLOMAG") in programmes
    assert {p for p in programmes if p[0] == "US:1002"} == {
        ("US:1002", "SDGT", "US-SDGT"),
        ("US:1002", "IRGC", "US-IRGC"),
    }


def test_aliases_from_alt_csv(rows):
    names = {(n.record_id, n.name, n.kind) for n in rows_of(Name, rows)}
    assert ("US:1001", "PETROV, Ivan Sergeyevich", "primary") in names
    assert ("US:1001", "PETROV, Ivan", "aka") in names
    assert ("US:1001", "PETROFF, Ivan", "fka") in names
    assert ("US:1003", "OCEAN EXAMPLE", "fka") in names
    primary = next(n for n in rows_of(Name, rows, "US:1001") if n.kind == "primary")
    assert (primary.family_name, primary.given_name) == ("PETROV", "Ivan Sergeyevich")


def test_remarks_continue_in_sdn_comments(rows):
    record = next(r for r in rows_of(Record, rows) if r.record_id == "US:1002")
    assert record.remarks.endswith("Pages/ukraine.aspx#directives.")


def test_facts_read_from_remarks(rows):
    births = rows_of(BirthDate, rows, "US:1001")
    assert [(b.raw, b.earliest.isoformat(), b.latest.isoformat(), b.precision) for b in births] == [
        ("12 Feb 1961", "1961-02-12", "1961-02-12", "day"),
        ("1962", "1962-01-01", "1962-12-31", "year"),
    ]
    assert rows_of(BirthDate, rows, "US:1005")[0].precision == "circa"
    countries = {(c.record_id, c.relation, c.country_code) for c in rows_of(Country, rows)}
    assert {("US:1001", "nationality", "RU"), ("US:1001", "birth", "RU")} <= countries
    assert {("US:1005", "citizenship", "MX"), ("US:1003", "flag", "IR")} <= countries
    passport = rows_of(Identifier, rows, "US:1001")[0]
    assert passport == Identifier(
        "US:1001", "Passport", "7101234567", "RU", "Russia", "2010-03-01", "2020-03-01"
    )
    ids = {(i.record_id, i.id_type, i.value) for i in rows_of(Identifier, rows)}
    assert ("US:1003", "Vessel Registration Identification", "IMO 9000001") in ids
    assert ("US:1003", "MMSI", "422000001") in ids
    assert ("US:1004", "Aircraft Manufacturer's Serial Number (MSN)", "1023409321") in ids
    assert ("US:1005", "C.U.R.P.", "GALM700101MSLRPR09") in ids
    attributes = {(a.record_id, a.attribute, a.value) for a in rows_of(Attribute, rows)}
    assert ("US:1001", "linked_to", "EXAMPLE HOLDING LLC") in attributes
    assert ("US:1003", "vessel_type", "Crude Oil Tanker") in attributes
    assert ("US:1004", "aircraft_model", "IL76-TD") in attributes


def test_addresses_from_add_csv(rows):
    address = rows_of(Address, rows, "US:1002")[0]
    assert address.full_address == "ul. Primernaya 1, Moscow 101000, Russia"
    assert address.country_code == "RU"


def test_sdn_csv_alone_is_enough(csv_files):
    rows = list(ofac_csv.parse({"SDN.CSV": csv_files["SDN.CSV"]}))
    assert len(rows_of(Record, rows)) == 5
    assert {n.kind for n in rows_of(Name, rows)} == {"primary"}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'1001,"PETROV, Ivan","individual","GLOMAG",-0- \r\n', "line 1: 5 fields, expected 12"),
        (
            b'1001,"PETROV, Ivan","individual","GLOMAG",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"DOB 19',
            "malformed CSV",
        ),
        (b'X1,"A",-0- ,"SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n', "is not a number"),
        (b"\x1a", "no records"),
    ],
)
def test_broken_files_name_the_file_and_the_problem(tmp_path, content, problem):
    path = tmp_path / "SDN.CSV"
    path.write_bytes(content)
    with pytest.raises(ParseError, match=problem) as raised:
        list(ofac_csv.parse({"SDN.CSV": path}))
    assert str(raised.value).startswith("us_ofac: SDN.CSV: ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10 Dec 1948", ("1948-12-10", "1948-12-10", "day")),
        ("Mar 1955", ("1955-03-01", "1955-03-31", "month")),
        ("circa 1960", ("1960-01-01", "1960-12-31", "circa")),
        ("1962 to 1964", ("1962-01-01", "1964-12-31", "range")),
        ("01 Jan 1960 to 31 Dec 1962", ("1960-01-01", "1962-12-31", "range")),
        ("1975-19-25", (None, None, "unparsed")),
        ("born in the early 1970s", (None, None, "unparsed")),
    ],
)
def test_date_phrases(text, expected):
    parsed = parse_date_text(text)
    got = (*(d.isoformat() if d else None for d in parsed[:2]), parsed.precision)
    assert got == expected


def test_lf_line_endings_and_no_final_ctrl_z_read_the_same(tmp_path, csv_files, rows):
    """Copies re-saved by other tools (the real 2019 set) lose the CRLF and the final 0x1A."""
    resaved = {}
    for name, path in csv_files.items():
        resaved[name] = tmp_path / name
        resaved[name].write_bytes(path.read_bytes().replace(b"\r\n", b"\n").rstrip(b"\x1a"))
    assert b"\r" not in resaved["SDN.CSV"].read_bytes()
    assert list(ofac_csv.parse(resaved)) == rows
