-- The history of every list: one row per version of a record's content, and the events.
CREATE SCHEMA IF NOT EXISTS history;
CREATE SEQUENCE IF NOT EXISTS history.snapshot_seq;
CREATE SEQUENCE IF NOT EXISTS history.event_seq;

CREATE TABLE IF NOT EXISTS history.snapshots (
    source_id VARCHAR NOT NULL,
    snapshot_id VARCHAR NOT NULL,
    as_of TIMESTAMPTZ NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL,
    records INTEGER NOT NULL,
    events INTEGER NOT NULL,
    seq BIGINT,
    origin VARCHAR,
    is_first BOOLEAN
);
COMMENT ON TABLE history.snapshots IS 'Snapshots applied to the history, in date order per source.';
COMMENT ON COLUMN history.snapshots.source_id IS 'Source id.';
COMMENT ON COLUMN history.snapshots.snapshot_id IS 'Snapshot identity (raw.manifest.snapshot_id).';
COMMENT ON COLUMN history.snapshots.as_of IS 'The snapshot''s date: its publication date where the file gives one (or a replayed file''s name does), else its fetch time.';
COMMENT ON COLUMN history.snapshots.applied_at IS 'When it was applied.';
COMMENT ON COLUMN history.snapshots.records IS 'Records in the snapshot.';
COMMENT ON COLUMN history.snapshots.events IS 'Events it produced.';

CREATE TABLE IF NOT EXISTS history.record_versions (
    source_id VARCHAR NOT NULL,
    record_id VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL,
    valid_from TIMESTAMPTZ NOT NULL,
    valid_to TIMESTAMPTZ,
    snapshot_id VARCHAR NOT NULL
);
COMMENT ON TABLE history.record_versions IS 'One row per version of a record''s normalised content (SCD2). The list as of time t: valid_from <= t AND (valid_to IS NULL OR valid_to > t).';
COMMENT ON COLUMN history.record_versions.source_id IS 'Source id.';
COMMENT ON COLUMN history.record_versions.record_id IS 'The record.';
COMMENT ON COLUMN history.record_versions.content_hash IS 'Hash of the record''s names, programmes, identifiers, dates, countries, addresses and details.';
COMMENT ON COLUMN history.record_versions.valid_from IS 'Date of the snapshot that first showed this version.';
COMMENT ON COLUMN history.record_versions.valid_to IS 'Date of the snapshot that no longer showed it; NULL while current.';
COMMENT ON COLUMN history.record_versions.snapshot_id IS 'Snapshot that opened the version.';

CREATE TABLE IF NOT EXISTS history.events (
    source_id VARCHAR NOT NULL,
    record_id VARCHAR NOT NULL,
    event VARCHAR NOT NULL,
    event_date TIMESTAMPTZ NOT NULL,
    changed_fields VARCHAR[],
    programme_keys VARCHAR[],
    snapshot_id VARCHAR NOT NULL,
    seq BIGINT,
    origin VARCHAR
);
COMMENT ON TABLE history.events IS 'What changed between consecutive snapshots of a list: listed, changed (with the fields), delisted, relisted.';
COMMENT ON COLUMN history.events.source_id IS 'Source id.';
COMMENT ON COLUMN history.events.record_id IS 'The record.';
COMMENT ON COLUMN history.events.event IS 'listed, changed, delisted or relisted.';
COMMENT ON COLUMN history.events.event_date IS 'The as_of date of the snapshot that showed the change.';
COMMENT ON COLUMN history.events.changed_fields IS 'For changed: details, names, programmes, identifiers, dates, countries, addresses.';
COMMENT ON COLUMN history.events.programme_keys IS 'The record''s programme keys in the snapshot that showed the event (for delisted: in the last snapshot that listed it).';
COMMENT ON COLUMN history.events.snapshot_id IS 'Snapshot that showed the change.';

CREATE TABLE IF NOT EXISTS history.part_hashes (
    source_id VARCHAR NOT NULL,
    record_id VARCHAR NOT NULL,
    parts MAP(VARCHAR, VARCHAR) NOT NULL
);
COMMENT ON TABLE history.part_hashes IS 'Internal: the part hashes of each record in the newest snapshot that showed it, to say which fields a change touched.';
COMMENT ON COLUMN history.part_hashes.source_id IS 'Source id.';
COMMENT ON COLUMN history.part_hashes.record_id IS 'The record.';
COMMENT ON COLUMN history.part_hashes.parts IS 'Part name -> hash.';

-- Columns added after the first release (a warehouse created by it gains them here).
ALTER TABLE history.snapshots ADD COLUMN IF NOT EXISTS seq BIGINT;
ALTER TABLE history.snapshots ADD COLUMN IF NOT EXISTS origin VARCHAR;
ALTER TABLE history.snapshots ADD COLUMN IF NOT EXISTS is_first BOOLEAN;
ALTER TABLE history.events ADD COLUMN IF NOT EXISTS seq BIGINT;
ALTER TABLE history.events ADD COLUMN IF NOT EXISTS origin VARCHAR;
UPDATE history.snapshots SET seq = nextval('history.snapshot_seq'), origin = 'live'
WHERE seq IS NULL;
UPDATE history.snapshots s SET is_first = (s.as_of = (SELECT min(as_of) FROM history.snapshots f
                                                      WHERE f.source_id = s.source_id))
