"""Checks on each source's staged snapshot (OpenSanctions-style per-source assertions), one
multi-asset check per source that opens the warehouse once.

They show in the UI what the publish gate decides: `core/<source>` re-evaluates the same checks
on the same snapshot and refuses it when a blocking one fails, so a single core asset launched
alone can never publish an unchecked snapshot. A failing blocking check here also stops the
core step of the run early.
"""

import dagster as dg

from pipelines.resources import SanctionsResource
from sanctions import quality
from sanctions.sources import SOURCES, Source
from sanctions.warehouse import staged_snapshot_id


def build_source_checks(source: Source) -> dg.AssetChecksDefinition:
    staging_key = dg.AssetKey(["staging", source.id])

    @dg.multi_asset_check(
        name=f"{source.id}_staged_snapshot_checks",
        specs=[
            dg.AssetCheckSpec(
                check.name,
                asset=staging_key,
                blocking=check.blocking,
                description=check.description,
            )
            for check in quality.CHECKS
        ],
    )
    def checks(sanctions: SanctionsResource):
        bounds = sanctions.settings().bounds_for(source)
        with sanctions.connect() as con:
            results = quality.evaluate(con, quality.Context(source.id, bounds))
            staged = staged_snapshot_id(con, source.id)
            if staged is not None:
                quality.record_results(con, source.id, staged, results)
        for result in results:
            yield dg.AssetCheckResult(
                asset_key=staging_key,
                check_name=result.check.name,
                passed=result.outcome.passed,
                severity=dg.AssetCheckSeverity.ERROR
                if result.check.blocking
                else dg.AssetCheckSeverity.WARN,
                description=result.outcome.summary,
                metadata={"snapshot_id": staged or "", **result.outcome.metadata},
            )

    return checks


source_checks = [build_source_checks(source) for source in SOURCES.values()]
