"""The UN Security Council Consolidated List parser: a hand-written file in the official
schema, bad input, the real 2025 list and a mirror run."""

from datetime import date

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
from sanctions.parsers import un_sc_xml
from sanctions.parsers.common import programme_key
from sanctions.parsers.un_references import un_reference
from sanctions.sources import SOURCES
from tests.conftest import FIXTURES, make_mirror
from tests.pipeline_helpers import failed_checks, failure_messages, metadata, run

FILE = {"consolidated.xml": FIXTURES / "un_sc" / "consolidated.xml"}


@pytest.fixture(scope="module")
def rows():
    return list(un_sc_xml.parse(FILE))


def of(kind, rows, record_id=None):
    return [r for r in rows if type(r) is kind and record_id in (None, r.record_id)]


def test_records_are_keyed_on_the_un_reference(rows):
    assert [(r.record_id, r.entity_type, r.title, r.gender) for r in of(Record, rows)] == [
        ("UN:QDi.901", "person", "Haji", "male"),
        ("UN:KPi.901", "person", None, None),
        ("UN:QDe.904", "organization", None, None),
    ]
    assert {
        (a.record_id, a.value) for a in of(Attribute, rows) if a.attribute == "un_reference"
    } == {
        ("UN:QDi.901", "QDi.901"),
        ("UN:KPi.901", "KPi.901"),
        ("UN:QDe.904", "QDe.904"),
    }
    assert ("UN reference number", "QDe.904") in {
        (i.id_type, i.value) for i in of(Identifier, rows, "UN:QDe.904")
    }
    assert SOURCES["un_sc"].reference and not SOURCES["au_dfat"].reference


def test_names_aliases_and_their_quality(rows):
    assert {(n.name, n.kind, n.is_weak, n.script) for n in of(Name, rows, "UN:QDi.901")} == {
        ("ABDUL RAHMAN EXAMPLE", "primary", False, "Latin"),
        ("عبد الرحمن", "aka", False, "Arabic"),
        ("Abd al-Rahman", "aka", False, "Latin"),
        ("Haji Sahib", "aka", True, "Latin"),  # QUALITY Low
    }
    assert {(n.name, n.kind) for n in of(Name, rows, "UN:QDe.904")} == {
        ("EXAMPLE RELIEF FOUNDATION", "primary"),
        ("ERF", "aka"),
        ("Example Charitable Society", "fka"),
    }


def test_committee_listing_date_and_publication_date(rows):
    assert [
        (p.record_id, p.programme_raw, p.list_name, p.listed_on) for p in of(Programme, rows)
    ] == [
        ("UN:QDi.901", "Al-Qaida", "UN List", date(2001, 10, 6)),
        ("UN:KPi.901", "DPRK", "UN List", date(2016, 11, 30)),  # "2016-11-30-05:00"
        ("UN:QDe.904", "Al-Qaida", "UN List", date(2002, 1, 11)),
    ]
    assert un_sc_xml.publication_date(FILE) == date(2026, 11, 20)


def test_births_documents_countries_and_addresses(rows):
    assert {
        (b.record_id, b.raw, b.earliest, b.latest, b.precision) for b in of(BirthDate, rows)
    } == {
        ("UN:QDi.901", "1961-02-12", date(1961, 2, 12), date(1961, 2, 12), "day"),
        ("UN:QDi.901", "1963", date(1963, 1, 1), date(1963, 12, 31), "circa"),
        ("UN:KPi.901", "1958 to 1961", date(1958, 1, 1), date(1961, 12, 31), "range"),
    }
    passport = [i for i in of(Identifier, rows, "UN:QDi.901") if i.id_type == "Passport"]
    assert [(i.value, i.country_code, i.issued_on, i.note) for i in passport] == [
        ("OR801168", "AF", "2006-02-28", "Expired on 27 Feb. 2011")
    ]
    assert {(c.relation, c.country_code) for c in of(Country, rows, "UN:QDi.901")} == {
        ("nationality", "AF"),
        ("nationality", "PK"),
        ("birth", "AF"),
        ("address", "PK"),
    }
    assert ("place_of_birth", "Zurmat District, Paktia Province, Afghanistan") in {
        (a.attribute, a.value) for a in of(Attribute, rows, "UN:QDi.901")
    }
    assert [a.full_address for a in of(Address, rows, "UN:QDe.904")] == [
        "Kabul, Afghanistan, Branch office"
    ]
    assert not of(Address, rows, "UN:KPi.901")  # an empty COUNTRY is no address


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("QDi.001", "QDi.001"),
        ("QDE.123. Listed pursuant to ...", "QDe.123"),
        ("CDi. 037. Listed pursuant to ...", "CDi.037"),
        ("KPv.001", "KPv.001"),
        ("Mr Al Nasser is associated with Hizballah", None),
        ("", None),
    ],
)
def test_un_references_as_the_lists_cite_them(text, reference):
    assert un_reference(text) == reference


