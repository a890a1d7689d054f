"""Runs orphaned by a killed process are marked failed, so none stays STARTED for ever.

Dagster records a run as STARTED when it begins and as finished when its process says so; a
process killed with SIGKILL (or a machine that loses power) never says so. With one run at a
time (dagster.yaml), the daemon then counts the dead run as in progress and never launches the
next scheduled one. Dagster's run monitoring cannot tell (the default run launcher does not
support worker health checks), so `sanctions run` and the `fail_orphaned_runs` sensor (which
the daemon evaluates from its start) look for the process of every unfinished run: the pid that
`sanctions run` tags its runs with, or the pid Dagster logs when it starts a run worker. A run
whose process is gone from this machine is marked failed, naming the pid.
"""

from __future__ import annotations

import os
import socket

import dagster as dg

from sanctions.processes import is_alive

PID_TAG = "sanctions/pid"
HOST_TAG = "sanctions/host"
UNFINISHED = [
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


def process_tags() -> dict[str, str]:
    """The tags that name the process a run is executed in (for runs executed in process)."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def run_pid(instance: dg.DagsterInstance, run: dg.DagsterRun) -> int | None:
    """The pid of the process executing `run` on this machine, or None when unknown (another
    host, or a run worker that has not started yet)."""
    if run.tags.get(HOST_TAG, socket.gethostname()) != socket.gethostname():
        return None
    if PID_TAG in run.tags:
        return int(run.tags[PID_TAG])
    records = instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT, limit=50
    ).records
    for record in records:
        event = record.event_log_entry.dagster_event
        pid = (
            event.engine_event_data.metadata.get("pid")
            if event and event.engine_event_data
            else None
        )
        if pid is not None:
            return int(pid.value)
    return None


def fail_orphaned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed every unfinished run whose process is gone; return one line per run."""
    lines = []
    for run in instance.get_runs(dg.RunsFilter(statuses=UNFINISHED)):
        pid = run_pid(instance, run)
        if pid is None or is_alive(pid):
            continue
        message = (
            f"run {run.run_id[:8]} ({run.job_name}) marked failed: its process (pid {pid}) "
            "ended without finishing it (killed?)"
        )
        instance.report_run_failed(run, message)
        lines.append(message)
    return lines


@dg.sensor(
    name="fail_orphaned_runs",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Marks failed the runs whose process was killed, so that with one run at a "
    "time the daemon still launches the next scheduled run.",
)
def orphaned_runs_sensor(context: dg.SensorEvaluationContext):
    failed = fail_orphaned_runs(context.instance)
    for line in failed:
        context.log.warning(line)
    return dg.SkipReason("; ".join(failed) if failed else "no orphaned run")
