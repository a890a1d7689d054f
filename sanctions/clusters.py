"""Targets: clusters of records that are the same party, with ids that survive re-runs.

Edges are analysts' "same" judgements first, then accepted links, best score first. A merge
is refused when an analyst judged two of its records different, when it would put two records
of the same list together that are not directly linked (one generic name chaining distinct
people through another list), or when the cluster would grow past MAX_CLUSTER. Edges of equal
score are taken in record-id order, so the clusters never depend on the order of the input.
An accepted link a refused merge leaves across two targets goes to review.

Target ids follow the records: each new cluster keeps the previous id it shares most records
with (see assign_target_ids), and matching.record_targets remembers every record's latest id,
after it is delisted too.
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
    split_ids: list[tuple[str, str]] = field(default_factory=list)
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
    for left, right, verdict in sorted(judgements):
        if left not in records or right not in records:
            stats.judgements_missing_records.append((left, right, verdict))
        elif verdict == "different":
            cannot.setdefault(left, set()).add(right)
            cannot.setdefault(right, set()).add(left)
        elif verdict == "same":
            same.append(canonical_pair(left, right))
    same.sort()
    accepted = sorted(
        ((*canonical_pair(left, right), score) for left, right, score in links),
        key=lambda link: (-link[2], link[0], link[1]),
    )
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
    clusters: list[set[str]],
    previous: dict[str, str],
    stats: ClusterStats,
    retired: Iterable[str] = (),
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """record -> target id by maximum overlap with `previous` (record -> old id); and the
    (retired id, id that took most of its records) merges.

    Every (new cluster, old id) pair counts the records they share; pairs are granted greedily,
    most shared records first, then the cluster with the smallest record id, then the smaller
    old id, each cluster and each old id at most once. So a cluster that lost or gained one
    record keeps its id, and after a split the part with most records keeps it. A cluster
    left without an old id gets a new one (never an old or `retired` id). An old id no cluster
    claims is retired: a merge into the cluster holding most of its records (that cluster
    always kept an old id of its own, else it would have claimed this one); an id whose records
    are all gone is no merge. A cluster whose own majority id went to another cluster is a
    split, listed in stats.split_ids as (that id, the id the cluster got).
    """
    ordered = sorted(clusters, key=min)  # clusters are disjoint: index order = smallest record
    shared = [Counter(previous[r] for r in members if r in previous) for members in ordered]
    candidates = sorted(
        (-count, index, old) for index, votes in enumerate(shared) for old, count in votes.items()
    )
    kept: dict[int, str] = {}
    holder: dict[str, int] = {}
    top_cluster: dict[str, int] = {}
    for _, index, old in candidates:
        top_cluster.setdefault(old, index)
        if index not in kept and old not in holder:
            kept[index], holder[old] = old, index
    taken = {*previous.values(), *retired}
    ids = []
    for index, members in enumerate(ordered):
        target = kept.get(index) or new_target_id(members, taken)
        taken.add(target)
        ids.append(target)
    merges = [(old, ids[index]) for old, index in sorted(top_cluster.items()) if old not in holder]
    majorities = [min(votes, key=lambda old: (-votes[old], old), default=None) for votes in shared]
    stats.split_ids = [
        (majority, ids[index])
        for index, majority in enumerate(majorities)
        if majority is not None and holder[majority] != index
    ]
    stats.merges = len(merges)
    stats.splits = len(stats.split_ids)
    assignment = {record: ids[index] for index, members in enumerate(ordered) for record in members}
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
    """Cluster the accepted links and judgements into matching.clusters, with ids kept by
    overlap with every record's latest id (matching.record_targets, delisted records too), and
    update record_targets, target_merges and target_splits. Runs inside the caller's
    transaction (the matching asset's), so the four tables always agree."""
    matched_at = matched_at or datetime.now(UTC)
    # delisted records (retired.*) take part too, so that one listed and delisted between two
    # runs still finds its target; matching.clusters holds the listed ones only
    records = dict(
        con.execute("SELECT record_id, source_id FROM matching_input.records").fetchall()
    )
    links = con.execute(
        """SELECT left_record_id, right_record_id, score FROM matching.links
           WHERE decision = 'accept'"""
    ).fetchall()
    judgements = con.execute(
        """SELECT left_record_id, right_record_id, verdict FROM matching.judgements
           QUALIFY row_number() OVER (PARTITION BY left_record_id, right_record_id
                                      ORDER BY judged_at DESC) = 1"""
    ).fetchall()
    previous = dict(
        con.execute("SELECT record_id, target_id FROM matching.record_targets").fetchall()
    )
    # matching.clusters over it: a warehouse from before record_targets existed
    previous.update(con.execute("SELECT record_id, target_id FROM matching.clusters").fetchall())
    retired = [
        row[0] for row in con.execute("SELECT old_target_id FROM matching.target_merges").fetchall()
    ]
    clusters, stats = cluster(records, links, judgements)
    assignment, merges = assign_target_ids(clusters, previous, stats, retired)
    record_ids = list(assignment)
    con.execute("DELETE FROM matching.clusters")
    con.execute(
        """INSERT INTO matching.clusters
           SELECT r.record_id, a.target_id, r.source_id, r.jurisdiction
           FROM (SELECT unnest(?::VARCHAR[]) AS record_id, unnest(?::VARCHAR[]) AS target_id) a
           JOIN core.records r USING (record_id)""",
        [record_ids, [assignment[record] for record in record_ids]],
    )
    con.execute(
        """INSERT INTO matching.record_targets
           SELECT r.record_id, a.target_id, r.source_id, r.jurisdiction, ?
           FROM (SELECT unnest(?::VARCHAR[]) AS record_id, unnest(?::VARCHAR[]) AS target_id) a
           JOIN matching_input.records r USING (record_id)
           LEFT JOIN matching.record_targets t USING (record_id)
           WHERE t.target_id IS DISTINCT FROM a.target_id
           ON CONFLICT (record_id) DO UPDATE
           SET target_id = excluded.target_id, updated_at = excluded.updated_at""",
        [matched_at, record_ids, [assignment[record] for record in record_ids]],
    )
    if merges:
        # Only delisted records can still carry a retired id: re-point them.
        con.execute(
            """UPDATE matching.record_targets t SET target_id = m.new_id, updated_at = ?
               FROM (SELECT unnest(?::VARCHAR[]) AS old_id, unnest(?::VARCHAR[]) AS new_id) m
               WHERE t.target_id = m.old_id""",
            [matched_at, [old for old, _ in merges], [new for _, new in merges]],
        )
    _log_id_changes(con, "matching.target_merges", merges, matched_at)
    _log_id_changes(con, "matching.target_splits", stats.split_ids, matched_at)
    _review_refused_links(con, links, assignment)
    return stats


def _review_refused_links(con, links, assignment: dict[str, str]) -> None:
    """An accepted link whose two records stay in different targets (the merge was refused:
    two records of one list not linked directly, an analyst's "different", the size bound)
    goes to review, its rule saying so: `review:merge-refused+<rule>`."""
    refused = [(left, right) for left, right, _ in links if assignment[left] != assignment[right]]
    if refused:
        con.execute(
            """UPDATE matching.links l
               SET decision = 'review',
                   rule = 'review:merge-refused+' || split_part(l.rule, ':', 2)
               FROM (SELECT unnest(?::VARCHAR[]) AS l, unnest(?::VARCHAR[]) AS r) p
               WHERE l.left_record_id = p.l AND l.right_record_id = p.r
                 AND l.rule LIKE 'accept:%'""",
            [[left for left, _ in refused], [right for _, right in refused]],
        )


def _log_id_changes(con, table: str, changes: list[tuple[str, str]], at: datetime) -> None:
    if changes:
        con.executemany(f"INSERT INTO {table} VALUES (?, ?, ?)", [(*c, at) for c in changes])


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
    """Write every judgement to a CSV file a team can keep under version control, times in
    UTC with their offset, so the file reads the same on every host."""
    rows = con.execute(
        f"SELECT {', '.join(JUDGEMENT_COLUMNS)} FROM matching.judgements ORDER BY ALL"
    ).fetchall()
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(JUDGEMENT_COLUMNS)
        writer.writerows(
            (*row[:4], row[4].astimezone(UTC).isoformat(), row[5] or "") for row in rows
        )
    return len(rows)


def import_judgements(con, path) -> tuple[int, int]:
    """Add the judgements of a CSV export; ones already present (same pair, verdict, author
    and instant, whatever offset the file wrote it in) are skipped. (added, skipped)"""
    existing = {
        (left, right, verdict, author, judged_at.astimezone(UTC))
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
            judged_at = _instant(row["judged_at"], f"{path}: line {line}")
            left, right = canonical_pair(row["left_record_id"], row["right_record_id"])
            key = (left, right, row["verdict"], row["author"], judged_at)
            if key in existing:
                skipped += 1
                continue
            record_judgement(
                con, left, right, row["verdict"], row["author"], row.get("note") or None, judged_at
            )
            existing.add(key)
            added += 1
    return added, skipped


def _instant(text: str, where: str) -> datetime:
    """An ISO-8601 time with its offset, in UTC; a time without one is ambiguous."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{where}: judged_at {text!r} is not an ISO-8601 time") from exc
    if moment.utcoffset() is None:
        raise ValueError(f"{where}: judged_at {text!r} has no UTC offset (e.g. +00:00)")
    return moment.astimezone(UTC)
