"""Target events become alerts once, and every alert reaches every sink once."""

import json
from datetime import UTC, datetime

import dagster as dg
import pytest

from assets.alerts import DELIVERIES, alert_deliveries
from pipelines.definitions import defs
from pipelines.resources import SanctionsResource
from pipelines.sensors import retry_alert_deliveries
from sanctions import alerts, alignment, clusters, matching, warehouse
from sanctions.archive import Archive
from sanctions.refresh import refresh_from_mirror
from sanctions.replay import replay
from sanctions.scopes import SCOPES_CSV, load_scopes
from sanctions.sources import SOURCES
from tests.conftest import FIXTURES, Reply, make_mirror

SDN = (FIXTURES / "us_ofac_csv" / "SDN.CSV").read_bytes()
LINES = SDN.splitlines(keepends=True)  # 1001 PETROV (GLOMAG), 1002..1005, then 0x1A
NEW = b'1006,"NEW, Person","individual","GLOMAG"' + b",-0- " * 8 + b"\r\n"


def us_file(folder, day, lines):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"SDN_{day}.CSV").write_bytes(b"".join(lines) + b"\x1a")


@pytest.fixture
def db(tmp_path):
    """UK (ConList fixture: PETROV under GHR and GAC) loaded, then three dated US files."""
    return build_history(tmp_path)


def build_history(tmp_path, in_use=None):
    """The three US days over the UK, alerts built after each, counting by `in_use` scopes."""
    path = tmp_path / "warehouse.duckdb"
    mirror = make_mirror(
        tmp_path / "mirror", {"ConList.csv": FIXTURES / "uk" / "ConList.csv"}, "uk_fcdo"
    )
    days = {
        "2024-01-01": LINES[1:5],  # baseline: no PETROV
        "2024-02-01": [*LINES[0:5], NEW],  # PETROV follows the UK; NEW is unilateral
        "2024-03-01": [*LINES[1:5], NEW],  # the US delists PETROV, the UK keeps him
    }
    with warehouse.connect(path) as con:
        refresh_from_mirror(con, ["uk_fcdo"], Archive(tmp_path / "raw"), str(mirror))
        for day, lines in days.items():
            us_file(tmp_path / f"us-{day}", day, lines)
            replay(con, SOURCES["us_ofac"], tmp_path / f"us-{day}", Archive(tmp_path / "raw"))
            matching.match(con)
            clusters.write_clusters(con)
            alignment.build(con, scopes=in_use)
            alerts.build_alerts(con, baseline=True, max_age_days=10_000)
    return path


def test_a_scope_of_the_scopes_file_in_use_gets_its_own_verdicts(tmp_path):
    """An analyst's scope of US Global Magnitsky alone: the UK lists PETROV under its own
    regimes only, so in that scope the US listing is unilateral, while it follows the UK in
    the shipped ones. Ranked after strict, which holds more programme keys."""
    path = tmp_path / "scopes.csv"
    path.write_text(SCOPES_CSV.read_text(encoding="utf-8") + "us_glomag,US-GLOMAG,GLOMAG\n")
    with warehouse.connect(build_history(tmp_path, load_scopes(path))) as con:
        found = con.execute(
            """SELECT kind, scopes, record_id, [d.kind FOR d IN details], message
               FROM alerts.alerts ORDER BY event_date, record_id"""
        ).fetchall()
    every = ["all", "broad", "strict", "us_glomag"]
    assert [row[:4] for row in found] == [
        ("follow_on", every, "US:1001", [*["follow_on"] * 3, "unilateral_listing"]),
        ("unilateral_listing", every, "US:1006", ["unilateral_listing"] * 4),
        ("divergence", every, "US:1001", [*["divergence"] * 3, "delisting"]),
    ]
    assert found[0][4].endswith(
        "all, broad, strict scopes: following UK by 688 days. us_glomag scope: not listed by UK."
    )


