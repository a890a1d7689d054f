"""Precision and recall of the targets against labelled record pairs.

Label ids follow OpenSanctions' conventions (see ../shared/data/README.md): `ofac-<ent_num>`,
`gb-hmt-<OFSI Group ID>`, `ca-sema-<slug of the regime>-<item>`, `eu-fsf-<slug of the EU
reference>`. Precision counts only predictions whose two records carry labels: an explicit
negative, or a record put with anything but its labelled partner in that jurisdiction.
"""

import csv
import re
from collections import defaultdict
from dataclasses import dataclass, field
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


@dataclass
class Labels:
    """The labelled pairs that join to records, keyed by jurisdiction pair ("CA-US")."""

    totals: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    positives: dict[str, set] = field(default_factory=lambda: defaultdict(set))
    negatives: dict[str, set] = field(default_factory=lambda: defaultdict(set))
    # (record, other jurisdiction) -> labelled positive partners
    partner: dict[tuple[str, str], set] = field(default_factory=lambda: defaultdict(set))
    records: set[str] = field(default_factory=set)

    def is_false(self, pair: tuple[str, str]) -> bool:
        """A predicted pair is false when labelled negative, or when either record has another
        labelled partner in the other's jurisdiction."""
        left, right = pair
        key = "-".join(sorted((left.split(":")[0], right.split(":")[0])))
        return pair not in self.positives[key] and bool(
            pair in self.negatives[key]
            or self.partner.get((left, right.split(":")[0]), {right}) - {right}
            or self.partner.get((right, left.split(":")[0]), {left}) - {left}
        )


def read_labels(con, labels_file: Path) -> Labels:
    index = label_index(con)
    labels = Labels()
    with labels_file.open() as handle:
        for row in csv.DictReader(handle):
            key = "-".join(sorted((row["left_juris"], row["right_juris"])))
            labels.totals[key][0] += 1
            left, right = index.get(row["left_id"]), index.get(row["right_id"])
            if not left or not right:
                continue
            labels.totals[key][1] += 1
            pair = tuple(sorted((left, right)))
            labels.records.update(pair)
            if row["label"] == "1":
                labels.positives[key].add(pair)
                labels.partner[(left, right.split(":")[0])].add(right)
                labels.partner[(right, left.split(":")[0])].add(left)
            else:
                labels.negatives[key].add(pair)
    return labels


def predicted_pairs(con, labels: Labels) -> set[tuple[str, str]]:
    """Pairs of labelled records that share a target."""
    members = defaultdict(set)
    for record, target_id in con.execute(
        "SELECT record_id, target_id FROM matching.clusters"
    ).fetchall():
        members[target_id].add(record)
    predicted = set()
    for group in members.values():
        labelled = sorted(record for record in group if record in labels.records)
        predicted.update((a, b) for i, a in enumerate(labelled) for b in labelled[i + 1 :])
    return predicted


