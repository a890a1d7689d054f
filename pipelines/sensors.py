"""Sensors: start `match_all` after every `refresh_all` (whether it succeeded or not), retry
undelivered alerts, and alert on failed runs. All are off until switched on (README)."""

import dagster as dg

from pipelines.jobs import deliver_alerts, match_all, refresh_all


def _after_refresh(status: dg.DagsterRunStatus) -> dg.SensorDefinition:
    @dg.run_status_sensor(
        name=f"match_after_refresh_{status.value.lower()}",
        run_status=status,
        monitored_jobs=[refresh_all],
        request_job=match_all,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="Match on what core holds once a refresh has finished.",
    )
    def sensor(context: dg.RunStatusSensorContext):
        return dg.RunRequest(run_key=context.dagster_run.run_id)

    return sensor


match_after_refresh = [
    _after_refresh(status) for status in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE)
]


@dg.sensor(
    name="retry_alert_deliveries",
    job=deliver_alerts,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.STOPPED,
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
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Sends a failed run to the alert sinks (JSON-lines file, webhook).",
)
def alert_on_run_failure(context: dg.RunFailureSensorContext):
    from pipelines.settings import Settings
    from sanctions.alerts import DeliveryError

    alert = {
        "kind": "run_failure",
        "job": context.dagster_run.job_name,
        "run_id": context.dagster_run.run_id,
        "message": f"run {context.dagster_run.run_id[:8]} of {context.dagster_run.job_name} "
        f"failed: {context.failure_event.message}",
    }
    for sink in Settings.from_env().alert_sinks():
        try:
            sink.send(alert)
        except DeliveryError as exc:
            context.log.warning(f"{sink.name}: {exc}")
