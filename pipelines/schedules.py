"""Schedules. Like every Dagster schedule, it is off until switched on (README: Scheduling)."""

import dagster as dg

from pipelines.jobs import refresh_all

# 06:00 UTC: after OFAC's US-business-day publications of the day before, and before the
# working day in Europe; the other publishers change their lists at most once a day.
daily_refresh = dg.ScheduleDefinition(
    name="daily_refresh",
    job=refresh_all,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    description="Refresh every source once a day at 06:00 UTC.",
)
