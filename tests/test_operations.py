"""What operators do and meet: a data directory with an apostrophe, no network, a mirror that
is down, a second run waiting for the lock, a failed count check, a failed step."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from pipelines.cli import _failures
from sanctions import warehouse
from sanctions.archive import Archive
from sanctions.errors import CheckFailed, FetchError
from sanctions.fetch import MIRROR_HINT, HttpOptions, fetch_to_archive
from sanctions.refresh import refresh_from_mirror
from sanctions.runlock import RunLocked, run_lock
from sanctions.sources import SOURCES
from tests.conftest import FIXTURES, REPO, make_mirror
from tests.test_cli import sanctions

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")
US_FILES = {path.name: path for path in (FIXTURES / "us_ofac_csv").iterdir()}


def test_a_data_directory_named_with_an_apostrophe_runs_end_to_end(tmp_path):
    """`o'brien test`: the run, the published copy (ATTACH) and both exports (COPY)."""
    home = tmp_path / "o'brien test"
    mirror = make_mirror(home / "mirror", US_FILES)
    env = {
        "SANCTIONS_DATA_DIR": str(home / "data"),
        "SANCTIONS_MIRROR": str(mirror),
        "SANCTIONS_MIN_RECORDS_US_OFAC": "1",
        "DAGSTER_HOME": str(home / "data/dagster_home"),  # not the repository's .env's
    }
    run = sanctions("run", cwd=REPO, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (home / "data/published/warehouse.duckdb").is_file()
    today = datetime.now(UTC).date().isoformat()
    for args, pattern in (
        (("--out", str(home / "marts")), "alignment.*.csv"),
        (("--out", str(home / "as of"), "--as-of", today, "--format", "parquet"), "*.parquet"),
    ):
        exported = sanctions("export", *args, cwd=REPO, env=env)
        assert exported.returncode == 0, exported.stdout + exported.stderr
        folder = Path(args[1])
        assert list(folder.glob(pattern)), exported.stdout
        assert all(Path(line).is_file() for line in exported.stdout.splitlines())


def _unreachable(url: str, archive: Path) -> tuple[FetchError, list[float]]:
    waits: list[float] = []
    with pytest.raises(FetchError) as failed:
        fetch_to_archive(
            "eu_fsf", url, "fsf.xml", Archive(archive), HttpOptions(), sleep=waits.append
        )
    return failed.value, waits


def test_a_host_name_that_does_not_resolve_fails_after_one_retry_suggesting_a_mirror(tmp_path):
    # RFC 2606: a .invalid name never resolves
    error, waits = _unreachable("https://sanctions-list.invalid/fsf.xml", tmp_path)
    assert len(waits) == 1  # one retry, not the 4 of HttpOptions
    assert "2 attempts" in error.problem and "resolve" in error.problem
    assert error.problem.endswith(MIRROR_HINT)


def test_a_refused_connection_to_a_local_mirror_fails_after_one_retry(tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error, waits = _unreachable(f"http://127.0.0.1:{port}/eu_fsf/fsf.xml", tmp_path)
    assert len(waits) == 1
    assert "Connection refused" in error.problem and "SANCTIONS_MIRROR" in error.problem


def test_offline_every_source_fails_within_a_minute_one_line_each(tmp_path):
    """No network and no mirror: every official host fails to resolve (here: `.invalid`
    hosts, so the test never reaches a real publisher)."""
    env = {
        "SANCTIONS_DATA_DIR": str(tmp_path / "data"),
        "DAGSTER_HOME": str(tmp_path / "data/dagster_home"),
    }
    for source in SOURCES.values():
        env[f"SANCTIONS_URL_{source.id.upper()}"] = (
            f"https://{source.id.replace('_', '-')}.invalid/{source.default_format.main_file}"
        )
    started = time.monotonic()
    run = sanctions("run", cwd=REPO, env=env)
    elapsed = time.monotonic() - started
    failed = [line for line in run.stdout.splitlines() if line.startswith("FAILED raw__")]
    assert run.returncode == 1
    assert sorted(line.split(":")[0] for line in failed) == sorted(
        f"FAILED raw__{source_id}" for source_id in SOURCES
    ), run.stdout
    assert all("2 attempts" in line and "SANCTIONS_MIRROR" in line for line in failed)
    assert elapsed < 60, f"{elapsed:.0f} s"


def test_a_run_waiting_for_the_lock_says_so_at_once_naming_the_holder(tmp_path):
    code = (
        "import sys, time; from sanctions.runlock import run_lock\n"
        f"with run_lock(r'{tmp_path}'):\n    print('held', flush=True); time.sleep(30)"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        said: list[tuple[float, str]] = []
        started = time.monotonic()
        with (
            pytest.raises(RunLocked, match=f"pid {holder.pid} "),
            run_lock(tmp_path, wait=2, on_wait=lambda line: said.append((time.monotonic(), line))),
        ):
            pass
        [(when, line)] = said
        assert when - started < 1, "said at once, not after the wait"
        assert f"waiting up to 2 s (SANCTIONS_LOCK_WAIT) for the run lock of {tmp_path}" in line
        assert f"held by pid {holder.pid} on {socket.gethostname()}" in line
    finally:
        holder.kill()
        holder.wait()


def test_a_free_lock_says_nothing(tmp_path):
    said: list[str] = []
    with run_lock(tmp_path, wait=1, on_wait=said.append):
        pass
    assert said == []


def test_a_failed_count_check_names_the_setting_that_moves_the_bound(tmp_path, monkeypatch):
    monkeypatch.setenv("SANCTIONS_MIN_RECORDS_US_OFAC", "1000")
    mirror = make_mirror(tmp_path / "mirror", US_FILES)
    with (
        warehouse.connect(tmp_path / "warehouse.duckdb") as con,
        pytest.raises(CheckFailed) as refused,
    ):
        refresh_from_mirror(con, ["us_ofac"], Archive(tmp_path / "raw"), str(mirror))
    assert "expected between 1,000 and" in str(refused.value)
    assert "(SANCTIONS_MIN_RECORDS_US_OFAC changes the bound)" in str(refused.value)


def test_a_failed_step_is_summarised_by_its_cause_not_the_wrapper():
    @dg.asset
    def published_copy():
        raise OSError("cannot attach /data/o'brien test/published.duckdb: disk full")

    result = dg.materialize([published_copy], raise_on_error=False)
    assert _failures(result) == [
        "FAILED published_copy: OSError: cannot attach /data/o'brien test/published.duckdb: "
        "disk full"
    ]
