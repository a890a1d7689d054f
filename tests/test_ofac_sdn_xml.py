"""The OFAC legacy SDN.XML parser on a hand-written file in the official layout."""

import duckdb
import pytest

from sanctions import warehouse
from sanctions.archive import Archive
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
from sanctions.parsers import PARSERS, ofac_sdn_xml
from sanctions.replay import replay
from sanctions.sources import SOURCES, US_OFAC
from tests.conftest import FIXTURES, make_mirror
from tests.pipeline_helpers import failure_messages, metadata, run

SLS_NS = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/XML"
OLD_NS = "http://tempuri.org/sdnList.xsd"
SDN_XML = FIXTURES / "us_ofac_sdn_xml" / "SDN.XML"


def parse(path):
    return list(ofac_sdn_xml.parse({"SDN.XML": path}))


def of(kind, rows, record_id=None):
    return [r for r in rows if type(r) is kind and (record_id is None or r.record_id == record_id)]


@pytest.fixture(scope="module")
def rows():
    return parse(SDN_XML)


def test_entries_types_titles_and_genders(rows):
    records = {r.record_id: r for r in of(Record, rows)}
    assert {rid: r.entity_type for rid, r in records.items()} == {
        "US:1001": "person",
        "US:1002": "organization",
        "US:1003": "vessel",
        "US:1004": "aircraft",
        "US:1005": "person",
    }
    assert records["US:1001"].title == "Former Deputy Minister"
    assert (records["US:1001"].gender, records["US:1005"].gender) == ("male", "female")
    assert records["US:1003"].remarks == "(Linked To: NATIONAL IRANIAN TANKER CO.)"


def test_names_with_alias_kinds_and_weak_aliases(rows):
    names = {(n.name, n.kind, n.is_weak, n.family_name, n.given_name) for n in of(Name, rows)}
    assert {
        ("PETROV, Ivan Sergeyevich", "primary", False, "PETROV", "Ivan Sergeyevich"),
        ("PETROV, Ivan", "aka", False, "PETROV", "Ivan"),
        ("PETROFF, Ivan", "fka", True, "PETROFF", "Ivan"),  # category weak
        ("EXAMPLE HOLDING LLC", "primary", False, None, None),
        ("OCEAN EXAMPLE", "fka", False, None, None),
    } <= names


def test_programmes_are_keyed(rows):
    programmes = {(p.record_id, p.programme_raw, p.programme_key) for p in of(Programme, rows)}
    assert {p for p in programmes if p[0] == "US:1002"} == {
        ("US:1002", "SDGT", "US-SDGT"),
        ("US:1002", "IRGC", "US-IRGC"),
    }
    assert ("US:1001", "GLOMAG", "US-GLOMAG") in programmes


def test_birth_dates_are_day_ranges(rows):
    births = [(b.record_id, b.raw, b.earliest, b.latest, b.precision) for b in of(BirthDate, rows)]
    assert [(rid, raw, str(first), str(last), p) for rid, raw, first, last, p in births] == [
        ("US:1001", "12 Feb 1961", "1961-02-12", "1961-02-12", "day"),
        ("US:1001", "1962", "1962-01-01", "1962-12-31", "year"),
        ("US:1005", "circa 1970", "1970-01-01", "1970-12-31", "circa"),
    ]


def test_id_list_holds_documents_and_labelled_facts(rows):
    assert of(Identifier, rows, "US:1001") == [
        Identifier("US:1001", "Passport", "7101234567", "RU", "Russia", "2010-03-01", "2020-03-01")
    ]
    ids = {(i.record_id, i.id_type, i.value, i.country_code) for i in of(Identifier, rows)}
    assert ("US:1003", "Vessel Registration Identification", "IMO 9000001", None) in ids
    assert ("US:1005", "Cedula No.", "12345678", "CO") in ids
    attributes = {(a.record_id, a.attribute, a.value) for a in of(Attribute, rows)}
    assert {
        ("US:1002", "website", "www.example-holding.test"),  # idType Website: not a document
        ("US:1002", "organization_established_date", "01 Jan 2001"),
        ("US:1004", "aircraft_model", "IL76-TD"),
        ("US:1001", "linked_to", "EXAMPLE HOLDING LLC"),  # read from the remarks
    } <= attributes
    assert not any(i.id_type in ("Website", "Gender") for i in of(Identifier, rows))


