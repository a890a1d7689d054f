"""The DuckDB warehouse: schema, manifest, staging a parsed snapshot, publishing it to core.

Every write that changes what analysts see happens in one transaction, so a failure anywhere
leaves the previously published rows exactly as they were.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from sanctions import allies, companions, history, matching, programmes
from sanctions.fetch import FetchedFile
from sanctions.model import TABLE_OF_ROW, FieldCount, Record, Row
from sanctions.runlock import lock_wait_seconds
from schemas import SCHEMA_FILES

RECORD_TABLES = tuple(TABLE_OF_ROW.values())  # per-record tables, staged and published together
BATCH_ROWS = 50_000


class WarehouseLocked(RuntimeError):
    """Another process holds the DuckDB file (a run, or an analyst who opened it read-write)."""


def sql_string(text: object) -> str:
    """`text` as a SQL string literal: ATTACH and COPY take no parameters for their paths, and a
    data directory may be named "o'brien test"."""
    return "'" + str(text).replace("'", "''") + "'"


def sql_name(text: str) -> str:
    """`text` as a quoted SQL identifier (a database named after its file)."""
    return '"' + text.replace('"', '""') + '"'


@contextmanager
def connect(
    path: Path, read_only: bool = False, wait: float | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse, waiting up to `wait` seconds (SANCTIONS_LOCK_WAIT) if another process
    holds it; always close it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if wait is None:
        wait = lock_wait_seconds()
    deadline = time.monotonic() + wait
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise WarehouseLocked(
                    f"warehouse {path} is held by another process (a running refresh, or a "
                    f"session that opened it read-write); analysts should open the published "
                    f"copy instead. DuckDB said: {exc}"
                ) from exc
            time.sleep(1.0)
    try:
        con.execute("SET TimeZone = 'UTC'")  # stored instants and dates never follow the host
        if not read_only and not schema_is_current(con):
            apply_schema(con)
        yield con
    finally:
        con.close()


Opener = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """The one way to write: everything inside commits together or not at all."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def opener(path: Path) -> Opener:
    """Opens the warehouse for one short write at a time (never held across a download)."""
    return lambda: connect(path)


def borrowed(con: duckdb.DuckDBPyConnection) -> Opener:
    """An opener for a caller that already holds a connection (scripts, tests, replays)."""

    @contextmanager
    def reuse() -> Iterator[duckdb.DuckDBPyConnection]:
        yield con

    return reuse


def _sql_files() -> list:
    return sorted(
        (entry for entry in SCHEMA_FILES.iterdir() if entry.name.endswith((".sql", ".csv"))),
        key=lambda entry: entry.name,
    )


def schema_version() -> str:
    """A hash of the DDL and reference files (and of the taxonomy in use): applied again only
    when one of them changed."""
    digest = hashlib.sha256()
    for entry in _sql_files():
        digest.update(entry.name.encode() + b"\0" + entry.read_bytes())
    digest.update(programmes.taxonomy_path().read_bytes())
    digest.update(allies.allies_path().read_bytes())
    return digest.hexdigest()[:16]


def schema_is_current(con: duckdb.DuckDBPyConnection) -> bool:
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() "
        "WHERE schema_name = 'meta' AND table_name = 'schema_version'"
    ).fetchall()[0][0]
    if not exists:
        return False
    row = con.execute("SELECT max_by(version, applied_at) FROM meta.schema_version").fetchall()
    return row[0][0] == schema_version()


