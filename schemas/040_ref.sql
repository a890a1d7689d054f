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
SELECT jurisdiction, unnest(string_split(ally_country_codes, ' ')) AS country_code, note
FROM read_csv('{allies_csv}', header = true, columns = {'jurisdiction': 'VARCHAR', 'ally_country_codes': 'VARCHAR', 'note': 'VARCHAR'});
COMMENT ON TABLE ref.allies IS 'Countries counted as allies of each jurisdiction for the "targets in allied countries" metric (schemas/allies.csv; the note says which alliances).';
COMMENT ON COLUMN ref.allies.jurisdiction IS 'US, CA, UK, EU, AU (and UN for the reference list), from the source registry.';
COMMENT ON COLUMN ref.allies.country_code IS 'An allied country (ISO 3166 alpha-2).';
COMMENT ON COLUMN ref.allies.note IS 'Which alliances the list stands for.';
