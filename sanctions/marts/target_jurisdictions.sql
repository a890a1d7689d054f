-- alignment.target_jurisdictions: every target x loaded jurisdiction x scope, listed or not.
CREATE OR REPLACE TABLE alignment.target_jurisdictions AS
WITH keys AS (
    SELECT target_id, jurisdiction, scope,
           list(DISTINCT programme_key ORDER BY programme_key) AS programme_keys,
           list(DISTINCT theme ORDER BY theme) AS themes
    FROM (SELECT *, unnest(scopes) AS scope FROM alignment.listings) GROUP BY ALL
)
SELECT t.target_id, j.jurisdiction, s.scope, a.target_id IS NOT NULL AS listed,
       a.first_listed, a.listed_on_origin, k.programme_keys, k.themes
FROM (SELECT DISTINCT target_id FROM matching.clusters) t
CROSS JOIN {{ loaded }} j CROSS JOIN {{ scope_grid }} s
LEFT JOIN now_scoped a USING (target_id, jurisdiction, scope)
LEFT JOIN keys k USING (target_id, jurisdiction, scope)
