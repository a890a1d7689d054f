"""Metadata every warehouse asset shares: its table's columns and description, read from the
DDL comments (schemas/*.sql), so the Dagster UI documents the tables as analysts see them."""

import dagster as dg


def table_metadata(con, schema: str, table: str) -> dict:
    """`dagster/column_schema`, `dagster/table_name` and the table's comment."""
    columns = con.execute(
        """SELECT column_name, data_type, comment, is_nullable FROM duckdb_columns()
           WHERE schema_name = ? AND table_name = ? ORDER BY column_index""",
        [schema, table],
    ).fetchall()
    comment = con.execute(
        """SELECT comment FROM duckdb_tables() WHERE schema_name = $s AND table_name = $t
           UNION ALL
           SELECT comment FROM duckdb_views() WHERE schema_name = $s AND view_name = $t""",
        {"s": schema, "t": table},
    ).fetchall()
    schema_value = dg.TableSchema(
        columns=[
            dg.TableColumn(
                name,
                data_type,
                description=description,
                constraints=dg.TableColumnConstraints(nullable=nullable),
            )
            for name, data_type, description, nullable in columns
        ]
    )
    return {
        "dagster/table_name": f"{schema}.{table}",
        "dagster/column_schema": schema_value,
        "table_description": (comment[0][0] if comment else None) or "",
    }
