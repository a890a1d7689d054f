"""Per-source assets, built from the source registry: fetched file -> staged snapshot -> core.

raw/<source>      fetch into the content-addressed archive and log it in raw.manifest
staging/<source>  parse the snapshot into staging.* (blocking checks run on it)
core/<source>     publish the checked snapshot to core.* in one transaction
"""

from datetime import timedelta

import dagster as dg

from assets.metadata import table_metadata
from pipelines.resources import SanctionsResource
from sanctions import fingerprint, model
from sanctions.errors import SourceError
from sanctions.freshness import source_ages
from sanctions.locations import describe_feed, describe_publication
from sanctions.parsers import PARSERS, common
from sanctions.refresh import fetch_source, parse_source, publish_source
from sanctions.sources import SOURCES, Source, freshness_hours

PREVIEW_ROWS = 5
SHORTEST_FRESHNESS_WINDOW = timedelta(minutes=1)  # Dagster refuses shorter windows


def _fail(exc: SourceError) -> dg.Failure:
    """A clean failure that names the source, the file and the problem (no retry)."""
    return dg.Failure(
        description=str(exc),
        metadata={"source": exc.source_id, "file": exc.file, "problem": exc.problem},
        allow_retries=False,
    )


def _preview(con, schema: str, source_id: str) -> dg.MetadataValue:
    rows = con.execute(
        f"""SELECT r.record_id, r.entity_type, r.name, r.listed_on,
                   string_agg(DISTINCT p.programme_key, ' ' ORDER BY p.programme_key)
            FROM {schema}.records r
            LEFT JOIN {schema}.programmes p USING (source_id, record_id)
            WHERE r.source_id = ? GROUP BY ALL ORDER BY r.record_id LIMIT {PREVIEW_ROWS}""",
        [source_id],
    ).fetchall()
    lines = ["| record_id | type | name | listed on | programmes |", "|---|---|---|---|---|"]
    for row in rows:
        cells = ("" if value is None else str(value).replace("|", "\\|") for value in row)
        lines.append("| " + " | ".join(cells) + " |")
    return dg.MetadataValue.md("\n".join(lines))


def _snapshot_version(sanctions, con, source: Source, outcome) -> str:
    return outcome.snapshot_id


def _input_version(sanctions, con, source: Source, outcome) -> str:
    """core's data version: the input fingerprint less the other sources' parts, so a new
    taxonomy, reference file, judgement or annotation is new data downstream too."""
    settings = sanctions.settings()
    found = fingerprint.inputs(con, settings.reference_files(), settings.annotations_path)
    return fingerprint.source_digest(found, source.id)


def _run_step(
    context,
    sanctions,
    source: Source,
    step,
    schema: str,
    done: str,
    checks=(),
    version=_snapshot_version,
) -> dg.MaterializeResult:
    """Run a parse or publish step on one connection and describe it: status, snapshot, row
    counts, preview, the records table's columns, and the step's own checks. The data version
    (the snapshot id, or for core the input fingerprint) stays the same when nothing changed,
    so an unchanged refresh is no new data downstream."""
    try:
        with sanctions.connect() as con:
            outcome = step(con, source)
            preview = _preview(con, schema, source.id)
            records = con.execute(
                f"SELECT count(*) FROM {schema}.records WHERE source_id = ?", [source.id]
            ).fetchall()[0][0]
            columns = table_metadata(con, schema, "records")
            check_results = [check(con, source) for check in checks]
            data_version = version(sanctions, con, source, outcome)
    except SourceError as exc:
        raise _fail(exc) from exc
    status = done if outcome.did_work else "unchanged"
    context.log.info(f"{source.id}: {status} snapshot {outcome.snapshot_id[:12]}")
    metadata = {
        "status": status,
        "snapshot_id": outcome.snapshot_id,
        "dagster/row_count": records,
        "preview": preview,
        **columns,
    }
    if outcome.did_work:
        metadata |= {f"rows/{table}": count for table, count in outcome.counts.items()}
        metadata["seconds"] = round(outcome.seconds, 3)
        metadata["records_per_second"] = round(records / max(outcome.seconds, 1e-9))
    return dg.MaterializeResult(
        metadata=metadata,
        data_version=dg.DataVersion(data_version),
        check_results=check_results,
    )


SOURCE_FRESH = "source_fresh"


def source_fresh_spec(core_key: dg.AssetKey) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        SOURCE_FRESH,
        asset=core_key,
        blocking=False,
        description="The last fetch that confirmed or replaced core's snapshot is younger than "
        "the publisher's rhythm (SANCTIONS_FRESHNESS_HOURS_<SOURCE> overrides it).",
    )


