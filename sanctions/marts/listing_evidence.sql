{% from "_macros.sql" import un_reference -%}
-- alignment.listing_evidence: every listing with the span of dates it is evidence for, one
-- set of rows per basis (history, snapshot, listing_dates). Read through alignment.as_of(d).
CREATE OR REPLACE TABLE alignment.listing_evidence AS
SELECT 'history' AS basis, v.source_id, j.jurisdiction, v.record_id, v.programme_key,
       {{ utc_date("v.valid_from") }} AS listed_from, {{ utc_date("v.valid_to") }} AS listed_to,
       coalesce(l.listed_on, {{ utc_date("f.first_seen") }}) AS listed_on,
       coalesce(l.listed_on_origin, CASE WHEN f.first_seen IS NOT NULL THEN 'first_seen' END)
           AS listed_on_origin,
       -- a UN reference is known for the version core holds, not for older ones
       v.valid_to IS NULL AND {{ un_reference("v.record_id") }} AS un_referenced
FROM history.version_programmes v JOIN alignment.jurisdictions j USING (source_id)
LEFT JOIN {{ programmes_first_seen }} f USING (record_id, programme_key)
LEFT JOIN alignment.listings l  -- the publisher's own date, where it gives one
       ON l.record_id = v.record_id AND l.programme_key = v.programme_key
      AND l.listed_on_origin = 'publisher'
UNION ALL
SELECT 'snapshot', l.source_id, l.jurisdiction, l.record_id, l.programme_key, j.snapshot_on,
       NULL, l.listed_on, l.listed_on_origin, {{ un_reference("l.record_id") }}
FROM alignment.listings l JOIN alignment.jurisdictions j USING (source_id)
UNION ALL
SELECT 'listing_dates', l.source_id, l.jurisdiction, l.record_id, l.programme_key, l.listed_on,
       NULL, l.listed_on, l.listed_on_origin, {{ un_reference("l.record_id") }}
FROM alignment.listings l WHERE l.listed_on_origin = 'publisher'