def test_alerts_are_exactly_the_target_events(db):
    with warehouse.connect(db) as con:
        found = con.execute(
            """SELECT kind, scopes, jurisdiction, record_id, event_date::VARCHAR, lag_days,
                      historical FROM alerts.alerts ORDER BY ALL"""
        ).fetchall()
        messages = dict(con.execute("SELECT kind, message FROM alerts.alerts").fetchall())
        assert alerts.build_alerts(con, baseline=True, max_age_days=10_000) == 0  # nothing new
    every = ["all", "broad", "strict"]
    assert found == [
        ("divergence", every, "US", "US:1001", "2024-03-01", None, False),
        ("follow_on", every, "US", "US:1001", "2024-02-01", 688, False),
        ("unilateral_listing", every, "US", "US:1006", "2024-02-01", None, False),
    ]
    # the UK history starts later, but the UK gives listing dates: it counts as known
    assert messages["divergence"] == (
        "US delisted Ivan Sergeyevich PETROV (US-GLOMAG) on 2024-03-01. "
        "all, broad, strict scopes: still listed by UK."
    )
    assert messages["follow_on"].endswith("all, broad, strict scopes: following UK by 688 days.")
    assert messages["unilateral_listing"].endswith("all, broad, strict scopes: not listed by UK.")


def test_each_alert_reaches_the_webhook_once_and_a_500_is_retried(db, http_server, tmp_path):
    http_server.route("/hook", Reply(status=500), Reply(status=200))
    sinks = [
        alerts.Subscriber("webhook", alerts.WebhookSink(http_server.base_url + "/hook")),
        alerts.Subscriber("jsonl", alerts.JsonLinesSink(tmp_path / "alerts.jsonl")),
    ]
    with warehouse.connect(db) as con:
        total = con.execute("SELECT count(*) FROM alerts.alerts").fetchall()[0][0]
        first = alerts.deliver(con, sinks)
        second = alerts.deliver(con, sinks)
        third = alerts.deliver(con, sinks)
        attempts = con.execute(
            "SELECT max(attempts) FROM alerts.deliveries WHERE subscriber = 'webhook'"
        ).fetchall()[0][0]
    assert first == {"delivered": 2 * total - 1, "failed": 1, "undelivered": 1}
    assert second == {"delivered": 1, "failed": 0, "undelivered": 0}
    assert third == {"delivered": 0, "failed": 0, "undelivered": 0}
    bodies = [json.loads(h["body"]) for h in http_server.hits("/hook")]
    assert len(bodies) == total + 1  # one retry, nothing sent twice once delivered
    assert len({b["alert_id"] for b in bodies}) == total
    lines = (tmp_path / "alerts.jsonl").read_text().splitlines()
    assert len(lines) == total and attempts == 2
    assert "/hook" not in json.dumps(bodies)  # no secret in the payload


def test_the_retry_sensor_asks_for_a_run_only_while_alerts_are_undelivered(
    db, http_server, monkeypatch, tmp_path
):
    monkeypatch.setenv("SANCTIONS_ALERT_WEBHOOK", http_server.base_url + "/hook")
    monkeypatch.setenv("SANCTIONS_ALERT_JSONL", str(tmp_path / "alerts.jsonl"))
    resource = SanctionsResource(data_dir=str(db.parent))
    with dg.instance_for_test() as instance:
        http_server.route("/hook", Reply(status=500))
        dg.materialize(
            [alert_deliveries],
            resources={"sanctions": resource},
            instance=instance,
            selection=[DELIVERIES],
        )
        request = retry_alert_deliveries(dg.build_sensor_context(instance=instance))
        assert isinstance(request, dg.RunRequest)
        http_server.route("/hook", Reply(status=200))
        dg.materialize(
            [alert_deliveries],
            resources={"sanctions": resource},
            instance=instance,
            selection=[DELIVERIES],
        )
        skipped = retry_alert_deliveries(dg.build_sensor_context(instance=instance))
        assert isinstance(skipped, dg.SkipReason)


def test_the_daily_schedule_requests_a_refresh():
    schedule = defs.resolve_schedule_def("daily_refresh")
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 11, 27, 6, tzinfo=UTC)
    )
    result = schedule.evaluate_tick(context)
    assert len(result.run_requests) == 1
    assert schedule.job_name == "refresh_all"


