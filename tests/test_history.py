"""History of the lists: versions and events on every publish, and replays of dated files."""

from datetime import date
from pathlib import Path

import pytest

from sanctions import warehouse
from sanctions.archive import Archive
from sanctions.replay import replay
from sanctions.sources import SOURCES
from tests.conftest import FIXTURES

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def events(path, day=None):
    with warehouse.connect(path) as con:
        sql = "SELECT event, record_id, changed_fields FROM history.events"
        if day:
            sql += f" WHERE event_date::DATE = DATE '{day}'"
        return sorted(con.execute(sql + " ORDER BY ALL").fetchall())


def write_dated(folder, day, content: bytes):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"SDN_{day}.CSV").write_bytes(content)


def test_events_and_versions_between_two_snapshots(tmp_path):
    sdn = (FIXTURES / "us_ofac_csv" / "SDN.CSV").read_bytes()
    lines = sdn.splitlines(keepends=True)
    new_record = b'1006,"NEW, Person","individual","GLOMAG"' + b",-0- " * 8 + b"\r\n\x1a"
    changed = lines[0].replace(b"Former Deputy Minister", b"Minister")
    later = changed + b"".join(lines[2:5]) + new_record  # 1002 delisted, 1006 listed
    folder = tmp_path / "history"
    write_dated(folder, "2024-01-01", sdn)
    write_dated(folder, "2024-02-01", later)
    db = tmp_path / "warehouse.duckdb"
    with warehouse.connect(db) as con:
        report = replay(con, SOURCES["us_ofac"], folder, Archive(tmp_path / "raw"))
    assert [events for _, events in report.applied] == [5, 3]
    assert events(db, "2024-02-01") == [
        ("changed", "US:1001", ["details"]),
        ("delisted", "US:1002", None),
        ("listed", "US:1006", None),
    ]
    with warehouse.connect(db) as con:
        versions = con.execute(
            """SELECT record_id, valid_from::DATE, valid_to::DATE FROM history.record_versions
               WHERE record_id IN ('US:1001', 'US:1002') ORDER BY ALL"""
        ).fetchall()
        as_of_2024 = con.execute(
            """SELECT count(*) FROM history.record_versions
               WHERE valid_from <= TIMESTAMPTZ '2024-01-15' AND (valid_to IS NULL
                     OR valid_to > TIMESTAMPTZ '2024-01-15')"""
        ).fetchall()[0][0]
    assert [(r, str(a), str(b) if b else None) for r, a, b in versions] == [
        ("US:1001", "2024-01-01", "2024-02-01"),
        ("US:1001", "2024-02-01", None),
        ("US:1002", "2024-01-01", "2024-02-01"),
    ]
    assert as_of_2024 == 5  # the list as of 2024-01-15


def test_bad_files_are_reported_and_skipped_without_touching_history(tmp_path):
    sdn = (FIXTURES / "us_ofac_csv" / "SDN.CSV").read_bytes()
    changed = sdn.replace(b"Former Deputy Minister", b"Minister")
    folder = tmp_path / "history"
    write_dated(folder, "2024-01-01", sdn)
    write_dated(folder, "2024-02-01", changed)
    db = tmp_path / "warehouse.duckdb"
    with warehouse.connect(db) as con:
        replay(con, SOURCES["us_ofac"], folder, Archive(tmp_path / "raw"))
    before = events(db)
    later = tmp_path / "later"
    write_dated(later, "2024-01-15", sdn.replace(b"GLOMAG", b"SDGT"))  # inside the history
    write_dated(later, "2024-03-01", changed)  # the snapshot the history ends with
    write_dated(later, "2024-04-01", sdn[:300])  # truncated
    (later / "notes.txt").write_text("no date here")
    with warehouse.connect(db) as con:
        report = replay(con, SOURCES["us_ofac"], later, Archive(tmp_path / "raw"))
    reasons = {Path(name).name: reason for name, reason in report.skipped}
    assert report.applied == [] and report.backfilled == []
    assert reasons["notes.txt"].startswith("no date")
    assert reasons["SDN_2024-01-15.CSV"].startswith("inside the span of the history")
    assert reasons["SDN_2024-03-01.CSV"].startswith("already in the history")
    assert "us_ofac: SDN.CSV" in reasons["SDN_2024-04-01.CSV"]
    assert events(db) == before


def test_a_folder_named_by_its_date_dates_the_set_it_holds(tmp_path):
    """A set of one day kept as csv_2021-07-07/{SDN,ALT,ADD}.CSV and given itself: its files
    carry no date and the CSV holds none, so the folder's name dates them (they were skipped
    as undated)."""
    folder = tmp_path / "csv_2024-01-01"
    folder.mkdir()
    for name in ("SDN.CSV", "ALT.CSV", "ADD.CSV"):
        (folder / name).write_bytes((FIXTURES / "us_ofac_csv" / name).read_bytes())
    with warehouse.connect(tmp_path / "warehouse.duckdb") as con:
        report = replay(con, SOURCES["us_ofac"], folder, Archive(tmp_path / "raw"))
        files = con.execute("SELECT files FROM core.snapshots").fetchall()
    assert [day for day, _ in report.applied] == [date(2024, 1, 1)] and not report.skipped
    assert all(name in files[0][0] for name in ("SDN.CSV", "ALT.CSV", "ADD.CSV"))


@pytest.mark.integration
def test_replaying_the_real_ofac_history(real_data, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    folder = real_data / "us_ofac/sdn_history"
    with warehouse.connect(db) as con:
        report = replay(con, SOURCES["us_ofac"], folder, Archive(tmp_path / "raw"))
    assert len(report.applied) == 12 and not report.skipped
    delisted = events(db, "2024-05-03")
    assert [e for e, _, _ in delisted] == ["delisted"] * 8
    assert {r for _, r, _ in delisted} == {
        f"US:{n}" for n in (38556, 38557, 38558, 38559, 38560, 38563, 38565, 38566)
    }
    with warehouse.connect(db) as con:
        glomag = dict(
            con.execute(
                """SELECT event, count(*) FROM history.events
               WHERE event_date::DATE = DATE '2023-03-31'
                 AND list_contains(programme_keys, 'US-GLOMAG') GROUP BY event"""
            ).fetchall()
        )
        programmes = con.execute(
            """SELECT DISTINCT unnest(programme_keys) FROM history.events
               WHERE event_date::DATE = DATE '2024-05-03'"""
        ).fetchall()
        report_again = replay(con, SOURCES["us_ofac"], folder, Archive(tmp_path / "raw"))
        total = con.execute("SELECT count(*) FROM history.events").fetchall()[0][0]
    assert glomag == {"listed": 202}
    assert programmes == [("US-RUSSIA-EO14024",)]
    assert report_again.applied == [] and total == len(events(db))
