"""Jobs: `refresh_all` fetches, parses, checks and publishes every source in one run."""

import dagster as dg

refresh_all = dg.define_asset_job(
    "refresh_all",
    selection=dg.AssetSelection.all(),
    description="Fetch every source, parse it into staging, check it and publish it to core.",
    tags={"warehouse": "duckdb"},
)
