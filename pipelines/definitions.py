"""The code location: every asset, check, job and schedule, run in process (one DuckDB writer)."""

import dagster as dg

from assets.checks import source_checks
from assets.sources import source_assets
from pipelines.jobs import refresh_all
from pipelines.resources import SanctionsResource
from pipelines.schedules import daily_refresh

defs = dg.Definitions(
    assets=source_assets,
    asset_checks=source_checks,
    jobs=[refresh_all],
    schedules=[daily_refresh],
    resources={"sanctions": SanctionsResource()},
    executor=dg.in_process_executor,
)
