"""The README and docs/*.md as a newcomer meets them: every shell block runs as written, in a
fresh copy of the repository after `make install`, against a temporary mirror of the real
snapshots; `make dev` and plain `dg dev` serve the UI on a persistent Dagster home.

A block that cannot run here is marked by an HTML comment on the line right before it:
`<!-- docs-test: skip (reason) -->`. Blocks run in document order in one copy, so the blocks
that read the warehouse share the data directory the first `make run` prepared.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO, make_mirror, real_data_dir

pytestmark = pytest.mark.docs

DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
SHELL_LANGUAGES = {"bash", "sh", "shell", "console"}
FENCE = re.compile(r"^```(\w*)\s*$")
SKIP = re.compile(r"^<!-- docs-test: skip \((?P<reason>[^)]+)\) -->$")
BLOCK_TIMEOUT = 600
UI_TIMEOUT = 180


@dataclass(frozen=True)
class Block:
    document: str
    line: int  # of the opening fence
    code: str
    skip_reason: str | None

    def __str__(self) -> str:
        return f"{self.document}:{self.line}"


def shell_blocks(path: Path) -> list[Block]:
    """Every fenced shell block of a Markdown file, with the skip comment right before it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks, start, language = [], None, ""
    for number, line in enumerate(lines, 1):
        fence = FENCE.match(line)
        if not fence:
            continue
        if start is None:
            start, language = number, fence.group(1)
            continue
        if language in SHELL_LANGUAGES:
            previous = lines[start - 2].strip() if start >= 2 else ""
            skip = SKIP.match(previous)
            code = "\n".join(lines[start : number - 1]) + "\n"
            blocks.append(Block(path.name, start, code, skip.group("reason") if skip else None))
        start = None
    return blocks


BLOCKS = [block for document in DOCUMENTS for block in shell_blocks(document)]


def test_the_blocks_are_found_and_every_skip_says_why():
    runnable = [block for block in BLOCKS if block.skip_reason is None]
    assert len(runnable) >= 6, [str(block) for block in BLOCKS]
    assert any("make run" in block.code for block in runnable)
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        # a malformed marker would silently run the block: each must parse
        for marker in re.findall(r"<!-- docs-test:.*-->", text):
            assert SKIP.match(marker), f"{document.name}: malformed marker {marker}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def newcomer_environment(mirror: Path) -> dict[str, str]:
    """The caller's environment without project settings and without any virtualenv on PATH:
    the commands must find their own tools."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SANCTIONS_", "DAGSTER", "VIRTUAL_ENV", "PYTEST", "PYTHON"))
    }
    env["PATH"] = os.pathsep.join(
        part for part in env.get("PATH", "").split(os.pathsep) if ".venv" not in part
    )
    env["SANCTIONS_MIRROR"] = str(mirror)
    return env


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A copy of the repository's files (as `git clone` of this tree would give), beside a
    `shared/data` link so `../shared/data` resolves, installed with `make install`."""
    real = real_data_dir()
    if not (real / "us_ofac").is_dir():
        pytest.skip(f"real snapshots not found at {real} (set SANCTIONS_REAL_DATA)")
    root = tmp_path_factory.mktemp("newcomer")
    clone = root / "repo"
    files = (
        subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=REPO,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, files):
        if (REPO / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            (clone / name).write_bytes((REPO / name).read_bytes())
    (root / "shared").mkdir()
    (root / "shared" / "data").symlink_to(real.resolve())
    mirror = root / "mirror"  # no EU folder: no full EU file exists, so that source is skipped
    us = real / "us_ofac" / "csv_2021-07-07"
    make_mirror(mirror, {name: us / name for name in ("SDN.CSV", "ALT.CSV", "ADD.CSV")})
    make_mirror(mirror, {"sema-lmes.xml": real / "ca" / "sema-lmes_2020-04-15.xml"}, "ca_sema")
    make_mirror(mirror, {"ConList.csv": real / "uk" / "ConList_2025-04-10.csv"}, "uk_fcdo")
    env = newcomer_environment(mirror)
    installed = subprocess.run(
        ["make", "install"], cwd=clone, env=env, capture_output=True, text=True, timeout=900
    )
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    return clone, env


@pytest.mark.parametrize("block", BLOCKS, ids=str)
def test_shell_block_runs_as_written(fresh_clone, block):
    if block.skip_reason:
        pytest.skip(block.skip_reason)
    clone, env = fresh_clone
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block.code],
        cwd=clone,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=BLOCK_TIMEOUT,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, (
        f"{block} exited {done.returncode}:\n{block.code}\n{output[-4000:]}"
    )
    assert "Traceback" not in output, f"{block} printed a traceback:\n{output[-4000:]}"


def wait_for_http_200(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + UI_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the server exited {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(1)
    pytest.fail(f"no HTTP 200 from {url} in {UI_TIMEOUT} s:\n{log.read_text()[-3000:]}")


def stop_process_group(server: subprocess.Popen) -> None:
    """dg dev leaves its 5-process tree behind on SIGTERM without a TTY: end the whole group."""
    for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            return
        try:
            server.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.mark.parametrize(
    "command",
    [
        ["make", "dev", "PORT={port}"],
        [".venv/bin/dg", "dev", "-p", "{port}"],
        [".venv/bin/dagster", "dev", "-w", "workspace.yaml", "-p", "{port}"],
    ],
    ids=["make dev", "plain dg dev", "plain dagster dev"],
)
def test_the_ui_starts_on_a_persistent_dagster_home(fresh_clone, tmp_path, command):
    clone, env = fresh_clone
    home = clone / "data" / "dagster_home"
    for storage in ("history", "schedules", "storage"):  # left by earlier blocks or servers
        shutil.rmtree(home / storage, ignore_errors=True)
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [part.format(port=port) for part in command],
            cwd=clone,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for_http_200(f"http://127.0.0.1:{port}/server_info", server, log)
        finally:
            stop_process_group(server)
    started = log.read_text()
    assert "Using temporary directory" not in started, started
    assert not list(clone.glob(".tmp_dagster_home_*")), "a temporary Dagster home was used"
    assert (home / "history" / "runs.db").is_file(), f"nothing stored in {home}:\n{started}"