def test_countries_addresses_vessel_and_birth_places(rows):
    countries = {(c.record_id, c.relation, c.country_code) for c in of(Country, rows)}
    assert {
        ("US:1001", "nationality", "RU"),
        ("US:1001", "birth", "RU"),
        ("US:1005", "citizenship", "MX"),
        ("US:1003", "flag", "IR"),
        ("US:1002", "address", "RU"),
    } <= countries
    assert of(Address, rows, "US:1002") == [
        Address(
            "US:1002",
            "ul. Primernaya 1, Moscow, 101000, Russia",
            "ul. Primernaya 1",
            "Moscow",
            None,
            "101000",
            "RU",
            "Russia",
        )
    ]
    vessel = {a.attribute: a.value for a in of(Attribute, rows, "US:1003")}
    assert vessel["call_sign"] == "9BXX1" and vessel["gross_tonnage"] == "81000"
    assert vessel["vessel_flag"] == "Iran" and vessel["vessel_owner"].startswith("NATIONAL")
    places = {a.value for a in of(Attribute, rows) if a.attribute == "place_of_birth"}
    assert places == {"Moscow, Russia", "Culiacan, Sinaloa, Mexico"}


def test_publication_date_is_publish_date():
    assert ofac_sdn_xml.publication_date({"SDN.XML": SDN_XML}).isoformat() == "2026-11-20"


def test_pre_2024_namespace_parses_the_same(rows, tmp_path):
    old = tmp_path / "SDN.XML"
    old.write_text(SDN_XML.read_text().replace(SLS_NS, OLD_NS))
    assert OLD_NS in old.read_text()
    assert parse(old) == rows
    assert ofac_sdn_xml.publication_date({"SDN.XML": old}).isoformat() == "2026-11-20"


def test_truncated_file_fails_naming_source_and_file(tmp_path):
    truncated = tmp_path / "SDN.XML"
    data = SDN_XML.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ParseError, match=r"^us_ofac: SDN.XML: malformed XML"):
        parse(truncated)


def test_an_xml_that_is_not_an_sdn_list_fails(tmp_path):
    other = tmp_path / "SDN.XML"
    other.write_text(FIXTURES.joinpath("us_ofac_xml", "SDN_ADVANCED.XML").read_text())
    with pytest.raises(ParseError, match=r"^us_ofac: SDN.XML: root element <Sanctions>"):
        parse(other)


def test_renamed_entry_elements_fail_naming_them(tmp_path):
    renamed = tmp_path / "SDN.XML"
    renamed.write_text(SDN_XML.read_text().replace("lastName>", "surname>"))
    with pytest.raises(ParseError, match=r"with a name.*unknown elements: surname"):
        parse(renamed)


def test_the_format_is_recognised_between_advanced_xml_and_csv():
    assert US_OFAC.format_for(["SDN.XML"])[0].name == "ofac_sdn_xml"
    assert US_OFAC.format_for(["SDN.CSV", "SDN.XML"])[0].name == "ofac_sdn_xml"
    assert US_OFAC.format_for(["SDN.XML", "SDN_ADVANCED.XML"])[0].name == "ofac_advanced_xml"
    assert PARSERS["ofac_sdn_xml"] is ofac_sdn_xml


def test_a_mirror_with_sdn_xml_loads_through_the_pipeline(tmp_path, monkeypatch):
    monkeypatch.setenv("SANCTIONS_MIN_RECORDS_US_OFAC", "1")
    mirror = make_mirror(tmp_path / "mirror", {"SDN.XML": SDN_XML})
    data = tmp_path / "data"
    result = run(data, mirror)
    assert result.success, failure_messages(result)
    assert metadata(result, "core/us_ofac")["status"] == "published"
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        snapshots = con.execute(
            "SELECT format, published_on::VARCHAR, record_count FROM core.snapshots"
        )
        assert snapshots.fetchall() == [("ofac_sdn_xml", "2026-11-20", 5)]
        imo = con.execute(
            "SELECT record_id FROM core.identifiers WHERE value = 'IMO 9000001'"
        ).fetchall()
        assert imo == [("US:1003",)]


def test_dated_sdn_xml_files_replay_into_the_history(tmp_path):
    folder = tmp_path / "history"
    folder.mkdir()
    (folder / "SDN_2026-11-20.XML").write_bytes(SDN_XML.read_bytes())
    with warehouse.connect(tmp_path / "warehouse.duckdb") as con:
        report = replay(con, SOURCES["us_ofac"], folder, Archive(tmp_path / "raw"))
        listed = con.execute("SELECT count(*) FROM history.events WHERE event = 'listed'")
        assert listed.fetchone() == (5,)
    assert report.skipped == [] and [events for _, events in report.applied] == [5]
