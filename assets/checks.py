"""Blocking checks on each source's staged snapshot (OpenSanctions-style per-source assertions).

They run after `staging/<source>` and before `core/<source>`: one failing stops the publish
step, so core keeps the previously published snapshot.
"""

from collections.abc import Callable

import dagster as dg

from pipelines.resources import SanctionsResource
from sanctions import quality
from sanctions.sources import SOURCES, Source


def _check(source: Source, name: str, description: str, assertion: Callable):
    @dg.asset_check(
        asset=dg.AssetKey(["staging", source.id]),
        name=name,
        blocking=True,
        description=description,
    )
    def check(sanctions: SanctionsResource) -> dg.AssetCheckResult:
        settings = sanctions.settings()
        with sanctions.connect() as con:
            outcome = assertion(con, source, settings)
        return dg.AssetCheckResult(
            passed=outcome.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            description=outcome.summary,
            metadata=outcome.metadata,
        )

    return check


SOURCE_CHECKS = (
    (
        "snapshot_parsed",
        "The fetched snapshot parsed and yielded records.",
        lambda con, source, settings: quality.snapshot_parsed(con, source.id),
    ),
    (
        "record_count_in_bounds",
        "The record count is within the configured bounds.",
        lambda con, source, settings: quality.count_in_bounds(
            con, source.id, *settings.bounds_for(source)
        ),
    ),
    (
        "record_count_not_dropped",
        "At least 80% as many records as the published snapshot.",
        lambda con, source, settings: quality.count_not_dropped(con, source.id),
    ),
    (
        "names_and_programmes_filled",
        "At least 99% of records have a name and a programme.",
        lambda con, source, settings: quality.names_and_programmes_filled(con, source.id),
    ),
    (
        "record_ids_unique",
        "No record id appears twice.",
        lambda con, source, settings: quality.record_ids_unique(con, source.id),
    ),
    (
        "programmes_known",
        "Every programme tag is in the taxonomy (schemas/programmes.csv).",
        lambda con, source, settings: quality.programmes_known(con, source.id),
    ),
)


def build_source_checks(source: Source) -> list[dg.AssetChecksDefinition]:
    return [_check(source, name, text, assertion) for name, text, assertion in SOURCE_CHECKS]


source_checks = [check for source in SOURCES.values() for check in build_source_checks(source)]
