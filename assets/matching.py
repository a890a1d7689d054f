"""Matching assets: links between records (matching.links) and targets (matching.clusters).

They read whatever core holds, so a source that failed today is matched on its last good
snapshot. They run in their own job (`match_all`), after `refresh_all`, whatever its outcome.
"""

import os
from pathlib import Path

import dagster as dg

from assets.automation import AFTER_UPSTREAM, ON_NEW_SNAPSHOT
from assets.metadata import table_metadata
from pipelines.resources import SanctionsResource
from sanctions import clusters, fingerprint, matching, warehouse
from sanctions.evaluation import evaluate
from sanctions.sources import SOURCES

LINKS = dg.AssetKey(["matching", "links"])
CLUSTERS = dg.AssetKey(["matching", "clusters"])
CORE_ASSETS = [dg.AssetKey(["core", source_id]) for source_id in SOURCES]
LINK_COUNT_RATIO = (0.5, 2.0)  # accepted links against the previous run
MATCHER_CODE_VERSION = fingerprint.MATCHER_CODE_VERSION


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            LINKS,
            deps=CORE_ASSETS,
            group_name="matching",
            kinds={"duckdb"},
            description="Scored pairs of records with their decision and explanation.",
            automation_condition=ON_NEW_SNAPSHOT,
            code_version=MATCHER_CODE_VERSION,
            skippable=True,
        ),
        dg.AssetSpec(
            CLUSTERS,
            deps=[LINKS],
            group_name="matching",
            kinds={"duckdb"},
            description="Every record exactly once, with its stable target id.",
            automation_condition=AFTER_UPSTREAM,
            code_version=MATCHER_CODE_VERSION,
            skippable=True,
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec("every_record_in_one_target", asset=CLUSTERS, blocking=True),
        dg.AssetCheckSpec("negative_judgements_respected", asset=CLUSTERS, blocking=True),
        dg.AssetCheckSpec("accepted_links_within_bounds", asset=LINKS),
    ],
)
def matched(context: dg.AssetExecutionContext, sanctions: SanctionsResource):
    """Block, score and decide, then cluster, and check the result before committing it: one
    transaction, so analysts never see a half-written or failing result.

    Only when an input changed since the last complete derivation (sanctions.fingerprint):
    otherwise nothing is materialised and the marts, the published copy and the alerts are
    skipped, whatever launched the run. The fingerprint is the data version."""
    settings = sanctions.settings()
    with sanctions.connect() as con:
        found = fingerprint.inputs(con, settings.reference_files(), settings.annotations_path)
        changed = fingerprint.changes(found, fingerprint.last_derived(con))
        if not changed:  # the checks still hold on the targets in place; nothing downstream
            context.log.info("matching skipped: no input changed since the last derivation")
            accepted = _accepted(con)
            yield from _checks(con, accepted, accepted)
            return
        context.log.info(f"matching: {fingerprint.describe(changed)}")
        fingerprint.start(con, context.run.run_id, found, changed)
        previous_accepted = _accepted(con)
        with warehouse.transaction(con):
            stats = matching.match(con)
            cluster_stats = clusters.write_clusters(con)
            quality = _label_quality(con)
            accepted = _accepted(con)
            results = list(_checks(con, accepted, previous_accepted))
            failed = [r.check_name for r in results if not r.passed and _blocking(r)]
            if failed:
                raise dg.Failure(
                    description=f"matching result refused, the previous one is kept: "
                    f"{', '.join(failed)} failed",
                    allow_retries=False,
                )
        links_table = table_metadata(con, "matching", "links")
        clusters_table = table_metadata(con, "matching", "clusters")
    yield from results
    if cluster_stats.judgements_missing_records:
        context.log.warning(
            f"{len(cluster_stats.judgements_missing_records)} judgements name records that are "
            "no longer listed; they are kept and apply again if the records return"
        )
    yield dg.MaterializeResult(
        asset_key=LINKS,
        metadata={
            "status": "matched",
            "matcher_version": matching.MATCHER_VERSION,
            "records": stats.records,
            "records_without_name_skipped": stats.records_without_name,
            "candidates": stats.candidates,
            "name_pairs_scored": stats.name_pairs,
            "accepted_links": accepted,
            "decisions": dg.MetadataValue.json(stats.decisions),
            "inputs_changed": ", ".join(changed),
            **quality,
            **links_table,
        },
        data_version=dg.DataVersion(fingerprint.digest(found)),
    )
    yield dg.MaterializeResult(
        asset_key=CLUSTERS,
        metadata={
            "status": "clustered",
            "dagster/row_count": stats.records,
            "targets": cluster_stats.targets,
            "multi_record_targets": cluster_stats.multi_record_targets,
            "merges_refused_by_judgement": cluster_stats.refused_by_judgement,
            "merges_refused_same_list": cluster_stats.refused_same_list,
            "merges_refused_size": cluster_stats.refused_size,
            "target_ids_merged": cluster_stats.merges,
            "target_ids_split": cluster_stats.splits,
            "judgements_naming_missing_records": len(cluster_stats.judgements_missing_records),
            **clusters_table,
        },
        data_version=dg.DataVersion(fingerprint.digest(found)),
    )


