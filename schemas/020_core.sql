-- Published, normalised records. A source's rows are replaced together, in one transaction,
-- when a new snapshot of it passes its checks; other sources' rows are never touched.

CREATE TABLE IF NOT EXISTS core.records (
    record_id VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    jurisdiction VARCHAR NOT NULL,
    source_key VARCHAR NOT NULL,
    entity_type VARCHAR NOT NULL,
    name VARCHAR,
    listed_on DATE,
    listed_on_origin VARCHAR,
    title VARCHAR,
    gender VARCHAR,
    remarks VARCHAR,
    snapshot_id VARCHAR NOT NULL
);
COMMENT ON TABLE core.records IS 'One row per record: a source''s entry for one person, organization, vessel or aircraft.';
COMMENT ON COLUMN core.records.record_id IS 'Stable id <jurisdiction>:<source key>, e.g. US:36 (OFAC uid / ent_num).';
COMMENT ON COLUMN core.records.source_id IS 'Source the record comes from (us_ofac, ca_sema, uk_fcdo, eu_fsf).';
COMMENT ON COLUMN core.records.jurisdiction IS 'US, CA, UK, EU, AU (and UN for the reference list), from the source registry.';
COMMENT ON COLUMN core.records.source_key IS 'The publisher''s own id for the entry.';
COMMENT ON COLUMN core.records.entity_type IS 'person, organization, vessel or aircraft; unknown when the published type is not in the parser''s table (the unread_value attribute names it).';
COMMENT ON COLUMN core.records.name IS 'Primary name as published (Latin script where the publisher gives one).';
COMMENT ON COLUMN core.records.listed_on IS 'Earliest listing date the publisher gives for the record (NULL where it gives none).';
COMMENT ON COLUMN core.records.listed_on_origin IS 'Where listed_on comes from: publisher (the list itself) or NULL.';
COMMENT ON COLUMN core.records.title IS 'Title or position as published.';
COMMENT ON COLUMN core.records.gender IS 'male or female where published.';
COMMENT ON COLUMN core.records.remarks IS 'Free-text remarks as published (OFAC CSV: Remarks continued by SDN_COMMENTS).';
COMMENT ON COLUMN core.records.snapshot_id IS 'Snapshot the row was loaded from (raw.manifest.snapshot_id).';

CREATE TABLE IF NOT EXISTS core.names (
    source_id VARCHAR NOT NULL,
    record_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    is_weak BOOLEAN NOT NULL,
    script VARCHAR,
    given_name VARCHAR,
    family_name VARCHAR
);
COMMENT ON TABLE core.names IS 'Every name of every record: the primary name and its aliases, one row per name and script.';
COMMENT ON COLUMN core.names.source_id IS 'Source of the record.';
COMMENT ON COLUMN core.names.record_id IS 'The record (core.records.record_id).';
COMMENT ON COLUMN core.names.name IS 'The name as published; persons as "LAST, Given" where the publisher writes them so.';
COMMENT ON COLUMN core.names.kind IS 'primary, aka (also known as), fka (formerly known as) or nka (now known as); unknown when the published kind is not in the parser''s table.';
COMMENT ON COLUMN core.names.is_weak IS 'True for weak / low-quality aliases, which must never decide a match alone.';
COMMENT ON COLUMN core.names.script IS 'Writing system of the name (Latin, Cyrillic, Arabic, ...), where known.';
COMMENT ON COLUMN core.names.given_name IS 'Given name part, where the publisher separates it.';
COMMENT ON COLUMN core.names.family_name IS 'Family name part, where the publisher separates it.';

CREATE TABLE IF NOT EXISTS core.programmes (
    source_id VARCHAR NOT NULL,
    record_id VARCHAR NOT NULL,
    programme_raw VARCHAR NOT NULL,
    programme_key VARCHAR,
    list_name VARCHAR,
    listed_on DATE,
    legal_basis VARCHAR
);
COMMENT ON TABLE core.programmes IS 'Programmes (sanctions regimes) each record is listed under; join ref.programmes on programme_key for category and Magnitsky-style flags.';
COMMENT ON COLUMN core.programmes.source_id IS 'Source of the record.';
COMMENT ON COLUMN core.programmes.record_id IS 'The record (core.records.record_id).';
COMMENT ON COLUMN core.programmes.programme_raw IS 'Programme tag or regime text exactly as published, e.g. GLOMAG.';
COMMENT ON COLUMN core.programmes.programme_key IS 'Stable taxonomy key, e.g. US-GLOMAG (ref.programmes); NULL when the tag is not in the taxonomy yet.';
COMMENT ON COLUMN core.programmes.list_name IS 'The publisher''s list the entry belongs to, e.g. SDN List.';
COMMENT ON COLUMN core.programmes.listed_on IS 'Listing date of this entry where the publisher gives it (OFAC advanced XML EntryEvent).';
COMMENT ON COLUMN core.programmes.legal_basis IS 'Legal basis of the listing where published.';

