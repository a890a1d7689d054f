"""Jobs: `refresh_all` loads every source; `match_all` resolves targets across them.

They are separate runs so that a source that fails today fails only its own assets: matching
still runs, on what core holds (the failed source's last good snapshot).
"""

import dagster as dg

refresh_all = dg.define_asset_job(
    "refresh_all",
    selection=dg.AssetSelection.groups("raw", "staging", "core"),
    description="Fetch every source, parse it into staging, check it and publish it to core.",
    tags={"warehouse": "duckdb"},
)

match_all = dg.define_asset_job(
    "match_all",
    selection=dg.AssetSelection.groups("matching", "alignment", "alerts"),
    description="Match records into targets, build the marts, publish the copy, alert.",
    tags={"warehouse": "duckdb"},
)

JOBS_IN_ORDER = (refresh_all, match_all)

deliver_alerts = dg.define_asset_job(
    "deliver_alerts",
    selection=dg.AssetSelection.assets(dg.AssetKey(["alerts", "deliveries"])),
    description="Retry alerts that some sink has not received yet.",
    tags={"warehouse": "duckdb"},
)

JOBS = (*JOBS_IN_ORDER, deliver_alerts)
