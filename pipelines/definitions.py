"""The code location: every asset, check, job, schedule and sensor, run in process (one DuckDB
writer). Switching on `daily_refresh` is the only step: the sensors run from the start."""

import dagster as dg

from assets.alerts import alert_deliveries, alert_events
from assets.alignment import marts, published
from assets.automation import automation_sensor
from assets.checks import source_checks
from assets.matching import matched
from assets.sources import source_assets
from pipelines.jobs import JOBS
from pipelines.orphans import orphaned_runs_sensor
from pipelines.resources import SanctionsResource
from pipelines.schedules import daily_refresh
from pipelines.sensors import (
    alert_on_run_failure,
    derive_on_analyst_inputs,
    retry_alert_deliveries,
)

defs = dg.Definitions(
    assets=[*source_assets, matched, marts, published, alert_events, alert_deliveries],
    asset_checks=source_checks,
    jobs=list(JOBS),
    schedules=[daily_refresh],
    sensors=[
        automation_sensor,
        retry_alert_deliveries,
        alert_on_run_failure,
        orphaned_runs_sensor,
        derive_on_analyst_inputs,
    ],
    resources={"sanctions": SanctionsResource()},
    executor=dg.in_process_executor,
)
