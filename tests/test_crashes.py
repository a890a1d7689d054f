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
