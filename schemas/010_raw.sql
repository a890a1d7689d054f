CREATE TABLE IF NOT EXISTS raw.manifest (
    source_id VARCHAR NOT NULL,
    snapshot_id VARCHAR NOT NULL,
    format VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    url VARCHAR NOT NULL,
    fetched_at TIMESTAMPTZ NOT NULL,
    http_status INTEGER,
    etag VARCHAR,
    last_modified VARCHAR,
    bytes BIGINT NOT NULL,
    sha256 VARCHAR NOT NULL,
    published_on DATE,
    archive_path VARCHAR NOT NULL,
    origin VARCHAR DEFAULT 'fetch'
);
ALTER TABLE raw.manifest ADD COLUMN IF NOT EXISTS origin VARCHAR DEFAULT 'fetch';
COMMENT ON TABLE raw.manifest IS 'One row per file fetched (or confirmed unchanged by HTTP 304) for a source; the file itself is in the raw archive at archive_path.';
COMMENT ON COLUMN raw.manifest.source_id IS 'Source id: us_ofac, ca_sema, uk_fcdo or eu_fsf.';
COMMENT ON COLUMN raw.manifest.snapshot_id IS 'Identity of the snapshot the file belongs to: the sha256 of a single-file snapshot, else a sha256 over the member files.';
COMMENT ON COLUMN raw.manifest.format IS 'Format recognised from the file names, e.g. ofac_csv, ofac_advanced_xml.';
COMMENT ON COLUMN raw.manifest.file_name IS 'Official file name, e.g. SDN.CSV.';
COMMENT ON COLUMN raw.manifest.url IS 'Where the file was fetched from (official URL, mirror URL or path).';
COMMENT ON COLUMN raw.manifest.fetched_at IS 'When the fetch started (UTC).';
COMMENT ON COLUMN raw.manifest.http_status IS 'HTTP status (200, or 304 when the publisher said unchanged); NULL for files read from disk.';
COMMENT ON COLUMN raw.manifest.etag IS 'ETag sent by the publisher, used for the next conditional GET.';
COMMENT ON COLUMN raw.manifest.last_modified IS 'Last-Modified sent by the publisher, used for the next conditional GET.';
COMMENT ON COLUMN raw.manifest.bytes IS 'Size of the archived file in bytes.';
COMMENT ON COLUMN raw.manifest.sha256 IS 'sha256 of the file content; the archive file name.';
COMMENT ON COLUMN raw.manifest.published_on IS 'Publication date read from the file itself, where the format carries one.';
COMMENT ON COLUMN raw.manifest.archive_path IS 'Path of the archived copy: <data>/raw/<source>/<sha256>.<ext>.';
COMMENT ON COLUMN raw.manifest.origin IS 'fetch (the source''s feed or mirror) or replay (a dated historical file loaded by sanctions replay, never taken for the latest fetch).';
