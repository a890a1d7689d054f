"""Jurisdictions are data: a toy source added through the registry alone (plus its parser and
taxonomy rows) appears in the Dagster assets, the marts, the alerts and the report; and the
real Australian list joins the others on a Magnitsky-style target."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import duckdb
import pytest

from sanctions.programmes import PROGRAMMES_CSV
from sanctions.scopes import SCOPES_CSV
from tests.conftest import FIXTURES, REPO, make_mirror

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")

TOY_SOURCE = '''
import csv, json, sys, types
from pathlib import Path
from sanctions import parsers, sources
from sanctions.model import BirthDate, Name, Programme, Record
from sanctions.parsers.common import parse_date_text

def parse(files, source_id):
    with open(next(iter(files.values())), newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            record_id = "ZZ:" + row["id"]
            yield Record(record_id, row["id"], "person")
            yield Name(record_id, row["name"], "primary")
            yield Programme(record_id, row["programme"], None)
            when = parse_date_text(row["born"])
            yield BirthDate(record_id, row["born"], when.earliest, when.latest, when.precision)

def publication_date(files):
    return None

toy = types.ModuleType("toy_csv")
toy.parse, toy.publication_date = parse, publication_date
parsers.PARSERS["toy_csv"] = toy
sources.SOURCES["zz_toy"] = sources.Source(
    id="zz_toy", jurisdiction="ZZ", title="Toy list", official_base_url="https://toy.invalid/",
    formats=(sources.FileFormat("toy_csv", "toy.csv"),))

# everything below reads the registry as it now is
import dagster as dg
from assets.sources import build_source_assets
from sanctions import alerts, alignment, clusters, matching, warehouse
from sanctions.archive import Archive
from sanctions.refresh import refresh_from_mirror
from sanctions.scopes import SCOPES_CSV
from sanctions.report import build_report
from sanctions.scopes import load_scopes

root = Path(sys.argv[1])
scopes = load_scopes(root / "scopes.csv")  # checked against the registry as it now is
keys = sorted(k.to_user_string() for a in build_source_assets(sources.SOURCES["zz_toy"])
              for k in a.keys)
path = root / "warehouse.duckdb"
for mirror in ("mirror1", "mirror2"):
    with warehouse.connect(path) as con:
        refresh_from_mirror(con, ["us_ofac", "zz_toy"], Archive(root / "raw"), str(root / mirror))
        con.execute("BEGIN TRANSACTION")
        matching.match(con)
        clusters.write_clusters(con)
        con.execute("COMMIT")
        alignment.build(con, scopes=scopes)
        alerts.build_alerts(con, baseline=True)
with warehouse.connect(path) as con:
    jurisdictions = [j for (j,) in con.execute(
        "SELECT jurisdiction FROM alignment.jurisdictions ORDER BY 1").fetchall()]
    petrov = con.execute(
        """SELECT list(jurisdiction ORDER BY jurisdiction) FROM alignment.target_jurisdictions
           WHERE scope = 'strict' AND listed AND target_id = (
               SELECT target_id FROM matching.clusters WHERE record_id = 'US:1001')"""
    ).fetchall()[0][0]
    toy_alerts = con.execute(
        """SELECT kind, record_id, not_listed_by FROM alerts.alerts
           WHERE jurisdiction = 'ZZ' AND list_contains(scopes, 'strict')"""
    ).fetchall()
report = build_report(str(path))
print(json.dumps({"keys": keys, "jurisdictions": jurisdictions, "petrov": petrov,
                  "alerts": toy_alerts, "in_report": "ZZ" in report}))
'''

TOY_ROWS = 'id,name,programme,born\n1,"PETROV, Ivan Sergeyevich",TOY-HR,12 Feb 1961\n'
TOY_NEW = '2,"NOVAK, Petra",TOY-HR,3 Mar 1970\n'


def test_a_toy_source_added_through_the_registry_reaches_marts_alerts_and_report(
    tmp_path, monkeypatch
):
    taxonomy = tmp_path / "programmes.csv"
    shutil.copyfile(PROGRAMMES_CSV, taxonomy)
    with taxonomy.open("a", encoding="utf-8") as handle:
        handle.write("ZZ,TOY-HR,ZZ-TOY-HR,Toy human rights regime,human_rights\n")
    monkeypatch.setenv("SANCTIONS_PROGRAMMES", str(taxonomy))
    scopes = tmp_path / "scopes.csv"
    shutil.copyfile(SCOPES_CSV, scopes)
    with scopes.open("a", encoding="utf-8") as handle:
        handle.write("strict,ZZ-TOY-HR,\nbroad,ZZ-TOY-HR,\n")
    sdn = FIXTURES / "us_ofac_csv" / "SDN.CSV"
    for name, rows in (("mirror1", TOY_ROWS), ("mirror2", TOY_ROWS + TOY_NEW)):
        make_mirror(tmp_path / name, {"SDN.CSV": sdn}, "us_ofac")
        make_mirror(tmp_path / name, {"toy.csv": rows.encode()}, "zz_toy")
    done = subprocess.run(
        [sys.executable, "-c", TOY_SOURCE, str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["keys"] == ["core/zz_toy", "raw/zz_toy", "staging/zz_toy"]
    assert "ZZ" in found["jurisdictions"]
    assert found["petrov"] == ["US", "ZZ"]  # matched across the toy list and OFAC
    assert found["alerts"] == [["unilateral_listing", "ZZ:2", ["US"]]]
    assert found["in_report"]


@pytest.mark.integration
def test_bastrykin_is_one_target_listed_by_us_uk_ca_and_au(four_lists):
    with duckdb.connect(str(four_lists / "warehouse.duckdb"), read_only=True) as con:
        found = con.execute(
            """SELECT list(DISTINCT t.jurisdiction ORDER BY t.jurisdiction)
               FROM alignment.target_jurisdictions t
               WHERE t.scope = 'strict' AND t.listed AND t.target_id = (
                   SELECT target_id FROM matching.clusters WHERE record_id = 'AU:6854')"""
        ).fetchall()[0][0]
    assert found == ["AU", "CA", "UK", "US"]
