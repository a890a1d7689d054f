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
