"""The whole graph (fetch -> stage -> check -> publish) on hand-written files through a mirror."""

import dagster as dg
import duckdb
import pytest

from assets.matching import CLUSTERS, LINKS, matched
from assets.sources import source_assets
from pipelines.definitions import defs
from pipelines.resources import SanctionsResource
from sanctions import warehouse
from sanctions.model import Name, Record
from sanctions.publish import publish_copy
from tests.conftest import FIXTURES, Reply, make_mirror
from tests.pipeline_helpers import core_state, failed_checks, failure_messages, metadata, run


@pytest.fixture(autouse=True)
def small_lists_and_fast_retries(monkeypatch):
    monkeypatch.setenv("SANCTIONS_MIN_RECORDS_US_OFAC", "1")
    monkeypatch.setenv("SANCTIONS_HTTP_BACKOFF", "0.01")
    monkeypatch.setenv("SANCTIONS_HTTP_RETRIES", "2")
    monkeypatch.setenv("SANCTIONS_HTTP_READ_TIMEOUT", "5")


@pytest.fixture
def csv_mirror(tmp_path, csv_files):
    return make_mirror(tmp_path / "mirror", csv_files)


def test_definitions_load_with_job_and_schedule():
    dg.Definitions.validate_loadable(defs)
    assert defs.resolve_job_def("refresh_all") is not None
    schedule = defs.resolve_schedule_def("daily_refresh")
    assert schedule.cron_schedule == "0 6 * * *"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED


def test_mirror_run_publishes_then_second_run_does_no_work(tmp_path, csv_mirror):
    data = tmp_path / "data"
    first = run(data, csv_mirror)
    assert first.success, failure_messages(first)
    assert metadata(first, "staging/us_ofac")["status"] == "parsed"
    assert metadata(first, "core/us_ofac")["status"] == "published"
    assert metadata(first, "core/us_ofac")["dagster/row_count"] == 5
    archived = sorted(p.name for p in (data / "raw" / "us_ofac").iterdir())
    assert len(archived) == 4 and all(len(name.split(".")[0]) == 64 for name in archived)

    second = run(data, csv_mirror)
    assert second.success
    assert metadata(second, "raw/us_ofac")["changed"] is False
    assert metadata(second, "staging/us_ofac")["status"] == "unchanged"
    assert metadata(second, "staging/us_ofac")["status"] == "unchanged"
    assert metadata(second, "core/us_ofac")["status"] == "unchanged"
    assert core_state(data)[1] == 5


def test_http_mirror_retries_uses_conditional_get_and_survives_truncation(
    tmp_path, http_server, xml_file
):
    body = xml_file.read_bytes()
    path = "/us_ofac/SDN_ADVANCED.XML"
    http_server.route(
        path,
        Reply(status=503, headers={"Retry-After": "0"}),
        Reply(body=body, headers={"ETag": '"a"'}),
    )
    data = tmp_path / "data"
    first = run(data, http_server.base_url)
    assert first.success, failure_messages(first)
    assert [h.get("If-None-Match") for h in http_server.hits(path)] == [None, None]
    before = core_state(data)
    assert before[1] == 3

    second = run(data, http_server.base_url)
    assert second.success
    assert http_server.hits(path)[-1]["If-None-Match"] == '"a"'
    assert metadata(second, "raw/us_ofac")["files"][0]["http_status"] == 304
    assert metadata(second, "staging/us_ofac")["status"] == "unchanged"

    http_server.route(path, Reply(body=body[:2000], declared_length=len(body)))
    third = run(data, http_server.base_url)
    assert not third.success
    message = failure_messages(third)
    assert "us_ofac: SDN_ADVANCED.XML" in message and "truncated" in message
    assert core_state(data) == before


