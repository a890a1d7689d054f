"""Property test of the alerts over generated histories of two lists (OFAC SDN.XML and OFSI
ConList, dated by the publisher): listings, delistings, programme changes that move a person
into or out of the strict and broad scopes, and same-day flips (several snapshots published on
one date). Runs refresh one or more snapshots, then match, build the marts, alert and deliver;
now and then the process "dies" between a delivery and its record.

Invariants, against an oracle computed from the generated files alone:
- every scope entry and exit of every person by every list is alerted exactly once (one alert
  per event, the scope among its scopes, entered or left as the files say);
- no sink ever receives one alert_id twice, however the deliveries were cut;
- every alert reaches the JSON-lines subscriber (it can tell what it holds), and the webhook
  receives each alert at most once (an interrupted send is left unconfirmed, never resent).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanctions import alerts, alignment, clusters, matching, warehouse
from sanctions.archive import Archive
from sanctions.errors import SourceError
from sanctions.refresh import refresh_from_mirror
from tests.conftest import Reply
from tests.synthetic_lists import PEOPLE, Listing, write_snapshot

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")

LISTS = ("us_ofac", "uk_fcdo")
JURISDICTION = {"us_ofac": "US", "uk_fcdo": "UK"}
RECORD_BASE = {"us_ofac": 1000, "uk_fcdo": 20000}  # record id = base + person key
START = date(2024, 1, 1)
# the scopes each list's programme (index into synthetic_lists' programmes) belongs to
IN_SCOPES = {0: {"all", "broad", "strict"}, 1: {"all"}}  # GLOMAG / Global Human Rights; other


@dataclass(frozen=True)
class Snapshot:
    source: str
    day: date
    listings: tuple[Listing, ...]

    def write(self, mirror: Path) -> Path:
        return write_snapshot(mirror / self.source, self.source, self.day, list(self.listings))


listing = st.builds(Listing, person=st.sampled_from(PEOPLE[:3]), programme=st.integers(0, 1))
listings = st.lists(listing, max_size=3, unique_by=lambda item: item.person.key).map(tuple)


@st.composite
def histories(draw) -> list[list[Snapshot]]:
    """Runs of snapshots: both lists start on one day, then 2-5 snapshots, some on the same
    date as the list's previous one (a same-day flip), each differing from it."""
    last = {source: Snapshot(source, START, draw(listings)) for source in LISTS}
    runs = [list(last.values())]
    for _ in range(draw(st.integers(2, 5))):
        source = draw(st.sampled_from(LISTS))
        day = last[source].day + timedelta(days=draw(st.sampled_from((0, 0, 1, 2))))
        snapshot = Snapshot(source, day, draw(listings))
        if set(snapshot.listings) == set(last[source].listings):
            continue
        if draw(st.booleans()):
            runs.append([])
        runs[-1].append(snapshot)
        last[source] = snapshot
    return runs


def expected_moves(applied: dict[str, list[Snapshot]]) -> Counter:
    """(jurisdiction, record, day, scope, entered|left) for each move between published
    snapshots of a list; its first snapshot is the baseline."""
    moves: Counter = Counter()
    for source, snapshots in applied.items():
        for before, after in itertools.pairwise(snapshots):

            def scopes(snapshot: Snapshot, key: int) -> set[str]:
                held = [item for item in snapshot.listings if item.person.key == key]
                return IN_SCOPES[held[0].programme] if held else set()

            for person in PEOPLE:
                was, now = scopes(before, person.key), scopes(after, person.key)
                record = f"{JURISDICTION[source]}:{RECORD_BASE[source] + person.key}"
                for scope in now - was:
                    moves[(JURISDICTION[source], record, after.day, scope, "entered")] += 1
                for scope in was - now:
                    moves[(JURISDICTION[source], record, after.day, scope, "left")] += 1
    return moves


class Killed(BaseException):
    """The process dying: nothing after it runs, nothing catches it."""


@dataclass(frozen=True)
class DyingSink:
    """Sends through the real sink, then dies on the chosen sends: after a complete send, or,
    for a file, halfway through the line (a torn write)."""

    inner: alerts.JsonLinesSink | alerts.WebhookSink
    deaths: dict  # send number -> "after" | "torn"
    sent: list

    def send(self, alert: dict) -> None:
        self.sent.append(alert["alert_id"])
        death = self.deaths.get(len(self.sent))
        if death == "torn" and isinstance(self.inner, alerts.JsonLinesSink):
            with self.inner.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(alert, default=str)[:40])
            raise Killed
        self.inner.send(alert)
        if death:
            raise Killed

    def received(self, alert_ids: set[str]):
        return self.inner.received(alert_ids)


