"""`kill -9` of `sanctions run` at several points leaves no run STARTED for ever: the next run
marks the orphans failed, and so does the sensor a real `dagster-daemon` evaluates, which then
launches the next run in spite of `max_concurrent_runs: 1` (slow)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pytest

from pipelines.orphans import UNFINISHED, fail_orphaned_runs, orphaned_runs_sensor
from pipelines.settings import DAGSTER_INSTANCE_YAML
from sanctions.sources import SOURCES
from tests.conftest import FIXTURES, REPO, make_mirror

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


@pytest.fixture
def setup(tmp_path, monkeypatch):
    """A data directory, a mirror holding the US list only, and the environment of both."""
    mirror = make_mirror(
        tmp_path / "mirror",
        {path.name: path for path in (FIXTURES / "us_ofac_csv").iterdir()},
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANCTIONS_", "DAGSTER"))}
    env |= {
        "SANCTIONS_DATA_DIR": str(tmp_path / "data"),
        "SANCTIONS_MIRROR": str(mirror),
        "SANCTIONS_MIN_RECORDS_US_OFAC": "1",
        "DAGSTER_HOME": str(tmp_path / "data/dagster_home"),
    }
    monkeypatch.setenv("DAGSTER_HOME", env["DAGSTER_HOME"])
    home = Path(env["DAGSTER_HOME"])
    home.mkdir(parents=True)
    (home / "dagster.yaml").write_text(DAGSTER_INSTANCE_YAML, encoding="utf-8")
    with _instance(env):  # storage created once here, not by two processes at a time
        pass
    return env


def _instance(env) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(env["DAGSTER_HOME"])


def _unfinished(env) -> list[dg.DagsterRun]:
    with _instance(env) as instance:
        return list(instance.get_runs(dg.RunsFilter(statuses=UNFINISHED)))


def _run_started(instance: dg.DagsterInstance) -> bool:
    return bool(instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])))


def _source_published(instance: dg.DagsterInstance) -> bool:
    return instance.get_latest_materialization_event(dg.AssetKey(["core", "us_ofac"])) is not None


def _kill_when(env, point: Callable[[dg.DagsterInstance], bool]) -> None:
    """Start `sanctions run`, SIGKILL it once `point` holds for the instance."""
    child = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "run"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    try:
        while True:
            assert child.poll() is None, "the run ended before the point to kill it at"
            assert time.monotonic() < deadline, "the point to kill the run at never came"
            with _instance(env) as instance:
                if point(instance):
                    break
            time.sleep(0.2)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()


def test_a_killed_run_is_failed_by_the_sensor(setup):
    """The short variant: one kill, then what the daemon's sensor does."""
    _kill_when(setup, _run_started)
    [killed] = _unfinished(setup)
    with _instance(setup) as instance:
        skipped = orphaned_runs_sensor(dg.build_sensor_context(instance=instance))
        assert f"run {killed.run_id[:8]} (refresh_all) marked failed" in skipped.skip_message
        assert instance.get_run_by_id(killed.run_id).status == dg.DagsterRunStatus.FAILURE
    assert _unfinished(setup) == []


@pytest.mark.slow
def test_runs_killed_at_two_points_are_failed_by_the_next_run_and_by_the_sensor(setup):
    _kill_when(setup, _run_started)
    [first] = _unfinished(setup)  # stays STARTED until something notices
    _kill_when(setup, _source_published)  # the second run failed the first as it began
    [second] = _unfinished(setup)
    assert second.run_id != first.run_id
    with _instance(setup) as instance:
        failed = instance.get_run_by_id(first.run_id)
        assert failed.status == dg.DagsterRunStatus.FAILURE
        [message] = [
            record.event_log_entry.dagster_event.message
            for record in instance.get_records_for_run(
                first.run_id, of_type=dg.DagsterEventType.RUN_FAILURE
            ).records
        ]
        assert f"its process (pid {first.tags['sanctions/pid']}) ended" in message
        # the daemon's sensor notices the second, without a CLI run
        skipped = orphaned_runs_sensor(dg.build_sensor_context(instance=instance))
        assert f"run {second.run_id[:8]} (refresh_all) marked failed" in skipped.skip_message
        assert fail_orphaned_runs(instance) == []  # once
    assert _unfinished(setup) == []


def test_only_runs_whose_process_is_gone_are_failed(setup):
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    with _instance(setup) as instance:
        for pid in (os.getpid(), int(ended.stdout)):
            instance.add_run(
                dg.DagsterRun(
                    job_name="refresh_all",
                    run_id=f"{pid:08d}-0000-0000-0000-000000000000",
                    status=dg.DagsterRunStatus.STARTED,
                    tags={"sanctions/pid": str(pid)},
                )
            )
        failed = fail_orphaned_runs(instance)
        assert failed == [
            f"run {int(ended.stdout):08d} (refresh_all) marked failed: its process (pid "
            f"{int(ended.stdout)}) ended without finishing it (killed?)"
        ]
        living = instance.get_run_by_id(f"{os.getpid():08d}-0000-0000-0000-000000000000")
        assert living.status == dg.DagsterRunStatus.STARTED


@pytest.mark.slow
def test_a_real_daemon_launches_the_next_run_after_a_kill(setup, tmp_path):
    """Two killed runs, then `dagster-daemon run`: its sensor fails the one left STARTED, and
    the run queue (one at a time) launches the run waiting in it, as it does a scheduled one
    (a schedule's tick submits its run to the same queue)."""
    _kill_when(setup, _run_started)
    _kill_when(setup, _source_published)  # fails the first as it begins
    assert len(_unfinished(setup)) == 1  # and stays STARTED: one run at a time is taken
    bin_dir = Path(sys.executable).parent
    # run from elsewhere than the repository: Dagster's CLI would load its .env over ours
    workspace = str(REPO / "workspace.yaml")
    launched = subprocess.run(
        [str(bin_dir / "dagster"), "job", "launch", "-j", "refresh_all", "-w", workspace],
        cwd=tmp_path,
        env=setup,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert launched.returncode == 0, launched.stderr
    with _instance(setup) as instance:
        queued = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.QUEUED]))
    assert len(queued) == 1
    daemon = subprocess.Popen(
        [str(bin_dir / "dagster-daemon"), "run", "-w", workspace],
        cwd=tmp_path,
        env=setup,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 240
        while True:
            with _instance(setup) as instance:
                status = instance.get_run_by_id(queued[0].run_id).status
            if status in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE):
                break
            assert time.monotonic() < deadline, f"the queued run is still {status.value}"
            time.sleep(1)
    finally:
        daemon.send_signal(signal.SIGINT)
        daemon.wait(timeout=60)
    with _instance(setup) as instance:
        failed_steps = sorted(
            record.event_log_entry.step_key
            for record in instance.get_records_for_run(
                queued[0].run_id, of_type=dg.DagsterEventType.STEP_FAILURE
            ).records
        )
    # it ran: the US list loaded; the sources the mirror lacks fail, as in any daemon run
    assert failed_steps == sorted(f"raw__{source}" for source in SOURCES if source != "us_ofac")
    with _instance(setup) as instance:
        assert all(
            instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
            for run in instance.get_runs(dg.RunsFilter(job_name="refresh_all"))
            if run.run_id != queued[0].run_id
        )
