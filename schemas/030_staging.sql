-- Staging mirrors core column for column: a snapshot is parsed here, checked, then copied to
-- core in one transaction. Not for analysts.
CREATE TABLE IF NOT EXISTS staging.records AS FROM core.records LIMIT 0;
CREATE TABLE IF NOT EXISTS staging.names AS FROM core.names LIMIT 0;
CREATE TABLE IF NOT EXISTS staging.programmes AS FROM core.programmes LIMIT 0;
CREATE TABLE IF NOT EXISTS staging.identifiers AS FROM core.identifiers LIMIT 0;
CREATE TABLE IF NOT EXISTS staging.birth_dates AS FROM core.birth_dates LIMIT 0;
CREATE TABLE IF NOT EXISTS staging.countries AS FROM core.countries LIMIT 0;
CREATE TABLE IF NOT EXISTS staging.addresses AS FROM core.addresses LIMIT 0;
CREATE TABLE IF NOT EXISTS staging.attributes AS FROM core.attributes LIMIT 0;
CREATE TABLE IF NOT EXISTS staging.relationships AS FROM core.relationships LIMIT 0;
CREATE TABLE IF NOT EXISTS staging.snapshots AS FROM core.snapshots LIMIT 0;
ALTER TABLE staging.snapshots ADD COLUMN IF NOT EXISTS field_counts MAP(VARCHAR, INTEGER);

-- CREATE TABLE ... AS drops NOT NULL: staging keeps core's, so a parser that leaves a required
-- field empty fails while staging, naming the source and file, not at publish.
ALTER TABLE staging.addresses ALTER COLUMN source_id SET NOT NULL;
ALTER TABLE staging.addresses ALTER COLUMN record_id SET NOT NULL;
ALTER TABLE staging.addresses ALTER COLUMN full_address SET NOT NULL;
ALTER TABLE staging.attributes ALTER COLUMN source_id SET NOT NULL;
ALTER TABLE staging.attributes ALTER COLUMN record_id SET NOT NULL;
ALTER TABLE staging.attributes ALTER COLUMN attribute SET NOT NULL;
ALTER TABLE staging.attributes ALTER COLUMN value SET NOT NULL;
ALTER TABLE staging.birth_dates ALTER COLUMN source_id SET NOT NULL;
ALTER TABLE staging.birth_dates ALTER COLUMN record_id SET NOT NULL;
ALTER TABLE staging.birth_dates ALTER COLUMN raw SET NOT NULL;
ALTER TABLE staging.birth_dates ALTER COLUMN precision SET NOT NULL;
ALTER TABLE staging.countries ALTER COLUMN source_id SET NOT NULL;
ALTER TABLE staging.countries ALTER COLUMN record_id SET NOT NULL;
ALTER TABLE staging.countries ALTER COLUMN relation SET NOT NULL;
ALTER TABLE staging.countries ALTER COLUMN country_name SET NOT NULL;
ALTER TABLE staging.identifiers ALTER COLUMN source_id SET NOT NULL;
ALTER TABLE staging.identifiers ALTER COLUMN record_id SET NOT NULL;
ALTER TABLE staging.identifiers ALTER COLUMN id_type SET NOT NULL;
ALTER TABLE staging.identifiers ALTER COLUMN value SET NOT NULL;
ALTER TABLE staging.names ALTER COLUMN source_id SET NOT NULL;
ALTER TABLE staging.names ALTER COLUMN record_id SET NOT NULL;
ALTER TABLE staging.names ALTER COLUMN name SET NOT NULL;
ALTER TABLE staging.names ALTER COLUMN kind SET NOT NULL;
ALTER TABLE staging.names ALTER COLUMN is_weak SET NOT NULL;
ALTER TABLE staging.programmes ALTER COLUMN source_id SET NOT NULL;
ALTER TABLE staging.programmes ALTER COLUMN record_id SET NOT NULL;
ALTER TABLE staging.programmes ALTER COLUMN programme_raw SET NOT NULL;
ALTER TABLE staging.records ALTER COLUMN record_id SET NOT NULL;
ALTER TABLE staging.records ALTER COLUMN source_id SET NOT NULL;
ALTER TABLE staging.records ALTER COLUMN jurisdiction SET NOT NULL;
ALTER TABLE staging.records ALTER COLUMN source_key SET NOT NULL;
ALTER TABLE staging.records ALTER COLUMN entity_type SET NOT NULL;
ALTER TABLE staging.records ALTER COLUMN snapshot_id SET NOT NULL;
ALTER TABLE staging.relationships ALTER COLUMN source_id SET NOT NULL;
ALTER TABLE staging.relationships ALTER COLUMN record_id SET NOT NULL;
ALTER TABLE staging.relationships ALTER COLUMN related_record_id SET NOT NULL;
ALTER TABLE staging.relationships ALTER COLUMN relation SET NOT NULL;
ALTER TABLE staging.relationships ALTER COLUMN is_former SET NOT NULL;
ALTER TABLE staging.snapshots ALTER COLUMN source_id SET NOT NULL;
ALTER TABLE staging.snapshots ALTER COLUMN snapshot_id SET NOT NULL;
ALTER TABLE staging.snapshots ALTER COLUMN format SET NOT NULL;
ALTER TABLE staging.snapshots ALTER COLUMN parsed_at SET NOT NULL;
ALTER TABLE staging.snapshots ALTER COLUMN record_count SET NOT NULL;
ALTER TABLE staging.snapshots ALTER COLUMN files SET NOT NULL;

