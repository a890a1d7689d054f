"""Targets: clusters of records that are the same party, with ids that survive re-runs.

Edges are analysts' "same" judgements first, then accepted links, best score first. A merge
is refused when an analyst judged two of its records different, when it would put two records
of the same list together that are not directly linked (one generic name chaining distinct
people through another list), or when the cluster would grow past MAX_CLUSTER.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

MAX_CLUSTER = 40
VERDICTS = ("same", "different", "unsure")


@dataclass
class ClusterStats:
    targets: int = 0
    multi_record_targets: int = 0
    refused_by_judgement: int = 0
    refused_same_list: int = 0
    refused_size: int = 0
    merges: int = 0
    splits: int = 0
    judgements_missing_records: list[tuple[str, str, str]] = field(default_factory=list)


class _Components:
    def __init__(self, records: dict[str, str]):
        self.parent = {record: record for record in records}
        self.members = {record: {record} for record in records}
        self.source_of = records

    def find(self, record: str) -> str:
        root = record
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[record] != root:
            self.parent[record], record = root, self.parent[record]
        return root

    def union(
        self,
        a: str,
        b: str,
        cannot: dict[str, set[str]],
        direct: set[frozenset],
        stats: ClusterStats,
    ) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return
        left, right = self.members[root_a], self.members[root_b]
        if any(cannot.get(record, set()) & right for record in left):
            stats.refused_by_judgement += 1
            return
        if len(left) + len(right) > MAX_CLUSTER:
            stats.refused_size += 1
            return
        sources = Counter(self.source_of[record] for record in left)
        for record in right:
            if sources[self.source_of[record]] and not all(
                frozenset((record, other)) in direct
                for other in left
                if self.source_of[other] == self.source_of[record]
            ):
                stats.refused_same_list += 1
                return
        if len(left) < len(right):
            root_a, root_b, left, right = root_b, root_a, right, left
        self.parent[root_b] = root_a
        left |= right
        del self.members[root_b]


def cluster(
    records: dict[str, str],
    links: Iterable[tuple[str, str, float]],
    judgements: Iterable[tuple[str, str, str]],
) -> tuple[list[set[str]], ClusterStats]:
    """Components of `records` (record_id -> source_id) under the edges, with the guards."""
    stats = ClusterStats()
    components = _Components(records)
    cannot: dict[str, set[str]] = {}
    same: list[tuple[str, str]] = []
    for left, right, verdict in judgements:
        if left not in records or right not in records:
            stats.judgements_missing_records.append((left, right, verdict))
        elif verdict == "different":
            cannot.setdefault(left, set()).add(right)
            cannot.setdefault(right, set()).add(left)
        elif verdict == "same":
            same.append((left, right))
    accepted = sorted(links, key=lambda link: -link[2])
    direct = {frozenset(pair) for pair in same} | {frozenset(link[:2]) for link in accepted}
    for left, right in same:
        components.union(left, right, cannot, direct, stats)
    for left, right, _ in accepted:
        components.union(left, right, cannot, direct, stats)
    clusters = list(components.members.values())
    stats.targets = len(clusters)
    stats.multi_record_targets = sum(1 for members in clusters if len(members) > 1)
    return clusters, stats


def assign_target_ids(
    clusters: list[set[str]], previous: dict[str, str], stats: ClusterStats
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """record -> target id, keeping ids stable; and (retired id, surviving id) merges.

    A cluster takes the previous id most of its records had (ties: the smaller id); larger
    clusters choose first, so after a split the larger part keeps the id and the smaller takes
    its next most common previous id, else a new one. Ids a merged cluster did not keep are
    retired and reported as merges.
    """
    claims = []
    for members in clusters:
        votes = Counter(previous[record] for record in members if record in previous)
        ranked = sorted(votes, key=lambda target: (-votes[target], target))
        claims.append((ranked, members))
    claims.sort(key=lambda claim: (-len(claim[1]), min(claim[1])))
    taken: set[str] = set()
    assignment: dict[str, str] = {}
    merges: list[tuple[str, str]] = []
    for ranked, members in claims:
        target = next((candidate for candidate in ranked if candidate not in taken), None)
        if ranked and ranked[0] in taken:
            stats.splits += 1
        target = target or new_target_id(members, taken)
        taken.add(target)
        merges += [(retired, target) for retired in ranked if retired not in taken]
        taken.update(ranked)  # a retired id is never handed out again in this run
        for record in members:
            assignment[record] = target
    stats.merges = len(merges)
    return assignment, merges


def new_target_id(members: set[str], taken: set[str]) -> str:
    """A deterministic id from the cluster's smallest record id (re-derived the same way if
    history is ever rebuilt), salted if already taken."""
    seed, salt = min(members), 0
    while True:
        digest = hashlib.sha256(f"{seed}#{salt}".encode()).hexdigest()[:12]
        target = f"T-{digest}"
        if target not in taken:
            return target
        salt += 1


def write_clusters(con, matched_at: datetime | None = None) -> ClusterStats:
    """Cluster the accepted links and judgements into matching.clusters (ids kept stable)."""
    matched_at = matched_at or datetime.now(UTC)
    records = dict(con.execute("SELECT record_id, source_id FROM core.records").fetchall())
    links = con.execute(
        """SELECT left_record_id, right_record_id, score FROM matching.links
           WHERE decision = 'accept'"""
    ).fetchall()
    judgements = con.execute(
        """SELECT left_record_id, right_record_id, verdict FROM matching.judgements
           QUALIFY row_number() OVER (PARTITION BY left_record_id, right_record_id
                                      ORDER BY judged_at DESC) = 1"""
    ).fetchall()
    previous = dict(con.execute("SELECT record_id, target_id FROM matching.clusters").fetchall())
    clusters, stats = cluster(records, links, judgements)
    assignment, merges = assign_target_ids(clusters, previous, stats)
    rows = con.execute("SELECT record_id, source_id, jurisdiction FROM core.records").fetchall()
    con.execute("DELETE FROM matching.clusters")
    if rows:
        con.execute(
            """INSERT INTO matching.clusters
               SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]),
                      unnest(?::VARCHAR[])""",
            [
                [r[0] for r in rows],
                [assignment[r[0]] for r in rows],
                [r[1] for r in rows],
                [r[2] for r in rows],
            ],
        )
    if merges:
        con.executemany(
            "INSERT INTO matching.target_merges VALUES (?, ?, ?)",
            [(old, new, matched_at) for old, new in merges],
        )
    con.execute(  # every record ever clustered keeps its latest target, even once delisted
        "INSERT OR REPLACE INTO matching.record_targets SELECT *, ? FROM matching.clusters",
        [matched_at],
    )
    return stats


def canonical_pair(left: str, right: str) -> tuple[str, str]:
    return (left, right) if left <= right else (right, left)


def record_judgement(
    con,
    left: str,
    right: str,
    verdict: str,
    author: str,
    note: str | None = None,
    judged_at: datetime | None = None,
) -> None:
    """Store an analyst's decision; it applies from the next matching run on."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    if left == right:
        raise ValueError("a judgement needs two different records")
    left, right = canonical_pair(left, right)
    con.execute(
        "INSERT INTO matching.judgements VALUES (?, ?, ?, ?, ?, ?)",
        [left, right, verdict, author, judged_at or datetime.now(UTC), note],
    )


