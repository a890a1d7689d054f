"""Time to write the static site (`sanctions site`) for all six real lists: US SDN.CSV
2024-05-03, Canada 2025-05-25, UK 2025-04-10, the EU reconstructed file of the official size,
Australia 2026-07-23 and the UN 2025-04-19, matched and published first (not timed).

python benchmarks/site.py
"""

import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from benchmarks.common import real_data  # noqa: E402
from benchmarks.match_quality import load  # noqa: E402
from sanctions import alignment, clusters, matching, warehouse  # noqa: E402
from sanctions.publish import publish_copy  # noqa: E402
from sanctions.site import build_site  # noqa: E402

DATA = real_data()
SNAPSHOTS = {
    "us_ofac": {"SDN.CSV": DATA / "us_ofac/sdn_history/SDN_2024-05-03.CSV"},
    "ca_sema": {"sema-lmes.xml": DATA / "ca/sema-lmes_2025-05-25.xml"},
    "uk_fcdo": {"ConList.csv": DATA / "uk/ConList_2025-04-10.csv"},
    "eu_fsf": {"fsf.xml": DATA / "eu/fsf_reconstructed_2026-08-22.xml"},
    "au_dfat": {
        "regulation8_consolidated.xlsx": DATA / "au/regulation8_consolidated_2026-07-23.xlsx"
    },
    "un_sc": {"consolidated.xml": DATA / "un/un_consolidated_2025-04-19.xml"},
}


def size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = load(Path(tmp), SNAPSHOTS)
        published = Path(tmp) / "published" / "warehouse.duckdb"
        with warehouse.connect(path) as con:
            matching.match(con)
            clusters.write_clusters(con)
            alignment.build(con)
            publish_copy(con, published)
        out = Path(tmp) / "site"
        started, cpu = time.perf_counter(), time.process_time()
        pages = build_site(published, out)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        megabytes = size(out) / 1e6
        shutil.rmtree(out)
    # CPU seconds (all threads) tell the cost on a machine shared with other work.
    print(
        f"{'step':<16}{'seconds':>9}  {'CPU s':>7}  {'figure pages':>12}  {'target pages':>12}"
        f"  {'MB':>6}"
    )
    print(
        f"{'sanctions site':<16}{seconds:>9.1f}  {cpu:>7.1f}  {pages['figures']:>12,}  "
        f"{pages['targets']:>12,}  {megabytes:>6.0f}"
    )


if __name__ == "__main__":
    main()
