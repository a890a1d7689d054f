"""Target events and alerts: a jurisdiction lists a target nobody else lists (unilateral
listing), lists one another already lists (follow-on, with the lag), lists it the same day as
another (coordinated listing), or delists one the others keep (divergence); in each scope
(all, broad, strict).

Alerts come from new history events only, each classified once (alerts.event_log): against
the other jurisdictions' state on the event's own date, taken from their history (or, for a
list whose history starts later, from the listing dates its publisher gives). So no lag is
negative and no alert is derived again later, whatever happened since. An event waits until
every other loaded list has been seen up to its date (or SANCTIONS_ALERT_MAX_WAIT_DAYS have
passed), so the alerts do not depend on how the snapshots were split into runs.

History events are per record; they are lifted to targets through matching.record_targets.
Delivery is tracked per sink: an alert that could not be delivered is retried next time.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from sanctions.errors import SettingsError
from sanctions.sources import SOURCES

DEFAULT_MAX_WAIT_DAYS = 7

PENDING_SQL = """
CREATE OR REPLACE TEMP TABLE a_pending AS
SELECT e.seq, e.source_id, e.record_id, e.event, e.event_date::DATE AS day, e.programme_keys,
       split_part(e.record_id, ':', 1) AS jurisdiction, s.is_first, s.applied_at,
       coalesce(t.target_id, 'T-' || left(sha256(e.record_id || '#0'), 12)) AS target_id
FROM history.events e
JOIN history.snapshots s ON s.source_id = e.source_id AND s.snapshot_id = e.snapshot_id
                        AND s.as_of = e.event_date
LEFT JOIN matching.record_targets t USING (record_id)
WHERE e.origin IN ('live', 'replay') AND e.event IN ('listed', 'relisted', 'delisted')
  AND e.source_id IN (SELECT unnest($sources::VARCHAR[]))
  AND NOT EXISTS (SELECT 1 FROM alerts.event_log l WHERE l.seq = e.seq)
"""

# Each jurisdiction's evidence: since when its history runs, and up to when it is known.
# Each list's evidence: since when its history runs, and up to which day it is known: the
# publication date of what core holds (a dated file is the list as of that date), or, for
# files that carry no date (OFAC CSV, Canada), the last fetch that found core's snapshot.
HORIZON_SQL = """
CREATE OR REPLACE TEMP TABLE a_horizon AS
WITH lists AS (SELECT unnest($jurisdictions::VARCHAR[]) AS jurisdiction,
                      unnest($sources::VARCHAR[]) AS source_id),
history_span AS (SELECT source_id, min(as_of) AS started, max(as_of) AS newest
                 FROM history.snapshots GROUP BY source_id),
confirmed AS (
    SELECT m.source_id, max(coalesce(m.published_on::TIMESTAMPTZ, m.fetched_at)) AS known
    FROM raw.manifest m JOIN core.snapshots c USING (source_id, snapshot_id)
    WHERE m.origin = 'fetch' GROUP BY m.source_id)
SELECT l.jurisdiction, l.source_id, h.started::DATE AS started,
       greatest(h.newest, c.known)::DATE AS known_until
FROM lists l LEFT JOIN history_span h USING (source_id) LEFT JOIN confirmed c USING (source_id)
"""

READY_SQL = """
CREATE OR REPLACE TEMP TABLE a_ready AS
SELECT p.* FROM a_pending p
WHERE NOT ($baseline AND p.is_first)
  AND (p.applied_at < $wait_limit OR NOT EXISTS (
      SELECT 1 FROM a_horizon h WHERE h.jurisdiction <> p.jurisdiction
        AND h.started <= p.day AND h.known_until < p.day))