def source_fresh(con, source: Source) -> dg.AssetCheckResult:
    """Non-blocking: a stale source still publishes, it is only flagged (sanctions.freshness)."""
    age = next((a for a in source_ages(con) if a.source_id == source.id), None)
    if age is None:
        return dg.AssetCheckResult(
            check_name=SOURCE_FRESH,
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"{source.id}: core holds no fetched snapshot",
        )
    return dg.AssetCheckResult(
        check_name=SOURCE_FRESH,
        passed=not age.stale,
        severity=dg.AssetCheckSeverity.WARN,
        description=age.describe(),
        metadata={
            "last_good": age.last_good.isoformat(),
            "age_hours": round(age.age_hours, 2),
            "limit_hours": age.limit_hours,
        },
    )


def parser_code_version(source: Source) -> str:
    """The source's parsers and the model they share: a change re-versions staging."""
    parsers = [PARSERS[fmt.name] for fmt in source.formats]
    return fingerprint.code_version(*parsers, common, model)


def build_source_assets(source: Source) -> list[dg.AssetsDefinition]:
    raw_key = dg.AssetKey(["raw", source.id])
    staging_key = dg.AssetKey(["staging", source.id])
    core_key = dg.AssetKey(["core", source.id])
    tags = {"jurisdiction": source.jurisdiction}

    @dg.asset(
        key=raw_key,
        group_name="raw",
        kinds={"python"},
        tags=tags,
        description=f"{source.title}: the official files, fetched into the raw archive. "
        f"{source.publisher_notes}",
    )
    def fetched(context: dg.AssetExecutionContext, sanctions: SanctionsResource):
        settings = sanctions.settings()
        try:
            outcome = fetch_source(
                sanctions.opener(),
                source,
                sanctions.archive(),
                settings.http,
                settings.mirror,
                settings.url_overrides.get(source.id),
            )
        except SourceError as exc:
            raise _fail(exc) from exc
        snapshot = outcome.snapshot
        context.log.info(
            f"{source.id}: snapshot {snapshot.snapshot_id[:12]} "
            f"({'changed' if outcome.changed else 'unchanged'}) from "
            + ", ".join(f.url for f in outcome.files)
        )
        return dg.MaterializeResult(
            metadata={
                "snapshot_id": snapshot.snapshot_id,
                "format": snapshot.format,
                "changed": outcome.changed,
                "published_on": str(snapshot.published_on or ""),
                "feed": describe_feed(
                    source, settings.mirror, settings.url_overrides.get(source.id)
                ),
                "publication": describe_publication(snapshot.published_on, snapshot.fetched_at),
                "files": dg.MetadataValue.json(
                    [
                        {
                            "file": f.file_name,
                            "url": f.url,
                            "http_status": f.http_status,
                            "not_modified": f.not_modified,
                            "bytes": f.bytes,
                            "sha256": f.sha256,
                            "archive_path": str(f.archive_path),
                        }
                        for f in outcome.files
                    ]
                ),
                "bytes": sum(f.bytes for f in outcome.files),
            },
            data_version=dg.DataVersion(snapshot.snapshot_id),
        )

    @dg.asset(
        key=staging_key,
        deps=[raw_key],
        group_name="staging",
        kinds={"duckdb"},
        tags=tags,
        code_version=parser_code_version(source),
        description=f"{source.title}: the latest fetched snapshot, parsed into staging.* and "
        "checked before it may replace core.",
    )
    def staged(context: dg.AssetExecutionContext, sanctions: SanctionsResource):
        return _run_step(context, sanctions, source, parse_source, "staging", "parsed")

    @dg.asset(
        key=core_key,
        deps=[staging_key],
        group_name="core",
        kinds={"duckdb"},
        tags=tags,
        freshness_policy=dg.FreshnessPolicy.time_window(
            fail_window=max(timedelta(hours=freshness_hours(source)), SHORTEST_FRESHNESS_WINDOW)
        ),
        check_specs=[source_fresh_spec(core_key)],
        description=f"{source.title}: the published records in core.* (replaced as one "
        "transaction, through the publish gate, when a new snapshot passes every blocking "
        "check).",
    )
    def published(context: dg.AssetExecutionContext, sanctions: SanctionsResource):
        bounds = sanctions.settings().bounds_for(source)
        return _run_step(
            context,
            sanctions,
            source,
            lambda con, source: publish_source(con, source, bounds),
            "core",
            "published",
            checks=[source_fresh],
            version=_input_version,
        )

    return [fetched, staged, published]


source_assets = [asset for source in SOURCES.values() for asset in build_source_assets(source)]
