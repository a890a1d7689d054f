-- alignment.summary: the report's figures for what core holds now, and one row per source
-- naming the snapshot they rest on.
CREATE OR REPLACE TABLE alignment.summary AS
SELECT metric, scope, jurisdiction, value, numerator, denominator
FROM ({{ render("_figures.sql", prefix="now") }})
UNION ALL
SELECT 'source_snapshot', 'all',
       jurisdiction || ': ' || snapshot
       || CASE WHEN stale THEN ' (stale: expected at least every ' || freshness_days
                               || CASE WHEN freshness_days = 1 THEN ' day)' ELSE ' days)' END
               ELSE '' END,
       coalesce(record_count, 0)::DOUBLE, record_count, NULL::BIGINT
FROM alignment.jurisdictions WHERE NOT reference
