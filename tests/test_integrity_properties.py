"""Property-based tests of the integrity invariants over generated histories.

A history is a date-ordered sequence of snapshots of two lists (OFSI ConList, and OFAC's SDN.XML
or its legacy CSV set, whose good files now and then lack ALT.CSV, ADD.CSV or SDN_COMMENTS.CSV;
dated by the publisher or, for the CSV set, by the replayed files' names): listings,
delistings, changes, reverts, same-day republications, and now and then a bad snapshot
(truncated, or one that drops most records). The same sequence is applied twice, split into
runs differently and through a random mix of paths (the Dagster job, the core asset launched
alone, `sanctions replay`, the CLI), the second time with every companion file; each run
refreshes each list at most once, then matches, builds the marts and alerts, as a scheduled
run does. Invariants:

- core never holds a snapshot that failed a blocking check, and after every publish the
  history's open versions are exactly core's records (checked after every step of every play);
- re-running on unchanged input changes no target id; a taxonomy edit reaches every date's
  figures (history included) and undoing it restores them;
- the US history holds exactly the events the generated files tell (`expected_us_events`):
  a missing companion file, or its return, writes no change;
- absent is unknown: core holds each companion fact (alias, address and its country, the
  continuation of long remarks and the facts read from it) where some published file carrying
  the companion listed the record, carried forward, and none where none did; the history
  names the files each snapshot lacked;
- the set of alerts, the listings as of every snapshot date and the report's figures do not
  depend on the split or the paths (programme changes and same-day republications included),
  nor on the companion files missing; only the figures read from countries may differ, while
  some published US record never had its addresses given (they are unknown, not empty); no
  lag is negative, every (event, scope) is alerted at most once and every event is
  classified once.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets.checks import source_checks
from assets.sources import source_assets
from pipelines import cli
from pipelines.resources import SanctionsResource
from sanctions import alerts, alignment, clusters, history, matching, warehouse
from sanctions.archive import Archive
from sanctions.programmes import PROGRAMMES_CSV
from sanctions.replay import replay
from sanctions.sources import SOURCES
from tests.synthetic_lists import (
    PEOPLE,
    REMARKS_CELL,
    US_FILLERS,
    Listing,
    filler_remarks,
    us_remarks,
    write_csv_set,
    write_snapshot,
)

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")

LISTS = ("us_ofac", "uk_fcdo")
PATHS = ("job", "core_alone", "replay", "cli")
DATED_PATHS = ("replay", "cli")  # the CSV set carries no date: only its files' names date it
DROPPABLE = ("ALT.CSV", "ADD.CSV", "SDN_COMMENTS.CSV")
START = date(2024, 1, 1)


@dataclass(frozen=True)
class Snapshot:
    source: str
    day: date
    listings: tuple[Listing, ...]
    bad: str | None = None  # None, "truncated" or "dropped"
    csv: bool = False  # the US list as OFAC's legacy CSV set
    absent: tuple[str, ...] = ()  # the CSV set's companion files this snapshot lacks

    def write(self, folder: Path, dated: bool) -> Path:
        listings = list(self.listings)
        if self.csv:
            path = write_csv_set(folder, self.day, listings, dated=dated, absent=self.absent)
        else:
            path = write_snapshot(folder, self.source, self.day, listings, dated=dated)
        text = path.read_bytes()
        if self.bad == "truncated":  # a broken download: the CSV set's SDN.CSV ends in a cell
            cut = text.find(b',"', len(text) // 2) + 3 if self.csv else len(text) // 2
            path.write_bytes(text[:cut])
        elif self.bad == "dropped":  # keep the people, lose the fillers: a broken export
            first_filler = {"us_ofac": b'9001,"' if self.csv else b"<lastName>AMBER"}
            cut = text.find(first_filler.get(self.source, b"IRONBRIDGE"))
            closing = b"</sdnList>\n" if self.source == "us_ofac" and not self.csv else b""
            path.write_bytes(text[: text.rfind(b"\n", 0, cut) + 1] + closing)
        return path


listing = st.builds(
    Listing,
    person=st.sampled_from(PEOPLE),
    programme=st.integers(0, 1),
    title=st.sampled_from(("Official", "Minister")),
)
listings = st.lists(listing, max_size=4, unique_by=lambda item: item.person.key).map(tuple)


@st.composite
def sequences(draw) -> list[Snapshot]:
    """Both lists start on the same day (the baseline), then 1-5 dated snapshots; the US list
    as SDN.XML throughout, or as the CSV set whose good snapshots may lack a companion."""
    csv = draw(st.booleans())

    def snapshot(source: str, day: date, bad: str | None = None) -> Snapshot:
        us_csv = csv and source == "us_ofac"
        absent = draw(st.sets(st.sampled_from(DROPPABLE))) if us_csv and not bad else ()
        return Snapshot(source, day, draw(listings), bad, us_csv, tuple(sorted(absent)))

    snapshots = [snapshot(source, START) for source in LISTS]
    last = dict.fromkeys(LISTS, START)
    last_bad = dict.fromkeys(LISTS, False)
    for _ in range(draw(st.integers(1, 5))):
        source = draw(st.sampled_from(LISTS))
        # 0 days: a same-day republication (versions of one day follow the publish sequence);
        # bad files are told apart by their day, so a republication is a good one, and only of
        # a good one
        gap = draw(st.integers(1 if last_bad[source] else 0, 3))
        last[source] += timedelta(days=gap)
        bad = (
            draw(st.sampled_from((None, None, None, None, "truncated", "dropped"))) if gap else None
        )
        snapshots.append(snapshot(source, last[source], bad))
        last_bad[source] = bad is not None
    return sorted(snapshots, key=lambda s: s.day)  # stable: same-day files keep their order


@st.composite
def plans(draw, sequence: list[Snapshot]) -> list[list[tuple[Snapshot, str]]]:
    """Split the sequence into runs (each list refreshed at most once per run), each snapshot
    applied through a random path."""
    runs: list[list[tuple[Snapshot, str]]] = [[]]
    for snapshot in sequence:
        in_run = {s.source for s, _ in runs[-1]}
        if runs[-1] and (snapshot.source in in_run or draw(st.booleans())):
            runs.append([])
        runs[-1].append((snapshot, draw(st.sampled_from(DATED_PATHS if snapshot.csv else PATHS))))
    return runs


def with_every_companion(runs):
    """The same plan, every snapshot with all its companion files."""
    return [[(replace(snapshot, absent=()), path) for snapshot, path in run] for run in runs]


@dataclass
class Warehouse:
    root: Path
    published: list[tuple[str, date]] = field(default_factory=list)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def path(self) -> Path:
        return self.data / "warehouse.duckdb"

    def resource(self, mirror: Path) -> SanctionsResource:
        return SanctionsResource(data_dir=str(self.data), mirror=str(mirror))

    def apply(self, snapshot: Snapshot, path: str, step: int, monkeypatch) -> None:
        folder = self.root / f"step{step}"
        if path in ("replay", "cli"):
            snapshot.write(folder / "dated", dated=True)
            if path == "replay":
                with warehouse.connect(self.path) as con:
                    replay(
                        con, SOURCES[snapshot.source], folder / "dated", Archive(self.data / "raw")
                    )
            else:
                monkeypatch.setenv("SANCTIONS_DATA_DIR", str(self.data))
                cli.main(["replay", snapshot.source, str(folder / "dated")])
            return
        mirror = folder / "mirror"
        snapshot.write(mirror / snapshot.source, dated=False)
        keys = [dg.AssetKey([layer, snapshot.source]) for layer in ("raw", "staging", "core")]
        selections = [keys] if path == "job" else [keys[:2], keys[2:]]
        for selection in selections:
            dg.materialize(
                [*source_assets, *source_checks],
                selection=selection,
                resources={"sanctions": self.resource(mirror)},
                raise_on_error=False,
            )

    def after_run(self, now: datetime | None = None) -> None:
        """What the match_all job does after a refresh."""
        with warehouse.connect(self.path) as con:
            con.execute("BEGIN TRANSACTION")
            matching.match(con)
            clusters.write_clusters(con)
            con.execute("COMMIT")
            alignment.build(con)
            alerts.build_alerts(con, baseline=True, now=now)


def _core_snapshots(con) -> dict[str, str]:
    return dict(
        con.execute(
            "SELECT source_id, snapshot_id FROM core.snapshots "
            "QUALIFY row_number() OVER (PARTITION BY source_id ORDER BY loaded_at DESC) = 1"
        ).fetchall()
    )


def check_state_invariants(db: Path, bad_days: set[tuple[str, date]]) -> None:
    with duckdb.connect(str(db)) as con:
        con.execute("SET TimeZone = 'UTC'")
        # core never held a snapshot that failed a blocking check
        refused = con.execute(
            """SELECT c.source_id, c.published_on FROM core.snapshots c
               WHERE NOT EXISTS (
                   SELECT 1 FROM core.check_results r
                   WHERE r.source_id = c.source_id AND r.snapshot_id = c.snapshot_id
                   GROUP BY r.checked_at HAVING bool_and(r.passed OR NOT r.blocking))"""
        ).fetchall()
        assert refused == []
        published = {
            (source, day)
            for source, day in con.execute(
                "SELECT source_id, published_on FROM core.snapshots"
            ).fetchall()
        }
        assert not published & bad_days
        for source in LISTS:
            if source in _core_snapshots(con):
                assert history.current_matches_core(con, source), source
            open_records = {
                r
                for (r,) in con.execute(
                    "SELECT record_id FROM history.record_versions "
                    "WHERE source_id = ? AND valid_to IS NULL",
                    [source],
                ).fetchall()
            }
            core_records = {
                r
                for (r,) in con.execute(
                    "SELECT record_id FROM core.records WHERE source_id = ?", [source]
                ).fetchall()
            }
            assert open_records == core_records


def published_us(runs) -> list[Snapshot]:
    """The US files that pass the checks, in the order they are applied."""
    return [s for run in runs for s, _ in run if s.source == "us_ofac" and not s.bad]


def expected_us_events(snapshots: list[Snapshot]) -> Counter:
    """The US history the generated files tell, derived here from the listings themselves:
    who is listed, delisted and relisted on which day, and which record changed its title
    (`details`) or programme. Nothing else of a person ever changes in the generated lists, so
    a missing companion file, or its return, adds no event. One known limit: `details` holds
    the remarks that SDN_COMMENTS.CSV continues, so a title changed in the very file that first
    gives a record's continuation (long remarks only) is not told apart from the continuation,
    and not reported."""
    continues = {f"US:{1000 + p.key}" for p in PEOPLE if len(us_remarks(p)) > REMARKS_CELL}
    continues |= {
        f"US:{n}"
        for n in range(9001, 9001 + len(US_FILLERS))
        if len(filler_remarks(n) or "") > REMARKS_CELL
    }
    fillers = {f"US:{number}": (0, None) for number in range(9001, 9001 + len(US_FILLERS))}
    events: Counter = Counter()
    listed: dict[str, tuple] = {}
    seen: set[str] = set()
    continued: set[str] = set()  # records some file with SDN_COMMENTS.CSV listed
    for snapshot in snapshots:
        now = {f"US:{1000 + x.person.key}": (x.programme, x.title) for x in snapshot.listings}
        now |= fillers
        for record in now.keys() - listed.keys():
            events[record, "relisted" if record in seen else "listed", snapshot.day, ()] += 1
        for record in listed.keys() - now.keys():
            events[record, "delisted", snapshot.day, ()] += 1
        for record in now.keys() & listed.keys():
            (programme, title), (was_programme, was_title) = now[record], listed[record]
            first_continued = (
                record in continues - continued and "SDN_COMMENTS.CSV" not in snapshot.absent
            )
            fields = ("details",) * (title != was_title and not first_continued) + (
                "programmes",
            ) * (programme != was_programme)
            if fields:
                events[record, "changed", snapshot.day, fields] += 1
        seen |= now.keys()
        continued |= set() if "SDN_COMMENTS.CSV" in snapshot.absent else now.keys()
        listed = now
    return events


def check_us_history(db: Path, snapshots: list[Snapshot]) -> None:
    """The US history holds exactly the events the files tell (`expected_us_events`)."""
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        rows = con.execute(
            """SELECT record_id, event, event_date::DATE, list_sort(coalesce(changed_fields, []))
               FROM history.events WHERE source_id = 'us_ofac'"""
        ).fetchall()
    history_events = Counter((r, e, d, tuple(f)) for r, e, d, f in rows)
    assert history_events == expected_us_events(snapshots)


def companion_given(snapshots: list[Snapshot]) -> dict[str, set[int]]:
    """Per companion file, the keys of the persons (0: the fillers) some published file
    carrying it listed: their facts from it are known from then on, carried forward."""
    given: dict[str, set[int]] = {name: set() for name in DROPPABLE}
    for snapshot in snapshots:
        for name in set(DROPPABLE) - set(snapshot.absent):
            given[name] |= {x.person.key for x in snapshot.listings} | {0}
    return given


def check_carried_forward(db: Path, snapshots: list[Snapshot]) -> None:
    """For a CSV set: core's US records hold, for each fact a companion file gives, the value
    of the last file that gave it for the record (the generated values never change), and
    none where no file did yet; the remarks are whole where SDN_COMMENTS.CSV ever continued
    them; the history names the files each snapshot lacked."""
    if not snapshots[-1].csv:
        return
    given = companion_given(snapshots)
    people = [x.person for x in snapshots[-1].listings]
    fillers = {f"US:{n}": name for n, name in enumerate(US_FILLERS, start=9001)}
    fillers_given = {name: 0 in keys for name, keys in given.items()}
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")

        def rows(sql: str) -> set[tuple]:
            return set(con.execute(sql).fetchall())

        aliases = rows(
            "SELECT record_id, name FROM core.names WHERE source_id = 'us_ofac' "
            "AND kind <> 'primary'"
        )
        places = rows(
            "SELECT record_id, city, country_name FROM core.addresses WHERE source_id = 'us_ofac'"
        )
        remarks = rows(
            "SELECT record_id, remarks FROM core.records WHERE source_id = 'us_ofac' "
            "AND remarks IS NOT NULL"
        )
        absent = {
            (day, tuple(files))
            for day, files in con.execute(
                "SELECT as_of::DATE, list_sort(coalesce(absent_files, [])) "
                "FROM history.snapshots WHERE source_id = 'us_ofac'"
            ).fetchall()
        }
    assert aliases == {
        (f"US:{1000 + p.key}", p.alias) for p in people if p.key in given["ALT.CSV"]
    } | ({(r, f"{name} LLC") for r, name in fillers.items()} if fillers_given["ALT.CSV"] else set())
    assert places == {
        (f"US:{1000 + p.key}", p.city, p.country) for p in people if p.key in given["ADD.CSV"]
    } | (
        {(r, "Dubai", "United Arab Emirates") for r in fillers}
        if fillers_given["ADD.CSV"]
        else set()
    )
    whole = {f"US:{1000 + p.key}": (us_remarks(p), p.key) for p in people}
    whole["US:9001"] = (filler_remarks(9001), 0)
    continued = given["SDN_COMMENTS.CSV"]
    assert remarks == {
        (record, text if key in continued else text[:REMARKS_CELL])
        for record, (text, key) in whole.items()
    }
    # a file identical to the one published before is no new snapshot of the history
    assert absent <= {(s.day, tuple(sorted(s.absent))) for s in snapshots}


# The report's figures that read the targets' countries, address countries (ADD.CSV) included
COUNTRY_METRICS = (
    "distinct_countries",
    "share_multilateral_by_country",
    "share_multilateral_by_region",
    "share_in_allied_countries",
    "targets_country_unknown",
)


def report_figures(db: Path, countries: bool) -> dict[date, list[tuple]]:
    """The report's figures per date, those read from countries only if `countries`."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "FROM alignment.report_figures WHERE ? OR NOT list_contains(?, metric) ORDER BY ALL",
            [countries, list(COUNTRY_METRICS)],
        ).fetchall()
    figures: dict[date, list[tuple]] = {}
    for day, *rest in rows:
        figures.setdefault(day, []).append(tuple(rest))
    return figures


