-- Alignment marts, rebuilt from matching.clusters and core after every matching run.
CREATE SCHEMA IF NOT EXISTS alignment;

CREATE TABLE IF NOT EXISTS alignment.annotations (
    subject_id VARCHAR NOT NULL,
    target_id VARCHAR,
    field VARCHAR NOT NULL,
    value VARCHAR NOT NULL,
    source VARCHAR,
    note VARCHAR,
    problem VARCHAR
);
COMMENT ON TABLE alignment.annotations IS 'Facts analysts keep about targets that the lists cannot give (e.g. civil-society recommendation, victim group), loaded from their CSV on every run. subject_id is a record id (it survives re-clustering) or a target id.';
COMMENT ON COLUMN alignment.annotations.subject_id IS 'The record id or target id the analyst wrote.';
COMMENT ON COLUMN alignment.annotations.target_id IS 'The target it belongs to in this run; NULL when the id is unknown (see problem).';
COMMENT ON COLUMN alignment.annotations.field IS 'What is annotated, e.g. victim_group.';
COMMENT ON COLUMN alignment.annotations.value IS 'The value, e.g. journalists.';
COMMENT ON COLUMN alignment.annotations.source IS 'Where the analyst found it.';
COMMENT ON COLUMN alignment.annotations.note IS 'Free text.';
COMMENT ON COLUMN alignment.annotations.problem IS 'Why the row could not be attached to a target, if it could not.';
ALTER TABLE alignment.annotations ADD COLUMN IF NOT EXISTS jurisdiction VARCHAR;
COMMENT ON COLUMN alignment.annotations.jurisdiction IS 'The jurisdiction the fact is about (e.g. a civil-society recommendation to the US): it then counts for that jurisdiction''s listing only; NULL: for the target.';