"""

# The state, on the event's date, of every other record of the event's target.
PEERS_SQL = """
CREATE OR REPLACE TEMP TABLE a_peers AS
WITH peers AS (
    SELECT r.seq, r.day, m.record_id AS peer, m.jurisdiction AS peer_jurisdiction,
           h.started IS NOT NULL AND h.started <= r.day AS from_history,
           (SELECT c.listed_on FROM core.records c WHERE c.record_id = m.record_id
              AND c.listed_on_origin = 'publisher') AS published_on
    FROM a_ready r
    JOIN matching.record_targets m ON m.target_id = r.target_id AND m.record_id <> r.record_id
    JOIN a_horizon h ON h.jurisdiction = m.jurisdiction
), stated AS (
    SELECT p.*,
           CASE WHEN p.from_history THEN EXISTS (
                    SELECT 1 FROM history.record_versions v WHERE v.record_id = p.peer
                      AND v.valid_from::DATE <= p.day
                      AND (v.valid_to IS NULL OR v.valid_to::DATE > p.day))
                ELSE p.published_on <= p.day END AS listed,
           CASE WHEN p.from_history THEN (
                    SELECT max(x.event_date)::DATE FROM history.events x
                    WHERE x.record_id = p.peer AND x.event IN ('listed', 'relisted')
                      AND x.event_date::DATE <= p.day)
                ELSE p.published_on END AS history_start,
           CASE WHEN p.from_history THEN (
                    SELECT arg_max(x.programme_keys, x.seq) FROM history.events x
                    WHERE x.record_id = p.peer AND x.event_date::DATE <= p.day)
                ELSE (SELECT list(DISTINCT k.programme_key) FROM core.programmes k
                      WHERE k.record_id = p.peer) END AS keys
    FROM peers p
)
SELECT seq, peer, peer_jurisdiction, keys,
       CASE WHEN published_on <= day THEN least(published_on, history_start)
            ELSE history_start END AS since
