"""Sensors: retry undelivered alerts and alert on failed runs. Both run from the start (no
switch to turn on); matching after a refresh is declarative automation (assets/automation.py)."""

import dagster as dg

from pipelines.jobs import deliver_alerts
from pipelines.notices import failure_notice, send_notice
from pipelines.settings import Settings


@dg.sensor(
    name="retry_alert_deliveries",
    job=deliver_alerts,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Re-runs delivery while the last one left alerts undelivered (never opens "
    "the warehouse: it reads the delivery asset's metadata).",
)
def retry_alert_deliveries(context: dg.SensorEvaluationContext):
    event = context.instance.get_latest_materialization_event(dg.AssetKey(["alerts", "deliveries"]))
    if event is None or event.asset_materialization is None:
        return dg.SkipReason("no delivery has run yet")
    metadata = event.asset_materialization.metadata
    pending = metadata.get("undelivered")
    if pending is None or not pending.value:
        return dg.SkipReason("every alert has been delivered")
    return dg.RunRequest(run_key=f"retry-after-{event.run_id}")


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Sends a failed run to the alert sinks (JSON-lines file, webhook).",
)
def alert_on_run_failure(context: dg.RunFailureSensorContext):
    run = context.dagster_run
    notice = failure_notice(run.job_name, run.run_id, [context.failure_event.message or ""])
    for error in send_notice(Settings.from_env(), notice):
        context.log.warning(error)