def check_same_figures(one: dict, two: dict) -> None:
    """The same figures on every date. A file that only lacks companions is a new snapshot
    where the same file whole repeats the one before it and is skipped, so a date may be in
    one play only: there the figures are those of the date before it."""
    for figures in (one, two):
        days = sorted(figures)
        for day, before in zip(days[1:], days, strict=False):
            if day not in one.keys() & two.keys():
                assert figures[day] == figures[before], day
    assert {d: one[d] for d in one.keys() & two.keys()} == {
        d: two[d] for d in one.keys() & two.keys()
    }


def alert_set(db: Path) -> set[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        rows = con.execute(
            """SELECT kind, scopes, jurisdiction, record_id, event_date, lag_days,
                      list_sort(listed_by), list_sort(not_listed_by), unknown_on_date
               FROM alerts.alerts"""
        ).fetchall()
        per_event = con.execute(  # alert_id names the event (same-day republications: its rank)
            "SELECT max(n) FROM (SELECT count(*) AS n FROM alerts.alerts, unnest(scopes) s(scope) "
            "GROUP BY scope, alert_id)"
        ).fetchall()[0][0]
        unclassified = con.execute(
            """SELECT count(*) FROM history.events e
               WHERE e.origin <> 'backfill' AND e.event IN ('listed', 'relisted', 'delisted')
                 AND NOT EXISTS (SELECT 1 FROM alerts.event_log l WHERE l.seq = e.seq)"""
        ).fetchall()[0][0]
    assert per_event in (None, 1), "an event was alerted twice in one scope"
    assert unclassified == 0
    assert all(row[5] is None or row[5] > 0 for row in rows), "a lag that is not positive"
    return {tuple(tuple(v) if isinstance(v, list) else v for v in row) for row in rows}


def listings_as_of(db: Path, days: set[date]) -> dict[date, set[tuple]]:
    """What `alignment.as_of` shows on each day: a function of the files, not of the runs."""
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            day: set(
                con.execute(
                    """SELECT record_id, programme_key, array_to_string(list_sort(scopes), ','),
                              listed_on, listed_on_origin,
                              un_mandated, basis FROM alignment.as_of(?)""",
                    [day],
                ).fetchall()
            )
            for day in days
        }


