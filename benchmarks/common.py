"""Where the benchmarks find the real snapshots."""

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


# The only EU file here is a 5-record excerpt of the real export: below the EU's record-count
# bound, which the publish gate enforces on every load, benchmarks included.
os.environ.setdefault("SANCTIONS_MIN_RECORDS_EU_FSF", "1")


def real_data() -> Path:
    path = Path(os.environ.get("SANCTIONS_REAL_DATA") or REPO.parent / "shared" / "data")
    if not path.is_dir():
        sys.exit(f"real snapshots not found at {path} (set SANCTIONS_REAL_DATA)")
    return path
