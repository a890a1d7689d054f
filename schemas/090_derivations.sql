-- The input fingerprint of every derivation (matching, marts, published copy, alerts); see
-- sanctions/fingerprint.py and docs/warehouse.md.
CREATE TABLE IF NOT EXISTS meta.derivations (
    run_id VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL,
    inputs JSON NOT NULL,
    changed VARCHAR[] NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    published_at TIMESTAMPTZ,
    alerted_at TIMESTAMPTZ
);
COMMENT ON TABLE meta.derivations IS 'Every derivation of the downstream tables (matching, marts, published copy, alerts) with the input fingerprint it read. A run derives again exactly when the inputs differ from those of the last complete derivation, whatever started it.';
COMMENT ON COLUMN meta.derivations.run_id IS 'The Dagster run that derived (sanctions run, sanctions replay, a run from the UI or the automation sensor).';
COMMENT ON COLUMN meta.derivations.fingerprint IS 'One digest over every input below.';
COMMENT ON COLUMN meta.derivations.inputs IS 'Input name -> digest: snapshots/<source> (core''s snapshot and the history''s snapshot sequence), history/<source> (events and versions), reference/taxonomy and reference/<file>.csv (the CSVs in use), judgements, annotations (absent when there is no file), code/parsers, code/matcher, code/marts.';
COMMENT ON COLUMN meta.derivations.changed IS 'The inputs that differed from the last complete derivation (never derived: the first one).';
COMMENT ON COLUMN meta.derivations.started_at IS 'When matching started (the inputs were read then).';
COMMENT ON COLUMN meta.derivations.published_at IS 'When the analysts'' copy was written from it (the copy holds this row); NULL until then.';
COMMENT ON COLUMN meta.derivations.alerted_at IS 'When its alerts were built. A derivation is complete, and compared with, once published and alerted.';
