"""Alignment marts, the analysts' published copy, and the summary in the Dagster UI."""

import time

import dagster as dg

from assets.automation import AFTER_UPSTREAM
from assets.matching import CLUSTERS
from assets.metadata import table_metadata
from pipelines.resources import SanctionsResource
from sanctions import alignment, fingerprint
from sanctions.publish import publish_copy

MARTS = dg.AssetKey(["alignment", "marts"])
PUBLISHED = dg.AssetKey(["published", "warehouse"])


def summary_markdown(con) -> str:
    """Share multilateral per scope and jurisdiction, and the snapshots it rests on."""
    rows = con.execute(
        """SELECT scope, jurisdiction, value, numerator, denominator FROM alignment.summary
           WHERE metric = 'share_multilateral' ORDER BY scope DESC, jurisdiction"""
    ).fetchall()
    sources = con.execute(
        "SELECT jurisdiction FROM alignment.summary WHERE metric = 'source_snapshot' ORDER BY 1"
    ).fetchall()
    lines = ["| scope | jurisdiction | listed by 2+ | targets | share |", "|---|---|---|---|---|"]
    lines += [f"| {s} | {j} | {n:,} | {d:,} | {v:.1%} |" for s, j, v, n, d in rows]
    lines.append("")
    lines.append("Snapshots: " + "; ".join(source for (source,) in sources))
    return "\n".join(lines)


@dg.asset(
    key=MARTS,
    deps=[CLUSTERS],
    group_name="alignment",
    kinds={"duckdb"},
    description="alignment.targets, gaps, pairwise, lags, summary, report_figures (as of "
    "each over-time date) and over_time, rebuilt after matching.",
    automation_condition=AFTER_UPSTREAM,
)
def marts(context: dg.AssetExecutionContext, sanctions: SanctionsResource):
    started = time.perf_counter()
    settings = sanctions.settings()
    annotations_file = settings.annotations_path
    try:
        annotations = (
            alignment.read_annotations(annotations_file) if annotations_file.is_file() else []
        )
    except ValueError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from exc
    with sanctions.connect() as con:
        counts = alignment.build(con, annotations, settings.scopes)
        unattached = con.execute(
            "SELECT count(*) FROM alignment.annotations WHERE problem IS NOT NULL"
        ).fetchall()[0][0]
        markdown = summary_markdown(con)
        targets_table = table_metadata(con, "alignment", "targets")
        doubtful = con.execute(
            """SELECT jurisdiction FROM alignment.summary WHERE metric = 'source_snapshot'
               AND (jurisdiction LIKE '%not loaded' OR jurisdiction LIKE '%(stale:%')"""
        ).fetchall()
    for (line,) in doubtful:
        context.log.warning(f"alignment computed on a missing or stale source: {line}")
    return dg.MaterializeResult(
        metadata={
            "status": "built",
            "dagster/row_count": counts["targets"],
            "seconds": round(time.perf_counter() - started, 2),
            "summary": dg.MetadataValue.md(markdown),
            "annotations": len(annotations),
            "annotations_unattached": unattached,
            **{f"rows/{table}": count for table, count in counts.items()},
            **targets_table,
        }
    )


@dg.asset(
    key=PUBLISHED,
    deps=[MARTS],
    group_name="alignment",
    kinds={"duckdb"},
    description="Read-only copy of the whole warehouse for analysts, swapped in atomically.",
    automation_condition=AFTER_UPSTREAM,
)
def published(context: dg.AssetExecutionContext, sanctions: SanctionsResource):
    target = sanctions.settings().published_path
    with sanctions.connect() as con:
        # recorded before the copy, so the copy says which inputs it rests on
        fingerprint.advance(con, context.run.run_id, fingerprint.PUBLISHED)
        publish_copy(con, target)
    context.log.info(f"published {target}")
    return dg.MaterializeResult(
        metadata={
            "status": "published",
            "path": dg.MetadataValue.path(str(target)),
            "bytes": target.stat().st_size,
        }
    )
