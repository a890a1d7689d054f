"""The OFAC advanced XML parser on a hand-written file in the official schema."""

import pytest

from sanctions.errors import ParseError
from sanctions.model import BirthDate, Country, Identifier, Name, Programme, Record, Relationship
from sanctions.parsers import ofac_advanced_xml

NEW_NS = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML"
OLD_NS = "http://www.un.org/sanctions/1.0"


def parse(path):
    return list(ofac_advanced_xml.parse({"SDN_ADVANCED.XML": path}))


def of(kind, rows):
    return [row for row in rows if type(row) is kind]


def test_parties_names_and_types(xml_file):
    rows = parse(xml_file)
    records = {r.record_id: r for r in of(Record, rows)}
    assert {rid: r.entity_type for rid, r in records.items()} == {
        "US:1001": "person",
        "US:1002": "organization",
        "US:1003": "vessel",
    }
    assert records["US:1001"].gender == "male"
    names = {(n.record_id, n.name, n.kind, n.is_weak) for n in of(Name, rows)}
    assert ("US:1001", "PETROV, Ivan Sergeyevich", "primary", False) in names
    assert ("US:1001", "PETROFF, Ivan", "fka", True) in names  # LowQuality -> weak
    assert ("US:1002", "EXAMPLE HOLDING LLC", "primary", False) in names


def test_programmes_come_from_program_measures_with_listing_dates(xml_file):
    programmes = of(Programme, parse(xml_file))
    assert sorted((p.record_id, p.programme_key, p.listed_on.isoformat()) for p in programmes) == [
        ("US:1001", "US-GLOMAG", "2017-12-21"),
        ("US:1002", "US-IRGC", "2019-04-15"),
        ("US:1002", "US-SDGT", "2019-04-15"),  # the Consolidated List duplicate is skipped
        ("US:1003", "US-IRAN", "2020-01-10"),
    ]
    assert programmes[0].legal_basis == "Executive Order 13818 (Global Magnitsky)"


def test_features_documents_and_relationships(xml_file):
    rows = parse(xml_file)
    assert [(b.earliest.isoformat(), b.precision) for b in of(BirthDate, rows)] == [
        ("1961-02-12", "day"),
        ("1962-01-01", "year"),
    ]
    passport = next(i for i in of(Identifier, rows) if i.id_type == "Passport")
    assert (passport.value, passport.country_code, passport.issued_on) == (
        "7101234567",
        "RU",
        "2010-03-01",
    )
    assert ("US:1003", "flag", "IR") in {
        (c.record_id, c.relation, c.country_code) for c in of(Country, rows)
    }
    assert of(Relationship, rows) == [Relationship("US:1001", "US:1002", "Associate Of", False)]


def test_publication_date_is_read_from_the_file_head(xml_file):
    assert ofac_advanced_xml.publication_date({"SDN_ADVANCED.XML": xml_file}).isoformat() == (
        "2026-11-20"
    )


def test_pre_2024_namespace_parses_the_same(xml_file, tmp_path):
    old = tmp_path / "SDN_ADVANCED.XML"
    old.write_text(xml_file.read_text().replace(NEW_NS, OLD_NS))
    assert parse(old) == parse(xml_file)


def test_truncated_file_fails_naming_the_file(xml_file, tmp_path):
    truncated = tmp_path / "SDN_ADVANCED.XML"
    data = xml_file.read_bytes()
    truncated.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(ParseError, match=r"us_ofac: SDN_ADVANCED.XML: malformed XML"):
        parse(truncated)


def test_a_file_without_parties_fails_loudly(tmp_path):
    empty = tmp_path / "SDN_ADVANCED.XML"
    empty.write_text(
        f'<?xml version="1.0"?><Sanctions xmlns="{NEW_NS}"><DistinctParties/></Sanctions>'
    )
    with pytest.raises(ParseError, match="no DistinctParty elements"):
        parse(empty)


def test_external_entities_are_not_resolved(xml_file, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    hostile = tmp_path / "SDN_ADVANCED.XML"
    text = xml_file.read_text()
    text = text.replace(
        '<?xml version="1.0" encoding="utf-8" standalone="yes"?>',
        f'<?xml version="1.0"?><!DOCTYPE Sanctions [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>',
    ).replace("<Comment />", "<Comment>&xxe;</Comment>", 1)
    hostile.write_text(text)
    try:
        rows = parse(hostile)
    except ParseError:
        return  # refusing the file outright is fine too
    assert not any("TOP-SECRET" in str(row) for row in rows)