def test_alignment_over_time_follows_the_history(db):
    with warehouse.connect(db) as con:
        rows = con.execute(
            """SELECT as_of::VARCHAR, multilateral, targets, basis FROM alignment.over_time
               WHERE jurisdiction = 'ALL' AND scope = 'strict' AND as_of BETWEEN
                     '2024-01-01' AND '2025-11-20' AND as_of <> '2024-12-31' ORDER BY as_of"""
        ).fetchall()
    # the US adds PETROV and NEW (GLOMAG) on 2024-02-01 and drops PETROV on 2024-03-01; the UK
    # history starts with its ConList of 2025-11-20, and before it the UK counts through the
    # listing date it gives PETROV (2022-03-15): it never drops out of the figures
    basis = (
        "US: history; CA: not loaded for date; UK: {}; EU: not loaded for date; "
        "AU: not loaded for date"
    )
    assert rows == [
        ("2024-01-01", 0, 1, basis.format("listing_dates")),
        ("2024-02-01", 1, 2, basis.format("listing_dates")),
        ("2024-03-01", 0, 2, basis.format("listing_dates")),
        ("2025-11-20", 0, 2, basis.format("history")),
    ]


@pytest.mark.integration
def test_real_replay_alerts_once_and_only_on_rule_events(real_data, tmp_path, http_server):
    """UK and Canada loaded, then the US list of 2024-05-02 (its baseline) and 2024-05-03."""
    mirror = make_mirror(
        tmp_path / "mirror", {"ConList.csv": real_data / "uk/ConList_2025-04-10.csv"}, "uk_fcdo"
    )
    make_mirror(mirror, {"sema-lmes.xml": real_data / "ca/sema-lmes_2020-04-15.xml"}, "ca_sema")
    http_server.route("/hook", Reply(status=200))
    sink = alerts.Subscriber("hook", alerts.WebhookSink(http_server.base_url + "/hook"))
    path = tmp_path / "warehouse.duckdb"
    with warehouse.connect(path) as con:
        refresh_from_mirror(con, ["uk_fcdo", "ca_sema"], Archive(tmp_path / "raw"), str(mirror))
        for day in ("2024-05-02", "2024-05-03"):
            folder = tmp_path / day
            folder.mkdir()
            (folder / f"SDN_{day}.CSV").symlink_to(real_data / f"us_ofac/sdn_history/SDN_{day}.CSV")
            replay(con, SOURCES["us_ofac"], folder, Archive(tmp_path / "raw"))
            matching.match(con)
            clusters.write_clusters(con)
            alignment.build(con)
            alerts.build_alerts(con, baseline=True, max_age_days=100_000)
            alerts.deliver(con, [sink])
        # every 2024-05-03 delisting moves its target out of the all scope: one alert each, a
        # divergence where another list held the target that day (the UK and Canadian histories
        # start later: their publishers' listing dates tell), else a delisting
        divergences = con.execute(
            """SELECT count(*) FROM history.events e
               JOIN matching.record_targets t USING (record_id)
               WHERE e.event_date::DATE = DATE '2024-05-03' AND e.event = 'delisted'
                 AND EXISTS (SELECT 1 FROM alignment.listings l WHERE l.target_id = t.target_id
                             AND l.jurisdiction <> 'US' AND l.listed_on_origin = 'publisher'
                             AND l.listed_on <= DATE '2024-05-03')"""
        ).fetchall()[0][0]
        created = dict(
            con.execute("SELECT kind, count(*) FROM alerts.alerts GROUP BY 1").fetchall()
        )
        delisted = con.execute(
            """SELECT count(*) FROM history.events
               WHERE event_date::DATE = DATE '2024-05-03' AND event = 'delisted'"""
        ).fetchall()[0][0]
        again = alerts.build_alerts(con, baseline=True), alerts.deliver(con, [sink])
    assert delisted == 8
    assert sum(created.values()) == delisted  # none for the US baseline of 2024-05-02
    assert created.get("divergence", 0) == divergences
    assert created.get("delisting", 0) == delisted - divergences
    assert len(http_server.hits("/hook")) == delisted
    assert again == (0, {"delivered": 0, "failed": 0, "undelivered": 0})


