"""One run at a time per data directory.

DuckDB allows one writing process, and a run is a sequence of short write transactions with
downloads in between: two runs interleaving those steps could publish each other's unchecked
staging. Every run (`sanctions run`, `sanctions replay`, a Dagster run launched from the UI or
the daemon) holds this lock for its whole length; a second run waits `SANCTIONS_LOCK_WAIT`
seconds, then stops with one line saying who holds it. The lock is re-entrant within a process
(`sanctions run` holds it across its two jobs, whose resources take it again).

Commands that only record or read a little (`sanctions judge`, `report`, `export`) never take it.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from sanctions.errors import SettingsError

log = logging.getLogger(__name__)
DEFAULT_WAIT_SECONDS = 60.0
_LOCKS: dict[Path, FileLock] = {}


class RunLocked(RuntimeError):
    """Another run holds the data directory."""


def lock_wait_seconds() -> float:
    value = os.environ.get("SANCTIONS_LOCK_WAIT")
    try:
        return float(value) if value else DEFAULT_WAIT_SECONDS
    except ValueError as exc:
        raise SettingsError("SANCTIONS_LOCK_WAIT", value, "a number of seconds, e.g. 60") from exc


def _holder(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip() or "unknown"
    except FileNotFoundError:
        return "unknown"


@contextmanager
def run_lock(
    data_dir: Path, wait: float | None = None, on_wait: Callable[[str], object] = log.warning
) -> Iterator[None]:
    """Hold the run lock of `data_dir` for the duration of the block. A run that has to wait
    says so at once through `on_wait`, naming the holder, instead of hanging silently."""
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "run.lock"
    lock = _LOCKS.setdefault(path, FileLock(str(path) + ".flock", thread_local=False))
    wait = lock_wait_seconds() if wait is None else wait
    try:
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if wait <= 0:
                raise
            on_wait(
                f"waiting up to {wait:.0f} s (SANCTIONS_LOCK_WAIT) for the run lock of "
                f"{data_dir}, held by {_holder(path)}"
            )
            lock.acquire(timeout=wait)
    except Timeout:
        holder = _holder(path)
        raise RunLocked(
            f"another run holds {data_dir} ({holder}); waited {wait:.0f} s "
            "(SANCTIONS_LOCK_WAIT). Try again when it has finished."
        ) from None
    try:
        if lock.lock_counter == 1:
            started = datetime.now(UTC).isoformat(timespec="seconds")
            path.write_text(
                f"pid {os.getpid()} on {socket.gethostname()} since {started}", encoding="utf-8"
            )
        yield
    finally:
        lock.release()