FROM stated WHERE listed
"""

CLASSIFY_SQL = """
INSERT INTO alerts.alerts
WITH scopes AS (  -- the scopes the marts count by (sanctions.scopes), less the autonomous rule
    SELECT DISTINCT scope FROM alignment.scopes WHERE NOT un_mandated_excluded
), in_scope AS (  -- (programme keys, scope) pairs that qualify
    SELECT DISTINCT k.keys, s.scope
    FROM (SELECT programme_keys AS keys FROM a_ready UNION SELECT keys FROM a_peers) k
    JOIN alignment.scopes s
      ON s.programme_key = '*' OR list_contains(k.keys, s.programme_key)
    WHERE NOT s.un_mandated_excluded
), events AS (
    SELECT r.*, s.scope FROM a_ready r, scopes s
    WHERE EXISTS (SELECT 1 FROM in_scope i
                  WHERE i.keys IS NOT DISTINCT FROM r.programme_keys AND i.scope = s.scope)
), scoped_peers AS (
    SELECT p.*, s.scope FROM a_peers p, scopes s
    WHERE EXISTS (SELECT 1 FROM in_scope i
                  WHERE i.keys IS NOT DISTINCT FROM p.keys AND i.scope = s.scope)
), decided AS (
    SELECT e.*,
           (SELECT list(DISTINCT p.peer_jurisdiction ORDER BY p.peer_jurisdiction)
            FROM scoped_peers p WHERE p.seq = e.seq AND p.scope = e.scope
              AND p.peer_jurisdiction <> e.jurisdiction) AS others,
           (SELECT list(DISTINCT p.peer_jurisdiction ORDER BY p.peer_jurisdiction)
            FROM scoped_peers p WHERE p.seq = e.seq AND p.scope = e.scope
              AND p.peer_jurisdiction <> e.jurisdiction AND p.since < e.day) AS leaders,
           (SELECT min(p.since) FROM scoped_peers p WHERE p.seq = e.seq AND p.scope = e.scope
              AND p.peer_jurisdiction <> e.jurisdiction) AS others_since,
           EXISTS (SELECT 1 FROM scoped_peers p WHERE p.seq = e.seq AND p.scope = e.scope
                     AND p.peer_jurisdiction = e.jurisdiction
                     AND (e.event = 'delisted' OR p.since < e.day
                          OR (p.since = e.day AND p.peer < e.record_id))) AS own_listing
    FROM events e
), kinds AS (
    SELECT *,
           CASE WHEN own_listing THEN NULL  -- the jurisdiction already lists (still lists) it
                WHEN event <> 'delisted' AND coalesce(len(others), 0) = 0
                    THEN 'unilateral_listing'
                WHEN event <> 'delisted' AND coalesce(len(leaders), 0) = 0
                    THEN 'coordinated_listing'
                WHEN event <> 'delisted' THEN 'follow_on'
                WHEN coalesce(len(others), 0) > 0 THEN 'divergence'
           END AS kind,
           list_sort(list_distinct(coalesce(others, []) || CASE WHEN event <> 'delisted'
                                   THEN [jurisdiction] ELSE [] END)) AS listed_by,
           (SELECT list(h.jurisdiction ORDER BY h.jurisdiction) FROM a_horizon h
            WHERE (h.started <= day OR EXISTS (
                      SELECT 1 FROM core.records c WHERE c.jurisdiction = h.jurisdiction
                        AND c.listed_on_origin = 'publisher' AND c.listed_on <= day))
           ) AS loaded
    FROM decided
)
SELECT md5(concat_ws('|', k.kind, k.scope, k.jurisdiction, k.record_id, k.day)) AS alert_id,
       k.kind, k.scope, k.target_id, t.name, k.jurisdiction, k.record_id, k.programme_keys,
       k.day, k.listed_by,
       list_filter(coalesce(k.loaded, []), lambda j: NOT list_contains(k.listed_by, j)),
       CASE WHEN k.kind = 'follow_on' THEN date_diff('day', k.others_since, k.day) END,
       json_object(
           'records', (SELECT list(c.record_id ORDER BY c.record_id)
                       FROM matching.record_targets c WHERE c.target_id = k.target_id),
           'links', (SELECT list(json_object('left', l.left_record_id,
                                             'right', l.right_record_id, 'rule', l.rule,
                                             'score', l.score, 'explanation', l.explanation))
                     FROM matching.links l JOIN matching.clusters a
                       ON a.record_id = l.left_record_id
                     WHERE a.target_id = k.target_id AND l.decision = 'accept')),
       format('{} {} {} ({}) on {}, {}; not listed by {}', k.jurisdiction,
              CASE k.kind WHEN 'divergence' THEN 'delisted' ELSE 'listed' END,
              coalesce(t.name, n.name, k.record_id), array_to_string(k.programme_keys, ', '),
              k.day,
              CASE k.kind WHEN 'unilateral_listing' THEN 'listed by no other jurisdiction'
                          WHEN 'coordinated_listing'
                              THEN 'on the same day as ' || array_to_string(k.others, ', ')
                          WHEN 'follow_on' THEN 'following ' || array_to_string(k.leaders, ', ')
                          ELSE 'still listed by ' || array_to_string(k.others, ', ') END,
              coalesce(nullif(array_to_string(list_filter(coalesce(k.loaded, []),
                  lambda j: NOT list_contains(k.listed_by, j)), ', '), ''), 'none')
              || ' (' || k.scope || ' scope)'),
       $now
FROM kinds k
LEFT JOIN alignment.targets t USING (target_id)
LEFT JOIN core.records n ON n.record_id = k.record_id
WHERE k.kind IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM alerts.alerts a
                  WHERE a.alert_id = md5(concat_ws('|', k.kind, k.scope, k.jurisdiction,
                                                   k.record_id, k.day)))