def evaluate(con, labels_file: Path) -> list[PairQuality]:
    labels = read_labels(con, labels_file)
    candidates = {tuple(row) for row in con.execute("SELECT l, r FROM m_cand").fetchall()}
    # m_cand is the matcher's temp table: evaluate on the connection that ran the matcher.
    review = {
        tuple(row)
        for row in con.execute(
            "SELECT left_record_id, right_record_id FROM matching.links WHERE decision = 'review'"
        ).fetchall()
    }
    predicted = predicted_pairs(con, labels)
    results = []
    for key in sorted(labels.totals):
        jurisdictions = set(key.split("-"))
        positive, negative = labels.positives[key], labels.negatives[key]

        def counted(pairs, positive=positive, jurisdictions=jurisdictions):
            pairs = {p for p in pairs if {p[0].split(":")[0], p[1].split(":")[0]} == jurisdictions}
            return len(pairs & positive), sum(1 for p in pairs - positive if labels.is_false(p))

        results.append(
            PairQuality(
                key,
                *labels.totals[key],
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


@dataclass(frozen=True)
class LabelError:
    """A labelled positive left apart, or a false pair put in one target, with the matcher's
    rule for the pair (or why there is none)."""

    kind: str  # "missed" or "wrong"
    left: str
    right: str
    cause: str
    left_name: str
    right_name: str


def label_errors(con, labels_file: Path) -> list[LabelError]:
    """Every labelled error of the targets, for reading beside the figures of evaluate()."""
    labels = read_labels(con, labels_file)
    rules = {
        (left, right): rule
        for left, right, rule in con.execute("SELECT l, r, rule FROM m_decided").fetchall()
    }
    rules.update(
        ((left, right), rule)
        for left, right, rule in con.execute(
            "SELECT left_record_id, right_record_id, rule FROM matching.links"
        ).fetchall()
    )
    names = dict(con.execute("SELECT record_id, name FROM core.records").fetchall())
    predicted = predicted_pairs(con, labels)
    missed = sorted(set().union(*labels.positives.values()) - predicted)
    wrong = sorted(pair for pair in predicted if labels.is_false(pair))
    return [
        LabelError(
            kind,
            left,
            right,
            rules.get(
                (left, right), "not a candidate" if kind == "missed" else "joined through others"
            ),
            names[left],
            names[right],
        )
        for kind, pairs in (("missed", missed), ("wrong", wrong))
        for left, right in pairs
    ]


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


@dataclass(frozen=True)
class SplitPair:
    """Two records of different lists that look like one party but sit in different targets."""

    left: str
    right: str
    shared: str  # the identical primary name or the shared identifier
    reason: str  # the link's rule, or why no link was made


def split_parties(con) -> dict[str, list[SplitPair]]:
    """After a matching run: the cross-list pairs in different targets that share an identical
    normalised primary name (organisations), a UN reference number, or an IMO number (vessels),
    each with the rule that kept them apart ("no link" when the pair was not even scored)."""
    from sanctions.normalise import normalise_identifier, normalise_name

    facts = []
    for record_id, source_id, entity_type, name in con.execute(
        """SELECT r.record_id, r.source_id, r.entity_type, n.name
           FROM matching_input.records r JOIN matching_input.names n USING (record_id)
           WHERE n.kind = 'primary' AND r.entity_type = 'organization'"""
    ).fetchall():
        facts.append(
            ("organisation name", record_id, source_id, normalise_name(name, entity_type).text)
        )
    for record_id, source_id, entity_type, id_type, value in con.execute(
        """SELECT r.record_id, r.source_id, r.entity_type, i.id_type, i.value
           FROM matching_input.records r JOIN matching_input.identifiers i USING (record_id)"""
    ).fetchall():
        normal = normalise_identifier(id_type or "", value or "")
        if normal and normal.id_class == "un_reference":
            facts.append(("UN reference", record_id, source_id, normal.value))
        elif normal and normal.id_class == "imo" and entity_type == "vessel":
            facts.append(("vessel IMO", record_id, source_id, normal.value))
    con.execute(
        """CREATE OR REPLACE TEMP TABLE e_facts
           (kind VARCHAR, record_id VARCHAR, source_id VARCHAR, value VARCHAR)"""
    )
    con.executemany("INSERT INTO e_facts VALUES (?, ?, ?, ?)", facts)
    rows = con.execute(
        """SELECT DISTINCT a.kind, a.record_id, b.record_id, a.value,
                  coalesce(l.rule, 'no link') AS reason
           FROM e_facts a JOIN e_facts b ON a.kind = b.kind AND a.value = b.value
                AND a.record_id < b.record_id AND a.source_id <> b.source_id
           JOIN matching.clusters ca ON ca.record_id = a.record_id
           JOIN matching.clusters cb ON cb.record_id = b.record_id
           LEFT JOIN matching.links l
                  ON l.left_record_id = a.record_id AND l.right_record_id = b.record_id
           WHERE ca.target_id <> cb.target_id
           ORDER BY ALL"""
    ).fetchall()
    con.execute("DROP TABLE e_facts")
    split: dict[str, list[SplitPair]] = {
        "organisation name": [],
        "UN reference": [],
        "vessel IMO": [],
    }
    for kind, left, right, value, reason in rows:
        split[kind].append(SplitPair(left, right, value, reason))
    return split
