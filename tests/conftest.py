"""Shared fixtures: hand-written files, the real snapshots, and a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import struct
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parent.parent


def pytest_configure(config):
    """Hand-written fixtures (and the 5-record EU excerpt) hold far fewer records than every
    source's real minimum; the count check itself is tested with explicit bounds."""
    from sanctions.sources import SOURCES

    for source_id in SOURCES:
        os.environ.setdefault(f"SANCTIONS_MIN_RECORDS_{source_id.upper()}", "1")


@dataclass
class Browser:
    """Headless Chromium rendering a page as a reader's browser would."""

    executable: str
    profile: Path

    @property
    def flags(self) -> tuple[str, ...]:
        return (
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={self.profile}",
        )

    def _run(self, *args: str) -> str:
        return subprocess.run(
            [self.executable, *self.flags, *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout

    def dom(self, page: Path, scripts_ms: int = 0) -> str:
        """The page's DOM once loaded (and its scripts given `scripts_ms` of virtual time)."""
        budget = (f"--virtual-time-budget={scripts_ms}",) if scripts_ms else ()
        return self._run(*budget, "--dump-dom", page.as_uri())

    def console(self, pages: list[Path], harness: Path) -> tuple[int, list[str]]:
        """Load every page in turn (each in a frame of one `harness` page, so one browser
        serves them all) and return how many loaded and the console messages they logged."""
        uris = json.dumps([page.as_uri() for page in pages])
        harness.write_text(
            "<!DOCTYPE html><html><body><script>"
            f"var pages = {uris}, i = 0;"
            "function next() { if (i >= pages.length) { document.title = 'loaded ' + i; return; }"
            " var frame = document.createElement('iframe');"
            " frame.onload = function () { frame.remove(); next(); };"
            " frame.src = pages[i++]; document.body.appendChild(frame); }"
            "next();</script></body></html>",
            encoding="utf-8",
        )
        result = subprocess.run(
            [
                self.executable,
                *self.flags,
                "--enable-logging=stderr",
                "--v=0",
                "--virtual-time-budget=3600000",
                "--dump-dom",
                harness.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=1200,
            check=True,
        )
        loaded = re.search(r"<title>loaded (\d+)</title>", result.stdout)
        messages = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
        return int(loaded.group(1)) if loaded else 0, messages

    def screenshot(self, page: Path, name: str, height: int) -> Path:
        """A PNG of the page kept under test-artifacts/."""
        target = REPO / "test-artifacts" / name
        target.parent.mkdir(exist_ok=True)
        self._run(f"--screenshot={target}", f"--window-size=1200,{height}", page.as_uri())
        return target


@pytest.fixture
def chromium(tmp_path) -> Browser:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("chromium is not installed (.ci/run installs it)")
    return Browser(executable, tmp_path / "profile")


def real_data_dir() -> Path:
    return Path(os.environ.get("SANCTIONS_REAL_DATA") or REPO.parent / "shared" / "data")


@pytest.fixture
def real_data() -> Path:
    path = real_data_dir()
    if not (path / "us_ofac").is_dir():
        pytest.skip(f"real snapshots not found at {path} (set SANCTIONS_REAL_DATA)")
    return path


@pytest.fixture
def csv_files() -> dict[str, Path]:
    return {path.name: path for path in (FIXTURES / "us_ofac_csv").iterdir()}


@pytest.fixture
def xml_file() -> Path:
    return FIXTURES / "us_ofac_xml" / "SDN_ADVANCED.XML"


def make_mirror(root: Path, files: dict[str, Path | bytes], source_id: str = "us_ofac") -> Path:
    """Lay out `<root>/<source_id>/<name>` from paths (copied) or raw bytes."""
    folder = root / source_id
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        if isinstance(content, bytes):
            (folder / name).write_bytes(content)
        else:
            shutil.copyfile(content, folder / name)
    return root


# ---------------------------------------------------------------------------------- HTTP server


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    declared_length: int | None = None  # send this Content-Length (larger = truncated body)
    mode: str = "normal"  # "drip": one byte a second; "reset": half the body, then a TCP RST;
    # "slow": the whole body in eight parts over about eight seconds


@dataclass
class Served:
    """Replies per path, consumed in order (the last one repeats); requests are recorded."""

    replies: dict[str, list[Reply]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    base_url: str = ""

    def route(self, path: str, *replies: Reply) -> None:
        self.replies[path] = list(replies)

    def hits(self, path: str) -> list[dict[str, str]]:
        return [headers for seen, headers in self.requests if seen == path]


class _Handler(BaseHTTPRequestHandler):
    served: Served

    def do_GET(self):
        self.served.requests.append((self.path, dict(self.headers)))
        queue = self.served.replies.get(self.path)
        if not queue:
            self.send_error(404)
            return
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if "ETag" in reply.headers and self.headers.get("If-None-Match") == reply.headers["ETag"]:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(reply.declared_length or len(reply.body)))
        self.end_headers()
        if reply.mode == "drip":
            for byte in reply.body[:5]:
                time.sleep(1.0)
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            self.close_connection = True
            return
        if reply.mode == "slow":
            step = len(reply.body) // 8 + 1
            for start in range(0, len(reply.body), step):
                self.wfile.write(reply.body[start : start + step])
                self.wfile.flush()
                time.sleep(1.0)
            return
        if reply.mode == "reset":
            self.wfile.write(reply.body[: len(reply.body) // 2])
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        self.wfile.write(reply.body)
        if reply.declared_length:
            self.close_connection = True

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        self.served.requests.append((self.path, {**dict(self.headers), "body": body}))
        queue = self.served.replies.get(self.path)
        reply = (queue.pop(0) if len(queue) > 1 else queue[0]) if queue else Reply(status=404)
        self.send_response(reply.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    served = Served()
    handler = type("Handler", (_Handler,), {"served": served})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    served.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    yield served
    server.shutdown()
    server.server_close()


# ---------------------------------------------------------------- h18b: the oracle's warehouse


# Every dated full real file of each source, as tests/test_oracle.py reads them too: the US
# folders as `sanctions replay` takes them (the legacy sets are folders named by their date; the
# 2021-07-07 set is such a folder itself), the other files linked into one folder per source.
# The UN file is stored as un_consolidated_<date>.xml, but the replay takes only the official
# name (consolidated.xml) plus a date: it is linked under that name.
REPLAY_NAMES = {"un_consolidated_2025-04-19.xml": "consolidated_2025-04-19.xml"}


def oracle_files(data: Path) -> dict[str, list[Path]]:
    """{source id: the real files and folders of its history}."""
    return {
        "us_ofac": [
            data / "us_ofac/legacy_csv",
            data / "us_ofac/csv_2021-07-07",
            data / "us_ofac/sdn_history",
        ],
        "uk_fcdo": [data / f"uk/ConList_{d}.csv" for d in ("2025-04-10", "2025-04-14")],
        "ca_sema": [data / f"ca/sema-lmes_{d}.xml" for d in ("2020-04-15", "2025-05-25")],
        "eu_fsf": [data / "eu/fsf_reconstructed_2026-08-22.xml"],
        "au_dfat": [data / "au/regulation8_consolidated_2026-07-23.xlsx"],
        "un_sc": [data / "un/un_consolidated_2025-04-19.xml"],
    }


@pytest.fixture(scope="session")
def oracle_warehouse(tmp_path_factory) -> Path:
    """Every dated full real file of every source replayed in date order into its source's
    history (the US: the legacy CSV sets, the 2021-07-07 set, then the SDN.CSV history, as one
    history), matched, marts built: what tests/test_oracle.py compares with its own reading of
    the same files; it also checks that every file reached the history."""
    from sanctions import alignment, clusters, matching, warehouse
    from sanctions.archive import Archive
    from sanctions.replay import replay
    from sanctions.sources import SOURCES

    data = real_data_dir()
    files = oracle_files(data)
    absent = [str(p) for paths in files.values() for p in paths if not p.exists()]
    if absent:
        pytest.skip(f"real snapshots not found at {data} (set SANCTIONS_REAL_DATA): {absent}")
    root = tmp_path_factory.mktemp("oracle")
    folders: dict[str, list[Path]] = {}
    for source_id, paths in files.items():
        folders[source_id] = [path for path in paths if path.is_dir()]
        linked = root / source_id
        for path in (path for path in paths if path.is_file()):
            linked.mkdir(exist_ok=True)
            (linked / REPLAY_NAMES.get(path.name, path.name)).symlink_to(path)
        folders[source_id] += [linked] if linked.is_dir() else []
    path = root / "warehouse.duckdb"
    with warehouse.connect(path) as con:
        for source_id, folder in folders.items():
            report = replay(con, SOURCES[source_id], folder, Archive(root / "raw"))
            assert report.applied and not report.skipped, (source_id, report.skipped)
        matching.match(con)
        clusters.write_clusters(con)
        alignment.build(con)
    return path
