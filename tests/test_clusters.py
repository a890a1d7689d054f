"""Target ids that stay put (maximum overlap with the previous clustering), the record ->
target history kept after delisting, and judgements that survive a trip between hosts."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.cli import main
from sanctions import clusters, warehouse
from tests.test_matching import load, person

# ------------------------------------------------------------------ assign_target_ids by overlap


def ids_of(groups: list[set[str]], previous: dict[str, str] | None = None):
    """Assign ids to `groups`; return (record -> id, merges, stats)."""
    stats = clusters.ClusterStats()
    assignment, merges = clusters.assign_target_ids(groups, previous or {}, stats)
    return assignment, merges, stats


def test_a_record_moving_into_a_bigger_cluster_leaves_the_other_ids_alone():
    previous = {"A": "T-x", "B": "T-x", "R": "T-x", "C": "T-y", "D": "T-y", "E": "T-y"}
    assignment, merges, stats = ids_of([{"A", "B"}, {"C", "D", "E", "R"}], previous)
    assert assignment == {"A": "T-x", "B": "T-x", "R": "T-y", "C": "T-y", "D": "T-y", "E": "T-y"}
    assert merges == [] and stats.merges == 0
    assert stats.splits == 0  # {A, B} kept its majority id: nothing was split off


def test_a_merge_keeps_the_id_with_the_most_records_and_logs_the_retired_one():
    previous = {"A": "T-b", "B": "T-b", "C": "T-a", "D": "T-a", "E": "T-a"}
    assignment, merges, stats = ids_of([{"A", "B", "C", "D", "E"}], previous)
    assert set(assignment.values()) == {"T-a"}
    assert merges == [("T-b", "T-a")] and stats.merges == 1


def test_equal_overlaps_are_broken_by_the_smallest_record_then_the_old_id():
    previous = {"A": "T-2", "B": "T-1", "C": "T-1", "D": "T-2"}
    # {A, B} and {C, D} each hold one record of T-1 and one of T-2: {A, B} has the smaller
    # record and takes the smaller old id, {C, D} the other one.
    assignment, merges, stats = ids_of([{"C", "D"}, {"A", "B"}], previous)
    assert assignment["A"] == "T-1" and assignment["C"] == "T-2"
    assert merges == []
    assert stats.split_ids == [("T-1", "T-2")]  # {C, D} could not keep T-1 (its tie winner)


def test_a_split_leaves_the_id_with_the_larger_part_and_is_recorded():
    previous = dict.fromkeys("ABCD", "T-1")
    assignment, merges, stats = ids_of([{"D"}, {"A", "B", "C"}], previous)
    assert {assignment[r] for r in "ABC"} == {"T-1"}
    new = assignment["D"]
    assert new == clusters.new_target_id({"D"}, {"T-1"})
    assert merges == [] and stats.split_ids == [("T-1", new)] and stats.splits == 1


def test_an_id_whose_records_all_left_is_not_logged_as_a_merge():
    previous = {"A": "T-1", "B": "T-2"}  # A was delisted: T-1 is claimed by nobody
    assignment, merges, _ = ids_of([{"B"}], previous)
    assert assignment == {"B": "T-2"} and merges == []


def test_new_ids_do_not_reuse_an_old_or_retired_id():
    first = clusters.new_target_id({"A"}, set())
    stats = clusters.ClusterStats()
    assignment, _ = clusters.assign_target_ids([{"A"}], {}, stats, retired={first})
    assert assignment["A"] == clusters.new_target_id({"A"}, {first}) != first


# ------------------------------------------------------------------------- properties of ids

RECORD_IDS = [f"{j}:{n}" for j in ("US", "UK", "EU") for n in range(4)]
SOURCES = {"US": "us_ofac", "UK": "uk_fcdo", "EU": "eu_fsf"}


@st.composite
def graphs(draw):
    """Random small record sets and scored links between them (scores from a short list so
    that ties are common)."""
    records = draw(st.lists(st.sampled_from(RECORD_IDS), min_size=1, unique=True))
    records = {record: SOURCES[record.split(":")[0]] for record in records}
    pairs = [(a, b) for a in sorted(records) for b in sorted(records) if a < b]
    links = draw(
        st.lists(
            st.tuples(st.sampled_from(pairs), st.sampled_from([90.0, 95.0, 99.0])),
            unique_by=lambda link: link[0],
            max_size=12,
        )
        if pairs
        else st.just([])
    )
    return records, [(a, b, score) for (a, b), score in links]


def cluster_ids(records, links, previous=None):
    groups, stats = clusters.cluster(records, links, [])
    assignment, _ = clusters.assign_target_ids(groups, previous or {}, stats)
    return groups, assignment


@settings(max_examples=150, deadline=None)
@given(graphs(), st.randoms(use_true_random=False))
def test_every_record_once_and_ids_independent_of_input_order(graph, rng):
    records, links = graph
    groups, assignment = cluster_ids(records, links)
    assert sorted(r for group in groups for r in group) == sorted(records)
    assert set(assignment) == set(records)
    assert len(set(assignment.values())) == len(groups)
    shuffled_records = list(records.items())
    rng.shuffle(shuffled_records)
    shuffled_links = [(b, a, s) if rng.random() < 0.5 else (a, b, s) for a, b, s in links]
    rng.shuffle(shuffled_links)
    _, again = cluster_ids(dict(shuffled_records), shuffled_links)
    assert again == assignment


@settings(max_examples=150, deadline=None)
@given(graphs())
def test_rerunning_on_unchanged_input_changes_no_id(graph):
    records, links = graph
    _, first = cluster_ids(records, links)
    groups, second = cluster_ids(records, links, first)
    assert second == first
    stats = clusters.ClusterStats()
    assert clusters.assign_target_ids(groups, first, stats)[1] == []
    assert stats.splits == 0


def records_by_id(assignment: dict[str, str]) -> dict[str, set[str]]:
    grouped: dict[str, set[str]] = {}
    for record, target in assignment.items():
        grouped.setdefault(target, set()).add(record)
    return grouped


@settings(max_examples=200, deadline=None)
@given(graphs(), st.data())
def test_moving_one_record_changes_only_the_ids_of_clusters_it_merged_or_split(graph, data):
    records, links = graph
    _, before = cluster_ids(records, links)
    moved = data.draw(st.sampled_from(sorted(records)))
    own = [link for link in links if moved in link[:2]]
    others = [r for r in records if before[r] != before[moved]]
    # Move: drop one of its links, and (sometimes) link it to a record of another cluster.
    changed = [link for link in links if link not in own[:1]]
    if others and data.draw(st.booleans()):
        changed.append((moved, data.draw(st.sampled_from(sorted(others))), 99.0))
    after_groups, after = cluster_ids(records, changed, before)
    old_members = records_by_id(before)
    for group in after_groups:
        ids = {after[r] for r in group}
        assert len(ids) == 1
        old_ids = {before[r] for r in group}
        majority = max(old_ids, key=lambda t: len(group & old_members[t]))
        shared = group & old_members[majority]
        # An untouched cluster, or one that holds most of an old cluster's records while
        # those records are most of it (one record moved in or out), keeps the old id.
        if 2 * len(shared) > len(group) and 2 * len(shared) > len(old_members[majority]):
            assert ids == {majority}, (group, before, after)


@settings(max_examples=200, deadline=None)
@given(graphs(), graphs())
def test_logged_merges_and_splits_are_true(graph, other):
    """Between any two clusterings of the same records (here: the links of two graphs)."""
    records, links = graph
    _, before = cluster_ids(records, links)
    later_links = [link for link in other[1] if set(link[:2]) <= set(records)]
    groups, stats = clusters.cluster(records, links[::2] + later_links, [])
    after, merges = clusters.assign_target_ids(groups, before, stats)
    old_members, new_members = records_by_id(before), records_by_id(after)
    for retired, into in merges:
        assert retired not in new_members and into in old_members
        # the cluster holding most of its records (ties: the smallest record id)
        taker = min(groups, key=lambda group: (-len(group & old_members[retired]), min(group)))
        assert old_members[retired] & taker and {after[r] for r in taker} == {into}
    for split, got in stats.split_ids:
        assert split in new_members and got != split


# --------------------------------------------------------------- write_clusters and history


def targets(con) -> dict[str, str]:
    return dict(con.execute("SELECT record_id, target_id FROM matching.clusters").fetchall())


def record_targets(con) -> dict[str, str]:
    return dict(con.execute("SELECT record_id, target_id FROM matching.record_targets").fetchall())


def people(*record_ids: str) -> list:
    return [row for record_id in record_ids for row in person(record_id, f"Person {record_id}")]


def judge(con, verdict: str, *pairs: tuple[str, str]) -> None:
    """Cluster through analysts' judgements, so each test sets its edges exactly."""
    for left, right in pairs:
        clusters.record_judgement(con, left, right, verdict, "test")


