"""Whether a process still runs: the run lock, the archive's leftovers of dead writers and the
sweep of orphaned Dagster runs all ask it of a pid they recorded."""

from __future__ import annotations

import os
from pathlib import Path


def is_alive(pid: int) -> bool:
    """Whether a process with this pid runs on this machine (a zombie, killed but not yet
    reaped by its parent, is dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc (macOS): the signal answered