def test_a_renamed_record_element_fails_naming_the_new_children(tmp_path):
    renamed = tmp_path / "consolidated.xml"
    text = FILE["consolidated.xml"].read_text(encoding="utf-8")
    renamed.write_text(text.replace("_NAME>", "_NAME_EN>"), encoding="utf-8")
    with pytest.raises(ParseError, match=r"3 records but 0 with a name.*FIRST_NAME_EN"):
        list(un_sc_xml.parse({"consolidated.xml": renamed}))


def test_a_record_without_reference_number_fails_naming_it(tmp_path):
    broken = tmp_path / "consolidated.xml"
    text = FILE["consolidated.xml"].read_text(encoding="utf-8")
    broken.write_text(text.replace("<REFERENCE_NUMBER>QDe.904</REFERENCE_NUMBER>", ""), "utf-8")
    with pytest.raises(ParseError, match=r"un_sc: consolidated\.xml: DATAID 990003: no REFERENCE"):
        list(un_sc_xml.parse({"consolidated.xml": broken}))


def test_a_truncated_file_fails(tmp_path):
    cut = tmp_path / "consolidated.xml"
    cut.write_bytes(FILE["consolidated.xml"].read_bytes()[:3000])
    with pytest.raises(ParseError, match="malformed XML"):
        list(un_sc_xml.parse({"consolidated.xml": cut}))


@pytest.mark.integration
def test_the_real_2025_list(real_data):
    path = real_data / "un" / "un_consolidated_2025-04-19.xml"
    rows = list(un_sc_xml.parse({"consolidated.xml": path}))
    records = of(Record, rows)
    types = [r.entity_type for r in records]
    assert (types.count("person"), types.count("organization")) == (684, 193)
    assert len({r.record_id for r in records}) == 877  # REFERENCE_NUMBER is unique
    references = {
        a.record_id: a.value for a in of(Attribute, rows) if a.attribute == "un_reference"
    }
    assert len(references) == 877
    assert all(record_id == f"UN:{value}" for record_id, value in references.items())
    programmes = of(Programme, rows)
    assert {p.programme_raw for p in programmes} == {
        "Al-Qaida", "DPRK", "Taliban", "Iraq", "DRC", "Libya", "Somalia", "CAR", "Yemen", "GB",
        "SouthSudan", "Haiti", "Sudan",
    }  # fmt: skip
    assert all(p.listed_on for p in programmes)
    assert sum(n.is_weak for n in of(Name, rows)) == 619  # QUALITY Low
    assert un_sc_xml.publication_date({"consolidated.xml": path}) == date(2025, 4, 19)


def test_a_mirror_run_publishes_the_list(tmp_path, monkeypatch):
    monkeypatch.setenv("SANCTIONS_MIN_RECORDS_UN_SC", "1")
    mirror = make_mirror(
        tmp_path / "mirror", {"consolidated.xml": FILE["consolidated.xml"]}, "un_sc"
    )
    result = run(tmp_path / "data", mirror, sources=("un_sc",))
    assert metadata(result, "raw/un_sc")["published_on"] == "2026-11-20"
    assert metadata(result, "staging/un_sc")["dagster/row_count"] == 3
    untaxed = {
        list_type for list_type in ("Al-Qaida", "DPRK") if not programme_key("UN", list_type)
    }
    # Publishing waits for the UN list types in schemas/programmes.csv (added separately).
    assert failed_checks(result) == (["programmes_known"] if untaxed else [])
    if not untaxed:
        assert result.success, failure_messages(result)
        assert metadata(result, "core/un_sc")["dagster/row_count"] == 3
