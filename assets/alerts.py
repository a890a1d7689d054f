"""Alerts: target events turned into alerts after each matching run, and their delivery."""

import dagster as dg

from assets.alignment import MARTS
from assets.automation import AFTER_UPSTREAM
from assets.metadata import table_metadata
from pipelines.resources import SanctionsResource
from sanctions import alerts

ALERTS = dg.AssetKey(["alerts", "alerts"])
DELIVERIES = dg.AssetKey(["alerts", "deliveries"])


@dg.asset(
    key=ALERTS,
    deps=[MARTS],
    group_name="alerts",
    kinds={"duckdb"},
    description="alerts.alerts: one per target event (scope entry or exit), classified.",
    automation_condition=AFTER_UPSTREAM,
)
def alert_events(sanctions: SanctionsResource):
    settings = sanctions.settings()
    with sanctions.connect() as con:
        new = alerts.build_alerts(
            con,
            baseline=settings.alert_baseline,
            max_wait_days=settings.alert_max_wait_days,
            max_age_days=settings.alert_max_age_days,
        )
        kinds = dict(
            con.execute(
                "SELECT kind || CASE WHEN historical THEN ' (historical)' ELSE '' END, count(*) "
                "FROM alerts.alerts GROUP BY 1"
            ).fetchall()
        )
        alerts_table = table_metadata(con, "alerts", "alerts")
    return dg.MaterializeResult(
        metadata={
            "status": f"{new} new",
            "new_alerts": new,
            "alerts_by_kind": dg.MetadataValue.json(kinds),
            **alerts_table,
        }
    )


@dg.asset(
    key=DELIVERIES,
    deps=[ALERTS],
    group_name="alerts",
    kinds={"python"},
    description="Sends each subscriber the alerts it asked for and has not received.",
    automation_condition=AFTER_UPSTREAM,
)
def alert_deliveries(context: dg.AssetExecutionContext, sanctions: SanctionsResource):
    subscribers = sanctions.settings().subscribers()
    with sanctions.connect() as con:
        outcome = alerts.deliver(con, subscribers)
    if outcome["failed"]:
        context.log.warning(f"{outcome['failed']} alert deliveries failed; retried next tick")
    return dg.MaterializeResult(
        metadata={
            "status": f"{outcome['delivered']} delivered",
            "subscribers": ", ".join(subscriber.name for subscriber in subscribers),
            **outcome,
        }
    )
