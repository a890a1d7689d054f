"""Canada's sema-lmes.xml in its three element generations, on hand-written files."""

import logging

import pytest

from sanctions.errors import ParseError
from sanctions.model import BirthDate, Identifier, Name, Programme, Record
from sanctions.parsers import ca_sema_xml
from tests.conftest import FIXTURES

FOLDER = FIXTURES / "ca_sema"
PETROV = "CA:Russia / Russie|1, Part 1|7"
HOLDING = (
    "CA:Justice for Victims of Corrupt Foreign Officials Regulations (JVCFOR) / Règlement "
    "relatif à la justice pour les victimes de dirigeants étrangers corrompus (RJVDEC)||3"
)


def parse(name):
    return list(ca_sema_xml.parse({"sema-lmes.xml": FOLDER / name}))


def of(kind, rows, record_id=None):
    return [r for r in rows if type(r) is kind and record_id in (None, r.record_id)]


def test_first_generation_fields():
    rows = parse("gen2020.xml")
    records = {r.record_id: r for r in of(Record, rows)}
    assert set(records) == {PETROV, HOLDING}  # key: Country|Schedule|Item, white space folded
    assert records[PETROV].entity_type == "person"
    assert records[PETROV].title == "Former Deputy Minister"
    assert records[HOLDING].entity_type == "organization"
    primary = of(Name, rows, PETROV)[0]
    assert (primary.name, primary.given_name, primary.family_name) == (
        "Ivan Sergeyevich Petrov",
        "Ivan Sergeyevich",
        "Petrov",
    )
    assert [(n.name, n.script) for n in of(Name, rows, PETROV)[1:]] == [
        ("Ivan Petroff", "Latin"),
        ("Иван Сергеевич Петров", "Cyrillic"),  # the "Russian:" label is dropped
    ]
    assert of(BirthDate, rows, PETROV)[0].earliest.isoformat() == "1961-02-12"
    keys = {(p.record_id, p.programme_key) for p in of(Programme, rows)}
    assert keys == {(PETROV, "CA-SEMA-RUSSIA"), (HOLDING, "CA-JVCFOA")}


def test_alias_separators_and_legal_forms():
    assert ca_sema_xml.split_aliases(
        "Example Holding (a.k.a. EH Group; also known as Example Group Co., Ltd.)"
    ) == ["Example Holding", "EH Group", "Example Group Co., Ltd."]
    assert ca_sema_xml.split_aliases("Batya, Kazak") == ["Batya", "Kazak"]


def test_all_three_generations_read_the_same():
    first, second, third = parse("gen2020.xml"), parse("gen2025.xml"), parse("gen2026.xml")
    assert [r for r in second if r.record_id in (PETROV, HOLDING)] == [
        r
        for r in first
        if r.record_id  # without the file's field counts
    ]
    # The field counts name each generation's elements (a renaming the coverage checks report).
    assert [r for r in third if r.record_id] == [r for r in second if r.record_id]


def test_vessels_with_imo_ship_type_and_excel_build_date():
    rows = parse("gen2026.xml")
    vessel = "CA:Russia / Russie|1.1|12"
    assert of(Record, rows, vessel)[0].entity_type == "vessel"
    assert of(Identifier, rows, vessel) == [Identifier(vessel, "IMO", "9000001")]
    build = of(BirthDate, rows, vessel)[0]
    assert (build.raw, build.earliest.isoformat()) == ("19575", "1953-08-04")
    assert of(Programme, rows, vessel)[0].listed_on.isoformat() == "2025-02-21"


def test_unknown_elements_are_named_in_a_warning(tmp_path, caplog):
    text = (FOLDER / "gen2025.xml").read_text()
    changed = tmp_path / "sema-lmes.xml"
    changed.write_text(text.replace("<Item>7</Item>", "<Item>7</Item><Sex>M</Sex>"))
    with caplog.at_level(logging.WARNING):
        rows = list(ca_sema_xml.parse({"sema-lmes.xml": changed}))
    assert len(of(Record, rows)) == 3
    assert "unknown elements: Sex" in caplog.text


def test_an_unknown_generation_fails_naming_the_elements(tmp_path):
    text = (FOLDER / "gen2020.xml").read_text()
    for old, new in (("LastName", "Nom"), ("GivenName", "Prenom"), ("Entity", "Entite")):
        text = text.replace(f"<{old}>", f"<{new}>").replace(f"</{old}>", f"</{new}>")
    renamed = tmp_path / "sema-lmes.xml"
    renamed.write_text(text)
    with pytest.raises(
        ParseError, match=r"ca_sema: sema-lmes.xml: 2 records but 0 with a name.*Entite"
    ):
        list(ca_sema_xml.parse({"sema-lmes.xml": renamed}))


def test_truncated_file_fails(tmp_path):
    truncated = tmp_path / "sema-lmes.xml"
    truncated.write_bytes((FOLDER / "gen2020.xml").read_bytes()[:400])
    with pytest.raises(ParseError, match="malformed XML"):
        list(ca_sema_xml.parse({"sema-lmes.xml": truncated}))
