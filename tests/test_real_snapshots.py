"""Integration tests on the real OFAC files in ../shared/data (SANCTIONS_REAL_DATA)."""

import os
import subprocess
import sys
from collections import Counter

import duckdb
import pytest

from sanctions.model import Identifier, Name, Programme, Record
from sanctions.parsers import (
    ca_sema_xml,
    eu_fsf_xml,
    ofac_advanced_xml,
    ofac_csv,
    uk_fcdo_xml,
    uk_ofsi_csv,
)
from tests.conftest import make_mirror

pytestmark = pytest.mark.integration


def by_kind(rows):
    grouped = {}
    for row in rows:
        grouped.setdefault(type(row), []).append(row)
    return grouped


def test_sdn_csv_2024_05_03_counts(real_data):
    rows = by_kind(
        ofac_csv.parse({"SDN.CSV": real_data / "us_ofac/sdn_history/SDN_2024-05-03.CSV"})
    )
    records = rows[Record]
    assert len(records) == 14_965
    assert Counter(r.entity_type for r in records) == {
        "person": 6_854,
        "organization": 6_884,
        "vessel": 851,
        "aircraft": 376,
    }
    programmes = rows[Programme]
    assert len({p.record_id for p in programmes if p.programme_key == "US-GLOMAG"}) == 694
    assert len({p.record_id for p in programmes if p.programme_key == "US-MAGNITSKY"}) == 64
    assert all(p.programme_key for p in programmes), "every real tag is in the taxonomy"


def test_csv_set_2021_07_07_attaches_the_aliases(real_data):
    folder = real_data / "us_ofac/csv_2021-07-07"
    files = {name: folder / name for name in ("SDN.CSV", "ALT.CSV", "ADD.CSV")}
    rows = by_kind(ofac_csv.parse(files))
    assert len(rows[Record]) == 8_976
    aliases = [n for n in rows[Name] if n.kind != "primary"]
    assert len(aliases) == 11_910
    assert len({n.record_id for n in aliases}) == 4_139


def test_cons_advanced_2020_03_17_has_programmes_and_listing_dates(real_data):
    path = real_data / "us_ofac/advanced_xml/CONS_ADVANCED_2020-03-17.XML"
    rows = by_kind(ofac_advanced_xml.parse({"CONS_ADVANCED.XML": path}))
    records = {r.record_id for r in rows[Record]}
    assert len(records) == 375
    programmes = rows[Programme]
    assert {p.record_id for p in programmes} == records
    assert {p.record_id for p in programmes if p.listed_on} == records
    assert all(p.programme_key for p in programmes)
    assert ofac_advanced_xml.publication_date({"CONS_ADVANCED.XML": path}).isoformat() == (
        "2020-03-17"
    )


def real_mirror(real_data, root):
    """A mirror of every source built from the real snapshots."""
    folder = real_data / "us_ofac/csv_2021-07-07"
    make_mirror(root, {n: folder / n for n in ("SDN.CSV", "ALT.CSV", "ADD.CSV")}, "us_ofac")
    make_mirror(root, {"sema-lmes.xml": real_data / "ca/sema-lmes_2020-04-15.xml"}, "ca_sema")
    make_mirror(root, {"fsf_2026-08-05.xml": real_data / "eu/fsf_2026-08-05_excerpt.xml"}, "eu_fsf")
    make_mirror(root, {"ConList.csv": real_data / "uk/ConList_2025-04-10.csv"}, "uk_fcdo")
    au_list = real_data / "au/regulation8_consolidated_2026-07-23.xlsx"
    make_mirror(root, {"regulation8_consolidated.xlsx": au_list}, "au_dfat")
    un_list = real_data / "un/un_consolidated_2025-04-19.xml"
    make_mirror(root, {"consolidated.xml": un_list}, "un_sc")
    return root


def sanctions_run(mirror, data) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "SANCTIONS_MIRROR": str(mirror),
        "SANCTIONS_DATA_DIR": str(data),
        "SANCTIONS_MIN_RECORDS_EU_FSF": "1",  # the EU file here is a 5-record excerpt
    }
    env.pop("DAGSTER_HOME", None)
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run"],
        cwd=data.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_sanctions_run_loads_a_real_mirror(real_data, tmp_path):
    done = sanctions_run(real_mirror(real_data, tmp_path / "mirror"), tmp_path / "data")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "core/us_ofac        published    8976" in done.stdout
    assert "core/ca_sema        published    1369" in done.stdout
    assert "core/eu_fsf         published    5" in done.stdout
    assert "core/uk_fcdo        published    4686" in done.stdout
    assert "core/au_dfat        published    3846" in done.stdout
    assert "core/un_sc          published    877" in done.stdout
    assert (tmp_path / "data/dagster_home/dagster.yaml").is_file()
    with duckdb.connect(str(tmp_path / "data/warehouse.duckdb"), read_only=True) as con:
        counts = con.execute(
            """SELECT (SELECT count(*) FROM core.records WHERE source_id = 'us_ofac'),
                      (SELECT count(*) FROM core.names WHERE kind <> 'primary'
                                                          AND source_id = 'us_ofac'),
                      (SELECT count(*) FROM raw.manifest),
                      (SELECT count(DISTINCT record_id) FROM core.programmes
                       WHERE programme_key = 'CA-JVCFOA')"""
        ).fetchall()[0]
    # ALT.CSV's 11,910 alias rows hold two exact repeats (ent_num 8407 and 16448, each listed
    # twice under different alt_num); core keeps distinct facts.
    assert counts == (8_976, 11_908, 8, 70)


