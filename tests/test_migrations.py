"""A warehouse created by the previous release (commit 3a9b9bd, its DDL kept verbatim in
tests/fixtures/release_3a9b9bd) opened by the current code: the schema is migrated once, every
row survives, new columns and tables exist, and the next refresh publishes through it."""

import duckdb
import pytest

from sanctions import warehouse
from sanctions.archive import Archive
from sanctions.refresh import refresh_from_mirror
from schemas import SCHEMA_FILES
from tests.conftest import FIXTURES, make_mirror

PREVIOUS_RELEASE = FIXTURES / "release_3a9b9bd"
OLD_ROWS = """
INSERT INTO raw.manifest VALUES ('us_ofac', 'old-snapshot', 'ofac_csv', 'SDN.CSV',
    'https://example.org/SDN.CSV', '2025-01-02 06:00:00+00', 200, '"e1"', NULL, 100, 'ab12',
    NULL, '/data/raw/us_ofac/ab12.csv');
INSERT INTO core.snapshots VALUES ('us_ofac', 'old-snapshot', 'ofac_csv', NULL,
    '2025-01-02 06:00:00+00', '2025-01-02 06:00:01+00', '2025-01-02 06:00:02+00', 2,
    'SDN.CSV=ab12');
INSERT INTO core.records (record_id, source_id, jurisdiction, source_key, entity_type, name,
    snapshot_id) VALUES
    ('US:1', 'us_ofac', 'US', '1', 'person', 'OLD, Person', 'old-snapshot'),
    ('US:2', 'us_ofac', 'US', '2', 'organization', 'OLD COMPANY', 'old-snapshot');
INSERT INTO core.names (source_id, record_id, name, kind, is_weak) VALUES
    ('us_ofac', 'US:1', 'OLD, Person', 'primary', false),
    ('us_ofac', 'US:2', 'OLD COMPANY', 'primary', false);
INSERT INTO core.programmes (source_id, record_id, programme_raw, programme_key) VALUES
    ('us_ofac', 'US:1', 'GLOMAG', 'US-GLOMAG'), ('us_ofac', 'US:2', 'SDGT', 'US-SDGT');
INSERT INTO history.snapshots VALUES ('us_ofac', 'old-snapshot', '2025-01-02 06:00:00+00',
    '2025-01-02 06:00:02+00', 2, 2);
INSERT INTO history.events (source_id, record_id, event, event_date, snapshot_id) VALUES
    ('us_ofac', 'US:1', 'listed', '2025-01-02 06:00:00+00', 'old-snapshot'),
    ('us_ofac', 'US:2', 'listed', '2025-01-02 06:00:00+00', 'old-snapshot');
INSERT INTO history.record_versions VALUES
    ('us_ofac', 'US:1', 'h1', '2025-01-02 06:00:00+00', NULL, 'old-snapshot'),
    ('us_ofac', 'US:2', 'h2', '2025-01-02 06:00:00+00', NULL, 'old-snapshot');
INSERT INTO matching.judgements VALUES ('UK:9', 'US:1', 'different', 'ana',
    '2025-01-03 10:00:00+00', 'kept across releases');
"""


@pytest.fixture
def previous_release_warehouse(tmp_path):
    """A DuckDB file built by the previous release's DDL (and today's reference CSVs, which
    only gained rows since, but for allies.csv, kept as it was, and the taxonomy, with the two
    scope flags it had then), holding a few rows of every kind an analyst must not lose."""
    path = tmp_path / "warehouse.duckdb"
    lines = (SCHEMA_FILES / "programmes.csv").read_text(encoding="utf-8").splitlines()
    then = {}
    for name in ("countries", "regions", "allies"):
        kept = PREVIOUS_RELEASE / f"{name}.csv"  # a file whose columns changed since
        then[name] = str(kept if kept.is_file() else SCHEMA_FILES / f"{name}.csv")
    then["programmes"] = str(tmp_path / "programmes.csv")
    (tmp_path / "programmes.csv").write_text(
        "\n".join(
            [lines[0] + ",magnitsky_strict,magnitsky_broad"]
            + [line + ",false,false" for line in lines[1:] if line]
        )
        + "\n",
        encoding="utf-8",
    )
    with duckdb.connect(str(path)) as con:
        for sql_file in sorted(PREVIOUS_RELEASE.glob("*.sql")):
            sql = sql_file.read_text(encoding="utf-8")
            for name, csv_path in then.items():
                sql = sql.replace("{" + name + "_csv}", csv_path)
            con.execute(sql)
        con.execute(OLD_ROWS)
    return path


