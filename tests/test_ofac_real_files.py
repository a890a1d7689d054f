"""Every OFAC layout on the real snapshots: record counts and a few known facts per file."""

from collections import Counter
from datetime import date
from functools import cache

import pytest

from sanctions.model import BirthDate, Identifier, Name, Programme, Record
from sanctions.parsers import ofac_advanced_xml, ofac_csv, ofac_sdn_xml
from tests.conftest import real_data_dir

pytestmark = pytest.mark.integration


def csv_set(folder: str) -> dict[str, str]:
    return {name: f"{folder}/{name}" for name in ("SDN.CSV", "ALT.CSV", "ADD.CSV")}


# name -> (parser, official file name -> path under us_ofac/, records)
REAL_FILES = {
    "advanced XML 2020-03-17": (
        ofac_advanced_xml,
        {"CONS_ADVANCED.XML": "advanced_xml/CONS_ADVANCED_2020-03-17.XML"},
        375,
    ),
    "legacy XML 2025-03-28": (ofac_sdn_xml, {"SDN.XML": "CONS_SDNXML_2025-03-28.XML"}, 443),
    "CSV 2015-01-17": (ofac_csv, {"SDN.CSV": "legacy_csv/2015-01-17/SDN.CSV"}, 5_876),
    "CSV 2018-01-27": (ofac_csv, {"SDN.CSV": "legacy_csv/2018-01-27/SDN.CSV"}, 6_068),
    "CSV 2019-01-04": (
        ofac_csv,
        {
            **csv_set("legacy_csv/2019-01-04"),
            "SDN_COMMENTS.CSV": "legacy_csv/2019-01-04/SDN_COMMENTS.CSV",
        },
        7_379,
    ),
    "CSV 2021-07-07": (ofac_csv, csv_set("csv_2021-07-07"), 8_976),
    "CSV 2024-05-03": (ofac_csv, {"SDN.CSV": "sdn_history/SDN_2024-05-03.CSV"}, 14_965),
}


@cache
def parsed(name: str) -> tuple:
    parser, files, _ = REAL_FILES[name]
    folder = real_data_dir() / "us_ofac"
    return tuple(parser.parse({official: folder / path for official, path in files.items()}))


def programmes_of(rows, record_id: str) -> set[str]:
    return {r.programme_raw for r in rows if type(r) is Programme and r.record_id == record_id}


def identifiers(rows) -> set[tuple[str, str, str]]:
    return {(i.record_id, i.id_type, i.value) for i in rows if type(i) is Identifier}


@pytest.mark.parametrize("name", REAL_FILES)
def test_record_counts(real_data, name):
    rows = parsed(name)
    records = [r.record_id for r in rows if type(r) is Record]
    assert len(records) == len(set(records)) == REAL_FILES[name][2]
    named = {r.record_id for r in rows if type(r) is Name and r.kind == "primary"}
    assert named == set(records)
    assert {r.record_id for r in rows if type(r) is Programme} == set(records)


def test_csv_2015_old_programme_tags_parse(real_data):
    rows = parsed("CSV 2015-01-17")
    tags = Counter(r.programme_raw for r in rows if type(r) is Programme)
    assert (tags["SUDAN"], tags["BURMA"], tags["LIBERIA"], tags["COTED"]) == (158, 121, 48, 8)
    assert (tags["EO13645"], tags["EO13622"]) == (22, 10)
    assert not any("[" in tag or "]" in tag for tag in tags)
    assert programmes_of(rows, "US:6365") == {"SDGT", "SDT"}  # BIN LADIN
    assert ("US:11041", "Vessel Registration Identification", "IMO 9074092") in identifiers(rows)


def test_csv_2018_facts(real_data):
    rows = parsed("CSV 2018-01-27")
    assert programmes_of(rows, "US:22790") == {"VENEZUELA"}  # MADURO MOROS, Nicolas
    births = [b for b in rows if type(b) is BirthDate and b.record_id == "US:22790"]
    assert [(b.earliest, b.precision) for b in births] == [(date(1962, 11, 23), "day")]
    assert ("US:17067", "Identification Number", "IMO 5342883") in identifiers(rows)


def test_csv_2019_lf_without_ctrl_z_reads_with_its_companions(real_data):
    sdn = (real_data / "us_ofac/legacy_csv/2019-01-04/SDN.CSV").read_bytes()
    assert b"\r\n" not in sdn and not sdn.endswith(b"\x1a")  # as re-saved
    rows = parsed("CSV 2019-01-04")
    assert sum(1 for r in rows if type(r) is Name and r.kind != "primary") > 9_000
    assert programmes_of(rows, "US:2686") == {"SDGT", "SDT", "SYRIA"}  # NASRALLAH, Hasan
    assert ("US:15036", "Vessel Registration Identification", "IMO 9187629") in identifiers(rows)


def test_csv_2021_and_2024_facts(real_data):
    for name in ("CSV 2021-07-07", "CSV 2024-05-03"):
        rows = parsed(name)
        assert programmes_of(rows, "US:22790") == {"VENEZUELA", "IRAN-CON-ARMS-EO"}
    assert ("US:4243", "Vessel Registration Identification", "IMO 7406784") in identifiers(
        parsed("CSV 2024-05-03")
    )


def test_advanced_xml_2020_facts(real_data):
    rows = parsed("advanced XML 2020-03-17")
    assert programmes_of(rows, "US:9639") == {"NS-PLC"}  # HANIYA, Ismail Abdul Salah
    births = [b for b in rows if type(b) is BirthDate and b.record_id == "US:9639"]
    assert [(b.earliest, b.latest) for b in births] == [(date(1962, 1, 1), date(1962, 12, 31))]
    # SWIFT/BIC is a feature in the advanced XML, an identifier as in the other layouts
    assert ("US:17013", "SWIFT/BIC", "VTBRRUMM") in identifiers(rows)


def test_legacy_xml_2025_facts(real_data):
    path = real_data / "us_ofac/CONS_SDNXML_2025-03-28.XML"
    assert ofac_sdn_xml.publication_date({"SDN.XML": path}) == date(2025, 3, 28)
    rows = parsed("legacy XML 2025-03-28")
    assert Counter(r.entity_type for r in rows if type(r) is Record) == {
        "organization": 363,
        "person": 80,
    }
    assert programmes_of(rows, "US:18782") == {  # ROSOBORONEKSPORT OAO
        "SYRIA",
        "UKRAINE-EO13662",
        "RUSSIA-EO14024",
        "IRAN-CON-ARMS-EO",
    }
    assert ("US:17013", "SWIFT/BIC", "VTBRRUMM") in identifiers(rows)
    names = {(n.name, n.kind, n.is_weak) for n in rows if type(n) is Name}
    assert ("JSC VTB BANK NEW DELHI BRANCH", "aka", True) in names
