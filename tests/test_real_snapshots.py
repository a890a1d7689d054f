"""Integration tests on the real OFAC files in ../shared/data (SANCTIONS_REAL_DATA)."""

import os
import subprocess
import sys
from collections import Counter

import duckdb
import pytest

from sanctions.model import Name, Programme, Record
from sanctions.parsers import ofac_advanced_xml, ofac_csv
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


def test_sanctions_run_loads_a_real_csv_mirror(real_data, tmp_path):
    folder = real_data / "us_ofac/csv_2021-07-07"
    mirror = make_mirror(
        tmp_path / "mirror", {n: folder / n for n in ("SDN.CSV", "ALT.CSV", "ADD.CSV")}
    )
    env = {
        **os.environ,
        "SANCTIONS_MIRROR": str(mirror),
        "SANCTIONS_DATA_DIR": str(tmp_path / "data"),
    }
    env.pop("DAGSTER_HOME", None)
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "core/us_ofac        published    8976" in done.stdout
    assert (tmp_path / "data/dagster_home/dagster.yaml").is_file()
    with duckdb.connect(str(tmp_path / "data/warehouse.duckdb"), read_only=True) as con:
        counts = con.execute(
            """SELECT (SELECT count(*) FROM core.records),
                      (SELECT count(*) FROM core.names WHERE kind <> 'primary'),
                      (SELECT count(*) FROM raw.manifest),
                      (SELECT count(*) FROM ref.programmes WHERE magnitsky_strict)"""
        ).fetchall()[0]
    assert counts[:3] == (8_976, 11_910, 3)
    assert counts[3] >= 2
