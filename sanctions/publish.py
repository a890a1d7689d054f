"""The analysts' copy of the warehouse, and exports of the marts.

Analysts never open the live file, so they never block a run: after each successful run the
whole warehouse is copied to a temporary file and renamed over the published copy (atomic on
POSIX; a session that has the old copy open keeps reading it).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from sanctions.warehouse import sql_name, sql_string

EXPORTED_SCHEMAS = ("alignment",)
UNPUBLISHED_SCHEMA = "staging"
# What makes a spreadsheet read a cell as a formula (OWASP, CSV injection): = + - @ tab CR.
FORMULA_START = r"^[=+\-@\t\r]"


def publish_copy(con, published: Path) -> Path:
    """Copy the open warehouse to `published`, swapping it in atomically. Staging (snapshots
    being parsed and checked, never published) stays out: the schema is copied, then every
    table's rows but staging's, and the empty staging schema is dropped."""
    published = Path(published)
    published.parent.mkdir(parents=True, exist_ok=True)
    incoming = published.with_name(f".{published.name}.incoming")
    incoming.unlink(missing_ok=True)
    source = con.execute("SELECT current_database()").fetchall()[0][0]
    tables = con.execute(
        """SELECT schema_name, table_name FROM duckdb_tables()
           WHERE database_name = ? AND schema_name <> ? ORDER BY ALL""",
        [source, UNPUBLISHED_SCHEMA],
    ).fetchall()
    con.execute(f"ATTACH {sql_string(incoming)} AS published_copy")
    try:
        con.execute(f"COPY FROM DATABASE {sql_name(source)} TO published_copy (SCHEMA)")
        for schema, table in tables:
            con.execute(
                f"INSERT INTO published_copy.{sql_name(schema)}.{sql_name(table)} "
                f"SELECT * FROM {sql_name(source)}.{sql_name(schema)}.{sql_name(table)}"
            )
        con.execute(f"DROP SCHEMA IF EXISTS published_copy.{UNPUBLISHED_SCHEMA} CASCADE")
    finally:
        con.execute("DETACH published_copy")
    os.replace(incoming, published)
    return published


def export_marts(published: Path, folder: Path, file_format: str = "csv") -> list[Path]:
    """Write every alignment table of the published copy as CSV or Parquet files. Parquet
    holds the data exactly; CSV, which spreadsheets open, has formulas neutralised."""
    if file_format not in ("csv", "parquet"):
        raise ValueError(f"format must be csv or parquet, not {file_format!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with duckdb.connect(str(published), read_only=True) as con:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE schema_name IN "
            f"({', '.join(repr(s) for s in EXPORTED_SCHEMAS)}) ORDER BY ALL"
        ).fetchall()
        for schema, table in tables:
            target = folder / f"{schema}.{table}.{file_format}"
            if file_format == "parquet":
                con.execute(f"COPY {schema}.{table} TO {sql_string(target)} (FORMAT parquet)")
            else:
                con.execute(
                    f"COPY (SELECT * FROM {neutralised(con, schema, table)}) "
                    f"TO {sql_string(target)} (HEADER, FORMAT csv)"
                )
            written.append(target)
    return written


def neutralised(con, schema: str, table: str) -> str:
    """The table with text that a spreadsheet would run as a formula made inert (prefixed
    with an apostrophe): names come from the lists and are untrusted."""
    columns = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() "
        "WHERE schema_name = ? AND table_name = ?",
        [schema, table],
    ).fetchall()
    selects = [
        f"""CASE WHEN regexp_matches("{name}", '{FORMULA_START}') THEN '''' || "{name}"
                 ELSE "{name}" END AS "{name}" """
        if kind == "VARCHAR"
        else f'"{name}"'
        for name, kind in columns
    ]
    return f"(SELECT {', '.join(selects)} FROM {schema}.{table})"