def test_each_subscriber_receives_only_what_its_filters_ask_for(db, tmp_path):
    def sink(name):
        return alerts.JsonLinesSink(tmp_path / f"{name}.jsonl")

    subscribers = [
        alerts.Subscriber("divergences", sink("divergences"), kinds=("divergence",)),
        alerts.Subscriber(
            "us-strict", sink("us-strict"), jurisdictions=("US",), scopes=("strict",)
        ),
        alerts.Subscriber("uk", sink("uk"), jurisdictions=("UK",)),
        alerts.Subscriber("vessels", sink("vessels"), target_types=("vessel",)),
        alerts.Subscriber("russia", sink("russia"), countries=("RU",)),
        alerts.Subscriber("sdgt", sink("sdgt"), programmes=("US-SDGT",)),
    ]
    with warehouse.connect(db) as con:
        outcome = alerts.deliver(con, subscribers)
        kept = con.execute(
            "SELECT subscriber, count(*) FROM alerts.deliveries GROUP BY 1"
        ).fetchall()

    def received(name):
        path = tmp_path / f"{name}.jsonl"
        lines = path.read_text().splitlines() if path.exists() else []
        return sorted((json.loads(x)["kind"], json.loads(x)["record_id"]) for x in lines)

    assert received("divergences") == [("divergence", "US:1001")]
    assert received("us-strict") == [
        ("divergence", "US:1001"),
        ("follow_on", "US:1001"),
        ("unilateral_listing", "US:1006"),
    ]
    assert received("uk") == received("vessels") == received("sdgt") == []
    assert received("russia") == [("divergence", "US:1001"), ("follow_on", "US:1001")]
    assert outcome == {"delivered": 6, "failed": 0, "undelivered": 0}
    assert sorted(kept) == [("divergences", 1), ("russia", 2), ("us-strict", 3)]


