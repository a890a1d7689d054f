-- alignment.jurisdictions: one row per source of the registry (a_registry, written by
-- alignment.build) with its latest snapshot, where its evidence starts and whether it is stale.
CREATE OR REPLACE TABLE alignment.jurisdictions AS
WITH latest AS (
    SELECT * FROM core.snapshots
    QUALIFY row_number() OVER (PARTITION BY source_id ORDER BY loaded_at DESC) = 1
), histories AS (
    SELECT source_id, min({{ utc_date("as_of") }}) AS history_from FROM history.snapshots GROUP BY 1
), dated AS (
    SELECT source_id, min(coalesce(p.listed_on, r.listed_on)) AS listing_dates_from
    FROM core.records r JOIN core.programmes p USING (record_id, source_id) GROUP BY 1
), good AS ({{ last_good_sql }})
SELECT g.position, g.jurisdiction, g.source_id, g.title, g.reference,
       greatest(round(g.freshness_hours / 24), 1)::INTEGER AS freshness_days,
       s.snapshot_id IS NOT NULL AS loaded, s.published_on,
       {{ utc_date("s.fetched_at") }} AS fetched_on,
       coalesce(s.published_on, {{ utc_date("s.fetched_at") }}) AS snapshot_on,
       s.record_count, h.history_from, d.listing_dates_from,
       good.last_good < now() - to_seconds(g.freshness_hours * 3600) AS stale,
       CASE WHEN s.published_on IS NOT NULL
            THEN 'published ' || strftime(s.published_on, '%Y-%m-%d')
            WHEN s.snapshot_id IS NOT NULL
            THEN 'fetched on ' || strftime({{ utc_date("s.fetched_at") }}, '%Y-%m-%d')
                 || ' (the file states no publication date)'
            ELSE 'not loaded' END AS snapshot
FROM a_registry g LEFT JOIN latest s USING (source_id) LEFT JOIN histories h USING (source_id)
LEFT JOIN dated d USING (source_id) LEFT JOIN good USING (source_id)
ORDER BY g.position
