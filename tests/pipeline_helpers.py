"""Run the Dagster graph in process against a mirror and read back what happened."""

import dagster as dg
import duckdb

from assets.checks import source_checks
from assets.sources import source_assets
from pipelines.resources import SanctionsResource


def run(data_dir, mirror, sources=("us_ofac",)) -> dg.ExecuteInProcessResult:
    """Materialise the given sources' assets (and their checks) against a mirror."""
    return dg.materialize(
        [*source_assets, *source_checks],
        selection=[
            dg.AssetKey([layer, source])
            for source in sources
            for layer in ("raw", "staging", "core")
        ],
        resources={"sanctions": SanctionsResource(data_dir=str(data_dir), mirror=str(mirror))},
        raise_on_error=False,
    )


def metadata(result, key: str) -> dict:
    for event in result.get_asset_materialization_events():
        if event.asset_key.to_user_string() == key:
            return {name: value.value for name, value in event.materialization.metadata.items()}
    raise AssertionError(f"{key} was not materialised")


def failure_messages(result) -> str:
    messages = []
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            messages.append(
                data.user_failure_data.description
                if data.user_failure_data
                else data.error.to_string()
            )
    return "\n".join(messages)


def failed_checks(result) -> list[str]:
    return [e.check_name for e in result.get_asset_check_evaluations() if not e.passed]


def core_state(data_dir) -> tuple:
    """What analysts see: the loaded snapshot and a fingerprint of every core row."""
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(
            """SELECT (SELECT string_agg(snapshot_id, ',' ORDER BY loaded_at) FROM core.snapshots),
                      (SELECT count(*) FROM core.records),
                      (SELECT sum(hash(record_id, name, entity_type)) FROM core.records),
                      (SELECT count(*) FROM core.names), (SELECT count(*) FROM core.programmes)"""
        ).fetchall()[0]
