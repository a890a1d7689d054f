"""Both UK formats on hand-written files: OFSI ConList.csv and the FCDO UK Sanctions List XML."""

import pytest

from sanctions.errors import ParseError
from sanctions.model import Attribute, BirthDate, Country, Identifier, Name, Programme, Record
from sanctions.parsers import uk_fcdo_xml, uk_ofsi_csv
from sanctions.parsers.common import csv_rows, decode_text
from sanctions.parsers.un_references import un_reference
from tests.conftest import FIXTURES

UN_CITED = {
    "UK:90001": [
        Identifier("UK:90001", "UN reference number", "CDi.037"),
        Attribute("UK:90001", "un_reference", "CDi.037"),
    ]
}

CONLIST = {"ConList.csv": FIXTURES / "uk" / "ConList.csv"}
UKSL = {"UK-Sanctions-List.xml": FIXTURES / "uk" / "UK-Sanctions-List.xml"}


def of(kind, rows, record_id=None):
    return [r for r in rows if type(r) is kind and record_id in (None, r.record_id)]


@pytest.fixture
def conlist():
    return list(uk_ofsi_csv.parse(CONLIST))


@pytest.fixture
def uksl():
    return list(uk_fcdo_xml.parse(UKSL))


def test_conlist_groups_rows_into_records(conlist):
    records = {r.record_id: r for r in of(Record, conlist)}
    assert {k: (r.entity_type, r.gender) for k, r in records.items()} == {
        "UK:90001": ("person", "male"),
        "UK:90002": ("vessel", None),
    }
    assert {p.programme_key for p in of(Programme, conlist, "UK:90001")} == {"UK-GHR", "UK-GAC"}
    names = {(n.name, n.kind, n.is_weak) for n in of(Name, conlist, "UK:90001")}
    assert names == {
        ("Ivan Sergeyevich PETROV", "primary", False),
        ("Ivan Sergeyevich PETROFF", "aka", True),
        ("Иван Сергеевич Петров", "aka", False),
    }


def test_conlist_numbered_lists_and_other_information(conlist):
    nationalities = {
        c.country_code for c in of(Country, conlist, "UK:90001") if c.relation == "nationality"
    }
    assert nationalities == {"RU", "CY"}
    passports = {
        (i.value, i.note) for i in of(Identifier, conlist, "UK:90001") if i.id_type == "Passport"
    }
    assert passports == {("7101234567", "Russian passport"), ("K0000001", "Cypriot passport")}
    ship = {
        (type(r).__name__, getattr(r, "value", None) or getattr(r, "country_code", None))
        for r in conlist
        if r.record_id == "UK:90002"
    }
    assert {
        ("Identifier", "9000001"),
        ("Country", "IR"),
        ("Attribute", "Crude Oil Tanker"),
        ("Identifier", "RUS9001"),
    } <= ship
    assert uk_ofsi_csv.publication_date(CONLIST).isoformat() == "2025-11-20"


def test_uksl_merges_designations_of_one_group(uksl):
    assert [r.record_id for r in of(Record, uksl)] == ["UK:90001", "UK:90002"]
    assert {p.programme_key for p in of(Programme, uksl, "UK:90001")} == {"UK-GHR", "UK-GAC"}
    assert {
        a.value for a in of(Attribute, uksl, "UK:90001") if a.attribute == "designation_source"
    } == {"UK"}
    unique_ids = {
        i.value for i in of(Identifier, uksl, "UK:90001") if i.id_type == "UK Sanctions List Ref"
    }
    assert unique_ids == {"GHR0901", "GAC0901"}
    assert [i.value for i in of(Identifier, uksl, "UK:90002") if i.id_type == "IMO"] == ["9000001"]
    assert uk_fcdo_xml.publication_date(UKSL).isoformat() == "2026-11-20"


def test_both_uk_formats_give_the_same_party(conlist, uksl):
    def facts(rows):
        return {
            "records": {(r.record_id, r.entity_type, r.gender) for r in of(Record, rows)},
            "primary": {(n.record_id, n.name) for n in of(Name, rows) if n.kind == "primary"},
            "programmes": {
                (p.record_id, p.programme_key, p.list_name, p.listed_on)
                for p in of(Programme, rows)
            },
            "births": {(b.record_id, b.earliest) for b in of(BirthDate, rows)},
            "countries": {(c.record_id, c.relation, c.country_code) for c in of(Country, rows)},
            "imo": {i.value for i in of(Identifier, rows) if i.id_type == "IMO"},
            "ship": {
                (a.attribute, a.value)
                for a in of(Attribute, rows)
                if a.attribute in ("vessel_type", "tonnage", "length", "year_built")
            },
        }

    assert facts(conlist) == facts(uksl)