def run_pipeline(path: Path, subscribers, now: datetime) -> bool:
    """Match, build the marts, alert and deliver; False when the process died delivering."""
    with warehouse.connect(path) as con:
        con.execute("BEGIN TRANSACTION")
        matching.match(con)
        clusters.write_clusters(con)
        con.execute("COMMIT")
        alignment.build(con)
        alerts.build_alerts(con, baseline=True, now=now, max_age_days=100_000)
        try:
            alerts.deliver(con, subscribers)
        except Killed:  # the next run settles what the dead one left
            return False
    return True


EXAMPLES = int(os.environ.get("SANCTIONS_PROPERTY_EXAMPLES") or 6)


@settings(
    deadline=None,
    max_examples=max(EXAMPLES // 2, 3),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    runs=histories(),
    deaths=st.dictionaries(st.integers(1, 12), st.sampled_from(("after", "torn")), max_size=3),
)
def test_every_scope_move_is_alerted_once_and_delivered_at_most_once(
    runs, deaths, tmp_path_factory, http_server
):
    root = tmp_path_factory.mktemp("alerts")
    path, archive = root / "warehouse.duckdb", Archive(root / "raw")
    hook = f"/hook-{root.name}"
    http_server.route(hook, Reply(status=200))
    file_sent, hook_sent = [], []
    subscribers = [
        alerts.Subscriber(
            "file", DyingSink(alerts.JsonLinesSink(root / "a.jsonl"), deaths, file_sent)
        ),
        alerts.Subscriber(
            "hook",
            DyingSink(alerts.WebhookSink(http_server.base_url + hook), deaths, hook_sent),
        ),
    ]
    by_hash: dict[str, Snapshot] = {}
    for number, run in enumerate(runs):
        for step, snapshot in enumerate(run):
            mirror = root / f"run{number}-{step}"
            by_hash[hashlib.sha256(snapshot.write(mirror).read_bytes()).hexdigest()] = snapshot
            # a refused snapshot (the drop check) leaves core as it was: the oracle reads the
            # history for what was published
            with warehouse.connect(path) as con, contextlib.suppress(SourceError):
                refresh_from_mirror(con, [snapshot.source], archive, str(mirror))
        run_pipeline(path, subscribers, datetime.now(UTC))
    later = datetime.now(UTC) + timedelta(days=30)  # what still waits, and what deaths left
    for _ in range(2 * len(deaths) + 1):
        if run_pipeline(path, subscribers, later):
            break

    with duckdb.connect(str(path), read_only=True) as con:
        applied = {source: [] for source in LISTS}
        for source, snapshot_id in con.execute(
            "SELECT source_id, snapshot_id FROM history.snapshots ORDER BY seq"
        ).fetchall():
            applied[source].append(by_hash[snapshot_id])
        rows = con.execute(
            """SELECT a.alert_id, a.jurisdiction, a.record_id, a.event_date, d.scope, d.change
               FROM alerts.alerts a, unnest(a.details) AS t(d)"""
        ).fetchall()
        ids = {row[0] for row in con.execute("SELECT alert_id FROM alerts.alerts").fetchall()}
        statuses = dict(
            con.execute(
                "SELECT subscriber || '/' || status, count(*) FROM alerts.deliveries GROUP BY 1"
            ).fetchall()
        )
    alerted = Counter((j, record, day, scope, change) for _, j, record, day, scope, change in rows)
    assert alerted == expected_moves(applied)

    in_file = (
        [json.loads(line)["alert_id"] for line in (root / "a.jsonl").read_text().splitlines()]
        if (root / "a.jsonl").exists()
        else []
    )
    assert sorted(in_file) == sorted(ids), "the file holds every alert exactly once"
    received = [json.loads(h["body"])["alert_id"] for h in http_server.hits(hook)]
    assert len(received) == len(set(received)), "the webhook received an alert twice"
    assert set(received) <= ids
    assert statuses.get("hook/delivered", 0) + statuses.get("hook/unconfirmed", 0) == len(ids)
    assert statuses.get("hook/delivered", 0) <= len(received)
