-- alignment.pairwise: for each ordered pair of loaded jurisdictions and scope, the targets
-- listed by both, by the first only, by the second only.
CREATE OR REPLACE TABLE alignment.pairwise AS
WITH pairs AS (
    SELECT a.jurisdiction AS first, b.jurisdiction AS second, s.scope
    FROM {{ loaded }} a, {{ loaded }} b, {{ scope_grid }} s
    WHERE a.jurisdiction <> b.jurisdiction
), grid AS (
    SELECT target_id, scope, list(jurisdiction) AS listed FROM now_scoped GROUP BY ALL
)
SELECT p.first, p.second, p.scope,
       count(*) FILTER (WHERE list_contains(listed, p.first)
                          AND list_contains(listed, p.second)) AS both_list,
       count(*) FILTER (WHERE list_contains(listed, p.first)
                          AND NOT list_contains(listed, p.second)) AS first_only,
       count(*) FILTER (WHERE NOT list_contains(listed, p.first)
                          AND list_contains(listed, p.second)) AS second_only
FROM pairs p LEFT JOIN grid g ON g.scope = p.scope
GROUP BY ALL ORDER BY ALL