def test_conlist_with_a_changed_header_fails_naming_the_columns(tmp_path):
    text = CONLIST["ConList.csv"].read_text(encoding="utf-8-sig")
    changed = tmp_path / "ConList.csv"
    changed.write_text(text.replace("Group ID", "Group Identifier"), encoding="utf-8")
    with pytest.raises(ParseError, match=r"uk_fcdo: ConList\.csv: .*columns missing: Group ID"):
        list(uk_ofsi_csv.parse({"ConList.csv": changed}))


def test_uksl_without_designations_fails(tmp_path):
    empty = tmp_path / "UK-Sanctions-List.xml"
    empty.write_text("<Designations><DateGenerated>01/01/2026</DateGenerated></Designations>")
    with pytest.raises(ParseError, match="no Designation elements"):
        list(uk_fcdo_xml.parse({"UK-Sanctions-List.xml": empty}))


def test_uksl_with_renamed_name_elements_fails_naming_them(tmp_path):
    text = UKSL["UK-Sanctions-List.xml"].read_text()
    renamed = tmp_path / "UK-Sanctions-List.xml"
    renamed.write_text(
        text.replace("<Names>", "<DesignationNames>").replace("</Names>", "</DesignationNames>")
    )
    with pytest.raises(ParseError, match=r"3 records but 1 with a name.*DesignationNames"):
        list(uk_fcdo_xml.parse({"UK-Sanctions-List.xml": renamed}))


def un_citations(rows):
    found = {}
    for row in rows:
        cited = type(row) is Identifier and row.id_type == "UN reference number"
        if cited or (type(row) is Attribute and row.attribute == "un_reference"):
            found.setdefault(row.record_id, []).append(row)
    return found


def test_conlist_un_ref_becomes_a_un_reference(tmp_path):
    text = CONLIST["ConList.csv"].read_text(encoding="utf-8-sig")
    cited = tmp_path / "ConList.csv"
    # The reference runs on into free text, with a space the UN list does not have.
    citation = "(UN Ref):CDi. 037. Listed pursuant to paragraph 7. (Gender):Male"
    cited.write_text(text.replace("(Gender):Male", citation), encoding="utf-8")
    rows = list(uk_ofsi_csv.parse({"ConList.csv": cited}))
    assert un_citations(rows) == UN_CITED
    assert of(Record, rows, "UK:90001")[0].gender == "male"


def test_uksl_un_reference_number_becomes_a_un_reference(tmp_path):
    text = UKSL["UK-Sanctions-List.xml"].read_text()
    cited = tmp_path / "UK-Sanctions-List.xml"
    group = "<OFSIGroupID>90001</OFSIGroupID>"
    cited.write_text(
        text.replace(group, f"{group}<UNReferenceNumber>CDi.037</UNReferenceNumber>", 1)
    )
    assert un_citations(uk_fcdo_xml.parse({"UK-Sanctions-List.xml": cited})) == UN_CITED


@pytest.mark.integration
def test_every_real_conlist_group_citing_the_un_carries_the_reference(real_data):
    path = real_data / "uk" / "ConList_2025-04-10.csv"
    lines = csv_rows(decode_text(path), "uk_fcdo", path.name)
    next(lines)  # Last Updated
    header = next(lines)[1]
    other, group = header.index("Other Information"), header.index("Group ID")
    cited_groups = {f"UK:{row[group]}" for _, row in lines if "(UN Ref)" in row[other]}
    references = {
        record_id: [row.value for row in rows if type(row) is Attribute]
        for record_id, rows in un_citations(uk_ofsi_csv.parse({"ConList.csv": path})).items()
    }
    assert len(cited_groups) == 866
    assert set(references) == cited_groups
    assert all(len(values) == 1 and un_reference(values[0]) for values in references.values())


def test_uksl_without_a_regime_name_takes_the_regime_of_its_reference(tmp_path):
    text = UKSL["UK-Sanctions-List.xml"].read_text()
    title = "<RegimeName>The Global Human Rights Sanctions Regulations 2020</RegimeName>"
    assert title in text
    changed = tmp_path / "UK-Sanctions-List.xml"
    changed.write_text(text.replace(title, ""))
    programmes = of(Programme, list(uk_fcdo_xml.parse({"UK-Sanctions-List.xml": changed})))
    assert {
        (p.programme_raw, p.programme_key) for p in programmes if p.record_id == "UK:90001"
    } == {
        ("GHR0901", "UK-GHR"),
        ("The Global Anti-Corruption Sanctions Regulations 2021", "UK-GAC"),
    }


def test_uksl_ship_details_are_read_in_their_published_form(uksl):
    ship = {(a.attribute, a.value) for a in of(Attribute, uksl, "UK:90002")}
    assert {
        ("vessel_type", "Crude Oil Tanker"),
        ("tonnage", "81000"),
        ("length", "250"),
        ("year_built", "2003"),
        ("designation_source", "UK"),
    } <= ship
