"""Sensors: start `match_all` after every `refresh_all`, whether it succeeded or not."""

import dagster as dg

from pipelines.jobs import match_all, refresh_all


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
