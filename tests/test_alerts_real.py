"""Alerts on the real files: records OFAC moved into Global Magnitsky, and new UK listings reaching
the subscribers that asked for them. Expected sets come from plain readings of the raw files."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from sanctions import alerts, alignment, clusters, matching, warehouse
from sanctions.archive import Archive
from sanctions.refresh import refresh_from_mirror
from sanctions.replay import replay
from sanctions.sources import SOURCES
from sanctions.subscriptions import load_subscriptions
from tests.conftest import make_mirror

pytestmark = pytest.mark.integration
STRICT_US = {"GLOMAG", "MAGNIT"}  # OFAC's global human-rights and anti-corruption programmes


def sdn_programmes(path: Path) -> dict[str, set[str]]:
    """ent_num -> programme codes, read straight from an SDN.CSV."""
    text = path.read_bytes().decode("latin-1").rstrip("\x1a")
    return {
        row[0]: {code.strip(" []") for code in row[3].split("] [")}
        for row in csv.reader(io.StringIO(text))
        if len(row) > 3
    }


def conlist_groups(path: Path) -> set[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    column = rows[1].index("Group ID")
    return {row[column] for row in rows[2:] if len(row) > column and row[column]}


def after_refresh(con) -> None:
    con.execute("BEGIN TRANSACTION")
    matching.match(con)
    clusters.write_clusters(con)
    con.execute("COMMIT")
    alignment.build(con)


@pytest.mark.slow
def test_records_moved_into_global_magnitsky_alert_once_in_strict_and_old_news_stays_home(
    real_data, tmp_path
):
    history = real_data / "us_ofac" / "sdn_history"
    before = sdn_programmes(history / "SDN_2023-12-28.CSV")
    after = sdn_programmes(history / "SDN_2024-03-27.CSV")
    moved = {
        f"US:{uid}"
        for uid, codes in after.items()
        if uid in before and codes & STRICT_US and not before[uid] & STRICT_US
    }
    assert "US:7489" in moved and "US:7513" in moved  # CHIWENGA, MNANGAGWA (Zimbabwe)

    path = tmp_path / "warehouse.duckdb"
    mirror = make_mirror(
        tmp_path / "mirror", {"ConList.csv": real_data / "uk/ConList_2025-04-10.csv"}, "uk_fcdo"
    )
    with warehouse.connect(path) as con:
        refresh_from_mirror(con, ["uk_fcdo"], Archive(tmp_path / "raw"), str(mirror))
        after_refresh(con)
        for day in ("2023-12-28", "2024-03-27"):
            folder = tmp_path / day
            folder.mkdir()
            (folder / f"SDN_{day}.CSV").symlink_to(history / f"SDN_{day}.CSV")
            replay(con, SOURCES["us_ofac"], folder, Archive(tmp_path / "raw"))
            after_refresh(con)
    results = {}
    for max_age in (alerts.DEFAULT_MAX_AGE_DAYS, 100_000):
        copy = tmp_path / f"age-{max_age}.duckdb"
        shutil.copyfile(path, copy)
        sink = alerts.JsonLinesSink(tmp_path / f"age-{max_age}.jsonl")
        with warehouse.connect(copy) as con:
            alerts.build_alerts(con, baseline=True, max_age_days=max_age)
            alerts.deliver(con, [alerts.Subscriber("desk", sink)])
            alerts.deliver(con, [alerts.Subscriber("desk", sink)])  # nothing twice
            strict = con.execute(
                """SELECT record_id, count(*), bool_and(historical) FROM alerts.alerts
                   WHERE event = 'changed' AND list_contains(scopes, 'strict') GROUP BY 1"""
            ).fetchall()
        lines = sink.path.read_text().splitlines() if sink.path.exists() else []
        results[max_age] = strict, [json.loads(line) for line in lines]

    strict, delivered = results[alerts.DEFAULT_MAX_AGE_DAYS]
    assert {record for record, _, _ in strict} >= moved  # strict entries by a programme change
    assert all(count == 1 and historical for record, count, historical in strict)
    assert delivered == []  # 2024 is old news: recorded, pushed to nobody
    strict, delivered = results[100_000]
    assert {record for record, _, _ in strict} >= moved
    ids = [alert["alert_id"] for alert in delivered]
    assert len(ids) == len(set(ids))
    reached = [a["record_id"] for a in delivered if "strict" in a["scopes"]]
    assert all(reached.count(record) == 1 for record in moved)
    chiwenga = next(a for a in delivered if a["record_id"] == "US:7489")
    assert "US-GLOMAG" in chiwenga["programme_keys"] and chiwenga["event"] == "changed"
    # the UK's history starts in 2025, but it gives listing dates: known, and named
    assert "UK" in chiwenga["listed_by"] + chiwenga["not_listed_by"]


def test_new_uk_listings_reach_the_uk_subscriber_once_and_the_us_one_never(real_data, tmp_path):
    first, second = real_data / "uk/ConList_2025-04-10.csv", real_data / "uk/ConList_2025-04-14.csv"
    new = {f"UK:{group}" for group in conlist_groups(second) - conlist_groups(first)}
    assert new
    subscriptions = tmp_path / "subscriptions.toml"
    subscriptions.write_text(
        '[[subscriber]]\nname = "uk-desk"\nsink = "alerts/uk.jsonl"\njurisdictions = ["UK"]\n\n'
        '[[subscriber]]\nname = "us-desk"\nsink = "alerts/us.jsonl"\njurisdictions = ["US"]\n',
        encoding="utf-8",
    )
    subscribers = load_subscriptions(subscriptions)
    path = tmp_path / "warehouse.duckdb"
    for number, conlist in enumerate((first, second)):
        mirror = make_mirror(tmp_path / f"mirror{number}", {"ConList.csv": conlist}, "uk_fcdo")
        with warehouse.connect(path) as con:
            refresh_from_mirror(con, ["uk_fcdo"], Archive(tmp_path / "raw"), str(mirror))
            after_refresh(con)
            alerts.build_alerts(con, baseline=True, max_age_days=100_000)
            alerts.deliver(con, list(subscribers))
    with warehouse.connect(path) as con:
        alerts.deliver(con, list(subscribers))  # a later run sends nothing again
    uk = [json.loads(line) for line in (tmp_path / "alerts/uk.jsonl").read_text().splitlines()]
    listed = [a["record_id"] for a in uk if a["event"] == "listed"]
    assert sorted(listed) == sorted(new)  # each new listing once
    assert all(a["jurisdiction"] == "UK" for a in uk)
    assert not (tmp_path / "alerts/us.jsonl").exists()
    for alert in uk:  # the UK is the only list loaded: the message says so
        assert alert["message"].endswith("no other list loaded.")