def test_one_corrupted_source_leaves_the_other_three_loading(real_data, tmp_path):
    mirror = real_mirror(real_data, tmp_path / "mirror")
    canada = (real_data / "ca/sema-lmes_2020-04-15.xml").read_bytes()
    make_mirror(mirror, {"sema-lmes.xml": canada[: len(canada) // 2]}, "ca_sema")
    done = sanctions_run(mirror, tmp_path / "data")
    assert done.returncode == 1
    assert "FAILED staging__ca_sema: ca_sema: sema-lmes.xml (archived as" in done.stdout
    assert "malformed XML" in done.stdout
    for published in (
        "core/us_ofac        published    8976",
        "core/uk_fcdo        published    4686",
        "core/eu_fsf         published    5",
    ):
        assert published in done.stdout


def ca_rows(real_data, name):
    return by_kind(ca_sema_xml.parse({"sema-lmes.xml": real_data / "ca" / name}))


def test_canada_2020_first_generation(real_data):
    rows = ca_rows(real_data, "sema-lmes_2020-04-15.xml")
    records = rows[Record]
    assert len(records) == 1_369
    assert len({r.record_id for r in records}) == 1_369
    assert Counter(r.entity_type for r in records) == {"person": 985, "organization": 384}
    assert len({p.record_id for p in rows[Programme] if p.programme_key == "CA-JVCFOA"}) == 70
    assert all(p.programme_key for p in rows[Programme])


def test_canada_2026_slice_second_generation(real_data):
    rows = ca_rows(real_data, "sema-lmes_2026-08_slice.xml")
    assert Counter(r.entity_type for r in rows[Record]) == {
        "person": 7,
        "organization": 3,
        "vessel": 2,
    }
    vessels = {r.record_id for r in rows[Record] if r.entity_type == "vessel"}
    assert {i.record_id for i in rows[Identifier] if i.id_type == "IMO"} == vessels
    assert sum(p.programme_key == "CA-JVCFOA" for p in rows[Programme]) == 1


def test_canada_bilingual_third_generation_reads_like_the_older_ones(real_data):
    rows = ca_rows(real_data, "sema-lmes_2026-08-25_bilingual_excerpt.xml")
    assert Counter(r.entity_type for r in rows[Record]) == {
        "person": 1,
        "organization": 1,
        "vessel": 1,
    }
    assert [i.value for i in rows[Identifier]] == ["7612448"]
    older = ca_rows(real_data, "sema-lmes_2026-08_slice.xml")
    shared = {r.record_id for r in rows[Record]} & {r.record_id for r in older[Record]}
    assert len(shared) == 2  # the vessel and the organization are in both files
    for kind in (Record, Name, Programme, Identifier):
        assert {r for r in rows[kind] if r.record_id in shared} == {
            r for r in older[kind] if r.record_id in shared
        }, kind.__name__


def test_eu_excerpt_2026_08_05(real_data):
    rows = by_kind(eu_fsf_xml.parse({"fsf.xml": real_data / "eu/fsf_2026-08-05_excerpt.xml"}))
    assert Counter(r.entity_type for r in rows[Record]) == {"person": 4, "organization": 1}
    keys = {p.programme_raw: p.programme_key for p in rows[Programme]}
    assert keys == {
        "TERR": "EU-TERR",
        "AFG": "EU-AFG",
        "IRN": "EU-IRN",
        "LBY": "EU-LBY",
        "TAQA": "EU-TAQA",
    }
    primaries = Counter(n.record_id for n in rows[Name] if n.kind == "primary")
    assert set(primaries.values()) == {1} and len(primaries) == 5


def test_uk_conlist_2025_04_10(real_data):
    rows = by_kind(uk_ofsi_csv.parse({"ConList.csv": real_data / "uk/ConList_2025-04-10.csv"}))
    records = rows[Record]
    assert len(records) == 4_686
    assert Counter(r.entity_type for r in records) == {
        "person": 3_662,
        "organization": 1_009,
        "vessel": 15,
    }
    programmes = rows[Programme]
    assert len({p.record_id for p in programmes if p.programme_key == "UK-GHR"}) == 143
    assert len({p.record_id for p in programmes if p.programme_key == "UK-GAC"}) == 66
    regimes = {}
    for p in programmes:
        regimes.setdefault(p.record_id, set()).add(p.programme_key)
    assert sum(len(keys) > 1 for keys in regimes.values()) == 15  # groups under several regimes
    assert all(p.programme_key for p in programmes)


def test_uksl_sample_each_designation_has_regime_names_and_identifiers(real_data):
    path = real_data / "uk/UK-Sanctions-List_2026-09-10_sample_EDITED.xml"
    rows = by_kind(uk_fcdo_xml.parse({"UK-Sanctions-List.xml": path}))
    records = {r.record_id for r in rows[Record]}
    assert len(records) == 5
    for kind in (Programme, Name, Identifier):
        assert {r.record_id for r in rows[kind]} == records, kind.__name__
    assert all(p.programme_key for p in rows[Programme])
