"""The code location: every asset, check, job and schedule, run in process (one DuckDB writer)."""

import dagster as dg

from assets.alignment import marts, published
from assets.checks import source_checks
from assets.matching import matched
from assets.sources import source_assets
from pipelines.jobs import JOBS_IN_ORDER
from pipelines.resources import SanctionsResource
from pipelines.schedules import daily_refresh
from pipelines.sensors import match_after_refresh

defs = dg.Definitions(
    assets=[*source_assets, matched, marts, published],
    asset_checks=source_checks,
    jobs=list(JOBS_IN_ORDER),
    schedules=[daily_refresh],
    sensors=match_after_refresh,
    resources={"sanctions": SanctionsResource()},
    executor=dg.in_process_executor,
)
