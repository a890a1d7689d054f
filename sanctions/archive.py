"""Content-addressed raw archive: every fetched file is kept once, under its sha256."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sanctions.processes import is_alive


@dataclass(frozen=True)
class ArchivedFile:
    sha256: str
    path: Path
    bytes: int


class Archive:
    """Files live at `<root>/<source>/<sha256>.<ext>`, written atomically (temp file, rename)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path_for(self, source_id: str, sha256: str, ext: str) -> Path:
        return self.root / source_id / f"{sha256}.{ext.lower()}"

    def store(self, source_id: str, chunks: Iterable[bytes], ext: str) -> ArchivedFile:
        """Write `chunks` to the archive; nothing is left behind if the iterator raises."""
        folder = self.root / source_id
        folder.mkdir(parents=True, exist_ok=True)
        _remove_orphans(folder)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(prefix=f".incoming-{os.getpid()}-", dir=folder)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            final = self.path_for(source_id, digest.hexdigest(), ext)
            os.replace(tmp_name, final)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return ArchivedFile(digest.hexdigest(), final, size)


def _remove_orphans(folder: Path) -> None:
    """Delete temp files of processes that died mid-download (killed, not failed: a failure
    cleans up after itself)."""
    for leftover in folder.glob(".incoming-*"):
        pid = leftover.name.split("-")[1]
        if pid.isdigit() and not is_alive(int(pid)):
            leftover.unlink(missing_ok=True)
