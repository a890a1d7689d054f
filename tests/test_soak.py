"""Soak: 50 refreshes against a mirror on 127.0.0.1 that injects random faults.

    make soak        (pytest -m slow tests/test_soak.py -s; about a minute)

At the end every snapshot that loaded is in the archive and the history, core matches a clean
load of the last good snapshot, and every alert was delivered exactly once.
"""

import json
import random
from collections import Counter

import pytest

from sanctions import alerts, alignment, clusters, matching, warehouse
from sanctions.archive import Archive
from sanctions.errors import SourceError
from sanctions.fetch import HttpOptions
from sanctions.refresh import fetch_source, parse_source, publish_source
from sanctions.sources import SOURCES
from tests.conftest import FIXTURES, Reply

pytestmark = pytest.mark.slow
RUNS = 50
SDN = (FIXTURES / "us_ofac_csv" / "SDN.CSV").read_bytes()
LINES = SDN.splitlines(keepends=True)
NEW = b'1006,"NEW, Person","individual","GLOMAG"' + b",-0- " * 8 + b"\r\n"
VERSIONS = [SDN, b"".join(LINES[1:5]) + b"\x1a", b"".join([*LINES[0:5], NEW]) + b"\x1a"]
FAULTS = {  # name -> (weight, replies); the fetch layer retries twice
    "none": (60, lambda body: [Reply(body=body)]),
    "503 then ok": (
        15,
        lambda body: [Reply(status=503, headers={"Retry-After": "0"}), Reply(body=body)],
    ),
    "html page": (10, lambda body: [Reply(body=b"<!DOCTYPE html><html>down</html>")]),
    "truncated": (10, lambda body: [Reply(body=body[:40], declared_length=len(body))]),
    "reset": (5, lambda body: [Reply(body=body * 20, mode="reset")]),
}


def test_fifty_refreshes_with_random_faults_lose_nothing(http_server, tmp_path):
    rng = random.Random(20261127)
    path = tmp_path / "warehouse.duckdb"
    archive = Archive(tmp_path / "raw")
    http = HttpOptions(retries=2, backoff_seconds=0.01, read_timeout=5)
    sink = alerts.JsonLinesSink(tmp_path / "alerts.jsonl")
    subscriber = alerts.Subscriber("jsonl", sink)
    source = SOURCES["us_ofac"]
    injected, loaded, failed = Counter(), set(), 0
    last_good = None
    for run in range(RUNS):
        body = VERSIONS[run % len(VERSIONS)]
        fault = rng.choices(list(FAULTS), weights=[w for w, _ in FAULTS.values()])[0]
        injected[fault] += 1
        http_server.route("/us_ofac/SDN.CSV", *FAULTS[fault][1](body))
        try:
            with warehouse.connect(path) as con:
                fetched = fetch_source(con, source, archive, http, http_server.base_url)
                parse_source(con, source)
                publish_source(con, source)
                matching.match(con)
                clusters.write_clusters(con)
                alignment.build(con)
                alerts.build_alerts(con, baseline=True)
                alerts.deliver(con, [subscriber])
            loaded.add(fetched.snapshot.snapshot_id)
            last_good = body
        except SourceError:
            failed += 1
    with warehouse.connect(path) as con:
        in_history = {
            row[0] for row in con.execute("SELECT snapshot_id FROM history.snapshots").fetchall()
        }
        records = con.execute("SELECT count(*) FROM core.records").fetchall()[0][0]
        alert_ids = [row[0] for row in con.execute("SELECT alert_id FROM alerts.alerts").fetchall()]
    archived = {p.name.split(".")[0] for p in (tmp_path / "raw" / "us_ofac").iterdir()}
    delivered = [json.loads(line)["alert_id"] for line in sink.path.read_text().splitlines()]

    clean = tmp_path / "clean.duckdb"
    http_server.route("/us_ofac/SDN.CSV", Reply(body=last_good))
    with warehouse.connect(clean) as con:
        fetch_source(con, source, Archive(tmp_path / "clean-raw"), http, http_server.base_url)
        parse_source(con, source)
        publish_source(con, source)
        clean_records = con.execute("SELECT count(*) FROM core.records").fetchall()[0][0]

    print(
        f"\nsoak: {RUNS} runs, faults injected {dict(injected)}, {failed} failed runs, "
        f"{len(loaded)} snapshots loaded, {len(alert_ids)} alerts, "
        f"{len(delivered)} deliveries"
    )
    assert loaded <= in_history  # every snapshot that loaded is in the history...
    assert all(s in archived for s in loaded)  # ...and in the archive (single-file snapshots)
    assert not list((tmp_path / "raw" / "us_ofac").glob(".incoming-*"))
    assert records == clean_records
    assert sorted(delivered) == sorted(alert_ids) and len(set(alert_ids)) == len(alert_ids)
    assert failed == sum(injected[f] for f in ("html page", "truncated", "reset"))
