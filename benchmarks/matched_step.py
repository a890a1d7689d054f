"""Seconds and peak memory of the Dagster `matched` step on real warehouses, beside the bare
matcher on the same records (what benchmarks/match_speed.py times).

    python benchmarks/matched_step.py

Two warehouses, loaded through the normal refresh steps: the four real lists of
benchmarks/match_speed.py, and the README's offline example (the US CSV set of 2021-07-07
alone). The step runs the real asset through `dagster.materialize` (one transaction: match,
cluster, commit); each measurement runs in its own subprocess so that its peak RSS (VmHWM) is
its own. The step's figure includes importing Dagster and the asset's checks.
"""

import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from benchmarks.common import real_data  # noqa: E402
from benchmarks.match_quality import SIX_LISTS, load  # noqa: E402
from benchmarks.match_speed import SNAPSHOTS as FOUR_LISTS  # noqa: E402

DATA = real_data()
US_2021 = {
    "us_ofac": {n: DATA / "us_ofac/csv_2021-07-07" / n for n in ("SDN.CSV", "ALT.CSV", "ADD.CSV")}
}


def measure(mode: str, data_dir: str) -> dict:
    """Run in the subprocess: the asset through Dagster, or the bare matcher."""
    started = time.perf_counter()
    if mode == "asset":
        import dagster as dg

        from assets.matching import matched
        from pipelines.resources import SanctionsResource

        started = time.perf_counter()
        result = dg.materialize(
            [matched], resources={"sanctions": SanctionsResource(data_dir=data_dir)}
        )
        assert result.success
    else:
        from sanctions import clusters, matching, warehouse

        with warehouse.connect(Path(data_dir) / "warehouse.duckdb") as con:
            matching.match(con)
            clusters.write_clusters(con)
    seconds = time.perf_counter() - started
    status = Path("/proc/self/status").read_text()
    return {"seconds": seconds, "peak_mb": int(re.search(r"VmHWM:\s+(\d+)", status)[1]) / 1024}


def run(mode: str, loaded: Path, scratch: Path) -> dict:
    """Measure on a fresh copy of the loaded warehouse, so every run starts from the same one."""
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    shutil.copyfile(loaded, scratch / "warehouse.duckdb")
    out = subprocess.run(
        [sys.executable, __file__, "--one", mode, str(scratch)],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    return json.loads(out.stdout.splitlines()[-1])


def main() -> None:
    print(f"{'warehouse':<34}{'run':<22}{'seconds':>9}{'peak MB':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for label, snapshots in (
            ("four lists (match_speed.py)", FOUR_LISTS),
            ("six lists (match_quality.py)", SIX_LISTS),
            ("US CSV 2021-07-07 (README)", US_2021),
        ):
            loaded = load(Path(tmp) / "load", snapshots)
            for mode, name in (("bare", "matcher alone"), ("asset", "matched step (Dagster)")):
                result = run(mode, loaded, Path(tmp) / "step")
                print(f"{label:<34}{name:<22}{result['seconds']:>9.1f}{result['peak_mb']:>9.0f}")
            shutil.rmtree(Path(tmp) / "load")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        print(json.dumps(measure(sys.argv[2], sys.argv[3])))
    else:
        main()