def play(root: Path, runs, monkeypatch) -> Warehouse:
    db = Warehouse(root)
    bad_days = {(s.source, s.day) for run in runs for s, _ in run if s.bad}
    step = 0
    for run in runs:
        for snapshot, path in run:
            step += 1
            db.apply(snapshot, path, step, monkeypatch)
            if db.path.exists():
                check_state_invariants(db.path, bad_days)
        db.after_run()
    db.after_run(now=datetime.now(UTC) + timedelta(days=30))  # classify what still waits
    check_us_history(db.path, published_us(runs))
    check_carried_forward(db.path, published_us(runs))
    return db


# each example plays whole histories (the second test two): the default run plays one example
# of each; `make properties` runs 60
EXAMPLES = int(os.environ.get("SANCTIONS_PROPERTY_EXAMPLES") or 1)
PROPERTY = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@settings(PROPERTY, max_examples=max(EXAMPLES // 2, 1))
@given(data=st.data())
def test_core_and_history_agree_and_target_ids_stay_whatever_the_path(
    data, tmp_path_factory, monkeypatch
):
    """After every step: core holds no refused snapshot and the history's open versions equal
    core (checked inside `play`); then re-running on unchanged input changes no target id."""
    monkeypatch.setenv("SANCTIONS_LOCK_WAIT", "5")
    sequence = data.draw(sequences())
    one = play(tmp_path_factory.mktemp("one"), data.draw(plans(sequence)), monkeypatch)
    with warehouse.connect(one.path) as con:
        before = dict(con.execute("SELECT record_id, target_id FROM matching.clusters").fetchall())
    one.after_run()
    with warehouse.connect(one.path) as con:
        after = dict(con.execute("SELECT record_id, target_id FROM matching.clusters").fetchall())
    assert before == after
    # a taxonomy edit reaches every date, history included, and undoing it restores them
    days = {snapshot.day for snapshot in sequence}
    figures = listings_as_of(one.path, days)
    taxonomy = tmp_path_factory.mktemp("taxonomy") / "programmes.csv"
    rows = PROGRAMMES_CSV.read_text(encoding="utf-8").splitlines(keepends=True)
    taxonomy.write_text("".join(r for r in rows if not r.startswith("US,GLOMAG,")), "utf-8")
    monkeypatch.setenv("SANCTIONS_PROGRAMMES", str(taxonomy))
    with warehouse.connect(one.path) as con:
        alignment.build(con)
    edited = listings_as_of(one.path, days)
    assert not any(key == "US-GLOMAG" for rows_ in edited.values() for _, key, *_ in rows_)
    taxonomy.write_text("".join(rows), "utf-8")
    with warehouse.connect(one.path) as con:
        alignment.build(con)
    assert listings_as_of(one.path, days) == figures


@settings(PROPERTY, max_examples=EXAMPLES)
@given(data=st.data())
def test_alerts_do_not_depend_on_the_split_or_the_path(data, tmp_path_factory, monkeypatch):
    """The same sequence, split into runs differently, applied through other paths and with
    every companion file present, gives the same alerts, listings as of every date and report
    figures; no alert has a lag that is not positive, none is repeated, and every event is
    classified once (checked in `alert_set`). What the missing files hold is unknown where no
    file gave it yet: the figures read from countries agree once every US record published had
    its addresses given (and then carried forward)."""
    monkeypatch.setenv("SANCTIONS_LOCK_WAIT", "5")
    sequence = data.draw(sequences())
    first, second = data.draw(plans(sequence)), data.draw(plans(sequence))
    one = play(tmp_path_factory.mktemp("one"), first, monkeypatch)
    two = play(tmp_path_factory.mktemp("two"), with_every_companion(second), monkeypatch)
    assert alert_set(one.path) == alert_set(two.path)
    days = {snapshot.day for snapshot in sequence}
    assert listings_as_of(one.path, days) == listings_as_of(two.path, days)
    given = companion_given(published_us(first))["ADD.CSV"]
    listed = {x.person.key for s in published_us(first) for x in s.listings} | {0}
    countries = listed <= given
    check_same_figures(report_figures(one.path, countries), report_figures(two.path, countries))
