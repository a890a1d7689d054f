"""The DuckDB warehouse: schema, manifest, staging a parsed snapshot, publishing it to core.

Every write that changes what analysts see happens in one transaction, so a failure anywhere
leaves the previously published rows exactly as they were.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from sanctions import history
from sanctions.fetch import FetchedFile
from sanctions.model import TABLE_OF_ROW, Record, Row
from schemas import SCHEMA_FILES

RECORD_TABLES = tuple(TABLE_OF_ROW.values())  # per-record tables, staged and published together
BATCH_ROWS = 50_000


class WarehouseLocked(RuntimeError):
    """Another process holds the DuckDB file (a run, or an analyst who opened it read-write)."""


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse, waiting a while if another process holds it; always close it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + float(os.environ.get("SANCTIONS_LOCK_WAIT") or 60)
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
        if not read_only:
            apply_schema(con)
        yield con
    finally:
        con.close()


def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Run schemas/*.sql in name order; every statement is idempotent."""
    substitutions = {
        "programmes_csv": str(SCHEMA_FILES / "programmes.csv"),
        "countries_csv": str(SCHEMA_FILES / "countries.csv"),
        "regions_csv": str(SCHEMA_FILES / "regions.csv"),
        "allies_csv": str(SCHEMA_FILES / "allies.csv"),
    }
    for sql_file in sorted(
        (entry for entry in SCHEMA_FILES.iterdir() if entry.name.endswith(".sql")),
        key=lambda entry: entry.name,
    ):
        sql = sql_file.read_text(encoding="utf-8")
        for key, value in substitutions.items():
            sql = sql.replace("{" + key + "}", value.replace("'", "''"))
        con.execute(sql)


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
    con, snapshot_id: str, fmt: str, fetched: list[FetchedFile], published_on: date | None
) -> None:
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
        )
        for f in fetched
    ]
    con.executemany("INSERT INTO raw.manifest VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def previous_fetch(con, source_id: str, url: str) -> FetchedFile | None:
    """The last archived fetch of `url`, for a conditional GET."""
    row = con.execute(
        """SELECT file_name, fetched_at, http_status, etag, last_modified, bytes, sha256,
                  archive_path
           FROM raw.manifest WHERE source_id = ? AND url = ?
           ORDER BY fetched_at DESC LIMIT 1""",
        [source_id, url],
    ).fetchall()
    if not row:
        return None
    name, fetched_at, status, etag, modified, size, sha, path = row[0]
    return FetchedFile(
        source_id, name, url, fetched_at, status, etag, modified, size, sha, Path(path)
    )


def latest_snapshot(con, source_id: str) -> Snapshot | None:
    """The most recently fetched snapshot of a source, with its archived files."""
    rows = con.execute(
        """WITH latest AS (
               SELECT snapshot_id FROM raw.manifest WHERE source_id = ?
               ORDER BY fetched_at DESC LIMIT 1)
           SELECT snapshot_id, format, file_name, any_value(archive_path),
                  max(published_on), min(fetched_at)
           FROM raw.manifest JOIN latest USING (snapshot_id)
           WHERE source_id = ?
           GROUP BY ALL""",
        [source_id, source_id],
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
    con.execute("BEGIN TRANSACTION")
    try:
        for table in (*RECORD_TABLES, "snapshots"):
            con.execute(f"DELETE FROM staging.{table} WHERE source_id = ?", [snapshot.source_id])
        batches: dict[type, list[Row]] = {row_type: [] for row_type in TABLE_OF_ROW}
        for row in rows:
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
        files = " ".join(f"{name}={path.stem}" for name, path in sorted(snapshot.files.items()))
        con.execute(
            """INSERT INTO staging.snapshots VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)""",
            [
                snapshot.source_id,
                snapshot.snapshot_id,
                snapshot.format,
                snapshot.published_on,
                snapshot.fetched_at,
                datetime.now(UTC),
                counts["records"],
                files,
            ],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
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


# ------------------------------------------------------------------------------------- publish


def publish(con, source_id: str) -> dict[str, int]:
    """Swap the source's staged rows into core in one transaction; return row counts."""
    counts = {}
    con.execute("BEGIN TRANSACTION")
    try:
        for table in RECORD_TABLES:
            con.execute(f"DELETE FROM core.{table} WHERE source_id = ?", [source_id])
            con.execute(
                f"INSERT INTO core.{table} SELECT * FROM staging.{table} WHERE source_id = ?",
                [source_id],
            )
            counts[table] = con.execute(
                f"SELECT count(*) FROM core.{table} WHERE source_id = ?", [source_id]
            ).fetchall()[0][0]
        con.execute(
            """INSERT INTO core.snapshots
               SELECT * REPLACE (now() AS loaded_at) FROM staging.snapshots WHERE source_id = ?""",
            [source_id],
        )
        snapshot_id, as_of = con.execute(
            """SELECT snapshot_id, coalesce(published_on::TIMESTAMPTZ, fetched_at, parsed_at)
               FROM staging.snapshots WHERE source_id = ?""",
            [source_id],
        ).fetchall()[0]
        counts["history_events"] = history.apply_snapshot(con, source_id, snapshot_id, as_of)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return counts
