-- Alerts on target events, and their delivery to each subscriber.
CREATE SCHEMA IF NOT EXISTS alerts;

CREATE TABLE IF NOT EXISTS alerts.event_log (
    seq BIGINT PRIMARY KEY,
    outcome VARCHAR NOT NULL,
    logged_at TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE alerts.event_log IS 'History events already classified for alerts (history.events.seq): each event is classified once, against the state on its own date, and never again.';
COMMENT ON COLUMN alerts.event_log.seq IS 'The event (history.events.seq).';
COMMENT ON COLUMN alerts.event_log.outcome IS 'classified (it gave an alert), no_target_change (another record of the jurisdiction kept the target where it was), baseline (a source''s first snapshot) or migrated (examined by a release before this log, or before programme changes alerted).';
COMMENT ON COLUMN alerts.event_log.logged_at IS 'When it was classified.';
-- A warehouse of the first release alerted from alerts.record_targets: its events count as done.
INSERT INTO alerts.event_log
SELECT e.seq, 'migrated', now() FROM history.events e
WHERE EXISTS (SELECT 1 FROM duckdb_tables() WHERE schema_name = 'alerts'
                AND table_name = 'record_targets')
  AND NOT EXISTS (SELECT 1 FROM alerts.event_log l WHERE l.seq = e.seq);
DROP TABLE IF EXISTS alerts.record_targets;
-- A warehouse whose alerts had one row per scope never alerted programme changes: those it had
-- passed are done (not news now).
INSERT INTO alerts.event_log
SELECT e.seq, 'migrated', now() FROM history.events e
WHERE e.event = 'changed'
  AND EXISTS (SELECT 1 FROM duckdb_columns() WHERE schema_name = 'alerts'
                AND table_name = 'alerts' AND column_name = 'scope')
  AND e.seq <= (SELECT max(seq) FROM alerts.event_log)
  AND NOT EXISTS (SELECT 1 FROM alerts.event_log l WHERE l.seq = e.seq);

-- alerts.alerts, rebuilt through a copy so that every earlier shape (one row per scope, no
-- key) ends in this one with its rows: one alert per event, alert_id its primary key.
CREATE TABLE IF NOT EXISTS alerts.alerts (alert_id VARCHAR NOT NULL);
ALTER TABLE alerts.alerts ADD COLUMN IF NOT EXISTS scope VARCHAR;
ALTER TABLE alerts.alerts ADD COLUMN IF NOT EXISTS event VARCHAR;
ALTER TABLE alerts.alerts ADD COLUMN IF NOT EXISTS kind VARCHAR;
ALTER TABLE alerts.alerts ADD COLUMN IF NOT EXISTS scopes VARCHAR[];
ALTER TABLE alerts.alerts ADD COLUMN IF NOT EXISTS target_id VARCHAR;
ALTER TABLE alerts.alerts ADD COLUMN IF NOT EXISTS target_name VARCHAR;
ALTER TABLE alerts.alerts ADD COLUMN IF NOT EXISTS target_type VARCHAR;
ALTER TABLE alerts.alerts ADD COLUMN IF NOT EXISTS countries VARCHAR[];
ALTER TABLE alerts.alerts ADD COLUMN IF NOT EXISTS jurisdiction VARCHAR;
ALTER TABLE alerts.alerts ADD COLUMN IF NOT EXISTS record_id VARCHAR;
ALTER TABLE alerts.alerts ADD COLUMN IF NOT EXISTS programme_keys VARCHAR[];
ALTER TABLE alerts.alerts ADD COLUMN IF NOT EXISTS previous_programme_keys VARCHAR[];
ALTER TABLE alerts.alerts ADD COLUMN IF NOT EXISTS event_date DATE;
ALTER TABLE alerts.alerts ADD COLUMN IF NOT EXISTS listed_by VARCHAR[];
ALTER TABLE alerts.alerts ADD COLUMN IF NOT EXISTS not_listed_by VARCHAR[];
ALTER TABLE alerts.alerts ADD COLUMN IF NOT EXISTS unknown_on_date VARCHAR[];
ALTER TABLE alerts.alerts ADD COLUMN IF NOT EXISTS lag_days INTEGER;
ALTER TABLE alerts.alerts ADD COLUMN IF NOT EXISTS details STRUCT(scope VARCHAR, change VARCHAR, kind VARCHAR, listed_by VARCHAR[], not_listed_by VARCHAR[], unknown_on_date VARCHAR[], lag_days INTEGER)[];
ALTER TABLE alerts.alerts ADD COLUMN IF NOT EXISTS evidence JSON;
ALTER TABLE alerts.alerts ADD COLUMN IF NOT EXISTS message VARCHAR;
ALTER TABLE alerts.alerts ADD COLUMN IF NOT EXISTS historical BOOLEAN;
ALTER TABLE alerts.alerts ADD COLUMN IF NOT EXISTS created_at TIMESTAMPTZ;
CREATE OR REPLACE TABLE alerts.alerts_rebuilt (
    alert_id VARCHAR PRIMARY KEY,
    event VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    scopes VARCHAR[] NOT NULL,
    target_id VARCHAR NOT NULL,
    target_name VARCHAR,
    target_type VARCHAR,
    countries VARCHAR[],
    jurisdiction VARCHAR NOT NULL,
    record_id VARCHAR NOT NULL,
    programme_keys VARCHAR[],
    previous_programme_keys VARCHAR[],
    event_date DATE NOT NULL,
    listed_by VARCHAR[],
    not_listed_by VARCHAR[],
    unknown_on_date VARCHAR[],
    lag_days INTEGER,
    details STRUCT(scope VARCHAR, change VARCHAR, kind VARCHAR, listed_by VARCHAR[], not_listed_by VARCHAR[], unknown_on_date VARCHAR[], lag_days INTEGER)[] NOT NULL,
    evidence JSON,
    message VARCHAR NOT NULL,
    historical BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
-- Rows of the one-row-per-scope shape become one alert per event (the smallest id, already
-- delivered, stands for it); rows of this shape are copied as they are.
INSERT INTO alerts.alerts_rebuilt BY NAME
SELECT min(alert_id) AS alert_id,
       CASE WHEN any_value(kind) = 'divergence' THEN 'delisted' ELSE 'listed' END AS event,
       arg_min(kind, scope) AS kind,
       list(scope ORDER BY list_position(['all', 'broad', 'strict'], scope)) AS scopes,
       any_value(target_id) AS target_id, any_value(target_name) AS target_name,
       NULL AS target_type, [] AS countries, jurisdiction, record_id,
       any_value(programme_keys) AS programme_keys, NULL AS previous_programme_keys, event_date,
       any_value(listed_by) AS listed_by, any_value(not_listed_by) AS not_listed_by,
       [] AS unknown_on_date, any_value(lag_days) AS lag_days,
       list({'scope': scope, 'change': CASE WHEN kind = 'divergence' THEN 'left' ELSE 'entered' END,
             'kind': kind, 'listed_by': listed_by, 'not_listed_by': not_listed_by,
             'unknown_on_date': []::VARCHAR[], 'lag_days': lag_days}
            ORDER BY list_position(['all', 'broad', 'strict'], scope)) AS details,
       any_value(evidence) AS evidence, any_value(message) AS message, false AS historical,
       min(created_at) AS created_at
FROM (SELECT DISTINCT ON (alert_id) * FROM alerts.alerts WHERE scope IS NOT NULL)
GROUP BY jurisdiction, record_id, event_date, kind = 'divergence'
UNION ALL BY NAME
SELECT * EXCLUDE (scope) FROM alerts.alerts WHERE scope IS NULL;
DROP TABLE alerts.alerts;
ALTER TABLE alerts.alerts_rebuilt RENAME TO alerts;
COMMENT ON TABLE alerts.alerts IS 'One row per target event: a listing, delisting, relisting or programme change that moved a target into or out of one or more scopes. alert_id is the primary key and is derived from the event, so re-running or replaying never creates a second alert.';
COMMENT ON COLUMN alerts.alerts.alert_id IS 'Stable id: hash of the record, the history event, its date and its rank among the same events of that record that day.';
COMMENT ON COLUMN alerts.alerts.event IS 'The history event: listed, relisted, delisted or changed (its programmes).';
COMMENT ON COLUMN alerts.alerts.kind IS 'The verdict in the widest of its scopes: unilateral_listing (no other list known that day lists the target), follow_on (another listed it before; lag_days), coordinated_listing (another listed it the same day), divergence (it left a scope others keep it in) or delisting (it left a scope no other known list keeps it in).';
COMMENT ON COLUMN alerts.alerts.scopes IS 'The scopes the event moved the target into or out of, widest first: every scope of the scopes file in use (all, broad, strict as shipped, or a scope of SANCTIONS_SCOPES), a scope of every programme first, then by how many programme keys each holds (sanctions.alerts.alert_scopes).';
COMMENT ON COLUMN alerts.alerts.target_id IS 'The target (matching.record_targets).';
COMMENT ON COLUMN alerts.alerts.target_name IS 'Its name.';
COMMENT ON COLUMN alerts.alerts.target_type IS 'person, organization, vessel or aircraft (the most common among its records).';
COMMENT ON COLUMN alerts.alerts.countries IS 'ISO codes of the target''s nationality, citizenship, address, registration and flag countries.';
COMMENT ON COLUMN alerts.alerts.jurisdiction IS 'The jurisdiction that acted.';
COMMENT ON COLUMN alerts.alerts.record_id IS 'The record behind the event.';
COMMENT ON COLUMN alerts.alerts.programme_keys IS 'Programmes of the record in the event (for a delisting: in its last listing).';
COMMENT ON COLUMN alerts.alerts.previous_programme_keys IS 'For a programme change: the programmes before it.';
COMMENT ON COLUMN alerts.alerts.event_date IS 'Date of the snapshot that showed the event.';
COMMENT ON COLUMN alerts.alerts.listed_by IS 'In the widest scope: jurisdictions listing the target on the event date, after the event.';
COMMENT ON COLUMN alerts.alerts.not_listed_by IS 'In the widest scope: other lists known on that date that did not list the target.';
COMMENT ON COLUMN alerts.alerts.unknown_on_date IS 'Other loaded lists with no evidence for that date (their history starts later and they give no listing dates, or they were not yet known up to it): neither listing nor not listing.';
COMMENT ON COLUMN alerts.alerts.lag_days IS 'In the widest scope, for follow_on: days since the first listing by another jurisdiction.';
COMMENT ON COLUMN alerts.alerts.details IS 'Per scope, widest first: entered or left, the verdict, who lists, who does not, who is unknown, the lag.';
COMMENT ON COLUMN alerts.alerts.evidence IS 'The records of the target and the accepted links that tie them, with their explanations.';
COMMENT ON COLUMN alerts.alerts.message IS 'The alert text: who acted, and per scope who lists, who does not and who is unknown on that date.';
COMMENT ON COLUMN alerts.alerts.historical IS 'Older than SANCTIONS_ALERT_MAX_AGE_DAYS when first classified: recorded, delivered to no subscriber.';
COMMENT ON COLUMN alerts.alerts.created_at IS 'When the alert was created.';

-- alerts.deliveries per subscriber (an earlier release kept them per sink, named jsonl and
-- webhook: the names of the subscribers used without a subscriptions file).
CREATE TABLE IF NOT EXISTS alerts.deliveries (alert_id VARCHAR NOT NULL);
ALTER TABLE alerts.deliveries ADD COLUMN IF NOT EXISTS sink VARCHAR;
ALTER TABLE alerts.deliveries ADD COLUMN IF NOT EXISTS subscriber VARCHAR;
ALTER TABLE alerts.deliveries ADD COLUMN IF NOT EXISTS status VARCHAR;
ALTER TABLE alerts.deliveries ADD COLUMN IF NOT EXISTS attempts INTEGER;
ALTER TABLE alerts.deliveries ADD COLUMN IF NOT EXISTS last_attempt_at TIMESTAMPTZ;
ALTER TABLE alerts.deliveries ADD COLUMN IF NOT EXISTS last_error VARCHAR;
CREATE OR REPLACE TABLE alerts.deliveries_rebuilt (
    alert_id VARCHAR NOT NULL,
    subscriber VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    attempts INTEGER NOT NULL,
    last_attempt_at TIMESTAMPTZ NOT NULL,
    last_error VARCHAR,
    PRIMARY KEY (alert_id, subscriber)
);
INSERT INTO alerts.deliveries_rebuilt
SELECT alert_id, coalesce(subscriber, sink), status, attempts, last_attempt_at, last_error
FROM alerts.deliveries;
DROP TABLE alerts.deliveries;
ALTER TABLE alerts.deliveries_rebuilt RENAME TO deliveries;
COMMENT ON TABLE alerts.deliveries IS 'Delivery state per alert and subscriber. The attempt is recorded before the send, so an attempt a crash interrupted is settled from the sink (a JSON-lines file shows what it holds) or left unconfirmed, never sent twice; failed ones are retried until delivered.';
COMMENT ON COLUMN alerts.deliveries.alert_id IS 'The alert.';
COMMENT ON COLUMN alerts.deliveries.subscriber IS 'The subscriber''s name (jsonl and webhook without a subscriptions file).';
COMMENT ON COLUMN alerts.deliveries.status IS 'sending (the attempt under way), delivered, failed (retried) or unconfirmed (a crash cut the send and the sink cannot tell: not sent again).';
COMMENT ON COLUMN alerts.deliveries.attempts IS 'Attempts so far.';
COMMENT ON COLUMN alerts.deliveries.last_attempt_at IS 'When it was last tried.';
COMMENT ON COLUMN alerts.deliveries.last_error IS 'Why the last attempt failed (never the webhook URL).';