WHERE is_first IS NULL;
UPDATE history.events SET seq = nextval('history.event_seq'), origin = 'live' WHERE seq IS NULL;
COMMENT ON COLUMN history.snapshots.seq IS 'Order in which snapshots were applied (a snapshot published again later gets a new row).';
COMMENT ON COLUMN history.snapshots.origin IS 'live (fetched), replay (a dated file replayed in order) or backfill (older files spliced in before the history).';
COMMENT ON COLUMN history.snapshots.is_first IS 'The first snapshot of the source''s history: its events only record what was already listed.';
COMMENT ON COLUMN history.events.seq IS 'Increasing event number: alerts read the events past their cursor.';
COMMENT ON COLUMN history.events.origin IS 'live, replay or backfill (events of a backfill never alert).';

-- Programmes as published, keyed at read time (so a taxonomy fix reaches past dates).
ALTER TABLE history.record_versions ADD COLUMN IF NOT EXISTS programmes VARCHAR[];
ALTER TABLE history.events ADD COLUMN IF NOT EXISTS programmes VARCHAR[];
CREATE TABLE IF NOT EXISTS history.programme_keys (
    jurisdiction VARCHAR NOT NULL,
    programme_raw VARCHAR NOT NULL,
    programme_key VARCHAR NOT NULL
);
-- A warehouse written before the strings were kept: recover them from the keys (a key's
-- first published code in the taxonomy; an unclassified key stands for itself).
UPDATE history.events e SET programmes = coalesce((
    SELECT list(DISTINCT coalesce(
        (SELECT min(p.programme_code) FROM ref.programmes p
         WHERE p.jurisdiction = split_part(e.record_id, ':', 1) AND p.programme_key = k),
        k)) FROM unnest(e.programme_keys) AS u(k)), [])
WHERE e.programmes IS NULL;
UPDATE history.record_versions v SET programmes = e.programmes
FROM history.events e
WHERE v.programmes IS NULL AND e.source_id = v.source_id AND e.record_id = v.record_id
  AND e.snapshot_id = v.snapshot_id AND e.event_date = v.valid_from AND e.event <> 'delisted';
UPDATE history.record_versions SET programmes = [] WHERE programmes IS NULL;
COMMENT ON COLUMN history.record_versions.programmes IS 'The version''s programme strings exactly as published (core.programmes.programme_raw); keyed at read time through history.programme_keys.';
COMMENT ON COLUMN history.events.programmes IS 'The record''s programme strings as published in the snapshot that showed the event (for delisted: in the last version); programme_keys are derived from them.';
COMMENT ON TABLE history.programme_keys IS 'Every programme string the history holds, keyed through the taxonomy in use; rebuilt at every history write and marts build, so past dates read the keys core reads.';
COMMENT ON COLUMN history.programme_keys.jurisdiction IS 'Jurisdiction of the records that carry the string.';
COMMENT ON COLUMN history.programme_keys.programme_raw IS 'The string as published.';
COMMENT ON COLUMN history.programme_keys.programme_key IS 'Its key in ref.programmes, or <J>-UNCLASSIFIED-<SLUG> while the taxonomy lacks it.';
CREATE OR REPLACE VIEW history.version_programmes AS
SELECT DISTINCT v.source_id, v.record_id, v.valid_from, v.valid_to, k.programme_key
FROM (SELECT source_id, record_id, valid_from, valid_to, unnest(programmes) AS programme_raw
      FROM history.record_versions) v
JOIN history.programme_keys k
  ON k.jurisdiction = split_part(v.record_id, ':', 1) AND k.programme_raw = v.programme_raw;
COMMENT ON VIEW history.version_programmes IS 'Each version''s programme keys: the list as of t under programme k is the rows with valid_from <= t < valid_to (or open). Versions of one day follow the publish sequence: a version replaced the same day has valid_from = valid_to and is never current.';
ALTER TABLE history.snapshots ADD COLUMN IF NOT EXISTS absent_files VARCHAR[];
COMMENT ON COLUMN history.snapshots.absent_files IS 'Optional companion files the snapshot lacked (core.snapshots.absent_files). What the file holds is unknown for a record no snapshot carrying the file has shown (history.part_hashes.unknown_files): its first known value is no change event.';
ALTER TABLE history.record_versions ADD COLUMN IF NOT EXISTS parts MAP(VARCHAR, VARCHAR);
COMMENT ON COLUMN history.record_versions.parts IS 'The version''s part hashes (details, names, programmes, ...): which parts differ between two versions; NULL for versions written before it was kept.';
-- The programme strings with their lists, so a taxonomy edit can re-hash past versions.
ALTER TABLE history.record_versions
    ADD COLUMN IF NOT EXISTS programme_entries STRUCT(programme_raw VARCHAR, list_name VARCHAR)[];
-- A warehouse written before they were kept: open versions hold what core holds.
UPDATE history.record_versions v SET programme_entries = coalesce((
    SELECT list({'programme_raw': p.programme_raw, 'list_name': p.list_name}
                ORDER BY p.programme_raw, p.list_name)
    FROM core.programmes p WHERE p.source_id = v.source_id AND p.record_id = v.record_id), [])
WHERE v.programme_entries IS NULL AND v.valid_to IS NULL;
COMMENT ON COLUMN history.record_versions.programme_entries IS 'Every programme row of the version as published (string and the publisher''s list): its programmes part hash is re-derived from them through the taxonomy in use, so a taxonomy edit re-hashes past versions as a replay under it would have hashed them. NULL for versions closed before it was kept.';

-- Absent is unknown (sanctions.companions): which companion files no snapshot gave a record yet.
ALTER TABLE history.part_hashes ADD COLUMN IF NOT EXISTS unknown_files VARCHAR[];
COMMENT ON COLUMN history.part_hashes.unknown_files IS 'Optional companion files (ALT.CSV, ADD.CSV, SDN_COMMENTS.CSV) no snapshot carrying them has shown the record in: the first values of the parts they fill (sanctions.companions.COMPANION_PARTS) are no change.';
