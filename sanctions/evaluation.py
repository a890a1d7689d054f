"""Precision and recall of the targets against labelled record pairs.

Label ids follow OpenSanctions' conventions (see ../shared/data/README.md): `ofac-<ent_num>`,
`gb-hmt-<OFSI Group ID>`, `ca-sema-<slug of the regime>-<item>`, `eu-fsf-<slug of the EU
reference>`. Precision counts only predictions whose two records carry labels: an explicit
negative, or a record put with anything but its labelled partner in that jurisdiction.
"""

import csv
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PairQuality:
    """Quality for one jurisdiction pair (or "all"): counts of labelled pairs and predictions."""

    pair: str
    labels: int
    joined: int
    positives: int
    negatives: int
    blocked: int  # labelled positives that reached scoring
    accepted: tuple[int, int]  # (true, false) predictions of the targets
    with_review: tuple[int, int]  # the same, counting review links as matches
    merged_negatives: int

    def precision(self, counts: tuple[int, int]) -> float:
        return counts[0] / sum(counts) if sum(counts) else float("nan")

    def recall(self, counts: tuple[int, int]) -> float:
        return counts[0] / self.positives if self.positives else float("nan")

    @property
    def blocking_recall(self) -> float:
        return self.blocked / self.positives if self.positives else float("nan")


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
    # m_cand is the matcher's temp table: evaluate on the connection that ran the matcher.
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

        def counted(pairs, positive=positive, negative=negative, jurisdictions=jurisdictions):
            pairs = {p for p in pairs if {p[0].split(":")[0], p[1].split(":")[0]} == jurisdictions}
            false = sum(
                1
                for p in pairs - positive
                if p in negative
                or partner.get((p[0], p[1].split(":")[0]), {p[1]}) - {p[1]}
                or partner.get((p[1], p[0].split(":")[0]), {p[0]}) - {p[0]}
            )
            return len(pairs & positive), false

        results.append(
            PairQuality(
                key,
                *totals[key],
                len(positive),
                len(negative),
                len(positive & candidates),
                counted(predicted),
                counted(predicted | review),
                len(negative & predicted),
            )
        )
    results.append(_combined(results))
    return results


def _combined(rows: list[PairQuality]) -> PairQuality:
    def both(counts):
        return (sum(c[0] for c in counts), sum(c[1] for c in counts))

    return PairQuality(
        "all",
        sum(r.labels for r in rows),
        sum(r.joined for r in rows),
        sum(r.positives for r in rows),
        sum(r.negatives for r in rows),
        sum(r.blocked for r in rows),
        both([r.accepted for r in rows]),
        both([r.with_review for r in rows]),
        sum(r.merged_negatives for r in rows),
    )