def columns(con, schema: str, table: str) -> dict[str, bool]:
    """Column name -> nullable."""
    return dict(
        con.execute(
            "SELECT column_name, is_nullable FROM duckdb_columns() "
            "WHERE schema_name = ? AND table_name = ?",
            [schema, table],
        ).fetchall()
    )


def test_the_current_code_migrates_a_previous_release_warehouse_keeping_its_rows(
    previous_release_warehouse,
):
    with duckdb.connect(str(previous_release_warehouse), read_only=True) as old:
        assert "origin" not in columns(old, "raw", "manifest")
        assert columns(old, "staging", "records")["record_id"]  # nullable: the bug fixed
    with warehouse.connect(previous_release_warehouse) as con:
        assert con.execute("SELECT record_id, name FROM core.records ORDER BY 1").fetchall() == [
            ("US:1", "OLD, Person"),
            ("US:2", "OLD COMPANY"),
        ]
        assert con.execute("SELECT count(*) FROM core.names").fetchall() == [(2,)]
        assert con.execute("SELECT count(*) FROM history.events").fetchall() == [(2,)]
        assert con.execute("SELECT verdict, note FROM matching.judgements").fetchall() == [
            ("different", "kept across releases")
        ]
        # new columns, with the default the old rows need
        assert con.execute("SELECT origin FROM raw.manifest").fetchall() == [("fetch",)]
        assert {"seq", "origin", "is_first"} <= set(columns(con, "history", "snapshots"))
        assert {"seq", "origin"} <= set(columns(con, "history", "events"))
        # new tables and schemas, and the version recorded once
        for schema, table in (
            ("core", "check_results"),
            ("retired", "records"),
            ("matching", "record_targets"),
            ("alerts", "event_log"),
        ):
            assert columns(con, schema, table), f"{schema}.{table} missing"
        assert con.execute("SELECT version FROM meta.schema_version").fetchall() == [
            (warehouse.schema_version(),)
        ]
        # staging gained core's NOT NULL constraints
        for table in ("records", "names", "snapshots"):
            required = {name for name, nullable in columns(con, "core", table).items()}
            required = {n for n in required if not columns(con, "core", table)[n]}
            staged = columns(con, "staging", table)
            assert required and all(not staged[name] for name in required), table


def test_the_next_refresh_publishes_through_a_migrated_warehouse(
    previous_release_warehouse, tmp_path
):
    mirror = make_mirror(tmp_path / "mirror", {"SDN.CSV": FIXTURES / "us_ofac_csv" / "SDN.CSV"})
    with warehouse.connect(previous_release_warehouse) as con:
        refresh_from_mirror(con, ["us_ofac"], Archive(tmp_path / "raw"), str(mirror))
        current = con.execute("SELECT record_id FROM core.records ORDER BY 1").fetchall()
        assert current == [(f"US:{n}",) for n in range(1001, 1006)]
        retired = con.execute("SELECT record_id FROM retired.records ORDER BY 1").fetchall()
        assert retired == [("US:1",), ("US:2",)]  # delisted by the new file, kept for matching
        delisted = con.execute(
            "SELECT record_id FROM history.events WHERE event = 'delisted' ORDER BY 1"
        ).fetchall()
        assert delisted == [("US:1",), ("US:2",)]
    with warehouse.connect(previous_release_warehouse) as con:  # applied once, not per connect
        assert con.execute("SELECT count(*) FROM meta.schema_version").fetchall() == [(1,)]