"""

LOG_SQL = """
INSERT INTO alerts.event_log
SELECT seq, CASE WHEN $baseline AND is_first THEN 'baseline' ELSE 'classified' END, $now
FROM a_pending p
WHERE ($baseline AND p.is_first) OR p.seq IN (SELECT seq FROM a_ready)
"""


def max_wait() -> timedelta:
    value = os.environ.get("SANCTIONS_ALERT_MAX_WAIT_DAYS")
    try:
        return timedelta(days=float(value) if value else DEFAULT_MAX_WAIT_DAYS)
    except ValueError as exc:
        raise SettingsError(
            "SANCTIONS_ALERT_MAX_WAIT_DAYS", value, "a number of days, e.g. 7"
        ) from exc


def build_alerts(con, baseline: bool = True, now: datetime | None = None) -> int:
    """Classify the history events not classified yet and create the alerts they call for;
    return how many alerts are new. With `baseline`, the events of a source's first snapshot
    (everything already listed) are logged without alerting."""
    now = now or datetime.now(UTC)
    aligned = [source for source in SOURCES.values() if not getattr(source, "reference", False)]
    params = {
        "sources": [source.id for source in aligned],
        "jurisdictions": [source.jurisdiction for source in aligned],
    }
    con.execute(PENDING_SQL, {"sources": params["sources"]})
    con.execute(HORIZON_SQL, params)
    con.execute(READY_SQL, {"baseline": baseline, "wait_limit": now - max_wait()})
    con.execute(PEERS_SQL)
    created = con.execute(CLASSIFY_SQL, {"now": now}).fetchall()[0][0]
    con.execute(LOG_SQL, {"baseline": baseline, "now": now})
    return created


# ---------------------------------------------------------------------------------- delivery


@dataclass(frozen=True)
class JsonLinesSink:
    path: Path
    name: str = "jsonl"

    def send(self, alert: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(alert, default=str, ensure_ascii=False) + "\n")


@dataclass(frozen=True)
class WebhookSink:
    url: str
    slack: bool = False
    timeout: float = 10.0
    name: str = "webhook"

    def send(self, alert: dict) -> None:
        payload = {"text": alert["message"]} if self.slack else alert
        try:
            response = requests.post(
                self.url,
                data=json.dumps(payload, default=str),
                headers={"Content-Type": "application/json"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:  # the message may hold the URL: not shown
            raise DeliveryError(f"webhook unreachable ({type(exc).__name__})") from None
        if response.status_code >= 300:
            raise DeliveryError(f"webhook answered HTTP {response.status_code}")


class DeliveryError(RuntimeError):
    """A sink refused an alert; the text never contains the sink's address."""


ALERT_COLUMNS = (
    "alert_id",
    "kind",
    "scope",
    "target_id",
    "target_name",
    "jurisdiction",
    "record_id",
    "programme_keys",
    "event_date",
    "listed_by",
    "not_listed_by",
    "lag_days",
    "evidence",
    "message",
    "created_at",
)


def deliver(con, sinks, now: datetime | None = None) -> dict[str, int]:
    """Send every alert not yet delivered to each sink; record the outcome per sink."""
    now = now or datetime.now(UTC)
    outcome = {"delivered": 0, "failed": 0}
    for sink in sinks:
        pending = con.execute(
            f"""SELECT {", ".join(ALERT_COLUMNS)} FROM alerts.alerts a
                WHERE NOT EXISTS (SELECT 1 FROM alerts.deliveries d WHERE d.alert_id = a.alert_id
                                  AND d.sink = ? AND d.status = 'delivered')
                ORDER BY created_at, alert_id""",
            [sink.name],
        ).fetchall()
        for row in pending:
            alert = dict(zip(ALERT_COLUMNS, row, strict=True))
            alert["evidence"] = json.loads(alert["evidence"]) if alert["evidence"] else None
            try:
                sink.send(alert)
                status, error = "delivered", None
            except DeliveryError as exc:
                status, error = "failed", str(exc)
            outcome[status] += 1
            con.execute(
                """INSERT INTO alerts.deliveries VALUES (?, ?, ?, 1, ?, ?)
                   ON CONFLICT (alert_id, sink) DO UPDATE SET status = excluded.status,
                       attempts = attempts + 1, last_attempt_at = excluded.last_attempt_at,
                       last_error = excluded.last_error""",
                [alert["alert_id"], sink.name, status, now, error],
            )
    outcome["undelivered"] = undelivered(con, [sink.name for sink in sinks])
    return outcome


def undelivered(con, sink_names: list[str]) -> int:
    if not sink_names:
        return 0
    return con.execute(
        """SELECT count(*) FROM alerts.alerts a, (SELECT unnest(?::VARCHAR[]) AS sink) s
            WHERE NOT EXISTS (SELECT 1 FROM alerts.deliveries d WHERE d.alert_id = a.alert_id
                              AND d.sink = s.sink AND d.status = 'delivered')""",
        [sink_names],
    ).fetchall()[0][0]
