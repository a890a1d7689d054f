"""Target events and alerts: a jurisdiction lists a target nobody else lists (unilateral
listing), lists one another already lists (follow-on, with the lag), or delists one the
others keep (divergence); in each scope (all, broad, strict).

History events are per record; here they are lifted to targets through the clusters. The
alert id hashes the event, so re-running or replaying a snapshot never creates a second alert.
Delivery is tracked per sink: an alert that could not be delivered is retried next time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import requests

TARGET_EVENTS_SQL = """
INSERT INTO alerts.alerts
WITH started AS (SELECT source_id, min(as_of) AS first_as_of FROM history.snapshots GROUP BY 1),
events AS (
    SELECT e.*, t.target_id, split_part(e.record_id, ':', 1) AS jurisdiction,
           e.event_date::DATE AS day
    FROM history.events e
    JOIN alerts.record_targets t USING (record_id)
    JOIN started s USING (source_id)
    WHERE e.event IN ('listed', 'relisted', 'delisted')
      AND (NOT $baseline OR e.event_date > s.first_as_of)
), scoped AS (
    SELECT e.*, s.scope FROM events e, (SELECT unnest(['all', 'broad', 'strict']) AS scope) s
    WHERE s.scope = 'all' OR EXISTS (
        SELECT 1 FROM ref.programmes p
        WHERE p.jurisdiction = e.jurisdiction AND list_contains(e.programme_keys, p.programme_key)
          AND ((s.scope = 'broad' AND p.magnitsky_broad) OR (s.scope = 'strict'
                                                              AND p.magnitsky_strict)))
), listed AS (
    SELECT target_id, s.scope, jurisdiction, min(listed_on) AS first_listed
    FROM alignment.listings, (SELECT unnest(['all', 'broad', 'strict']) AS scope) s
    WHERE s.scope = 'all' OR (s.scope = 'broad' AND broad) OR (s.scope = 'strict' AND strict)
    GROUP BY ALL
), decided AS (
    SELECT e.*,
           (SELECT list(l.jurisdiction ORDER BY l.jurisdiction) FROM listed l
            WHERE l.target_id = e.target_id AND l.scope = e.scope) AS listed_by,
           (SELECT list(l.jurisdiction ORDER BY l.jurisdiction) FROM listed l
            WHERE l.target_id = e.target_id AND l.scope = e.scope
              AND l.jurisdiction <> e.jurisdiction) AS others,
           (SELECT min(l.first_listed) FROM listed l
            WHERE l.target_id = e.target_id AND l.scope = e.scope
              AND l.jurisdiction <> e.jurisdiction) AS others_first
    FROM scoped e
), kinds AS (
    SELECT *,
           CASE WHEN event IN ('listed', 'relisted') AND coalesce(len(others), 0) = 0
                    THEN 'unilateral_listing'
                WHEN event IN ('listed', 'relisted') THEN 'follow_on'
                WHEN event = 'delisted' AND coalesce(len(others), 0) > 0
                     AND NOT list_contains(coalesce(listed_by, []), jurisdiction)
                    THEN 'divergence'
           END AS kind
    FROM decided
)
SELECT md5(concat_ws('|', k.kind, k.scope, k.jurisdiction, k.record_id, k.day)) AS alert_id,
       k.kind, k.scope, k.target_id, t.name, k.jurisdiction, k.record_id, k.programme_keys,
       k.day, coalesce(k.listed_by, []),
       list_filter(['US', 'CA', 'UK', 'EU'],
                   lambda j: NOT list_contains(coalesce(k.listed_by, []), j)),
       CASE WHEN k.kind = 'follow_on' THEN date_diff('day', k.others_first, k.day) END,
       json_object(
           'records', (SELECT list(c.record_id ORDER BY c.record_id) FROM matching.clusters c
                       WHERE c.target_id = k.target_id),
           'links', (SELECT list(json_object('left', l.left_record_id,
                                             'right', l.right_record_id, 'rule', l.rule,
                                             'score', l.score, 'explanation', l.explanation))
                     FROM matching.links l JOIN matching.clusters a
                       ON a.record_id = l.left_record_id
                     WHERE a.target_id = k.target_id AND l.decision = 'accept')),
       format('{} {} {} ({}) on {}, {}; not listed by {}', k.jurisdiction,
              CASE k.kind WHEN 'divergence' THEN 'delisted' ELSE 'listed' END,
              coalesce(t.name, k.record_id), array_to_string(k.programme_keys, ', '), k.day,
              CASE k.kind WHEN 'unilateral_listing' THEN 'listed by no other jurisdiction'
                          WHEN 'follow_on' THEN 'following ' || array_to_string(k.others, ', ')
                          ELSE 'still listed by ' || array_to_string(k.others, ', ') END,
              coalesce(nullif(array_to_string(list_filter(['US', 'CA', 'UK', 'EU'],
                  lambda j: NOT list_contains(coalesce(k.listed_by, []), j)), ', '), ''), 'none')
              || ' (' || k.scope || ' scope)'),
       $now
FROM kinds k LEFT JOIN alignment.targets t USING (target_id)
WHERE k.kind IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM alerts.alerts a
                  WHERE a.alert_id = md5(concat_ws('|', k.kind, k.scope, k.jurisdiction,
                                                   k.record_id, k.day)))
"""


def refresh_record_targets(con, now: datetime) -> None:
    """Remember each current record's target; delisted records keep their last one."""
    con.execute(
        """INSERT OR REPLACE INTO alerts.record_targets
           SELECT record_id, target_id, ? FROM matching.clusters""",
        [now],
    )


def build_alerts(con, baseline: bool = True, now: datetime | None = None) -> int:
    """Create the alerts the target events call for; return how many are new. With
    `baseline`, events of a source's first snapshot (everything already listed) do not alert."""
    now = now or datetime.now(UTC)
    refresh_record_targets(con, now)
    return con.execute(TARGET_EVENTS_SQL, {"baseline": baseline, "now": now}).fetchall()[0][0]


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
