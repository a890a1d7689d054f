"""Regressions of integrity defects found by running the pipeline for months, each reproduced
on the first release: the publish gate, history on reverts, alerts that never reverse, an open
programme taxonomy, UTC storage, backfills, and one run at a time."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.checks import source_checks
from assets.sources import source_assets
from pipelines.resources import SanctionsResource
from sanctions import alerts, alignment, clusters, history, matching, warehouse
from sanctions.archive import Archive
from sanctions.errors import CheckFailed
from sanctions.programmes import PROGRAMMES_CSV
from sanctions.publish import publish_copy
from sanctions.refresh import refresh_from_mirror
from sanctions.replay import replay
from sanctions.sources import SOURCES
from tests.conftest import FIXTURES, REPO, Reply, make_mirror
from tests.pipeline_helpers import core_state, failed_checks, failure_messages
from tests.synthetic_lists import PEOPLE, Listing, write_snapshot

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")

SDN = (FIXTURES / "us_ofac_csv" / "SDN.CSV").read_bytes()
LINES = SDN.splitlines(keepends=True)  # 1001..1005, then the 0x1A line


def materialise(data: Path, mirror: Path, source: str, layers=("raw", "staging", "core")):
    return dg.materialize(
        [*source_assets, *source_checks],
        selection=[dg.AssetKey([layer, source]) for layer in layers],
        resources={"sanctions": SanctionsResource(data_dir=str(data), mirror=str(mirror))},
        raise_on_error=False,
    )


def csv_mirror(root: Path, lines: list[bytes]) -> Path:
    return make_mirror(root, {"SDN.CSV": b"".join(lines) + b"\x1a"})


# ------------------------------------------------------------------------- 1. the publish gate


def test_a_core_asset_launched_alone_never_publishes_a_failed_snapshot(tmp_path):
    data = tmp_path / "data"
    assert materialise(data, csv_mirror(tmp_path / "m1", LINES[:5]), "us_ofac").success
    before = core_state(data)
    dropped = csv_mirror(tmp_path / "m2", LINES[:2])  # 5 records become 2
    staged = materialise(data, dropped, "us_ofac", ("raw", "staging"))
    assert "record_count_not_dropped" in failed_checks(staged)
    alone = materialise(data, dropped, "us_ofac", ("core",))  # as from the UI, no check run
    assert not alone.success
    message = failure_messages(alone)
    assert "us_ofac: snapshot" in message and "record_count_not_dropped" in message
    assert core_state(data) == before
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        refused = con.execute(
            """SELECT count(*) FROM core.check_results WHERE check_name =
               'record_count_not_dropped' AND NOT passed"""
        ).fetchall()[0][0]
    assert refused == 2  # the run's check and the gate's own evaluation, both recorded


def test_scripts_and_replays_go_through_the_gate(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with warehouse.connect(path) as con:
        refresh_from_mirror(
            con, ["us_ofac"], Archive(tmp_path / "raw"), str(csv_mirror(tmp_path / "m1", LINES[:5]))
        )
        before = con.execute("SELECT count(*) FROM core.records").fetchall()[0][0]
        with pytest.raises(CheckFailed, match="record_count_not_dropped"):
            refresh_from_mirror(
                con,
                ["us_ofac"],
                Archive(tmp_path / "raw"),
                str(csv_mirror(tmp_path / "m2", LINES[:1])),
            )
        folder = tmp_path / "dated"
        folder.mkdir()
        (folder / "SDN_2030-01-01.CSV").write_bytes(LINES[0] + b"\x1a")
        report = replay(con, SOURCES["us_ofac"], folder, Archive(tmp_path / "raw"))
        after = con.execute("SELECT count(*) FROM core.records").fetchall()[0][0]
    assert before == after == 5
    assert report.applied == [] and "record_count_not_dropped" in report.skipped[0][1]


# ------------------------------------------------------ 2. alerts are classified once, on date


def two_lists(root: Path, runs: list[dict[str, tuple[date, list[Listing]]]]) -> Path:
    """Apply each run's snapshots (source -> (publication date, listings)), then match, build
    the marts and alert, as a scheduled run does; return the warehouse path."""
    path = root / "warehouse.duckdb"
    for number, run in enumerate(runs):
        mirror = root / f"mirror{number}"
        for source, (day, listings) in run.items():
            write_snapshot(mirror / source, source, day, listings)
        with warehouse.connect(path) as con:
            refresh_from_mirror(con, list(run), Archive(root / "raw"), str(mirror))
            con.execute("BEGIN TRANSACTION")
            matching.match(con)
            clusters.write_clusters(con)
            con.execute("COMMIT")
            alignment.build(con)
            alerts.build_alerts(con, baseline=True)
    return path


def test_a_follow_on_is_alerted_once_and_never_reversed(tmp_path):
    kovalenko, other = Listing(PEOPLE[0]), Listing(PEOPLE[1])
    path = two_lists(
        tmp_path,
        [
            {"us_ofac": (date(2024, 1, 1), [other]), "uk_fcdo": (date(2024, 1, 1), [other])},
            {"us_ofac": (date(2024, 2, 1), [other, kovalenko])},  # the US first
            {"uk_fcdo": (date(2025, 3, 14), [other, kovalenko])},  # the UK 407 days later
            {"us_ofac": (date(2025, 3, 20), [other, kovalenko])},  # nothing new for KOVALENKO
        ],
    )
    with warehouse.connect(path) as con:
        found = con.execute(
            """SELECT kind, jurisdiction, record_id, event_date::VARCHAR, lag_days
               FROM alerts.alerts WHERE list_contains(scopes, 'all') ORDER BY event_date"""
        ).fetchall()
        assert alerts.build_alerts(con, baseline=True) == 0  # a re-run adds nothing
    assert found == [
        ("unilateral_listing", "US", "US:1001", "2024-02-01", None),
        ("follow_on", "UK", "UK:20001", "2025-03-14", 407),
    ]


def test_same_day_listings_are_one_coordinated_listing_and_unloaded_lists_are_not_named(tmp_path):
    kovalenko = Listing(PEOPLE[0])
    path = two_lists(
        tmp_path,
        [
            {"us_ofac": (date(2024, 1, 1), []), "uk_fcdo": (date(2024, 1, 1), [])},
            {"us_ofac": (date(2024, 2, 1), [kovalenko])},  # classified once the UK is known
            {"uk_fcdo": (date(2024, 2, 1), [kovalenko])},  # ... on that day too
        ],
    )
    with warehouse.connect(path) as con:
        found = con.execute(
            """SELECT kind, jurisdiction, listed_by, not_listed_by, lag_days FROM alerts.alerts
               WHERE list_contains(scopes, 'all') ORDER BY jurisdiction"""
        ).fetchall()
    assert found == [
        ("coordinated_listing", "UK", ["UK", "US"], [], None),
        ("coordinated_listing", "US", ["UK", "US"], [], None),
    ]  # CA, EU and AU never loaded: in neither column


# ------------------------------------------------------------------------- 4. history on reverts


def test_reverting_to_an_earlier_snapshot_relists_and_history_equals_core(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    snapshots = {"a": LINES[:5], "b": LINES[:4], "a-again": LINES[:5]}  # 1005 leaves, returns
    with warehouse.connect(path) as con:
        for name, lines in snapshots.items():
            mirror = csv_mirror(tmp_path / name, lines)
            refresh_from_mirror(con, ["us_ofac"], Archive(tmp_path / "raw"), str(mirror))
            assert history.current_matches_core(con, "us_ofac")
        events = con.execute(
            "SELECT event FROM history.events WHERE record_id = 'US:1005' ORDER BY seq"
        ).fetchall()
        current = con.execute(
            "SELECT count(*) FROM history.record_versions WHERE valid_to IS NULL"
        ).fetchall()[0][0]
    assert [e for (e,) in events] == ["listed", "delisted", "relisted"]
    assert current == 5


# -------------------------------------------------------- 5. an open taxonomy, keyed at publish


def test_an_unknown_regime_publishes_warns_and_is_rekeyed_without_a_download(tmp_path, monkeypatch):
    taxonomy = tmp_path / "programmes.csv"
    shutil.copyfile(PROGRAMMES_CSV, taxonomy)
    monkeypatch.setenv("SANCTIONS_PROGRAMMES", str(taxonomy))
    data = tmp_path / "data"
    drifted = [line.replace(b'"SDNTK"', b'"NEW-PROGRAMME-2026"') for line in LINES[:5]]
    mirror = csv_mirror(tmp_path / "m", drifted)
    first = materialise(data, mirror, "us_ofac")
    assert first.success, failure_messages(first)
    warning = next(
        c for c in first.get_asset_check_evaluations() if c.check_name == "programmes_classified"
    )
    assert not warning.passed and warning.severity == dg.AssetCheckSeverity.WARN
    assert "'NEW-PROGRAMME-2026' (1 records)" in warning.description

    def key_of(record_id: str) -> str:
        with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
            return con.execute(
                "SELECT programme_key FROM core.programmes WHERE record_id = ?", [record_id]
            ).fetchall()[0][0]

    assert key_of("US:1005") == "US-UNCLASSIFIED-NEW-PROGRAMME-2026"
    with taxonomy.open("a", encoding="utf-8") as handle:
        handle.write("US,NEW-PROGRAMME-2026,US-NEW-2026,A new programme,country\n")
    again = materialise(data, mirror, "us_ofac")
    assert again.success
    staged = next(
        e
        for e in again.get_asset_materialization_events()
        if e.asset_key.to_user_string() == "staging/us_ofac"
    )
    assert staged.materialization.metadata["status"].value == "unchanged"  # nothing re-read
    assert key_of("US:1005") == "US-NEW-2026"
    assert all(c.passed for c in again.get_asset_check_evaluations())


def test_a_file_whose_regimes_are_mostly_unknown_is_refused_naming_them(tmp_path):
    data = tmp_path / "data"
    assert materialise(data, csv_mirror(tmp_path / "m1", LINES[:5]), "us_ofac").success
    before = core_state(data)
    renamed = [
        line.replace(b'"GLOMAG"', b'"X-ONE"')
        .replace(b'"SDGT"', b'"X-TWO"')
        .replace(b'"IRAN"', b'"X-THREE"')
        .replace(b'"SDGT] [IRGC"', b'"X-TWO] [X-FOUR"')
        for line in LINES[:5]
    ]
    result = materialise(data, csv_mirror(tmp_path / "m2", renamed), "us_ofac")
    assert not result.success
    refusal = next(
        c
        for c in result.get_asset_check_evaluations()
        if c.check_name == "programmes_mostly_classified"
    )
    assert not refusal.passed and "'X-TWO'" in refusal.description
    assert core_state(data) == before


# --------------------------------------------------------------------------------- 7. UTC


def test_dates_are_stored_in_utc_whatever_the_host_time_zone(tmp_path):
    folder = tmp_path / "dated"
    folder.mkdir()
    (folder / "SDN_2024-05-03.CSV").write_bytes(SDN)
    script = (
        "from pathlib import Path; from sanctions import warehouse; "
        "from sanctions.archive import Archive; from sanctions.replay import replay; "
        "from sanctions.sources import SOURCES; "
        f"opened = warehouse.connect(Path(r'{tmp_path / 'w.duckdb'}')); con = opened.__enter__(); "
        f"replay(con, SOURCES['us_ofac'], Path(r'{folder}'), Archive(Path(r'{tmp_path}')))"
    )
    env = {**os.environ, "TZ": "Asia/Tokyo"}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=REPO)
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        as_of = con.execute("SELECT as_of FROM history.snapshots").fetchall()[0][0]
    assert as_of == datetime(2024, 5, 3, tzinfo=UTC)


# ------------------------------------------------------- one writer, and readers never wait


def sanctions(*args, env) -> subprocess.Popen:
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "sanctions"), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.integration
def test_two_runs_never_interleave_and_a_judgement_does_not_wait_for_downloads(
    tmp_path, http_server, real_data
):
    slow = (real_data / "us_ofac/sdn_history/SDN_2024-05-03.CSV").read_bytes()
    http_server.route("/us_ofac/SDN_ADVANCED.XML", Reply(status=404))
    http_server.route("/us_ofac/SDN.XML", Reply(status=404))
    http_server.route("/us_ofac/SDN.CSV", Reply(body=slow, mode="slow"))
    env = {
        **os.environ,
        "SANCTIONS_DATA_DIR": str(tmp_path / "data"),
        "SANCTIONS_MIRROR": http_server.base_url,
        "SANCTIONS_LOCK_WAIT": "3",
        "SANCTIONS_MIN_RECORDS_US_OFAC": "1",
    }
    with warehouse.connect(tmp_path / "data" / "warehouse.duckdb"):
        pass  # the warehouse exists before the runs start
    first = sanctions("run", "--source", "us_ofac", env=env)
    time.sleep(4)  # the first run is downloading, slowly
    started = time.monotonic()
    judged = subprocess.run(
        [str(Path(sys.executable).parent / "sanctions"), "judge", "US:1", "UK:2", "same"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    judge_seconds = time.monotonic() - started
    second = sanctions("run", "--source", "us_ofac", env=env)
    _, second_err = second.communicate(timeout=120)
    first_out, first_err = first.communicate(timeout=300)
    assert judged.returncode == 0, judged.stderr
    assert judge_seconds < 10
    assert second.returncode != 0
    assert "another run holds" in second_err and len(second_err.strip().splitlines()) == 1
    assert first.returncode == 0, first_out + first_err
    with duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True) as con:
        loaded = con.execute("SELECT count(*) FROM core.snapshots").fetchall()[0][0]
        judgements = con.execute("SELECT count(*) FROM matching.judgements").fetchall()[0][0]
    assert loaded == 1 and judgements == 1


def test_exporting_judgements_never_waits_for_a_writer(tmp_path):
    data = tmp_path / "data"
    with warehouse.connect(data / "warehouse.duckdb") as con:
        clusters.record_judgement(con, "US:1", "UK:2", "same", "ana")
        publish_copy(con, data / "published" / "warehouse.duckdb")
    env = {**os.environ, "SANCTIONS_DATA_DIR": str(data), "SANCTIONS_LOCK_WAIT": "60"}
    with duckdb.connect(str(data / "warehouse.duckdb")):  # a writer holds the live file
        started = time.monotonic()
        done = subprocess.run(
            [
                str(Path(sys.executable).parent / "sanctions"),
                "judge",
                "--export",
                str(tmp_path / "judgements.csv"),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert seconds < 15 and "published copy" in done.stdout
    assert "US:1" in (tmp_path / "judgements.csv").read_text()


def test_an_annotation_on_a_merged_target_id_follows_the_merge(tmp_path):
    kovalenko = Listing(PEOPLE[0])
    mirror = tmp_path / "mirror"
    for source in ("us_ofac", "uk_fcdo"):
        write_snapshot(mirror / source, source, date(2024, 1, 1), [kovalenko])
    with warehouse.connect(tmp_path / "warehouse.duckdb") as con:
        refresh_from_mirror(con, ["us_ofac", "uk_fcdo"], Archive(tmp_path / "raw"), str(mirror))
        for verdict in ("different", "same"):  # two targets, then an analyst merges them
            clusters.record_judgement(con, "US:1001", "UK:20001", verdict, "ana")
            matching.match(con)
            clusters.write_clusters(con)
        ((retired, kept),) = con.execute(
            "SELECT old_target_id, new_target_id FROM matching.target_merges"
        ).fetchall()
        alignment.build(con, [(retired, "victim_group", "journalists", None, None, None)])
        attached = con.execute("SELECT target_id, problem FROM alignment.annotations").fetchall()
    assert attached == [(kept, None)]
