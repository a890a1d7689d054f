"""Match quality on the labelled development pairs (../shared/data/labels/crosslist_pairs_dev.csv).

    python benchmarks/match_quality.py        (or: make bench-match)

Loads the US CSV set of 2021-07-07, the UK ConList of 2025-04-10 and Canada's list of
2020-04-15 into a scratch warehouse, runs the matcher and prints, per jurisdiction pair: how
many labelled pairs join to records, blocking recall (labelled positives that reach scoring),
and precision / recall of the targets (records in one cluster) for auto-accepted links and for
accepted plus review. Precision counts only predictions whose two records carry labels: an
explicit negative, or a record put with anything but its labelled partner in that list.
"""

import csv
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from sanctions import clusters, matching, warehouse
from sanctions.archive import Archive
from sanctions.fetch import HttpOptions
from sanctions.refresh import fetch_source, parse_source, publish_source
from sanctions.sources import SOURCES

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from benchmarks.common import real_data  # noqa: E402

DATA = real_data()
SNAPSHOTS = {
    "us_ofac": {n: DATA / "us_ofac/csv_2021-07-07" / n for n in ("SDN.CSV", "ALT.CSV", "ADD.CSV")},
    "uk_fcdo": {"ConList.csv": DATA / "uk/ConList_2025-04-10.csv"},
    "ca_sema": {"sema-lmes.xml": DATA / "ca/sema-lmes_2020-04-15.xml"},
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
        for source_id in snapshots:
            source = SOURCES[source_id]
            fetch_source(con, source, Archive(folder / "raw"), HttpOptions(), str(mirror))
            parse_source(con, source)
            publish_source(con, source)
    return path


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def label_index(con) -> dict[str, str]:
    """Label id -> record id, for the ids that fit exactly one record."""
    index: dict[str, list[str]] = defaultdict(list)
    for record_id, source_key in con.execute(
        "SELECT record_id, source_key FROM core.records"
    ).fetchall():
        jurisdiction = record_id.split(":", 1)[0]
        if jurisdiction == "US":
            index[f"ofac-{source_key}"].append(record_id)
        elif jurisdiction == "UK":
            index[f"gb-hmt-{source_key}"].append(record_id)
        elif jurisdiction == "CA":
            country, _, item = source_key.split("|")
            english = country.split(" / ")[0]
            index[f"ca-sema-{_slug(english)}-{item}"].append(record_id)
    return {label: ids[0] for label, ids in index.items() if len(ids) == 1}


def evaluate(con, labels_file: Path) -> list[tuple]:
    index = label_index(con)
    target = dict(con.execute("SELECT record_id, target_id FROM matching.clusters").fetchall())
    candidates = {tuple(row) for row in con.execute("SELECT l, r FROM m_cand").fetchall()}
    review = {
        tuple(row)
        for row in con.execute(
            "SELECT left_record_id, right_record_id FROM matching.links WHERE decision = 'review'"
        ).fetchall()
    }
    positives, negatives = defaultdict(set), defaultdict(set)
    partner = defaultdict(set)  # (record, other jurisdiction) -> labelled positive partners
    labelled_records = set()
    totals = defaultdict(lambda: [0, 0])
    with labels_file.open() as handle:
        for row in csv.DictReader(handle):
            key = "-".join(sorted((row["left_juris"], row["right_juris"])))
            totals[key][0] += 1
            left, right = index.get(row["left_id"]), index.get(row["right_id"])
            if not left or not right:
                continue
            totals[key][1] += 1
            pair = tuple(sorted((left, right)))
            labelled_records.update(pair)
            if row["label"] == "1":
                positives[key].add(pair)
                partner[(left, right.split(":")[0])].add(right)
                partner[(right, left.split(":")[0])].add(left)
            else:
                negatives[key].add(pair)

    members = defaultdict(set)
    for record, target_id in target.items():
        members[target_id].add(record)
    predicted = set()
    for group in members.values():
        labelled = sorted(record for record in group if record in labelled_records)
        predicted.update((a, b) for i, a in enumerate(labelled) for b in labelled[i + 1 :])

    results = []
    for key in sorted(totals):
        jurisdictions = set(key.split("-"))
        positive, negative = positives[key], negatives[key]

        def scored(pairs, positive=positive, negative=negative, jurisdictions=jurisdictions):
            pairs = {p for p in pairs if {p[0].split(":")[0], p[1].split(":")[0]} == jurisdictions}
            true = len(pairs & positive)
            false = sum(
                1
                for p in pairs - positive
                if p in negative
                or partner.get((p[0], p[1].split(":")[0]), {p[1]}) - {p[1]}
                or partner.get((p[1], p[0].split(":")[0]), {p[0]}) - {p[0]}
            )
            precision = true / (true + false) if true + false else float("nan")
            recall = true / len(positive) if positive else float("nan")
            return precision, recall

        blocked = len(positive & candidates) / len(positive) if positive else float("nan")
        merged_negatives = len(negative & predicted)
        results.append(
            (
                key,
                *totals[key],
                len(positive),
                len(negative),
                blocked,
                *scored(predicted),
                *scored(predicted | review),
                merged_negatives,
            )
        )
    return results


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
    for key, total, joined, pos, neg, blocked, p1, r1, p2, r2, merged in results:
        print(
            f"{key:<7}{total:>7}{joined:>7}{pos:>5}{neg:>5}{blocked:>10.3f}{p1:>8.3f}{r1:>8.3f}"
            f"{p2:>8.3f}{r2:>8.3f}{merged:>11}"
        )
    joined = [r for r in results if r[3]]
    all_pos = sum(r[3] for r in joined)
    print(
        f"all joined positives: {all_pos}; blocking recall "
        f"{sum(r[5] * r[3] for r in joined) / all_pos:.4f}"
    )


if __name__ == "__main__":
    main()