CREATE TABLE IF NOT EXISTS core.identifiers (
    source_id VARCHAR NOT NULL,
    record_id VARCHAR NOT NULL,
    id_type VARCHAR NOT NULL,
    value VARCHAR NOT NULL,
    country_code VARCHAR,
    country_name VARCHAR,
    issued_on VARCHAR,
    expires_on VARCHAR,
    note VARCHAR
);
COMMENT ON TABLE core.identifiers IS 'Identity documents and registration numbers: passports, national ids, IMO numbers, tax ids, ...';
COMMENT ON COLUMN core.identifiers.source_id IS 'Source of the record.';
COMMENT ON COLUMN core.identifiers.record_id IS 'The record (core.records.record_id).';
COMMENT ON COLUMN core.identifiers.id_type IS 'Document type as the publisher names it, e.g. Passport, National ID No., Vessel Registration Identification.';
COMMENT ON COLUMN core.identifiers.value IS 'The number as published.';
COMMENT ON COLUMN core.identifiers.country_code IS 'ISO 3166 alpha-2 code of the issuing country, where known.';
COMMENT ON COLUMN core.identifiers.country_name IS 'Issuing country as published.';
COMMENT ON COLUMN core.identifiers.issued_on IS 'Issue date as published.';
COMMENT ON COLUMN core.identifiers.expires_on IS 'Expiry date as published.';
COMMENT ON COLUMN core.identifiers.note IS 'Publisher''s comment on the document.';

CREATE TABLE IF NOT EXISTS core.birth_dates (
    source_id VARCHAR NOT NULL,
    record_id VARCHAR NOT NULL,
    raw VARCHAR NOT NULL,
    earliest DATE,
    latest DATE,
    precision VARCHAR NOT NULL
);
COMMENT ON TABLE core.birth_dates IS 'Birth dates (and, for vessels, build dates) as ranges, so that partial dates compare correctly.';
COMMENT ON COLUMN core.birth_dates.source_id IS 'Source of the record.';
COMMENT ON COLUMN core.birth_dates.record_id IS 'The record (core.records.record_id).';
COMMENT ON COLUMN core.birth_dates.raw IS 'The date as published, e.g. 12 Feb 1961, circa 1960, 1962 to 1964.';
COMMENT ON COLUMN core.birth_dates.earliest IS 'First day the date can stand for (NULL if unparsed).';
COMMENT ON COLUMN core.birth_dates.latest IS 'Last day the date can stand for (NULL if unparsed).';
COMMENT ON COLUMN core.birth_dates.precision IS 'day, month, year, range, circa, or unparsed (kept raw, flagged).';

CREATE TABLE IF NOT EXISTS core.countries (
    source_id VARCHAR NOT NULL,
    record_id VARCHAR NOT NULL,
    relation VARCHAR NOT NULL,
    country_code VARCHAR,
    country_name VARCHAR NOT NULL
);
COMMENT ON TABLE core.countries IS 'Countries linked to a record and how: nationality, citizenship, address, birth, flag, registration.';
COMMENT ON COLUMN core.countries.source_id IS 'Source of the record.';
COMMENT ON COLUMN core.countries.record_id IS 'The record (core.records.record_id).';
COMMENT ON COLUMN core.countries.relation IS 'nationality, citizenship, address, birth, flag (vessels) or registration.';
COMMENT ON COLUMN core.countries.country_code IS 'ISO 3166 alpha-2 code (ref.countries), NULL when the spelling is not recognised.';
COMMENT ON COLUMN core.countries.country_name IS 'Country as published.';

CREATE TABLE IF NOT EXISTS core.addresses (
    source_id VARCHAR NOT NULL,
    record_id VARCHAR NOT NULL,
    full_address VARCHAR NOT NULL,
    street VARCHAR,
    city VARCHAR,
    region VARCHAR,
    postal_code VARCHAR,
    country_code VARCHAR,
    country_name VARCHAR
);
COMMENT ON TABLE core.addresses IS 'Addresses of records.';
COMMENT ON COLUMN core.addresses.source_id IS 'Source of the record.';
COMMENT ON COLUMN core.addresses.record_id IS 'The record (core.records.record_id).';
COMMENT ON COLUMN core.addresses.full_address IS 'The whole address on one line.';
COMMENT ON COLUMN core.addresses.street IS 'Street lines.';
COMMENT ON COLUMN core.addresses.city IS 'City (the OFAC CSV gives city, state and postal code together here).';
COMMENT ON COLUMN core.addresses.region IS 'State, province or region.';
COMMENT ON COLUMN core.addresses.postal_code IS 'Postal code.';
COMMENT ON COLUMN core.addresses.country_code IS 'ISO 3166 alpha-2 code, where recognised.';
COMMENT ON COLUMN core.addresses.country_name IS 'Country as published.';