BAD_INPUTS = {
    "html page": (
        {"SDN.CSV": b"<!DOCTYPE html><html><body>Error 500</body></html>"},
        "SDN.CSV: an HTML page was served",
    ),
    "empty file": ({"SDN.CSV": b""}, "SDN.CSV: the file is empty"),
    "malformed row": (
        {"SDN.CSV": b'9,"X","individual","SDGT",-0- \r\n\x1a'},
        "SDN.CSV (archived as",
    ),
    "truncated xml": (
        {"SDN_ADVANCED.XML": (FIXTURES / "us_ofac_xml" / "SDN_ADVANCED.XML").read_bytes()[:3000]},
        "SDN_ADVANCED.XML (archived as",
    ),
    "unrecognised format": ({"sdn.json": b"{}"}, "expected SDN_ADVANCED.XML or SDN.XML or SDN.CSV"),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_fails_clearly_and_changes_nothing(tmp_path, csv_mirror, case):
    data = tmp_path / "data"
    assert run(data, csv_mirror).success
    before = core_state(data)
    archive_before = sorted((data / "raw").rglob("*"))

    files, expected = BAD_INPUTS[case]
    bad_mirror = make_mirror(tmp_path / "bad", files)
    result = run(data, bad_mirror)
    assert not result.success
    message = failure_messages(result)
    assert message.startswith("us_ofac: ") and expected in message, message
    assert core_state(data) == before
    new_files = set(sorted((data / "raw").rglob("*"))) - set(archive_before)
    assert all(not p.name.startswith(".incoming") for p in new_files)


def test_failed_check_keeps_the_published_snapshot(tmp_path, csv_mirror, csv_files):
    data = tmp_path / "data"
    assert run(data, csv_mirror).success
    before = core_state(data)
    shrunk = b"".join(csv_files["SDN.CSV"].read_bytes().splitlines(keepends=True)[:2]) + b"\x1a"
    result = run(data, make_mirror(tmp_path / "shrunk", {"SDN.CSV": shrunk}))
    assert not result.success
    assert failed_checks(result) == ["record_count_not_dropped"]
    assert core_state(data) == before


def test_a_failing_source_does_not_block_the_others(tmp_path, csv_files, monkeypatch):
    monkeypatch.setenv("SANCTIONS_MIN_RECORDS_CA_SEMA", "1")
    mirror = make_mirror(tmp_path / "mirror", csv_files)
    make_mirror(mirror, {"sema-lmes.xml": FIXTURES / "ca_sema" / "gen2026.xml"}, "ca_sema")
    data = tmp_path / "data"
    assert run(data, mirror, sources=("us_ofac", "ca_sema")).success
    canada_before = canada_rows(data)

    broken = (FIXTURES / "ca_sema" / "gen2026.xml").read_bytes()[:500]
    make_mirror(mirror, {"sema-lmes.xml": broken}, "ca_sema")
    fewer_aliases = b"".join(csv_files["ALT.CSV"].read_bytes().splitlines(keepends=True)[:-2])
    make_mirror(mirror, {"ALT.CSV": fewer_aliases + b"\x1a"})
    result = run(data, mirror, sources=("us_ofac", "ca_sema"))
    assert not result.success
    assert "ca_sema: sema-lmes.xml (archived as" in failure_messages(result)
    assert metadata(result, "core/us_ofac")["status"] == "published"  # the US list still loads
    assert canada_rows(data) == canada_before


def canada_rows(data) -> list:
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(
            "SELECT * FROM core.records WHERE source_id = 'ca_sema' ORDER BY record_id"
        ).fetchall()


def test_matching_assets_run_on_what_core_holds(tmp_path, csv_files, monkeypatch):
    monkeypatch.setenv("SANCTIONS_MIN_RECORDS_UK_FCDO", "1")
    mirror = make_mirror(tmp_path / "mirror", csv_files)
    make_mirror(mirror, {"ConList.csv": FIXTURES / "uk" / "ConList.csv"}, "uk_fcdo")
    data = tmp_path / "data"
    assert run(data, mirror, sources=("us_ofac", "uk_fcdo")).success
    resource = SanctionsResource(data_dir=str(data), mirror=str(mirror))
    result = dg.materialize(
        [*source_assets, matched], selection=[LINKS, CLUSTERS], resources={"sanctions": resource}
    )
    assert result.success
    assert all(check.passed for check in result.get_asset_check_evaluations())
    assert metadata(result, "matching/clusters")["dagster/row_count"] == 7
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        together = con.execute(
            """SELECT count(DISTINCT target_id) FROM matching.clusters
               WHERE record_id IN ('US:1001', 'UK:90001')"""
        ).fetchall()[0][0]
    assert together == 1  # PETROV is the same person in the US and UK fixtures


def test_an_unknown_programme_code_publishes_under_an_unclassified_key_and_warns(
    tmp_path, csv_mirror, csv_files
):
    """A new regime must not hold back a list (the taxonomy is open): its records are published
    under an UNCLASSIFIED key and the non-blocking programmes_classified check says so."""
    data = tmp_path / "data"
    assert run(data, csv_mirror).success
    drifted = csv_files["SDN.CSV"].read_bytes().replace(b'"SDNTK"', b'"NEW-PROGRAMME-2026"')
    result = run(data, make_mirror(tmp_path / "drift", {"SDN.CSV": drifted}))
    assert result.success
    assert failed_checks(result) == ["programmes_classified"]
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        keys = con.execute(
            "SELECT DISTINCT programme_key FROM core.programmes WHERE programme_raw = ?",
            ["NEW-PROGRAMME-2026"],
        ).fetchall()
    assert [key for (key,) in keys] == ["US-UNCLASSIFIED-NEW-PROGRAMME-2026"]


def test_staging_keeps_core_not_null_constraints_and_refuses_an_incomplete_row(tmp_path):
    """A parser that leaves a required field empty fails while staging, in one rolled-back
    transaction, instead of at publish time."""
    with warehouse.connect(tmp_path / "warehouse.duckdb") as con:
        required = con.execute(
            """SELECT c.table_name, c.column_name FROM duckdb_columns() c
               JOIN duckdb_tables() s ON s.schema_name = 'staging' AND s.table_name = c.table_name
               WHERE c.schema_name = 'core' AND NOT c.is_nullable"""
        ).fetchall()
        nullable_in_staging = con.execute(
            """SELECT table_name, column_name FROM duckdb_columns()
               WHERE schema_name = 'staging' AND is_nullable"""
        ).fetchall()
        assert len(required) > 40
        assert set(required).isdisjoint(nullable_in_staging)
        snapshot = warehouse.Snapshot("us_ofac", "s1", "ofac_csv", {}, None, None)
        rows = [Record("US:1", "1", "person"), Name("US:1", None, "primary")]
        with pytest.raises(duckdb.ConstraintException, match=r'"names"\."name"'):
            warehouse.stage(con, snapshot, rows)
        assert warehouse.staged_snapshot_id(con, "us_ofac") is None


def test_the_published_copy_holds_every_schema_but_staging(tmp_path, csv_mirror):
    data = tmp_path / "data"
    assert run(data, csv_mirror).success
    published = tmp_path / "published.duckdb"
    with warehouse.connect(data / "warehouse.duckdb") as con:
        assert con.execute("SELECT count(*) FROM staging.records").fetchall()[0][0] == 5
        publish_copy(con, published)
    with duckdb.connect(str(published), read_only=True) as copy:
        schemas = {
            row[0] for row in copy.execute("SELECT schema_name FROM duckdb_schemas()").fetchall()
        }
        assert "staging" not in schemas and {"core", "raw", "retired", "history"} <= schemas
        assert copy.execute("SELECT count(*) FROM core.records").fetchall() == [(5,)]
        assert copy.execute("SELECT count(*) FROM matching_input.records").fetchall() == [(5,)]
        comment = copy.execute(
            "SELECT comment FROM duckdb_columns() WHERE schema_name = 'core' "
            "AND table_name = 'records' AND column_name = 'record_id'"
        ).fetchall()[0][0]
        assert comment.startswith("Stable id")
