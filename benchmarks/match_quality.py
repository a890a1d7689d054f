"""Match quality on the labelled development pairs (../shared/data/labels/crosslist_pairs_dev.csv).

    python benchmarks/match_quality.py        (or: make bench-match)

Loads the US CSV set of 2021-07-07, the UK ConList of 2025-04-10 and Canada's list of
2020-04-15 into a scratch warehouse, runs the matcher and prints, per jurisdiction pair: how
many labelled pairs join to records, blocking recall (labelled positives that reach scoring),
and precision / recall of the targets (records in one cluster) for auto-accepted links and for
accepted plus review. Precision counts only predictions whose two records carry labels: an
explicit negative, or a record put with anything but its labelled partner in that list.
"""

import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sanctions import clusters, matching, warehouse
from sanctions.archive import Archive
from sanctions.evaluation import evaluate, label_errors, split_parties
from sanctions.refresh import refresh_from_mirror

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from benchmarks.common import real_data  # noqa: E402

DATA = real_data()
SNAPSHOTS = {
    "us_ofac": {n: DATA / "us_ofac/csv_2021-07-07" / n for n in ("SDN.CSV", "ALT.CSV", "ADD.CSV")},
    "uk_fcdo": {"ConList.csv": DATA / "uk/ConList_2025-04-10.csv"},
    "ca_sema": {"sema-lmes.xml": DATA / "ca/sema-lmes_2020-04-15.xml"},
}
# The six real lists of issue 20: where identical names and shared identifiers are counted.
SIX_LISTS = {
    "us_ofac": {"SDN.CSV": DATA / "us_ofac/sdn_history/SDN_2024-05-03.CSV"},
    "uk_fcdo": {"ConList.csv": DATA / "uk/ConList_2025-04-10.csv"},
    "ca_sema": {"sema-lmes.xml": DATA / "ca/sema-lmes_2025-05-25.xml"},
    "au_dfat": {
        "regulation8_consolidated.xlsx": DATA / "au/regulation8_consolidated_2026-07-23.xlsx"
    },
    "un_sc": {"consolidated.xml": DATA / "un/un_consolidated_2025-04-19.xml"},
    "eu_fsf": {"fsf.xml": DATA / "eu/fsf_2026-08-05_excerpt.xml"},
}


def load(folder: Path, snapshots: dict[str, dict[str, Path]]) -> Path:
    """Publish the snapshots into a scratch warehouse through the normal refresh steps."""
    mirror = folder / "mirror"
    for source_id, files in snapshots.items():
        (mirror / source_id).mkdir(parents=True)
        for name, path in files.items():
            (mirror / source_id / name).symlink_to(path)
    path = folder / "warehouse.duckdb"
    with warehouse.connect(path) as con:
        refresh_from_mirror(con, snapshots, Archive(folder / "raw"), str(mirror))
    return path


def main() -> None:
    labels = DATA / "labels/crosslist_pairs_dev.csv"
    with tempfile.TemporaryDirectory() as tmp:
        path = load(Path(tmp), SNAPSHOTS)
        with warehouse.connect(path) as con:
            started = time.perf_counter()
            stats = matching.match(con)
            cluster_stats = clusters.write_clusters(con)
            seconds = time.perf_counter() - started
            results = evaluate(con, labels)
            errors = label_errors(con, labels)
    print(
        f"matcher {matching.MATCHER_VERSION}: {stats.records:,} records, {stats.candidates:,} "
        f"candidates, {stats.name_pairs:,} name pairs, {seconds:.1f} s; "
        f"{cluster_stats.multi_record_targets:,} multi-record targets"
    )
    header = (
        f"{'pair':<7}{'labels':>7}{'joined':>7}{'pos':>5}{'neg':>5}{'block rec':>10}"
        f"{'acc P':>8}{'acc R':>8}{'+rev P':>8}{'+rev R':>8}{'neg merged':>11}"
    )
    print(header)
    print("-" * len(header))
    for row in results:
        print(
            f"{row.pair:<7}{row.labels:>7}{row.joined:>7}{row.positives:>5}{row.negatives:>5}"
            f"{row.blocking_recall:>10.4f}{row.precision(row.accepted):>8.3f}"
            f"{row.recall(row.accepted):>8.3f}{row.precision(row.with_review):>8.3f}"
            f"{row.recall(row.with_review):>8.3f}{row.merged_negatives:>11}"
        )
    print("\nlabelled errors of the targets (kind, pair, matcher rule, names):")
    for error in errors:
        print(
            f"  {error.kind:<7}{error.left[:24]:<25}{error.right[:24]:<25}{error.cause:<26}"
            f"{error.left_name} | {error.right_name}"
        )
    print_split_parties()


def print_split_parties() -> None:
    """On the six real lists: pairs of records in different targets that share an identical
    organisation primary name, a UN reference number or a vessel's IMO number, with the rule
    that kept each pair apart."""
    with tempfile.TemporaryDirectory() as tmp:
        path = load(Path(tmp), SIX_LISTS)
        with warehouse.connect(path) as con:
            matching.match(con)
            clusters.write_clusters(con)
            split = split_parties(con)
    print("\nsix lists: cross-list pairs in different targets (kind, pairs, by reason):")
    for kind, pairs in split.items():
        reasons = Counter(pair.reason for pair in pairs).most_common()
        print(f"  {kind:<18}{len(pairs):>5}  " + ", ".join(f"{r} {n}" for r, n in reasons))
    for kind, pairs in split.items():
        for pair in pairs:
            names = f"{pair.left[:30]:<31}{pair.right[:30]:<31}{pair.shared:<30.30}"
            print(f"  {kind:<18}{names} {pair.reason}")


if __name__ == "__main__":
    main()
