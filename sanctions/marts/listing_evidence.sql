-- alignment.listing_evidence: every listing with the span of dates it is evidence for, one
-- set of rows per basis (history, snapshot, listing_dates). Read through alignment.as_of(d).
CREATE OR REPLACE TABLE alignment.listing_evidence AS
WITH seen AS (
    SELECT v.record_id, min(v.valid_from) AS first_seen, any_value(h.started) AS started
    FROM history.record_versions v
    JOIN (SELECT source_id, min(as_of) AS started FROM history.snapshots GROUP BY 1) h
      USING (source_id)
    GROUP BY v.record_id
), versions AS (  -- each version's programmes are those of the event that opened it
    SELECT v.source_id, v.record_id, v.valid_from, v.valid_to,
           unnest(e.programme_keys) AS programme_key
    FROM history.record_versions v JOIN history.events e
      ON e.source_id = v.source_id AND e.record_id = v.record_id
     AND e.event_date = v.valid_from AND e.event <> 'delisted'
)
SELECT 'history' AS basis, v.source_id, j.jurisdiction, v.record_id, v.programme_key,
       {{ utc_date("v.valid_from") }} AS listed_from, {{ utc_date("v.valid_to") }} AS listed_to,
       coalesce(l.listed_on, CASE WHEN s.first_seen > s.started
                                  THEN {{ utc_date("s.first_seen") }} END) AS listed_on,
       coalesce(l.listed_on_origin, CASE WHEN s.first_seen > s.started THEN 'first_seen' END)
           AS listed_on_origin, coalesce(l.un_mandated, false) AS un_mandated
FROM versions v JOIN alignment.jurisdictions j USING (source_id) JOIN seen s USING (record_id)
LEFT JOIN alignment.listings l  -- a programme the taxonomy does not know has no key
       ON l.record_id = v.record_id AND l.programme_key IS NOT DISTINCT FROM v.programme_key
UNION ALL
SELECT 'snapshot', l.source_id, l.jurisdiction, l.record_id, l.programme_key, j.snapshot_on,
       NULL, l.listed_on, l.listed_on_origin, l.un_mandated
FROM alignment.listings l JOIN alignment.jurisdictions j USING (source_id)
UNION ALL
SELECT 'listing_dates', source_id, jurisdiction, record_id, programme_key, listed_on, NULL,
       listed_on, listed_on_origin, un_mandated
FROM alignment.listings WHERE listed_on_origin = 'publisher'