def _accepted(con) -> int:
    return con.execute("SELECT count(*) FROM matching.links WHERE decision = 'accept'").fetchall()[
        0
    ][0]


def _blocking(result: dg.AssetCheckResult) -> bool:
    return result.severity == dg.AssetCheckSeverity.ERROR


def _label_quality(con) -> dict:
    """Precision / recall on labelled pairs when SANCTIONS_MATCH_LABELS names a labels file."""
    labels = os.environ.get("SANCTIONS_MATCH_LABELS")
    if not labels or not Path(labels).is_file():
        return {}
    overall = evaluate(con, Path(labels))[-1]
    return {
        "label_pairs_joined": overall.joined,
        "label_blocking_recall": round(overall.blocking_recall, 4),
        "label_precision_accepted": round(overall.precision(overall.accepted), 4),
        "label_recall_accepted": round(overall.recall(overall.accepted), 4),
        "label_negatives_merged": overall.merged_negatives,
    }


def _checks(con, accepted: int, previous_accepted: int):
    duplicated = con.execute(
        """SELECT count(*) FROM (SELECT record_id FROM matching.clusters GROUP BY record_id
                                 HAVING count(*) > 1)"""
    ).fetchall()[0][0]
    missing = con.execute(
        """SELECT count(*) FROM core.records r
           WHERE NOT EXISTS (SELECT 1 FROM matching.clusters c WHERE c.record_id = r.record_id)"""
    ).fetchall()[0][0]
    yield dg.AssetCheckResult(
        check_name="every_record_in_one_target",
        asset_key=CLUSTERS,
        passed=duplicated == 0 and missing == 0,
        metadata={"records_in_two_targets": duplicated, "records_in_no_target": missing},
    )
    separated = con.execute(
        """SELECT count(*) FROM matching.judgements j
           JOIN matching.clusters a ON a.record_id = j.left_record_id
           JOIN matching.clusters b ON b.record_id = j.right_record_id
           WHERE a.target_id = b.target_id AND j.verdict = 'different'
             AND j.judged_at = (SELECT max(judged_at) FROM matching.judgements k
                                WHERE k.left_record_id = j.left_record_id
                                  AND k.right_record_id = j.right_record_id)"""
    ).fetchall()[0][0]
    yield dg.AssetCheckResult(
        check_name="negative_judgements_respected",
        asset_key=CLUSTERS,
        passed=separated == 0,
        metadata={"targets_holding_a_negative_pair": separated},
    )
    low, high = LINK_COUNT_RATIO
    within = not previous_accepted or low <= accepted / previous_accepted <= high
    yield dg.AssetCheckResult(
        check_name="accepted_links_within_bounds",
        asset_key=LINKS,
        passed=within,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{accepted:,} accepted links against {previous_accepted:,} last run",
        metadata={"accepted_links": accepted, "previous_accepted_links": previous_accepted},
    )