-- The last published rows of records a list no longer holds: matching keeps linking them, so
-- a record listed and delisted between two matching runs still finds its target.
CREATE SCHEMA IF NOT EXISTS retired;
CREATE TABLE IF NOT EXISTS retired.records AS FROM core.records LIMIT 0;
CREATE TABLE IF NOT EXISTS retired.names AS FROM core.names LIMIT 0;
CREATE TABLE IF NOT EXISTS retired.programmes AS FROM core.programmes LIMIT 0;
CREATE TABLE IF NOT EXISTS retired.identifiers AS FROM core.identifiers LIMIT 0;
CREATE TABLE IF NOT EXISTS retired.birth_dates AS FROM core.birth_dates LIMIT 0;
CREATE TABLE IF NOT EXISTS retired.countries AS FROM core.countries LIMIT 0;
CREATE TABLE IF NOT EXISTS retired.addresses AS FROM core.addresses LIMIT 0;
CREATE TABLE IF NOT EXISTS retired.attributes AS FROM core.attributes LIMIT 0;
CREATE TABLE IF NOT EXISTS retired.relationships AS FROM core.relationships LIMIT 0;
COMMENT ON TABLE retired.records IS 'The last published row of every delisted record (retired.* mirrors core.* table for table), so that matching can still attach it to its target; a record listed again leaves it.';
-- What matching reads: every record currently listed, and every delisted one.
CREATE SCHEMA IF NOT EXISTS matching_input;
CREATE OR REPLACE VIEW matching_input.records AS
    SELECT * FROM core.records UNION ALL SELECT * FROM retired.records;
CREATE OR REPLACE VIEW matching_input.names AS
    SELECT * FROM core.names UNION ALL SELECT * FROM retired.names;
CREATE OR REPLACE VIEW matching_input.identifiers AS
    SELECT * FROM core.identifiers UNION ALL SELECT * FROM retired.identifiers;
CREATE OR REPLACE VIEW matching_input.birth_dates AS
    SELECT * FROM core.birth_dates UNION ALL SELECT * FROM retired.birth_dates;
CREATE OR REPLACE VIEW matching_input.countries AS
    SELECT * FROM core.countries UNION ALL SELECT * FROM retired.countries;
ALTER TABLE staging.snapshots ADD COLUMN IF NOT EXISTS absent_files VARCHAR[];