CREATE TABLE IF NOT EXISTS core.attributes (
    source_id VARCHAR NOT NULL,
    record_id VARCHAR NOT NULL,
    attribute VARCHAR NOT NULL,
    value VARCHAR NOT NULL
);
COMMENT ON TABLE core.attributes IS 'Other published facts as (attribute, value): place_of_birth, vessel details, aircraft details, website, email, linked_to, ...';
COMMENT ON COLUMN core.attributes.source_id IS 'Source of the record.';
COMMENT ON COLUMN core.attributes.record_id IS 'The record (core.records.record_id).';
COMMENT ON COLUMN core.attributes.attribute IS 'snake_case attribute name, e.g. place_of_birth, vessel_flag, call_sign; unread_value names a published value, column or element the parser''s tables lack (e.g. Type ''Person'').';
COMMENT ON COLUMN core.attributes.value IS 'Value as published.';

CREATE TABLE IF NOT EXISTS core.relationships (
    source_id VARCHAR NOT NULL,
    record_id VARCHAR NOT NULL,
    related_record_id VARCHAR NOT NULL,
    relation VARCHAR NOT NULL,
    is_former BOOLEAN NOT NULL
);
COMMENT ON TABLE core.relationships IS 'Links the publisher states between two of its records (OFAC advanced XML: owned or controlled by, associate of, ...).';
COMMENT ON COLUMN core.relationships.source_id IS 'Source of both records.';
COMMENT ON COLUMN core.relationships.record_id IS 'The record the relation starts from.';
COMMENT ON COLUMN core.relationships.related_record_id IS 'The record it points to.';
COMMENT ON COLUMN core.relationships.relation IS 'Relation as published, e.g. Owned or Controlled By.';
COMMENT ON COLUMN core.relationships.is_former IS 'True when the publisher marks the relation as former.';

CREATE TABLE IF NOT EXISTS core.snapshots (
    source_id VARCHAR NOT NULL,
    snapshot_id VARCHAR NOT NULL,
    format VARCHAR NOT NULL,
    published_on DATE,
    fetched_at TIMESTAMPTZ,
    parsed_at TIMESTAMPTZ NOT NULL,
    loaded_at TIMESTAMPTZ,
    record_count INTEGER NOT NULL,
    files VARCHAR NOT NULL
);
COMMENT ON TABLE core.snapshots IS 'Every snapshot published to core, one row per load; the newest row per source is what core holds now.';
COMMENT ON COLUMN core.snapshots.source_id IS 'Source id.';
COMMENT ON COLUMN core.snapshots.snapshot_id IS 'Snapshot identity (raw.manifest.snapshot_id).';
COMMENT ON COLUMN core.snapshots.format IS 'Format the snapshot was parsed as.';
COMMENT ON COLUMN core.snapshots.published_on IS 'Publication date read from the file, where it has one.';
COMMENT ON COLUMN core.snapshots.fetched_at IS 'When its main file was fetched.';
COMMENT ON COLUMN core.snapshots.parsed_at IS 'When it was parsed.';
COMMENT ON COLUMN core.snapshots.loaded_at IS 'When it was published to core.';
COMMENT ON COLUMN core.snapshots.record_count IS 'Number of records in the snapshot.';
COMMENT ON COLUMN core.snapshots.files IS 'Member files as "FILE.NAME=sha256" joined by spaces.';
ALTER TABLE core.snapshots ADD COLUMN IF NOT EXISTS field_counts MAP(VARCHAR, INTEGER);
COMMENT ON COLUMN core.snapshots.field_counts IS 'Records carrying each published column or record element with content, e.g. {"column ''IMO Number''": 261}: the coverage checks compare them with the snapshot before, so a renamed or removed column is named. NULL for formats without named columns (OFAC CSV, advanced XML).';

CREATE TABLE IF NOT EXISTS core.check_results (
    source_id VARCHAR NOT NULL,
    snapshot_id VARCHAR NOT NULL,
    check_name VARCHAR NOT NULL,
    blocking BOOLEAN NOT NULL,
    passed BOOLEAN NOT NULL,
    summary VARCHAR NOT NULL,
    checked_at TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE core.check_results IS 'Every evaluation of a check on a staged snapshot. A snapshot reaches core only after an evaluation in which every blocking check passed (the publish gate), whatever launched the publish.';
COMMENT ON COLUMN core.check_results.source_id IS 'Source id.';
COMMENT ON COLUMN core.check_results.snapshot_id IS 'The staged snapshot that was checked (raw.manifest.snapshot_id).';
COMMENT ON COLUMN core.check_results.check_name IS 'Check name, e.g. record_count_not_dropped.';
COMMENT ON COLUMN core.check_results.blocking IS 'Whether a failure keeps the snapshot out of core.';
COMMENT ON COLUMN core.check_results.passed IS 'Outcome.';
COMMENT ON COLUMN core.check_results.summary IS 'What the check found, in words.';
COMMENT ON COLUMN core.check_results.checked_at IS 'When it ran (UTC).';

-- Absent companion files (sanctions.companions): what a snapshot lacked is carried forward.
ALTER TABLE core.snapshots ADD COLUMN IF NOT EXISTS absent_files VARCHAR[];
COMMENT ON COLUMN core.snapshots.absent_files IS 'Optional companion files the snapshot lacked (OFAC CSV: ALT.CSV, ADD.CSV, SDN_COMMENTS.CSV): their facts (aliases, addresses and address countries, the end of long remarks) are the records'' last known values, carried forward, not deletions.';