JUDGEMENT_COLUMNS = ("left_record_id", "right_record_id", "verdict", "author", "judged_at", "note")


def export_judgements(con, path) -> int:
    """Write every judgement to a CSV file a team can keep under version control."""
    rows = con.execute(
        f"SELECT {', '.join(JUDGEMENT_COLUMNS)} FROM matching.judgements ORDER BY judged_at"
    ).fetchall()
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(JUDGEMENT_COLUMNS)
        writer.writerows((*row[:4], row[4].isoformat(), row[5] or "") for row in rows)
    return len(rows)


def import_judgements(con, path) -> tuple[int, int]:
    """Add the judgements of a CSV export; ones already present are skipped. (added, skipped)"""
    existing = {
        (left, right, verdict, author, judged_at.isoformat())
        for left, right, verdict, author, judged_at in con.execute(
            "SELECT left_record_id, right_record_id, verdict, author, judged_at "
            "FROM matching.judgements"
        ).fetchall()
    }
    added = skipped = 0
    with open(path, newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            missing = [column for column in JUDGEMENT_COLUMNS[:5] if not row.get(column)]
            if missing:
                raise ValueError(f"{path}: line {line}: missing {', '.join(missing)}")
            judged_at = datetime.fromisoformat(row["judged_at"])
            left, right = canonical_pair(row["left_record_id"], row["right_record_id"])
            key = (left, right, row["verdict"], row["author"], judged_at.isoformat())
            if key in existing:
                skipped += 1
                continue
            record_judgement(
                con, left, right, row["verdict"], row["author"], row.get("note") or None, judged_at
            )
            existing.add(key)
            added += 1
    return added, skipped
