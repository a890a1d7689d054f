-- Reference tables, reloaded from the CSV files beside this one on every run
-- ({programmes_csv} and {countries_csv} are filled in by the warehouse code).
CREATE OR REPLACE TABLE ref.programmes AS
SELECT * FROM read_csv('{programmes_csv}', header = true, columns = {
    'jurisdiction': 'VARCHAR', 'programme_code': 'VARCHAR', 'programme_key': 'VARCHAR',
    'title': 'VARCHAR', 'category': 'VARCHAR'});
COMMENT ON TABLE ref.programmes IS 'Programme taxonomy: every published programme code of every jurisdiction with its stable key and category. Edit schemas/programmes.csv to extend it; which programmes a scope counts is in schemas/scopes.csv (alignment.scopes).';
COMMENT ON COLUMN ref.programmes.jurisdiction IS 'US, CA, UK, EU, AU (and UN for the reference list), from the source registry.';
COMMENT ON COLUMN ref.programmes.programme_code IS 'The code or regime text as the publisher writes it (matched case-insensitively).';
COMMENT ON COLUMN ref.programmes.programme_key IS 'Stable key used across the warehouse, e.g. US-GLOMAG.';
COMMENT ON COLUMN ref.programmes.title IS 'Title of the programme or regime and its legal basis.';
COMMENT ON COLUMN ref.programmes.category IS 'human_rights, human_rights_and_corruption, corruption, country, terrorism, proliferation, chemical_weapons, narcotics, cyber, organized_crime, election_interference, hostage_taking, migration or other; strings the taxonomy lacks are published as unclassified.';

CREATE OR REPLACE TABLE ref.programme_dates AS
SELECT * FROM read_csv('{programme_dates_csv}', header = true, columns = {
    'programme_key': 'VARCHAR', 'began': 'DATE', 'source': 'VARCHAR'});
COMMENT ON TABLE ref.programme_dates IS 'The date each regime began, per programme key (schemas/programme_dates.csv): a listing dated before it is named by the listings_within_regime_dates warning. Keys without a row have no known start.';
COMMENT ON COLUMN ref.programme_dates.programme_key IS 'Key in ref.programmes.';
COMMENT ON COLUMN ref.programme_dates.began IS 'First day the regime could list anyone (its legal basis in force).';
COMMENT ON COLUMN ref.programme_dates.source IS 'The act or order the date comes from.';

CREATE OR REPLACE TABLE ref.countries AS
SELECT * FROM read_csv('{countries_csv}', header = true, columns = {
    'country_code': 'VARCHAR', 'name': 'VARCHAR', 'aliases': 'VARCHAR'});
COMMENT ON TABLE ref.countries IS 'ISO 3166 countries with the other spellings the publishers use (aliases separated by |).';
COMMENT ON COLUMN ref.countries.country_code IS 'ISO 3166 alpha-2 code (plus XK Kosovo and a few historical codes).';
COMMENT ON COLUMN ref.countries.name IS 'Common English name.';
COMMENT ON COLUMN ref.countries.aliases IS 'Other names and spellings, separated by |.';

CREATE OR REPLACE TABLE ref.regions AS
SELECT unnest(string_split(country_codes, ' ')) AS country_code, region
FROM read_csv('{regions_csv}', header = true, columns = {'region': 'VARCHAR', 'country_codes': 'VARCHAR'});
COMMENT ON TABLE ref.regions IS 'World region of each country code (schemas/regions.csv; edit to regroup).';
COMMENT ON COLUMN ref.regions.country_code IS 'ISO 3166 alpha-2 code.';
COMMENT ON COLUMN ref.regions.region IS 'Region name.';

CREATE OR REPLACE TABLE ref.allies AS
SELECT * FROM read_csv('{allies_csv}', header = true, columns = {
    'jurisdiction': 'VARCHAR', 'country_code': 'VARCHAR', 'basis': 'VARCHAR',
    'source_url': 'VARCHAR'});
COMMENT ON TABLE ref.allies IS 'Countries each jurisdiction counts as allies for the "targets in allied countries" figure, one row per jurisdiction, country and basis, with the URL that states it (schemas/allies.csv, or the file SANCTIONS_ALLIES names; checked before any fetch).';
COMMENT ON COLUMN ref.allies.jurisdiction IS 'US, CA, UK, EU or AU, from the source registry.';
COMMENT ON COLUMN ref.allies.country_code IS 'An allied country (ISO 3166 alpha-2, as in ref.countries).';
COMMENT ON COLUMN ref.allies.basis IS 'Why it is an ally of the jurisdiction: NATO, major non-NATO ally, EU member state, defence treaty (ANZUS), ...';
COMMENT ON COLUMN ref.allies.source_url IS 'Where the basis is stated (NATO, the US State Department, EUR-Lex, the Australian Treaty Series).';
