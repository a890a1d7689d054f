"""A process killed mid-download leaves no archived file; a second writer waits, then refuses
clearly; neither corrupts anything."""

import os
import signal
import subprocess
import sys
import time

import duckdb
import pytest

from sanctions import warehouse
from sanctions.archive import Archive
from sanctions.fetch import HttpOptions, fetch_to_archive
from sanctions.refresh import refresh_from_mirror
from tests.conftest import REPO, Reply

BODY = b'36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n\x1a'


def test_sigkill_mid_download_leaves_no_archive_file_and_the_next_fetch_completes(
    http_server, tmp_path
):
    http_server.route("/SDN.CSV", Reply(body=BODY, mode="drip"))
    code = (
        "from sanctions.archive import Archive; from sanctions.fetch import *; "
        f"fetch_to_archive('us_ofac', '{http_server.base_url}/SDN.CSV', 'SDN.CSV', "
        f"Archive(r'{tmp_path}'), HttpOptions(read_timeout=30, retries=0))"
    )
    child = subprocess.Popen([sys.executable, "-c", code], cwd=REPO)
    deadline = time.monotonic() + 20
    folder = tmp_path / "us_ofac"
    while not (folder.is_dir() and any(folder.glob(".incoming-*"))):
        assert time.monotonic() < deadline, "the download never started"
        time.sleep(0.1)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert [p.name for p in folder.iterdir() if not p.name.startswith(".incoming-")] == []
    http_server.route("/SDN.CSV", Reply(body=BODY))
    fetched = fetch_to_archive(
        "us_ofac",
        f"{http_server.base_url}/SDN.CSV",
        "SDN.CSV",
        Archive(tmp_path),
        HttpOptions(retries=0),
    )
    assert [p.name for p in folder.iterdir()] == [fetched.archive_path.name]  # orphan removed


def test_a_second_writer_waits_then_refuses_clearly(tmp_path, monkeypatch):
    path = tmp_path / "warehouse.duckdb"
    with warehouse.connect(path):
        pass
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; con = duckdb.connect(r'{path}'); print('held', flush=True); "
            "time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setenv("SANCTIONS_LOCK_WAIT", "1")
        started = time.monotonic()
        with (
            pytest.raises(warehouse.WarehouseLocked, match="held by another process"),
            warehouse.connect(path),
        ):
            pass
        assert time.monotonic() - started >= 1
    finally:
        holder.kill()
        holder.wait()
    with duckdb.connect(str(path), read_only=True) as con:  # nothing was corrupted
        assert con.execute("SELECT count(*) FROM core.records").fetchall() == [(0,)]


@pytest.mark.integration
def test_sigkill_during_a_load_leaves_the_warehouse_consistent(real_data, tmp_path):
    mirror = tmp_path / "mirror" / "us_ofac"
    mirror.mkdir(parents=True)
    (mirror / "SDN.CSV").symlink_to(real_data / "us_ofac/sdn_history/SDN_2024-05-03.CSV")
    path = tmp_path / "warehouse.duckdb"
    code = (
        "from sanctions import warehouse; from sanctions.archive import Archive; "
        "from sanctions.refresh import refresh_from_mirror; "
        f"con = warehouse.connect(r'{path}').__enter__(); "
        f"refresh_from_mirror(con, ['us_ofac'], Archive(r'{tmp_path / 'raw'}'), "
        f"r'{mirror.parent}')"
    )
    for delay in (0.8, 1.6, 2.4):  # during fetch / parse / publish, roughly
        child = subprocess.Popen([sys.executable, "-c", code], cwd=REPO)
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
        with warehouse.connect(path) as con:
            loaded = con.execute(
                """SELECT (SELECT count(*) FROM core.records),
                          coalesce((SELECT max(record_count) FROM core.snapshots), 0)"""
            ).fetchall()[0]
        assert loaded[0] == loaded[1]  # core holds a whole snapshot or nothing
    with warehouse.connect(path) as con:  # the next run completes
        refresh_from_mirror(con, ["us_ofac"], Archive(tmp_path / "raw"), str(mirror.parent))
        assert con.execute("SELECT count(*) FROM core.records").fetchall() == [(14_965,)]
