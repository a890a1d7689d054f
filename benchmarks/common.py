"""Where the benchmarks find the real snapshots."""

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def real_data() -> Path:
    path = Path(os.environ.get("SANCTIONS_REAL_DATA") or REPO.parent / "shared" / "data")
    if not path.is_dir():
        sys.exit(f"real snapshots not found at {path} (set SANCTIONS_REAL_DATA)")
    return path
