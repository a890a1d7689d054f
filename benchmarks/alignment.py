"""Time to build the alignment marts and the HTML report for the four real snapshots.

python benchmarks/alignment.py
"""

import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from benchmarks.match_quality import load  # noqa: E402
from benchmarks.match_speed import SNAPSHOTS  # noqa: E402
from sanctions import alignment, clusters, matching, warehouse  # noqa: E402
from sanctions.report import build_report  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = load(Path(tmp), SNAPSHOTS)
        with warehouse.connect(path) as con:
            matching.match(con)
            clusters.write_clusters(con)
            started = time.perf_counter()
            counts = alignment.build(con)
            marts = time.perf_counter() - started
        started = time.perf_counter()
        report = build_report(str(path))
        rendered = time.perf_counter() - started
    print(f"{'step':<22}{'seconds':>9}  rows")
    print(f"{'alignment marts':<22}{marts:>9.2f}  {counts}")
    print(f"{'HTML report':<22}{rendered:>9.2f}  {len(report):,} bytes")
    print(f"{'total':<22}{marts + rendered:>9.2f}")


if __name__ == "__main__":
    main()
