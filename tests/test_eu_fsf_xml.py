"""The EU FSF XML v1.1 parser on a hand-written file in the official schema."""

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
from sanctions.parsers import eu_fsf_xml
from tests.conftest import FIXTURES

FILE = FIXTURES / "eu_fsf" / "fsf.xml"


def rows_of(kind, record_id="EU:9001"):
    return [
        r
        for r in eu_fsf_xml.parse({"fsf.xml": FILE})
        if type(r) is kind and r.record_id == record_id
    ]


def test_records_types_and_programmes():
    records = {r.record_id: r for r in eu_fsf_xml.parse({"fsf.xml": FILE}) if type(r) is Record}
    assert {k: (r.entity_type, r.gender) for k, r in records.items()} == {
        "EU:9001": ("person", "male"),
        "EU:9002": ("organization", None),
    }
    assert [(p.programme_key, p.listed_on.isoformat()) for p in rows_of(Programme)] == [
        ("EU-HR", "2020-12-07")  # the earlier of designationDate and entryIntoForceDate
    ]
    assert rows_of(Programme, "EU:9002")[0].listed_on.isoformat() == "2014-03-17"


def test_names_collapse_repeats_and_flag_weak_aliases():
    names = {(n.name, n.kind, n.is_weak, n.script) for n in rows_of(Name)}
    assert names == {
        ("Ivan Sergeyevich PETROV", "primary", False, "Latin"),  # EN and FR copies collapse
        ("Иван Сергеевич Петров", "aka", False, "Cyrillic"),
        ("Vanya", "aka", True, "Latin"),  # "lo quality aliias" in a remark
        ("The Colonel", "aka", True, "Latin"),  # strong="false"
    }


def test_birth_dates_documents_and_places():
    births = {(b.raw, b.precision) for b in rows_of(BirthDate)}
    assert births == {("1961-02-12", "day"), ("1960 to 1962", "circa")}
    passport = rows_of(Identifier)[1]
    assert (passport.id_type, passport.value, passport.country_code, passport.expires_on) == (
        "National passport",
        "7101234567",
        "RU",
        "2020-03-01",
    )
    assert ("citizenship", "RU") in {(c.relation, c.country_code) for c in rows_of(Country)}
    assert ("position", "Former Deputy Minister") in {
        (a.attribute, a.value) for a in rows_of(Attribute)
    }
    address = rows_of(Address, "EU:9002")[0]
    assert address.full_address == "ul. Primernaya 1, Moscow, 101000, RUSSIAN FEDERATION"
    assert rows_of(Attribute, "EU:9002") == [
        Attribute("EU:9002", "website", "www.example-holding.test")
    ]


def test_publication_date_from_the_root():
    assert eu_fsf_xml.publication_date({"fsf.xml": FILE}).isoformat() == "2026-11-20"


def test_not_an_fsf_file(tmp_path):
    other = tmp_path / "fsf.xml"
    other.write_text('<?xml version="1.0"?><export xmlns="http://eu.europa.ec/fpi/fsd/export"/>')
    with pytest.raises(ParseError, match=r"eu_fsf: fsf\.xml: no sanctionEntity elements"):
        list(eu_fsf_xml.parse({"fsf.xml": other}))


def test_renamed_name_elements_fail_naming_them(tmp_path):
    renamed = tmp_path / "fsf.xml"
    renamed.write_text(FILE.read_text().replace("nameAlias", "alias"))
    with pytest.raises(ParseError, match=r"2 records but 0 with a name.*unknown elements: alias"):
        list(eu_fsf_xml.parse({"fsf.xml": renamed}))


def test_united_nation_id_becomes_a_un_reference(tmp_path):
    cited = tmp_path / "fsf.xml"
    cited.write_text(
        FILE.read_text().replace(
            'unitedNationId="" euReferenceNumber="EU.9002.2"',
            'unitedNationId="LYi.006" euReferenceNumber="EU.9002.2"',
        )
    )
    rows = list(eu_fsf_xml.parse({"fsf.xml": cited}))
    assert [r for r in rows if type(r) is Attribute and r.attribute == "un_reference"] == [
        Attribute("EU:9002", "un_reference", "LYi.006")
    ]
    assert Identifier("EU:9002", "UN reference number", "LYi.006") in rows
