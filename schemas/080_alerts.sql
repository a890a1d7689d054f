-- Alerts on target events, and their delivery to each sink.
CREATE SCHEMA IF NOT EXISTS alerts;

CREATE TABLE IF NOT EXISTS alerts.event_log (
    seq BIGINT PRIMARY KEY,
    outcome VARCHAR NOT NULL,
    logged_at TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE alerts.event_log IS 'History events already classified for alerts (history.events.seq): each event is classified once, against the state on its own date, and never again.';
COMMENT ON COLUMN alerts.event_log.seq IS 'The event (history.events.seq).';
COMMENT ON COLUMN alerts.event_log.outcome IS 'classified, baseline (a source''s first snapshot) or migrated (alerted by a release before the log existed).';
COMMENT ON COLUMN alerts.event_log.logged_at IS 'When it was classified.';
-- A warehouse of the first release alerted from alerts.record_targets: its events count as done.
INSERT INTO alerts.event_log
SELECT e.seq, 'migrated', now() FROM history.events e
WHERE EXISTS (SELECT 1 FROM duckdb_tables() WHERE schema_name = 'alerts'
                AND table_name = 'record_targets')
  AND NOT EXISTS (SELECT 1 FROM alerts.event_log l WHERE l.seq = e.seq);
DROP TABLE IF EXISTS alerts.record_targets;

CREATE TABLE IF NOT EXISTS alerts.alerts (
    alert_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    scope VARCHAR NOT NULL,
    target_id VARCHAR NOT NULL,
    target_name VARCHAR,
    jurisdiction VARCHAR NOT NULL,
    record_id VARCHAR NOT NULL,
    programme_keys VARCHAR[],
    event_date DATE NOT NULL,
    listed_by VARCHAR[],
    not_listed_by VARCHAR[],
    lag_days INTEGER,
    evidence JSON,
    message VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE alerts.alerts IS 'One row per alert; alert_id is a hash of the event, so re-running or replaying the same snapshot never creates a second alert.';
COMMENT ON COLUMN alerts.alerts.alert_id IS 'Stable id: hash of kind, scope, jurisdiction, record and event date.';
COMMENT ON COLUMN alerts.alerts.kind IS 'unilateral_listing (nobody else lists the target on that date), follow_on (another jurisdiction listed it before; lag_days), coordinated_listing (another listed it the same day), or divergence (a jurisdiction delisted a target others keep).';
COMMENT ON COLUMN alerts.alerts.scope IS 'all, broad or strict (Magnitsky-style).';
COMMENT ON COLUMN alerts.alerts.target_id IS 'The target (matching.clusters).';
COMMENT ON COLUMN alerts.alerts.target_name IS 'Its name.';
COMMENT ON COLUMN alerts.alerts.jurisdiction IS 'The jurisdiction that acted.';
COMMENT ON COLUMN alerts.alerts.record_id IS 'The record behind the event.';
COMMENT ON COLUMN alerts.alerts.programme_keys IS 'Programmes of the record in the event.';
COMMENT ON COLUMN alerts.alerts.event_date IS 'Date of the snapshot that showed the event.';
COMMENT ON COLUMN alerts.alerts.listed_by IS 'Jurisdictions listing the target in the scope on the event date, after the event.';
COMMENT ON COLUMN alerts.alerts.not_listed_by IS 'Jurisdictions with evidence for that date (a history, or publisher listing dates) that did not list it; lists with no evidence for the date are in neither column.';
COMMENT ON COLUMN alerts.alerts.lag_days IS 'For follow_on: days since the first listing by another jurisdiction, where dates are known.';
COMMENT ON COLUMN alerts.alerts.evidence IS 'The records of the target and the accepted links that tie them, with their explanations.';
COMMENT ON COLUMN alerts.alerts.message IS 'The alert text.';
COMMENT ON COLUMN alerts.alerts.created_at IS 'When the alert was created.';

CREATE TABLE IF NOT EXISTS alerts.deliveries (
    alert_id VARCHAR NOT NULL,
    sink VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    attempts INTEGER NOT NULL,
    last_attempt_at TIMESTAMPTZ NOT NULL,
    last_error VARCHAR,
    PRIMARY KEY (alert_id, sink)
);
COMMENT ON TABLE alerts.deliveries IS 'Delivery state per alert and sink; failed ones are retried on the next tick until delivered.';
COMMENT ON COLUMN alerts.deliveries.alert_id IS 'The alert.';
COMMENT ON COLUMN alerts.deliveries.sink IS 'jsonl or webhook.';
COMMENT ON COLUMN alerts.deliveries.status IS 'delivered or failed.';
COMMENT ON COLUMN alerts.deliveries.attempts IS 'Attempts so far.';
COMMENT ON COLUMN alerts.deliveries.last_attempt_at IS 'When it was last tried.';
COMMENT ON COLUMN alerts.deliveries.last_error IS 'Why the last attempt failed (never the webhook URL).';