def test_a_moved_record_keeps_every_other_id_and_logs_no_false_merge(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    load(db, people("US:1", "UK:2", "EU:3", "CA:4", "UK:5"))
    with warehouse.connect(db) as con:
        judge(con, "same", ("US:1", "UK:2"), ("UK:2", "EU:3"), ("CA:4", "UK:5"))
        clusters.write_clusters(con)
        before = targets(con)
        # EU:3 is now judged different from UK:2 and the same as CA:4: it moves into the
        # bigger cluster; US:1 and UK:2 never moved.
        judge(con, "different", ("UK:2", "EU:3"))
        judge(con, "same", ("EU:3", "CA:4"))
        stats = clusters.write_clusters(con)
        after = targets(con)
        merges = con.execute("SELECT count(*) FROM matching.target_merges").fetchall()[0][0]
    assert after["US:1"] == after["UK:2"] == before["US:1"]
    assert after["EU:3"] == after["CA:4"] == after["UK:5"] == before["CA:4"]
    assert merges == 0 and stats.merges == 0


def test_record_targets_keep_delisted_records_and_follow_a_merge(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    load(db, people("US:1", "UK:2", "CA:3", "EU:4", "EU:5", "UK:6"))
    with warehouse.connect(db) as con:
        judge(con, "same", ("US:1", "UK:2"), ("CA:3", "EU:4"), ("EU:4", "EU:5"))
        clusters.write_clusters(con)
        first = targets(con)
        assert record_targets(con) == first
    load(db, people("US:1", "CA:3", "EU:4", "EU:5", "UK:6"))  # UK:2 is delisted
    with warehouse.connect(db) as con:
        clusters.write_clusters(con, datetime(2026, 1, 2, tzinfo=UTC))
        assert "UK:2" not in targets(con) and targets(con)["US:1"] == first["US:1"]
        assert record_targets(con)["UK:2"] == first["UK:2"] == first["US:1"]
        # US:1 joins the bigger cluster: its id is retired into the bigger cluster's, and the
        # delisted UK:2 (still clustered through retired.*) follows it there.
        judge(con, "same", ("US:1", "CA:3"))
        clusters.write_clusters(con, datetime(2026, 1, 3, tzinfo=UTC))
        kept = first["CA:3"]
        joined = ["US:1", "UK:2", "CA:3", "EU:4", "EU:5"]
        assert {targets(con)[r] for r in joined if r != "UK:2"} == {kept}
        assert {r: t for r, t in record_targets(con).items() if r in joined} == dict.fromkeys(
            joined, kept
        )
        merges = con.execute("SELECT old_target_id, new_target_id FROM matching.target_merges")
        assert merges.fetchall() == [(first["US:1"], kept)]
        rewritten = con.execute(
            "SELECT updated_at FROM matching.record_targets WHERE record_id = 'UK:2'"
        ).fetchall()[0][0]
        assert rewritten == datetime(2026, 1, 3, tzinfo=UTC)


def test_a_relisted_record_gets_its_old_target_back(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    load(db, people("CA:1", "US:2", "CA:9", "US:9"))
    with warehouse.connect(db) as con:
        judge(con, "same", ("CA:1", "US:2"))
        clusters.write_clusters(con)
        first = targets(con)
    load(db, people("CA:9", "US:9"))  # both delisted
    with warehouse.connect(db) as con:
        clusters.write_clusters(con)
    load(db, people("US:2", "CA:9", "US:9"))  # US:2 alone is listed again
    with warehouse.connect(db) as con:
        clusters.write_clusters(con)
        assert targets(con)["US:2"] == first["US:2"] == first["CA:1"]


def test_splits_are_recorded(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    load(db, people("US:1", "UK:2", "EU:3"))
    with warehouse.connect(db) as con:
        judge(con, "same", ("US:1", "UK:2"), ("UK:2", "EU:3"))
        clusters.write_clusters(con)
        whole = targets(con)["US:1"]
        judge(con, "different", ("UK:2", "EU:3"))
        stats = clusters.write_clusters(con)
        after = targets(con)
        splits = con.execute(
            "SELECT old_target_id, new_target_id FROM matching.target_splits"
        ).fetchall()
    assert after["US:1"] == after["UK:2"] == whole != after["EU:3"]
    assert splits == [(whole, after["EU:3"])] and stats.splits == 1


# ---------------------------------------------------------------- judgements across hosts


def test_judgements_imported_from_another_time_zone_are_not_duplicated(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    load(db, person("US:1", "Person One") + person("UK:1", "Person One"))
    judged_at = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)
    exported = tmp_path / "from-tokyo.csv"
    with exported.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(clusters.JUDGEMENT_COLUMNS)
        tokyo = judged_at.astimezone(timezone(timedelta(hours=9))).isoformat()
        assert tokyo.endswith("+09:00")
        writer.writerow(["UK:1", "US:1", "same", "ana", tokyo, "checked"])
    with warehouse.connect(db) as con:
        clusters.record_judgement(con, "US:1", "UK:1", "same", "ana", "checked", judged_at)
        assert clusters.import_judgements(con, exported) == (0, 1)
        assert con.execute("SELECT count(*) FROM matching.judgements").fetchall()[0][0] == 1


@pytest.mark.parametrize("session_zone", ["Asia/Tokyo", "America/Los_Angeles"])
def test_judgements_are_exported_as_utc_and_round_trip_between_zones(tmp_path, session_zone):
    db = tmp_path / "warehouse.duckdb"
    load(db, person("US:1", "Person One"))
    judged_at = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    with warehouse.connect(db) as con:
        clusters.record_judgement(con, "US:1", "UK:1", "different", "ana", None, judged_at)
        con.execute(f"SET TimeZone = '{session_zone}'")
        clusters.export_judgements(con, tmp_path / "judgements.csv")
    with (tmp_path / "judgements.csv").open(encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    assert row["judged_at"] == "2026-03-01T23:30:00+00:00"
    with warehouse.connect(db) as con:
        con.execute("SET TimeZone = 'Europe/Paris'")
        assert clusters.import_judgements(con, tmp_path / "judgements.csv") == (0, 1)


def test_an_import_line_without_a_time_zone_is_refused(tmp_path):
    exported = tmp_path / "judgements.csv"
    exported.write_text(
        ",".join(clusters.JUDGEMENT_COLUMNS) + "\nUK:1,US:1,same,ana,2026-03-01T08:30:00,\n",
        encoding="utf-8",
    )
    with (
        warehouse.connect(tmp_path / "warehouse.duckdb") as con,
        pytest.raises(ValueError, match=r"judgements\.csv: line 2: judged_at .* no UTC offset"),
    ):
        clusters.import_judgements(con, exported)


def test_sanctions_judge_export_then_import_on_another_host(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    exported = tmp_path / "judgements.csv"
    monkeypatch.setenv("SANCTIONS_DATA_DIR", str(tmp_path / "here"))
    assert main(["judge", "US:1", "UK:1", "same", "--author", "ana", "--note", "passport"]) == 0
    assert main(["judge", "--export", str(exported)]) == 0
    with exported.open(encoding="utf-8") as handle:
        (row,) = csv.DictReader(handle)
    assert row["judged_at"].endswith("+00:00") and row["left_record_id"] == "UK:1"
    monkeypatch.setenv("SANCTIONS_DATA_DIR", str(tmp_path / "there"))
    assert main(["judge", "--import", str(exported)]) == 0
    assert main(["judge", "--import", str(exported)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[-2:] == [
        f"imported 1 judgements from {exported} (0 already present)",
        f"imported 0 judgements from {exported} (1 already present)",
    ]
