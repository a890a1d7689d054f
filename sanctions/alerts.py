"""Target events and alerts. Every change that moves a target into or out of a scope is an
event: a jurisdiction lists, delists or relists a record, or changes its programmes so that it
enters or leaves a scope (every scope of the scopes file in use: all, broad, strict as
shipped, and an analyst's own, see `alert_scopes`). Each event gives one alert, with the scopes it
moved the target in or out of, classified in each against the other lists on the event's own
date: a unilateral listing (no other list known that day lists it), a follow-on (another listed
it before, with the lag), a coordinated listing (another the same day), a divergence (it leaves
a scope others keep it in) or a delisting (nobody else known that day keeps it).

Alerts come from history events only, each classified once (alerts.event_log), against the
other jurisdictions' state on that date (their history, or, for a list whose history starts
later, the listing dates its publisher gives), so no lag is negative and nothing is derived
again later. An event waits until every other list with a history by then is known up to its
date, at most a maximum wait; an event older than the maximum age when classified is kept as
historical and never pushed. Record events are lifted to targets through
matching.record_targets: a record's event is a target event only when no other record of the
same jurisdiction keeps the target in that scope.

Delivery is per subscriber, at most once per alert: the attempt is recorded before the send,
so an attempt a crash interrupted is checked against the sink (a JSON-lines file tells) or,
where the sink cannot tell (a webhook), left unconfirmed rather than sent twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from sanctions import scopes, warehouse

KINDS = ("unilateral_listing", "follow_on", "coordinated_listing", "divergence", "delisting")
DEFAULT_MAX_WAIT_DAYS = 7
DEFAULT_MAX_AGE_DAYS = 30


def alert_scopes(in_use: tuple[scopes.Scope, ...]) -> tuple[str, ...]:
    """The scopes alerts follow, widest first (an alert's headline is its widest scope): a
    scope of every programme (`*`) first, then by how many programme keys each holds, most
    first, ties in the order of the scopes file. The `autonomous` rule is left out: whether a
    listing implements a UN listing is a mart's reading, not a history event's."""
    rows = [scope for scope in in_use if not scope.un_mandated_excluded]
    ranked = sorted(rows, key=lambda s: (s.keys != (scopes.EVERY_PROGRAMME,), -len(s.keys)))
    return tuple(scope.name for scope in ranked)


def scope_members(con) -> tuple[str, ...]:
    """The one reading of scope membership: temp table a_scope_members(scope, programme_key),
    `*` for a scope of every programme (every listed record is inside), as the marts count
    them (alignment.scopes: schemas/scopes.csv or SANCTIONS_SCOPES; the shipped file before the
    marts first ran). Returns the scopes alerts follow, widest first."""
    built = con.execute(
        """SELECT count(*) FROM duckdb_tables()
           WHERE schema_name = 'alignment' AND table_name = 'scopes'"""
    ).fetchall()[0][0]
    in_use = scopes.from_warehouse(con) if built else scopes.load_scopes()
    followed = alert_scopes(in_use)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE a_scope_members (scope VARCHAR, programme_key VARCHAR)"
    )
    con.executemany(
        "INSERT INTO a_scope_members VALUES (?, ?)",
        [(scope.name, key) for scope in in_use if scope.name in followed for key in scope.keys],
    )
    return followed


# Per record event that can move a scope (listings, delistings, programme changes), in each
# scope: whether the record is inside after it, and whether it was before.
STATES_SQL = """
CREATE OR REPLACE TEMP TABLE a_states AS
WITH snaps AS (
    SELECT source_id, snapshot_id, as_of, bool_or(is_first) AS is_first,
           min(applied_at) AS applied_at
    FROM history.snapshots GROUP BY ALL
), ev AS (
    SELECT e.seq, e.source_id, e.record_id, e.event, e.event_date::DATE AS day, e.origin,
           e.programme_keys AS keys, split_part(e.record_id, ':', 1) AS jurisdiction,
           s.is_first, s.applied_at,
           row_number() OVER (ORDER BY e.event_date, e.seq) AS pos,
           row_number() OVER (PARTITION BY e.record_id, e.event, e.event_date::DATE
                              ORDER BY e.event_date, e.seq) AS occurrence
    FROM history.events e
    JOIN snaps s ON s.source_id = e.source_id AND s.snapshot_id = e.snapshot_id
                AND s.as_of = e.event_date
    WHERE e.source_id IN (SELECT unnest($sources::VARCHAR[]))
      AND (e.event <> 'changed' OR list_contains(e.changed_fields, 'programmes'))
), scoped AS (
    SELECT ev.*, sc.scope, list_position($scopes::VARCHAR[], sc.scope) AS scope_rank,
           ev.event <> 'delisted' AND EXISTS (
               SELECT 1 FROM a_scope_members m
               WHERE m.scope = sc.scope
                 AND (m.programme_key = '*' OR list_contains(ev.keys, m.programme_key))) AS inside
    FROM ev, (SELECT unnest($scopes::VARCHAR[]) AS scope) sc
)
SELECT *,
       coalesce(lag(inside) OVER w, false) AS was_inside,
       lag(keys) OVER w AS previous_keys
FROM scoped
WINDOW w AS (PARTITION BY record_id, scope ORDER BY pos)
"""

# Each stretch a record spent inside a scope: entered at one position, left at the next exit.
SPANS_SQL = """
CREATE OR REPLACE TEMP TABLE a_spans AS
SELECT record_id, jurisdiction, scope, day AS entered_day, pos AS entered_pos,
       is_first AS entered_first, left_day, left_pos
FROM (SELECT *, lead(day) OVER w AS left_day, lead(pos) OVER w AS left_pos
      FROM a_states WHERE inside <> was_inside
      WINDOW w AS (PARTITION BY record_id, scope ORDER BY pos))
WHERE inside
"""

# Each list: since when its history runs, and up to which day it is known: the later of the
# newest snapshot's date (publication date, or fetch time for undated files) and the last fetch
# that found core's snapshot unchanged after it was applied.
HORIZON_SQL = """
CREATE OR REPLACE TEMP TABLE a_horizon AS
WITH lists AS (SELECT unnest($jurisdictions::VARCHAR[]) AS jurisdiction,
                      unnest($sources::VARCHAR[]) AS source_id),
history_span AS (SELECT source_id, min(as_of) AS started, max(as_of) AS newest,
                        max(applied_at) AS applied
                 FROM history.snapshots GROUP BY source_id),
current AS (SELECT source_id, arg_max(snapshot_id, loaded_at) AS snapshot_id
            FROM core.snapshots GROUP BY source_id),
confirmed AS (
    SELECT m.source_id, max(m.fetched_at) AS confirmed
    FROM raw.manifest m JOIN current c USING (source_id, snapshot_id)
    JOIN history_span h USING (source_id)
    WHERE m.origin = 'fetch' AND m.fetched_at > h.applied GROUP BY m.source_id)
SELECT l.jurisdiction, l.source_id, h.started::DATE AS started,
       greatest(h.newest, c.confirmed)::DATE AS known_until,
       (SELECT min(r.listed_on) FROM core.records r WHERE r.source_id = l.source_id
          AND r.listed_on_origin = 'publisher') AS dated_since
FROM lists l LEFT JOIN history_span h USING (source_id) LEFT JOIN confirmed c USING (source_id)
"""

PENDING_SQL = """
CREATE OR REPLACE TEMP TABLE a_pending AS
SELECT s.*, coalesce(t.target_id, 'T-' || left(sha256(s.record_id || '#0'), 12)) AS target_id
FROM a_states s LEFT JOIN matching.record_targets t USING (record_id)
WHERE s.origin IN ('live', 'replay')
  AND (s.event <> 'changed' OR s.inside <> s.was_inside)
  AND NOT EXISTS (SELECT 1 FROM alerts.event_log l WHERE l.seq = s.seq)
"""

READY_SQL = """
CREATE OR REPLACE TEMP TABLE a_ready AS
SELECT DISTINCT p.seq FROM a_pending p
WHERE NOT ($baseline AND p.is_first)
  AND (p.applied_at < $wait_limit OR NOT EXISTS (
      SELECT 1 FROM a_horizon h WHERE h.jurisdiction <> p.jurisdiction
        AND h.started <= p.day AND h.known_until < p.day))
"""

# The scope moves of ready events that move the target: no other record of the jurisdiction
# keeps the target in that scope at that point.
FLIPS_SQL = """
CREATE OR REPLACE TEMP TABLE a_flips AS
SELECT p.*, CASE WHEN p.inside THEN 'entered' ELSE 'left' END AS change
FROM a_pending p
WHERE p.seq IN (SELECT seq FROM a_ready) AND p.inside <> p.was_inside
  AND NOT EXISTS (
      SELECT 1 FROM a_spans o JOIN matching.record_targets m USING (record_id)
      WHERE m.target_id = p.target_id AND o.record_id <> p.record_id
        AND o.jurisdiction = p.jurisdiction AND o.scope = p.scope
        AND o.entered_pos < p.pos AND (o.left_pos IS NULL OR o.left_pos > p.pos))
"""

# For each flip, the other lists known on its date, and which of them hold the target in the
# scope that day and since when.
OTHERS_SQL = """
CREATE OR REPLACE TEMP TABLE a_known AS
SELECT f.seq, f.scope, h.jurisdiction,
       (h.started <= f.day AND h.known_until >= f.day)
       OR (h.started > f.day AND h.dated_since <= f.day) AS known
FROM a_flips f JOIN a_horizon h ON h.jurisdiction <> f.jurisdiction AND h.started IS NOT NULL;

CREATE OR REPLACE TEMP TABLE a_others AS
WITH peers AS (
    SELECT f.seq, f.scope, f.day, m.record_id, m.jurisdiction, h.started
    FROM a_flips f
    JOIN matching.record_targets m ON m.target_id = f.target_id AND m.jurisdiction <> f.jurisdiction
    JOIN a_horizon h ON h.jurisdiction = m.jurisdiction
    JOIN a_known k ON k.seq = f.seq AND k.scope = f.scope AND k.jurisdiction = m.jurisdiction
    WHERE k.known
), published AS (
    SELECT record_id, listed_on FROM core.records WHERE listed_on_origin = 'publisher'
)
SELECT p.seq, p.scope, p.jurisdiction,
       CASE WHEN o.entered_first AND r.listed_on <= p.day THEN least(r.listed_on, o.entered_day)
            ELSE o.entered_day END AS since
FROM peers p
JOIN a_spans o ON o.record_id = p.record_id AND o.scope = p.scope
              AND o.entered_day <= p.day AND (o.left_day IS NULL OR o.left_day > p.day)
LEFT JOIN published r ON r.record_id = p.record_id
WHERE p.started <= p.day
UNION ALL
SELECT p.seq, p.scope, p.jurisdiction, r.listed_on
FROM peers p JOIN published r ON r.record_id = p.record_id AND r.listed_on <= p.day
WHERE p.started > p.day
  AND EXISTS (
      SELECT 1 FROM a_scope_members s
      WHERE s.scope = p.scope
        AND (s.programme_key = '*' OR s.programme_key IN (
            SELECT k.programme_key FROM core.programmes k WHERE k.record_id = p.record_id)))
"""

CLASSIFY_SQL = """
CREATE OR REPLACE TEMP TABLE a_classified AS
WITH judged AS (
    SELECT f.*,
           (SELECT list(DISTINCT o.jurisdiction ORDER BY o.jurisdiction) FROM a_others o
            WHERE o.seq = f.seq AND o.scope = f.scope) AS holders,
           (SELECT list(DISTINCT o.jurisdiction ORDER BY o.jurisdiction) FROM a_others o
            WHERE o.seq = f.seq AND o.scope = f.scope AND o.since < f.day) AS leaders,
           (SELECT min(o.since) FROM a_others o WHERE o.seq = f.seq AND o.scope = f.scope)
               AS others_since,
           coalesce((SELECT list(k.jurisdiction ORDER BY k.jurisdiction) FROM a_known k
                     WHERE k.seq = f.seq AND k.scope = f.scope AND k.known), [])
               AS known,
           coalesce((SELECT list(k.jurisdiction ORDER BY k.jurisdiction) FROM a_known k
                     WHERE k.seq = f.seq AND k.scope = f.scope AND NOT k.known), [])
               AS unknown
    FROM a_flips f
)
SELECT *,
       CASE WHEN change = 'entered' AND holders IS NULL THEN 'unilateral_listing'
            WHEN change = 'entered' AND leaders IS NULL THEN 'coordinated_listing'
            WHEN change = 'entered' THEN 'follow_on'
            WHEN holders IS NOT NULL THEN 'divergence'
            ELSE 'delisting' END AS kind,
       list_sort(coalesce(holders, []) || CASE WHEN change = 'entered'
                                          THEN [jurisdiction] ELSE [] END) AS listed_by,
       list_filter(known, lambda j: NOT list_contains(coalesce(holders, []), j))
           AS not_listed_by,
       CASE WHEN change = 'entered' AND leaders IS NOT NULL
            THEN date_diff('day', others_since, day) END AS lag_days
FROM judged
"""

# One alert per event: its scopes widest first, each scope's verdict, and a message grouping
# the scopes that share one.
ALERTS_SQL = """
INSERT INTO alerts.alerts BY NAME
WITH groups AS (
    SELECT seq, min(scope_rank) AS rank,
           array_to_string(list(scope ORDER BY scope_rank), ', ')
           || CASE WHEN count(*) = 1 THEN ' scope: ' ELSE ' scopes: ' END
           || coalesce(concat_ws('; ',
                  CASE WHEN any_value(event) = 'changed' THEN any_value(change) END,
                  CASE any_value(kind)
                      WHEN 'follow_on'
                          THEN 'following ' || array_to_string(any_value(leaders), ', ')
                               || ' by ' || any_value(lag_days) || ' days'
                      WHEN 'coordinated_listing'
                          THEN 'on the same day as ' || array_to_string(any_value(holders), ', ')
                      WHEN 'divergence'
                          THEN 'still listed by ' || array_to_string(any_value(holders), ', ')
                  END,
                  CASE WHEN len(any_value(not_listed_by)) > 0
                       THEN 'not listed by ' || array_to_string(any_value(not_listed_by), ', ') END,
                  CASE WHEN len(any_value(unknown)) > 0
                       THEN 'unknown on that date: ' || array_to_string(any_value(unknown), ', ')
                  END,
                  CASE WHEN len(any_value(known)) + len(any_value(unknown)) = 0
                       THEN 'no other list loaded' END), '') AS text
    FROM a_classified
    GROUP BY seq, change, kind, holders, leaders, lag_days, not_listed_by, unknown, known
), lands AS (
    SELECT m.target_id, list(DISTINCT k.country_code ORDER BY k.country_code) AS countries
    FROM matching.record_targets m
    JOIN (SELECT record_id, country_code, relation FROM core.countries
          UNION ALL SELECT record_id, country_code, relation FROM retired.countries) k
      USING (record_id)
    WHERE k.country_code IS NOT NULL
      AND k.relation IN ('nationality', 'citizenship', 'address', 'registration', 'flag')
      AND m.target_id IN (SELECT target_id FROM a_classified)
    GROUP BY m.target_id
), types AS (
    SELECT m.target_id, mode(r.entity_type) AS target_type
    FROM matching.record_targets m
    JOIN (SELECT record_id, entity_type FROM core.records
          UNION ALL SELECT record_id, entity_type FROM retired.records) r USING (record_id)
    WHERE m.target_id IN (SELECT target_id FROM a_classified)
    GROUP BY m.target_id
), names AS (  -- the record's name while listed, else as it was when delisted
    SELECT record_id, arg_min(name, current) AS name
    FROM (SELECT record_id, name, 0 AS current FROM core.records
          UNION ALL SELECT record_id, name, 1 FROM retired.records)
    WHERE record_id IN (SELECT record_id FROM a_classified)
    GROUP BY record_id
), events AS (
    SELECT seq, any_value(record_id) AS record_id, any_value(jurisdiction) AS jurisdiction,
           any_value(event) AS event, any_value(day) AS day, any_value(keys) AS keys,
           any_value(previous_keys) AS previous_keys, any_value(target_id) AS target_id,
           any_value(occurrence) AS occurrence,
           list(scope ORDER BY scope_rank) AS scopes,
           arg_min(kind, scope_rank) AS kind,
           arg_min(listed_by, scope_rank) AS listed_by,
           arg_min(not_listed_by, scope_rank) AS not_listed_by,
           arg_min(unknown, scope_rank) AS unknown_on_date,
           arg_min(lag_days, scope_rank) AS lag_days,
           list({'scope': scope, 'change': change, 'kind': kind, 'listed_by': listed_by,
                 'not_listed_by': not_listed_by, 'unknown_on_date': unknown,
                 'lag_days': lag_days} ORDER BY scope_rank) AS details
    FROM a_classified GROUP BY seq
)
SELECT md5(concat_ws('|', e.record_id, e.event, e.day, e.occurrence)) AS alert_id,
       e.event, e.kind, e.scopes, e.target_id, coalesce(t.name, n.name) AS target_name,
       y.target_type, coalesce(l.countries, []) AS countries, e.jurisdiction, e.record_id,
       e.keys AS programme_keys,
       CASE WHEN e.event = 'changed' THEN e.previous_keys END AS previous_programme_keys,
       e.day AS event_date, e.listed_by, e.not_listed_by, e.unknown_on_date, e.lag_days,
       e.details,
       json_object(
           'records', (SELECT list(c.record_id ORDER BY c.record_id)
                       FROM matching.record_targets c WHERE c.target_id = e.target_id),
           'links', (SELECT list(json_object('left', k.left_record_id,
                                             'right', k.right_record_id, 'rule', k.rule,
                                             'score', k.score, 'explanation', k.explanation))
                     FROM matching.links k JOIN matching.clusters a
                       ON a.record_id = k.left_record_id
                     WHERE a.target_id = e.target_id AND k.decision = 'accept')) AS evidence,
       e.jurisdiction || ' '
       || CASE WHEN e.event = 'changed' THEN 'changed the programmes of '
               ELSE e.event || ' ' END
       || coalesce(t.name, n.name, e.record_id)
       || CASE WHEN e.event = 'changed'
               THEN ' from ' || coalesce(nullif(array_to_string(e.previous_keys, ', '), ''),
                                         'none')
                    || ' to ' || coalesce(nullif(array_to_string(e.keys, ', '), ''), 'none')
               ELSE ' (' || array_to_string(e.keys, ', ') || ')' END
       || ' on ' || e.day || '. '
       || (SELECT string_agg(g.text, '. ' ORDER BY g.rank) FROM groups g WHERE g.seq = e.seq)
       || '.' AS message,
       e.day < ($now::TIMESTAMPTZ - to_days($max_age))::DATE AS historical,
       $now::TIMESTAMPTZ AS created_at
FROM events e
LEFT JOIN alignment.targets t USING (target_id)
LEFT JOIN names n ON n.record_id = e.record_id
LEFT JOIN types y USING (target_id)
LEFT JOIN lands l USING (target_id)
ON CONFLICT (alert_id) DO NOTHING
"""

LOG_SQL = """
INSERT INTO alerts.event_log
SELECT DISTINCT seq,
       CASE WHEN $baseline AND is_first THEN 'baseline'
            WHEN seq IN (SELECT seq FROM a_classified) THEN 'classified'
            ELSE 'no_target_change' END,
       $now
FROM a_pending p
WHERE ($baseline AND p.is_first) OR p.seq IN (SELECT seq FROM a_ready)
"""


def build_alerts(
    con,
    baseline: bool = True,
    now: datetime | None = None,
    max_wait_days: int = DEFAULT_MAX_WAIT_DAYS,
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
) -> int:
    """Classify the history events not classified yet whose wait is over and create their
    alerts; return how many alerts are new. With `baseline`, the events of a source's first
    snapshot (everything already listed) are logged without alerting."""
    from sanctions.sources import SOURCES

    now = now or datetime.now(UTC)
    aligned = [source for source in SOURCES.values() if not source.reference]
    sources = [source.id for source in aligned]
    jurisdictions = [source.jurisdiction for source in aligned]
    before = con.execute("SELECT count(*) FROM alerts.alerts").fetchall()[0][0]
    followed = scope_members(con)
    con.execute(STATES_SQL, {"sources": sources, "scopes": list(followed)})
    con.execute(SPANS_SQL)
    con.execute(HORIZON_SQL, {"sources": sources, "jurisdictions": jurisdictions})
    con.execute(PENDING_SQL)
    wait_limit = now - timedelta(days=max_wait_days)
    con.execute(READY_SQL, {"baseline": baseline, "wait_limit": wait_limit})
    con.execute(FLIPS_SQL)
    con.execute(OTHERS_SQL)
    con.execute(CLASSIFY_SQL)
    with warehouse.transaction(con):
        con.execute(ALERTS_SQL, {"now": now, "max_age": max_age_days})
        con.execute(LOG_SQL, {"baseline": baseline, "now": now})
    return con.execute("SELECT count(*) FROM alerts.alerts").fetchall()[0][0] - before


# ---------------------------------------------------------------------------------- delivery


class DeliveryError(RuntimeError):
    """A sink refused an alert; the text never contains the sink's address."""


@dataclass(frozen=True)
class JsonLinesSink:
    path: Path
    name: str = "jsonl"

    def send(self, alert: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(alert, default=str, ensure_ascii=False) + "\n")

    def received(self, alert_ids: set[str]) -> set[str]:
        """Which of these alert ids the file holds; a line torn by a crash is removed first."""
        if not self.path.is_file():
            return set()
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            data = data[: data.rfind(b"\n") + 1]
            with self.path.open("r+b") as handle:
                handle.truncate(len(data))
        found = set()
        for line in data.decode("utf-8").splitlines():
            try:
                alert_id = json.loads(line).get("alert_id")
            except (json.JSONDecodeError, AttributeError):
                continue
            if alert_id in alert_ids:
                found.add(alert_id)
        return found


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

    def received(self, alert_ids: set[str]) -> None:
        """A webhook cannot tell what it received."""
        return None


@dataclass(frozen=True)
class Subscriber:
    """Who receives which alerts where. A filter left None lets everything through."""

    name: str
    sink: JsonLinesSink | WebhookSink
    jurisdictions: tuple[str, ...] | None = None
    kinds: tuple[str, ...] | None = None
    scopes: tuple[str, ...] | None = None
    countries: tuple[str, ...] | None = None
    programmes: tuple[str, ...] | None = None
    target_types: tuple[str, ...] | None = None

    def filters(self) -> dict:
        return {
            key: list(value) if value is not None else None
            for key, value in (
                ("jurisdictions", self.jurisdictions),
                ("kinds", self.kinds),
                ("scopes", self.scopes),
                ("countries", self.countries),
                ("programmes", self.programmes),
                ("target_types", self.target_types),
            )
        }


ALERT_COLUMNS = (
    "alert_id",
    "event",
    "kind",
    "scopes",
    "target_id",
    "target_name",
    "target_type",
    "countries",
    "jurisdiction",
    "record_id",
    "programme_keys",
    "previous_programme_keys",
    "event_date",
    "listed_by",
    "not_listed_by",
    "unknown_on_date",
    "lag_days",
    "details",
    "evidence",
    "message",
    "historical",
    "created_at",
)

# The alerts a subscriber asked for: never historical ones.
MATCHING_SQL = """
SELECT {columns} FROM alerts.alerts a
WHERE NOT a.historical
  AND ($jurisdictions::VARCHAR[] IS NULL OR list_contains($jurisdictions, a.jurisdiction))
  AND ($countries::VARCHAR[] IS NULL OR len(list_intersect($countries, a.countries)) > 0)
  AND ($programmes::VARCHAR[] IS NULL OR len(list_intersect($programmes,
       coalesce(a.programme_keys, []) || coalesce(a.previous_programme_keys, []))) > 0)
  AND ($target_types::VARCHAR[] IS NULL OR list_contains($target_types, a.target_type))
  AND len(list_filter(a.details, lambda d:
          ($scopes::VARCHAR[] IS NULL OR list_contains($scopes, d.scope))
          AND ($kinds::VARCHAR[] IS NULL OR list_contains($kinds, d.kind)))) > 0
"""

UNSENT_SQL = (
    MATCHING_SQL
    + """  AND NOT EXISTS (SELECT 1 FROM alerts.deliveries d WHERE d.alert_id = a.alert_id
                     AND d.subscriber = $subscriber AND d.status <> 'failed')
ORDER BY a.created_at, a.event_date, a.alert_id"""
)


def matching_alerts(con, subscriber: Subscriber | None = None, since=None) -> list[dict]:
    """Stored alerts, historical ones included unless a subscriber's filters are given (a
    subscriber never receives those), newest event first."""
    columns = ", ".join(ALERT_COLUMNS)
    if subscriber is None:
        sql = f"SELECT {columns} FROM alerts.alerts a WHERE true"
        params: dict = {}
    else:
        sql, params = MATCHING_SQL.format(columns=columns), subscriber.filters()
    sql += " AND ($since::DATE IS NULL OR a.event_date >= $since)"
    rows = con.execute(
        sql + " ORDER BY a.event_date DESC, a.alert_id", {**params, "since": since}
    ).fetchall()
    return [_alert(row) for row in rows]


def _alert(row) -> dict:
    alert = dict(zip(ALERT_COLUMNS, row, strict=True))
    alert["evidence"] = json.loads(alert["evidence"]) if alert["evidence"] else None
    return alert


def _record(con, alert_id: str, subscriber: str, status: str, now, error=None) -> None:
    con.execute(
        """INSERT INTO alerts.deliveries VALUES (?, ?, ?, 1, ?, ?)
           ON CONFLICT (alert_id, subscriber) DO UPDATE SET status = excluded.status,
               attempts = attempts + CASE WHEN excluded.status = 'sending' THEN 1 ELSE 0 END,
               last_attempt_at = excluded.last_attempt_at, last_error = excluded.last_error""",
        [alert_id, subscriber, status, now, error],
    )


def _settle_interrupted(con, subscriber: Subscriber, now) -> None:
    """Attempts a crash cut between the send and its record: delivered if the sink holds the
    alert, retried if it surely does not, else unconfirmed and never sent again."""
    interrupted = {
        row[0]
        for row in con.execute(
            "SELECT alert_id FROM alerts.deliveries WHERE subscriber = ? AND status = 'sending'",
            [subscriber.name],
        ).fetchall()
    }
    if not interrupted:
        return
    received = subscriber.sink.received(interrupted)
    for alert_id in interrupted:
        if received is None:
            status, error = "unconfirmed", "interrupted during the send; not sent again"
        elif alert_id in received:
            status, error = "delivered", None
        else:
            status, error = "failed", "interrupted before the sink received it"
        _record(con, alert_id, subscriber.name, status, now, error)


def deliver(con, subscribers: list[Subscriber], now: datetime | None = None) -> dict[str, int]:
    """Send each subscriber the alerts it asked for and has not received; record the outcome
    per subscriber (the attempt before the send, so a crash never causes a second send)."""
    now = now or datetime.now(UTC)
    outcome = {"delivered": 0, "failed": 0}
    for subscriber in subscribers:
        _settle_interrupted(con, subscriber, now)
        rows = con.execute(
            UNSENT_SQL.format(columns=", ".join(ALERT_COLUMNS)),
            {**subscriber.filters(), "subscriber": subscriber.name},
        ).fetchall()
        for row in rows:
            alert = _alert(row)
            _record(con, alert["alert_id"], subscriber.name, "sending", now)
            try:
                subscriber.sink.send(alert)
                status, error = "delivered", None
            except DeliveryError as exc:
                status, error = "failed", str(exc)
            outcome[status] += 1
            _record(con, alert["alert_id"], subscriber.name, status, now, error)
    outcome["undelivered"] = undelivered(con, [s.name for s in subscribers])
    return outcome


def undelivered(con, subscriber_names: list[str]) -> int:
    """Deliveries still to retry."""
    if not subscriber_names:
        return 0
    return con.execute(
        """SELECT count(*) FROM alerts.deliveries
           WHERE status = 'failed' AND list_contains(?::VARCHAR[], subscriber)""",
        [subscriber_names],
    ).fetchall()[0][0]