def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Run schemas/*.sql in name order (every statement idempotent; columns added since an
    earlier release come with ALTER TABLE ... ADD COLUMN IF NOT EXISTS) and record the version."""
    substitutions = {
        "programmes_csv": str(programmes.taxonomy_path()),
        "countries_csv": str(SCHEMA_FILES / "countries.csv"),
        "regions_csv": str(SCHEMA_FILES / "regions.csv"),
        "allies_csv": str(allies.allies_path()),
        "programme_dates_csv": str(SCHEMA_FILES / "programme_dates.csv"),
    }
    for sql_file in (entry for entry in _sql_files() if entry.name.endswith(".sql")):
        sql = sql_file.read_text(encoding="utf-8")
        for key, value in substitutions.items():
            sql = sql.replace("{" + key + "}", value.replace("'", "''"))
        con.execute(sql)
    con.execute("INSERT INTO meta.schema_version VALUES (?, now())", [schema_version()])


# ------------------------------------------------------------------------------------ manifest


@dataclass(frozen=True)
class Snapshot:
    """A fetched snapshot of one source: its identity, format and archived member files."""

    source_id: str
    snapshot_id: str
    format: str
    files: dict[str, Path]  # official file name -> archived path
    published_on: date | None
    fetched_at: datetime | None


def record_fetch(
    con,
    snapshot_id: str,
    fmt: str,
    fetched: list[FetchedFile],
    published_on: date | None,
    origin: str = "fetch",
) -> None:
    """Log the files of a snapshot. `origin` replay marks dated files loaded by `sanctions
    replay`: they never count as the source's latest fetch, so no later run publishes them."""
    rows = [
        (
            f.source_id,
            snapshot_id,
            fmt,
            f.file_name,
            f.url,
            f.fetched_at,
            f.http_status,
            f.etag,
            f.last_modified,
            f.bytes,
            f.sha256,
            published_on,
            str(f.archive_path),
            origin,
        )
        for f in fetched
    ]
    con.executemany(
        """INSERT INTO raw.manifest (source_id, snapshot_id, format, file_name, url, fetched_at,
               http_status, etag, last_modified, bytes, sha256, published_on, archive_path, origin)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        rows,
    )


def previous_fetch(con, source_id: str, url: str) -> FetchedFile | None:
    """The last archived fetch of `url`, for a conditional GET."""
    row = con.execute(
        """SELECT file_name, fetched_at, http_status, etag, last_modified, bytes, sha256,
                  archive_path
           FROM raw.manifest WHERE source_id = ? AND url = ? AND origin = 'fetch'
           ORDER BY fetched_at DESC LIMIT 1""",
        [source_id, url],
    ).fetchall()
    if not row:
        return None
    name, fetched_at, status, etag, modified, size, sha, path = row[0]
    return FetchedFile(
        source_id, name, url, fetched_at, status, etag, modified, size, sha, Path(path)
    )


def latest_snapshot(con, source_id: str, snapshot_id: str | None = None) -> Snapshot | None:
    """The most recently fetched snapshot of a source (or the given one), with its files."""
    rows = con.execute(
        """WITH latest AS (
               SELECT snapshot_id FROM raw.manifest
               WHERE source_id = $source AND (origin = 'fetch' OR snapshot_id = $snapshot)
                 AND ($snapshot IS NULL OR snapshot_id = $snapshot)
               ORDER BY fetched_at DESC LIMIT 1)
           SELECT snapshot_id, format, file_name, any_value(archive_path),
                  max(published_on), min(fetched_at)
           FROM raw.manifest JOIN latest USING (snapshot_id)
           WHERE source_id = $source
           GROUP BY ALL""",
        {"source": source_id, "snapshot": snapshot_id},
    ).fetchall()
    if not rows:
        return None
    files = {name: Path(path) for _, _, name, path, _, _ in rows}
    published = max((row[4] for row in rows if row[4]), default=None)
    fetched = min(row[5] for row in rows)
    return Snapshot(source_id, rows[0][0], rows[0][1], files, published, fetched)


def staged_snapshot_id(con, source_id: str) -> str | None:
    row = con.execute(
        "SELECT snapshot_id FROM staging.snapshots WHERE source_id = ?", [source_id]
    ).fetchall()
    return row[0][0] if row else None


def loaded_snapshot(con, source_id: str) -> tuple[str, int] | None:
    """(snapshot_id, record_count) of what core holds now for the source."""
    row = con.execute(
        """SELECT snapshot_id, record_count FROM core.snapshots WHERE source_id = ?
           ORDER BY loaded_at DESC LIMIT 1""",
        [source_id],
    ).fetchall()
    return (row[0][0], row[0][1]) if row else None


# ------------------------------------------------------------------------------------- staging


def stage(con, snapshot: Snapshot, rows: Iterable[Row]) -> dict[str, int]:
    """Replace the source's staging rows with `rows`, in one transaction; return row counts."""
    counts = dict.fromkeys(RECORD_TABLES, 0)
    with transaction(con):
        companions.keep_previous(con, snapshot.source_id)
        for table in (*RECORD_TABLES, "snapshots"):
            con.execute(f"DELETE FROM staging.{table} WHERE source_id = ?", [snapshot.source_id])
        batches: dict[type, list[Row]] = {row_type: [] for row_type in TABLE_OF_ROW}
        field_counts: dict[str, int] = {}
        for row in rows:
            if type(row) is FieldCount:
                field_counts[row.field] = row.records
                continue
            batch = batches[type(row)]
            batch.append(row)
            if len(batch) >= BATCH_ROWS:
                counts[TABLE_OF_ROW[type(row)]] += _insert(con, snapshot, type(row), batch)
                batch.clear()
        for row_type, batch in batches.items():
            if batch:
                counts[TABLE_OF_ROW[row_type]] += _insert(con, snapshot, row_type, batch)
        for table in RECORD_TABLES:
            if table != "records":  # a repeated record must reach the uniqueness check
                counts[table] -= _drop_repeated_rows(con, table, snapshot.source_id)
        _derive_record_columns(con, snapshot.source_id)
        assign_programme_keys(con, "staging", snapshot.source_id)
        files = " ".join(f"{name}={path.stem}" for name, path in sorted(snapshot.files.items()))
        con.execute(
            """INSERT INTO staging.snapshots (source_id, snapshot_id, format, published_on,
                   fetched_at, parsed_at, record_count, files, field_counts)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::MAP(VARCHAR, INTEGER))""",
            [
                snapshot.source_id,
                snapshot.snapshot_id,
                snapshot.format,
                snapshot.published_on,
                snapshot.fetched_at,
                datetime.now(UTC),
                counts["records"],
                files,
                field_counts or None,
            ],
        )
        companions.carry_forward(con, snapshot.source_id, snapshot.format, list(snapshot.files))
    return counts


def _insert(con, snapshot: Snapshot, row_type: type, batch: list[Row]) -> int:
    """Bulk insert through DuckDB list parameters: one statement per batch, not per row."""
    table = TABLE_OF_ROW[row_type]
    fields = list(row_type._fields)
    types = _column_types(con, table)
    constants = {"source_id": snapshot.source_id}
    if row_type is Record:
        constants["jurisdiction"] = batch[0].record_id.split(":", 1)[0]
        constants["snapshot_id"] = snapshot.snapshot_id
    columns = list(constants) + fields
    selects = [f"?::{types[name]}" for name in constants]
    selects += [f"unnest(?::{types[name]}[])" for name in fields]
    values = list(constants.values()) + [list(column) for column in zip(*batch, strict=True)]
    con.execute(
        f"INSERT INTO staging.{table} ({', '.join(columns)}) SELECT {', '.join(selects)}", values
    )
    return len(batch)


def _drop_repeated_rows(con, table: str, source_id: str) -> int:
    """Publishers repeat facts (the UK a passport, the EU a birth date per amending act)."""
    columns = ", ".join(_column_types(con, table))
    return con.execute(
        f"""DELETE FROM staging.{table} WHERE source_id = ? AND rowid NOT IN (
                SELECT min(rowid) FROM staging.{table} WHERE source_id = ? GROUP BY {columns})""",
        [source_id, source_id],
    ).fetchall()[0][0]


def _column_types(con, table: str) -> dict[str, str]:
    return dict(
        con.execute(
            """SELECT column_name, data_type FROM information_schema.columns
               WHERE table_schema = 'staging' AND table_name = ?""",
            [table],
        ).fetchall()
    )


def _derive_record_columns(con, source_id: str) -> None:
    """Fill records.name (primary Latin name) and records.listed_on (earliest listing)."""
    con.execute(
        """UPDATE staging.records r SET name = n.name FROM (
               SELECT record_id, arg_min(name, CASE WHEN script IS NULL OR script = 'Latin'
                                                    THEN 0 ELSE 1 END) AS name
               FROM staging.names WHERE source_id = ? AND kind = 'primary' GROUP BY record_id
           ) n WHERE r.record_id = n.record_id AND r.source_id = ?""",
        [source_id, source_id],
    )
    con.execute(
        """UPDATE staging.records r SET listed_on = p.listed_on, listed_on_origin = 'publisher'
           FROM (SELECT record_id, min(listed_on) AS listed_on FROM staging.programmes
                 WHERE source_id = ? AND listed_on IS NOT NULL GROUP BY record_id) p
           WHERE r.record_id = p.record_id AND r.source_id = ?""",
        [source_id, source_id],
    )


def assign_programme_keys(con, schema: str, source_id: str) -> int:
    """Key every programme string of a source from the taxonomy as it is now; strings it lacks
    get an UNCLASSIFIED key. Run when staging and at every publish, so a row added to
    schemas/programmes.csv re-keys what core holds on the next run, without a download.
    Returns how many rows changed key."""
    strings = con.execute(
        f"""SELECT DISTINCT split_part(record_id, ':', 1), programme_raw
            FROM {schema}.programmes WHERE source_id = ?""",
        [source_id],
    ).fetchall()
    if not strings:
        return 0
    keys = [programmes.key_for(jurisdiction, raw) for jurisdiction, raw in strings]
    return con.execute(
        f"""UPDATE {schema}.programmes p SET programme_key = k.programme_key
            FROM (SELECT unnest(?::VARCHAR[]) AS jurisdiction, unnest(?::VARCHAR[]) AS raw,
                         unnest(?::VARCHAR[]) AS programme_key) k
            WHERE p.source_id = ? AND split_part(p.record_id, ':', 1) = k.jurisdiction
              AND p.programme_raw = k.raw
              AND p.programme_key IS DISTINCT FROM k.programme_key""",
        [[s[0] for s in strings], [s[1] for s in strings], keys, source_id],
    ).fetchall()[0][0]


# ------------------------------------------------------------------------------------- publish


def _retire_delisted(con, source_id: str) -> None:
    """Keep the last rows of the records this publish delists (retired.*), and drop from there
    the records it lists again."""
    staged = "SELECT record_id FROM staging.records WHERE source_id = $source"
    for table in RECORD_TABLES:
        con.execute(
            f"DELETE FROM retired.{table} WHERE source_id = $source AND record_id IN ({staged})",
            {"source": source_id},
        )
        con.execute(
            f"""INSERT INTO retired.{table} BY NAME SELECT * FROM core.{table}
                WHERE source_id = $source AND record_id NOT IN ({staged})""",
            {"source": source_id},
        )


def publish(con, source_id: str, origin: str = "live") -> dict[str, int]:
    """Swap the source's staged rows into core in one transaction; return row counts.
    Callers go through the publish gate (sanctions.refresh.publish_source)."""
    counts = {}
    with transaction(con):
        _retire_delisted(con, source_id)
        for table in RECORD_TABLES:
            con.execute(f"DELETE FROM core.{table} WHERE source_id = ?", [source_id])
            con.execute(
                f"INSERT INTO core.{table} BY NAME SELECT * FROM staging.{table} "
                "WHERE source_id = ?",
                [source_id],
            )
            counts[table] = con.execute(
                f"SELECT count(*) FROM core.{table} WHERE source_id = ?", [source_id]
            ).fetchall()[0][0]
        con.execute(
            """INSERT INTO core.snapshots BY NAME
               SELECT * REPLACE (now() AS loaded_at) FROM staging.snapshots WHERE source_id = ?""",
            [source_id],
        )
        snapshot_id, as_of = con.execute(
            """SELECT snapshot_id, coalesce(published_on::TIMESTAMPTZ, fetched_at, parsed_at)
               FROM staging.snapshots WHERE source_id = ?""",
            [source_id],
        ).fetchall()[0]
        newest = history.latest_as_of(con, source_id)
        if origin == "live" and newest is not None and as_of < newest:
            # A re-issued older file: its changes happen now, not on its printed date.
            as_of = max(datetime.now(UTC), newest)
        counts["history_events"] = history.apply_snapshot(
            con, source_id, snapshot_id, as_of, origin
        )
        matching.remember_names(con, source_id)
    return counts
