"""Sensors: retry undelivered alerts, alert on failed runs, and derive again when an analyst
changes an input no refresh brings. All run from the start (no switch to turn on); matching
after a refresh is declarative automation (assets/automation.py)."""

import hashlib
import json

import dagster as dg

from pipelines.jobs import deliver_alerts, match_all, refresh_all
from pipelines.notices import failure_notice, send_notice
from pipelines.settings import Settings
from sanctions import fingerprint, warehouse


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


@dg.sensor(
    name="derive_on_analyst_inputs",
    jobs=[match_all, refresh_all],
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Derives again when judgements or annotations differ from the last complete "
    "derivation (match_all), or a reference CSV does (refresh_all: core is re-keyed first), "
    "without waiting for the next refresh.",
)
def derive_on_analyst_inputs(context: dg.SensorEvaluationContext):
    settings = Settings.from_env()
    path = settings.warehouse_path
    if not path.is_file():
        return dg.SkipReason(f"no warehouse at {path} yet")
    try:
        with warehouse.connect(path, read_only=True, wait=0) as con:
            previous = fingerprint.last_derived(con)
            current = fingerprint.outside_inputs(
                con, settings.reference_files(), settings.annotations_path
            )
    except warehouse.WarehouseLocked:
        return dg.SkipReason("the warehouse is being written; looked again at the next tick")
    if previous is None:
        return dg.SkipReason("never derived: the first refresh derives")
    changed = sorted(name for name, value in current.items() if previous.get(name) != value)
    if not changed:
        return dg.SkipReason("judgements, annotations and reference files as last derived")
    key = hashlib.sha256(json.dumps(current, sort_keys=True).encode()).hexdigest()[:16]
    job = refresh_all if any(name.startswith("reference/") for name in changed) else match_all
    return dg.RunRequest(
        run_key=f"analyst-inputs-{key}",
        job_name=job.name,
        tags={"sanctions/changed": ", ".join(changed)},
    )