def test_sanctions_alerts_lists_the_stored_alerts_as_a_table_json_or_markdown(
    db, monkeypatch, capsys, tmp_path
):
    from pipelines.cli import main

    monkeypatch.setenv("SANCTIONS_DATA_DIR", str(db.parent))
    subscriptions = tmp_path / "subscriptions.toml"
    subscriptions.write_text(
        '[[subscriber]]\nname = "divergences"\nsink = "d.jsonl"\nkinds = ["divergence"]\n'
    )
    monkeypatch.setenv("SANCTIONS_SUBSCRIPTIONS", str(subscriptions))
    assert main(["alerts"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["event", "date", "by", "kind", "scopes", "message"]
    assert table[1].startswith("2024-03-01  US  divergence") and table[-1] == "3 alerts"
    assert main(["alerts", "--since", "2024-02-15", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [a["kind"] for a in listed] == ["divergence"]
    assert listed[0]["scopes"] == ["all", "broad", "strict"] and listed[0]["historical"] is False
    assert main(["alerts", "--subscriber", "divergences", "--format", "md"]) == 0
    markdown = capsys.readouterr().out.splitlines()
    assert markdown[0] == "| event date | by | kind | scopes | message |"
    assert len(markdown) == 3 and "| divergence |" in markdown[2]
    with pytest.raises(SystemExit, match="no subscriber 'nobody'"):
        main(["alerts", "--subscriber", "nobody"])


KILLER = """
import sys
from pathlib import Path
from sanctions import alerts, warehouse
with warehouse.connect(Path(sys.argv[1])) as con:
    alerts.deliver(con, [alerts.Subscriber("hook", alerts.WebhookSink(sys.argv[2]))])
"""


def test_a_process_killed_between_a_webhook_delivery_and_its_record_never_sends_it_twice(
    db, tmp_path
):
    """The webhook receives the second alert, then kills the sender before it can record the
    delivery; the next delivery settles that alert as unconfirmed and sends only the rest."""
    import http.server
    import os
    import signal
    import subprocess
    import sys
    import threading

    received, victim = [], {}

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body)["alert_id"])
            if len(received) == 2:
                os.kill(victim["process"].pid, signal.SIGKILL)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        process = subprocess.Popen([sys.executable, "-c", KILLER, str(db), url])
        victim["process"] = process
        assert process.wait(timeout=120) == -signal.SIGKILL, "the sender was not killed"
        with warehouse.connect(db) as con:
            again = alerts.deliver(con, [alerts.Subscriber("hook", alerts.WebhookSink(url))])
            statuses = dict(
                con.execute("SELECT status, count(*) FROM alerts.deliveries GROUP BY 1").fetchall()
            )
            total = con.execute("SELECT count(*) FROM alerts.alerts").fetchall()[0][0]
    finally:
        server.shutdown()
        server.server_close()
    assert total == 3 and len(received) == len(set(received)) == 3  # nothing twice
    assert again == {"delivered": 1, "failed": 0, "undelivered": 0}
    assert statuses == {"delivered": 2, "unconfirmed": 1}


HOLDER = """
import sys, time
from pathlib import Path
from sanctions.runlock import run_lock
with run_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_refused_run_lock_sends_a_notice_carrying_a_run_id(monkeypatch, tmp_path, capsys):
    import os
    import subprocess
    import sys

    from pipelines.cli import main

    for name in list(os.environ):
        if name.startswith(("SANCTIONS_", "DAGSTER_HOME")) and "_MIN_RECORDS_" not in name:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    monkeypatch.setenv("SANCTIONS_DATA_DIR", str(data))
    monkeypatch.setenv("SANCTIONS_LOCK_WAIT", "0")
    monkeypatch.setenv("SANCTIONS_MIRROR", str(make_mirror(tmp_path / "m", {"SDN.CSV": SDN})))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline() == "held\n"
        assert main(["run"]) == 1
    finally:
        holder.kill()
        holder.wait()
    assert "another run holds" in capsys.readouterr().err
    (notice,) = [json.loads(line) for line in (data / "alerts.jsonl").read_text().splitlines()]
    assert notice["kind"] == "run_failure" and len(notice["run_id"]) == 32
    assert notice["message"].startswith(f"run {notice['run_id'][:8]} of sanctions run failed: ")


def test_an_event_waiting_for_a_list_is_classified_by_a_run_that_skips_matching(
    monkeypatch, tmp_path, capsys
):
    """Run 2 lists NEW in the US while the UK is out of the mirror: the UK is known only up to
    its file's date, so the event waits. Run 3 fetches the UK unchanged, which confirms it up to
    today: nothing new to match, yet the waiting event is classified and delivered."""
    import os
    import shutil

    from pipelines.cli import main

    for name in list(os.environ):
        if name.startswith(("SANCTIONS_", "DAGSTER_HOME")) and "_MIN_RECORDS_" not in name:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    mirror = make_mirror(tmp_path / "mirror", {"SDN.CSV": b"".join(LINES[1:5]) + b"\x1a"})
    make_mirror(mirror, {"ConList.csv": FIXTURES / "uk" / "ConList.csv"}, "uk_fcdo")
    monkeypatch.setenv("SANCTIONS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SANCTIONS_MIRROR", str(mirror))
    assert main(["run"]) == 0
    shutil.move(mirror / "uk_fcdo", tmp_path / "uk_away")
    (mirror / "us_ofac" / "SDN.CSV").write_bytes(b"".join([*LINES[1:5], NEW]) + b"\x1a")
    assert main(["run"]) == 0
    assert not (tmp_path / "data" / "alerts.jsonl").exists()  # waits for the UK
    shutil.move(tmp_path / "uk_away", mirror / "uk_fcdo")
    capsys.readouterr()
    assert main(["run"]) == 0
    assert "match_all: skipped" in capsys.readouterr().out
    (alert,) = [
        json.loads(line) for line in (tmp_path / "data" / "alerts.jsonl").read_text().splitlines()
    ]
    assert (alert["record_id"], alert["kind"]) == ("US:1006", "unilateral_listing")
    assert alert["not_listed_by"] == ["UK"] and alert["unknown_on_date"] == []


def test_alerts_of_the_one_row_per_scope_release_become_one_alert_per_event(tmp_path):
    """A warehouse whose alerts.alerts held a row per scope (twice, for one same-day flip) and
    whose deliveries were per sink: one alert per event, its deliveries kept."""
    path = tmp_path / "warehouse.duckdb"
    with warehouse.connect(path) as con:
        con.execute("DROP TABLE alerts.alerts; DROP TABLE alerts.deliveries")
        con.execute(
            """CREATE TABLE alerts.alerts (alert_id VARCHAR NOT NULL, kind VARCHAR NOT NULL,
               scope VARCHAR NOT NULL, target_id VARCHAR NOT NULL, target_name VARCHAR,
               jurisdiction VARCHAR NOT NULL, record_id VARCHAR NOT NULL,
               programme_keys VARCHAR[], event_date DATE NOT NULL, listed_by VARCHAR[],
               not_listed_by VARCHAR[], lag_days INTEGER, evidence JSON,
               message VARCHAR NOT NULL, created_at TIMESTAMPTZ NOT NULL);
               CREATE TABLE alerts.deliveries (alert_id VARCHAR NOT NULL, sink VARCHAR NOT NULL,
               status VARCHAR NOT NULL, attempts INTEGER NOT NULL,
               last_attempt_at TIMESTAMPTZ NOT NULL, last_error VARCHAR,
               PRIMARY KEY (alert_id, sink))"""
        )
        for alert_id, scope in (("a1", "all"), ("a1", "all"), ("b2", "strict"), ("c3", "broad")):
            con.execute(
                """INSERT INTO alerts.alerts VALUES (?, 'unilateral_listing', ?, 'T-1', 'X', 'US',
                   'US:1', ['US-GLOMAG'], DATE '2026-11-01', ['US'], ['UK'], NULL, NULL,
                   'US listed X', TIMESTAMPTZ '2026-11-01 06:00:00+00')""",
                [alert_id, scope],
            )
        con.execute(
            "INSERT INTO alerts.deliveries VALUES ('a1', 'jsonl', 'delivered', 1, now(), NULL)"
        )
        warehouse.apply_schema(con)
        migrated = con.execute(
            "SELECT alert_id, event, kind, scopes, historical, [d.scope FOR d IN details] "
            "FROM alerts.alerts"
        ).fetchall()
        delivered = con.execute(
            "SELECT alert_id, subscriber, status FROM alerts.deliveries"
        ).fetchall()
        keys = con.execute(
            """SELECT constraint_type FROM duckdb_constraints()
               WHERE schema_name = 'alerts' AND table_name = 'alerts'
                 AND constraint_type = 'PRIMARY KEY'"""
        ).fetchall()
    every = ["all", "broad", "strict"]
    assert migrated == [("a1", "listed", "unilateral_listing", every, False, every)]
    assert delivered == [("a1", "jsonl", "delivered")] and keys == [("PRIMARY KEY",)]


def test_an_event_released_by_the_maximum_wait_names_the_list_it_could_not_check(tmp_path):
    from datetime import date, timedelta

    from tests.synthetic_lists import PEOPLE, Listing, write_snapshot

    path, archive = tmp_path / "warehouse.duckdb", Archive(tmp_path / "raw")
    runs = [
        {"us_ofac": [], "uk_fcdo": []},
        {"us_ofac": [Listing(PEOPLE[0])]},  # the UK's newest file is older: the event waits
    ]
    classified = []
    for number, run in enumerate(runs):
        for source, listings in run.items():
            write_snapshot(
                tmp_path / f"m{number}" / source, source, date(2024, 1, 1 + number), listings
            )
        with warehouse.connect(path) as con:
            refresh_from_mirror(con, list(run), archive, str(tmp_path / f"m{number}"))
            matching.match(con)
            clusters.write_clusters(con)
            alignment.build(con)
            classified.append(alerts.build_alerts(con, max_wait_days=7, max_age_days=100_000))
    with warehouse.connect(path) as con:
        late = datetime.now(UTC) + timedelta(days=8)
        classified.append(alerts.build_alerts(con, now=late, max_wait_days=7, max_age_days=100_000))
        alert = con.execute(
            "SELECT kind, not_listed_by, unknown_on_date, message FROM alerts.alerts"
        ).fetchall()
    assert classified == [0, 0, 1]
    assert alert == [
        (
            "unilateral_listing",
            [],
            ["UK"],
            "US listed KOVALENKO, Borys (US-GLOMAG) on 2024-01-02. "
            "all, broad, strict scopes: unknown on that date: UK.",
        )
    ]
