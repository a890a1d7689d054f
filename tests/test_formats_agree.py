"""The three OFAC layouts of one content must give the same records, pair by pair: the
hand-written CSV set, advanced XML and SDN.XML describe the same parties, and the two real
consolidated (non-SDN) lists, in the advanced XML of 2020 and the SDN.XML of 2025, agree on
the parties both hold."""

from collections import defaultdict
from functools import cache

import pytest

from sanctions.model import Attribute, BirthDate, Country, Identifier, Name, Programme, Record
from sanctions.parsers import ofac_advanced_xml, ofac_csv, ofac_sdn_xml
from tests.conftest import FIXTURES, real_data_dir

ALL_FIVE = frozenset(f"US:{n}" for n in range(1001, 1006))
# layout -> (parser, files, the parties its fixture holds)
LAYOUTS = {
    "csv": (
        ofac_csv,
        {path.name: path for path in (FIXTURES / "us_ofac_csv").iterdir()},
        ALL_FIVE,
    ),
    "advanced_xml": (
        ofac_advanced_xml,
        {"SDN_ADVANCED.XML": FIXTURES / "us_ofac_xml" / "SDN_ADVANCED.XML"},
        frozenset({"US:1001", "US:1002", "US:1003"}),
    ),
    "sdn_xml": (ofac_sdn_xml, {"SDN.XML": FIXTURES / "us_ofac_sdn_xml" / "SDN.XML"}, ALL_FIVE),
}
PAIRS = [("csv", "advanced_xml"), ("csv", "sdn_xml"), ("advanced_xml", "sdn_xml")]
# Facts keyed by (record, kind of fact): a layout may lack a kind (the advanced XML has no
# MMSI or tonnage in the fixture), but where both carry it, the values must be the same.
KEYED = {
    "identifiers": (
        Identifier,
        lambda i: (i.record_id, i.id_type),
        lambda i: (i.value, i.country_code, i.issued_on, i.expires_on),
    ),
    "countries": (Country, lambda c: (c.record_id, c.relation), lambda c: c.country_code),
    "attributes": (Attribute, lambda a: (a.record_id, a.attribute), lambda a: a.value),
}


@cache
def rows_of(layout: str) -> tuple:
    parser, files, _ = LAYOUTS[layout]
    return tuple(parser.parse(files))


def facts(rows, parties) -> dict[str, set]:
    def pick(kind, key):
        return {key(row) for row in rows if type(row) is kind and row.record_id in parties}

    return {
        "records": pick(Record, lambda r: (r.record_id, r.entity_type, r.gender)),
        "names": pick(Name, lambda n: (n.record_id, n.name, n.kind)),
        "programmes": pick(Programme, lambda p: (p.record_id, p.programme_key)),
        "birth_dates": pick(BirthDate, lambda b: (b.record_id, b.earliest, b.latest)),
    }


def keyed(rows, parties, table: str) -> dict[tuple, set]:
    kind, key, value = KEYED[table]
    found = defaultdict(set)
    for row in rows:
        if type(row) is kind and row.record_id in parties:
            found[key(row)].add(value(row))
    return found


@pytest.mark.parametrize(("first", "second"), PAIRS)
def test_each_pair_of_layouts_gives_the_same_records(first, second):
    parties = LAYOUTS[first][2] & LAYOUTS[second][2]
    one, other = rows_of(first), rows_of(second)
    assert facts(one, parties) == facts(other, parties)
    for table in KEYED:
        mine, theirs = keyed(one, parties, table), keyed(other, parties, table)
        both = mine.keys() & theirs.keys()
        assert {key: mine[key] for key in both} == {key: theirs[key] for key in both}, table
    assert keyed(one, parties, "identifiers").keys() & keyed(other, parties, "identifiers").keys()


def test_csv_and_sdn_xml_carry_the_same_facts():
    """The two legacy layouts hold the same labelled facts, in Remarks or in typed lists."""
    for table in KEYED:
        assert keyed(rows_of("csv"), ALL_FIVE, table) == keyed(rows_of("sdn_xml"), ALL_FIVE, table)


def test_both_xml_layouts_mark_the_same_weak_aliases():
    def weak(layout):
        return {(n.record_id, n.name) for n in rows_of(layout) if type(n) is Name and n.is_weak}

    assert weak("advanced_xml") == weak("sdn_xml") == {("US:1001", "PETROFF, Ivan")}


def upper_cased(rows) -> list:
    return [row._replace(name=row.name.upper()) if type(row) is Name else row for row in rows]


@pytest.mark.integration
def test_real_consolidated_lists_agree_across_the_two_xml_layouts(real_data):
    """CONS_ADVANCED of 2020-03-17 and the CONS list in the SDN.XML layout of 2025-03-28 hold
    366 parties in common. Five years apart, many names and programmes changed, but no type or
    birth date did, and the long-listed Palestinian Legislative Council members kept their
    names (compared case-blind: the 2020 file writes some in mixed case) and programmes,
    except one designated SDGT in between."""
    folder = real_data_dir() / "us_ofac"
    advanced = upper_cased(
        ofac_advanced_xml.parse(
            {"CONS_ADVANCED.XML": folder / "advanced_xml/CONS_ADVANCED_2020-03-17.XML"}
        )
    )
    legacy = upper_cased(ofac_sdn_xml.parse({"SDN.XML": folder / "CONS_SDNXML_2025-03-28.XML"}))
    types = [
        {(r.record_id, r.entity_type) for r in rows if type(r) is Record}
        for rows in (advanced, legacy)
    ]
    common = {record_id for record_id, _ in types[0]} & {record_id for record_id, _ in types[1]}
    assert len(common) == 366
    assert {t for t in types[0] if t[0] in common} == {t for t in types[1] if t[0] in common}
    assert facts(advanced, common)["birth_dates"] == facts(legacy, common)["birth_dates"]
    plc = {p.record_id for p in legacy if type(p) is Programme and p.programme_raw == "NS-PLC"}
    plc = (plc & common) - {"US:9647"}  # AL-ZAHAR, Mahmoud: SDGT and two aliases since 2020
    assert len(plc) == 77
    for table in ("names", "programmes"):
        assert facts(advanced, plc)[table] == facts(legacy, plc)[table], table
