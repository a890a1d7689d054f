"""Real files of other dates than the everyday tests use: a Canadian list with regimes the
taxonomy never saw spelled so, an injected unknown regime, OFAC's history backfilled under a
live warehouse, and a real day-to-day UK change."""

from __future__ import annotations

import shutil

import pytest

from pipelines import cli
from sanctions import warehouse
from sanctions.archive import Archive
from sanctions.programmes import PROGRAMMES_CSV
from sanctions.refresh import refresh_from_mirror
from sanctions.replay import replay
from sanctions.sources import SOURCES
from tests.conftest import make_mirror

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore::ResourceWarning")]


def test_canada_2025_loads_in_full_and_an_unknown_regime_is_published_then_classified(
    real_data, tmp_path, monkeypatch
):
    taxonomy = tmp_path / "programmes.csv"
    shutil.copyfile(PROGRAMMES_CSV, taxonomy)
    monkeypatch.setenv("SANCTIONS_PROGRAMMES", str(taxonomy))
    text = (real_data / "ca/sema-lmes_2025-05-25.xml").read_text(encoding="utf-8")
    path = tmp_path / "warehouse.duckdb"
    with warehouse.connect(path) as con:
        refresh_from_mirror(
            con,
            ["ca_sema"],
            Archive(tmp_path / "raw"),
            str(
                make_mirror(
                    tmp_path / "m1",
                    {"sema-lmes.xml": real_data / "ca/sema-lmes_2025-05-25.xml"},
                    "ca_sema",
                )
            ),
        )
        records, jvcfoa, imo, unclassified = con.execute(
            """SELECT (SELECT count(*) FROM core.records),
                      (SELECT count(DISTINCT p.record_id) FROM core.programmes p
                       WHERE p.programme_key = 'CA-JVCFOA' AND p.listed_on IS NOT NULL),
                      (SELECT count(*) FROM core.identifiers i JOIN core.records r
                       USING (record_id) WHERE r.entity_type = 'vessel' AND i.id_type ILIKE 'IMO%'),
                      (SELECT count(*) FROM core.programmes
                       WHERE programme_key LIKE '%UNCLASSIFIED%')"""
        ).fetchall()[0]
        assert (records, jvcfoa, unclassified) == (4_759, 80, 0)
        assert imo > 0
        # a regime Canada has never used, on the Moldova records: published, warned, counted
        renamed = text.replace(
            "<Country>Moldova</Country>", "<Country>Atlantis / Atlantide</Country>"
        )
        moldova = text.count("<Country>Moldova</Country>")
        assert moldova > 0
        (tmp_path / "sema-lmes.xml").write_text(renamed, encoding="utf-8")
        mirror = make_mirror(
            tmp_path / "m2", {"sema-lmes.xml": tmp_path / "sema-lmes.xml"}, "ca_sema"
        )
        refresh_from_mirror(con, ["ca_sema"], Archive(tmp_path / "raw"), str(mirror))
        warned = con.execute(
            """SELECT summary FROM core.check_results WHERE check_name = 'programmes_classified'
               ORDER BY checked_at DESC LIMIT 1"""
        ).fetchall()[0][0]
        assert f"'Atlantis / Atlantide' ({moldova} records)" in warned
        keyed = con.execute(
            "SELECT DISTINCT programme_key FROM core.programmes "
            "WHERE programme_raw LIKE 'Atlantis%'"
        ).fetchall()
        assert keyed == [("CA-UNCLASSIFIED-ATLANTIS",)]
    with taxonomy.open("a", encoding="utf-8") as handle:
        handle.write("CA,Atlantis,CA-SEMA-ATLANTIS,Atlantis Regulations,country\n")
    with warehouse.connect(path) as con:  # the same file again: no new download, re-keyed
        refresh_from_mirror(con, ["ca_sema"], Archive(tmp_path / "raw"), str(mirror))
        keyed = con.execute(
            "SELECT DISTINCT programme_key FROM core.programmes "
            "WHERE programme_raw LIKE 'Atlantis%'"
        ).fetchall()
        fetched = con.execute("SELECT count(DISTINCT snapshot_id) FROM raw.manifest").fetchall()
    assert keyed == [("CA-SEMA-ATLANTIS",)] and fetched == [(2,)]


def events_before(path, day: str) -> list[tuple]:
    with warehouse.connect(path) as con:
        return con.execute(
            """SELECT record_id, event, event_date::DATE::VARCHAR, changed_fields, programme_keys
               FROM history.events WHERE event_date < ?::DATE ORDER BY ALL""",
            [day],
        ).fetchall()


def test_older_files_backfill_a_live_history_as_a_replay_into_an_empty_one(
    real_data, tmp_path, monkeypatch
):
    folders = [str(real_data / "us_ofac/legacy_csv"), str(real_data / "us_ofac/sdn_history")]
    empty = tmp_path / "empty"
    monkeypatch.setenv("SANCTIONS_DATA_DIR", str(empty))
    assert cli.main(["replay", "us_ofac", *folders]) == 0  # one command, one history
    live = tmp_path / "live"
    with warehouse.connect(live / "warehouse.duckdb") as con:
        mirror = make_mirror(
            tmp_path / "mirror", {"SDN.CSV": real_data / "us_ofac/sdn_history/SDN_2024-05-03.CSV"}
        )
        refresh_from_mirror(con, ["us_ofac"], Archive(live / "raw"), str(mirror))
        core_before = con.execute(
            "SELECT count(*), sum(hash(record_id, name)) FROM core.records"
        ).fetchall()
        started = con.execute("SELECT min(as_of)::DATE::VARCHAR FROM history.snapshots").fetchall()
        report = replay(con, SOURCES["us_ofac"], folders, Archive(live / "raw"))
        core_after = con.execute(
            "SELECT count(*), sum(hash(record_id, name)) FROM core.records"
        ).fetchall()
        at_start = dict(
            con.execute(
                """SELECT event, count(*) FROM history.events WHERE event_date::DATE = ?::DATE
                   GROUP BY 1""",
                started[0],
            ).fetchall()
        )
    assert len(report.backfilled) == 15 and not report.skipped and not report.applied
    assert core_after == core_before
    first_live = started[0][0]
    assert events_before(live / "warehouse.duckdb", first_live) == events_before(
        empty / "warehouse.duckdb", first_live
    )
    # the live snapshot is the 2024-05-03 file the backfill ends with: nothing happened then
    assert at_start == {}


def test_a_real_day_to_day_uk_change(real_data, tmp_path):
    folder = tmp_path / "uk"
    folder.mkdir()
    for day in ("2025-04-10", "2025-04-14"):
        (folder / f"ConList_{day}.csv").symlink_to(real_data / f"uk/ConList_{day}.csv")
    with warehouse.connect(tmp_path / "warehouse.duckdb") as con:
        report = replay(con, SOURCES["uk_fcdo"], folder, Archive(tmp_path / "raw"))
        changes = dict(
            con.execute(
                """SELECT event, count(*) FROM history.events
                   WHERE event_date::DATE = DATE '2025-04-14' GROUP BY 1"""
            ).fetchall()
        )
    assert [day.isoformat() for day, _ in report.applied] == ["2025-04-10", "2025-04-14"]
    assert changes.get("listed", 0) - changes.get("delisted", 0) == 4_688 - 4_686
    assert sum(changes.values()) == report.applied[1][1] > 0
