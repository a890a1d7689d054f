-- Every figure of the report, per date, from the tables alignment.stage wrote with prefix
-- {{ prefix }}: (as_of, metric, scope, jurisdiction, value, numerator, denominator, basis).
-- `rests_on` lists the jurisdictions a row rests on (NULL: all), so that its basis names
-- exactly their evidence.
{%- set scoped, listed, bases = prefix ~ "_scoped", prefix ~ "_listed", prefix ~ "_bases" %}
WITH grid AS (SELECT as_of, target_id, scope, count(DISTINCT jurisdiction) AS n
              FROM {{ scoped }} GROUP BY ALL),
any_grid AS (SELECT as_of, target_id, count(DISTINCT jurisdiction) AS n
             FROM {{ scoped }} WHERE scope = 'all' GROUP BY ALL),
sizes AS (SELECT as_of, scope, jurisdiction, count(*) AS n FROM {{ scoped }} GROUP BY ALL),
lands AS (SELECT target_id, unnest(countries) AS country FROM alignment.targets),
lags AS ({{ render("_lags.sql", scoped=scoped) }}),
stated AS (  -- the regime says whether a listing is for human rights or corruption
    SELECT DISTINCT as_of, target_id, jurisdiction, scope, theme
    FROM (SELECT *, unnest(scopes) AS scope FROM {{ listed }} WHERE current)
    WHERE theme <> 'unstated'
), annotated AS (  -- else the analysts' annotation (field theme), e.g. for US GLOMAG; one
                   -- naming a jurisdiction holds for that jurisdiction's listing only
    SELECT DISTINCT target_id, jurisdiction, value AS theme FROM alignment.annotations
    WHERE field = 'theme' AND target_id IS NOT NULL
), themes AS (
    SELECT s.as_of, s.target_id, s.jurisdiction, s.scope,
           coalesce(st.theme, an.theme, 'unstated') AS theme
    FROM {{ scoped }} s LEFT JOIN stated st USING (as_of, target_id, jurisdiction, scope)
    LEFT JOIN annotated an ON st.theme IS NULL AND an.target_id = s.target_id
     AND (an.jurisdiction IS NULL OR an.jurisdiction = s.jurisdiction)
), figures AS (
    SELECT b.as_of, 'records_in_evidence' AS metric, 'all' AS scope, b.jurisdiction,
           count(DISTINCT l.record_id)::DOUBLE AS value, count(DISTINCT l.record_id) AS numerator,
           NULL::BIGINT AS denominator, [b.jurisdiction] AS rests_on
    FROM {{ bases }} b LEFT JOIN {{ listed }} l
      ON l.as_of = b.as_of AND l.jurisdiction = b.jurisdiction AND l.current
    GROUP BY b.as_of, b.jurisdiction
    UNION ALL
    SELECT as_of, 'targets_listed', scope, jurisdiction, count(*), count(*), NULL,
           [jurisdiction]
    FROM {{ scoped }} GROUP BY ALL
    UNION ALL
    SELECT as_of, 'targets_listed', scope, 'ALL', count(*), count(*), NULL, NULL
    FROM grid GROUP BY ALL
    UNION ALL
    SELECT as_of, 'targets_ever_listed', scope, jurisdiction, count(*), count(*), NULL,
           [jurisdiction]
    FROM {{ prefix }}_ever GROUP BY ALL
    UNION ALL
    SELECT as_of, 'targets_ever_listed', scope, 'ALL', count(DISTINCT target_id),
           count(DISTINCT target_id), NULL, NULL
    FROM {{ prefix }}_ever GROUP BY ALL
    UNION ALL
    SELECT as_of, 'share_multilateral', scope, 'ALL', avg((n >= 2)::INTEGER),
           count(*) FILTER (WHERE n >= 2), count(*), NULL
    FROM grid GROUP BY ALL
    UNION ALL
    SELECT a.as_of, 'share_multilateral', a.scope, a.jurisdiction, avg((g.n >= 2)::INTEGER),
           count(*) FILTER (WHERE g.n >= 2), count(*), NULL
    FROM {{ scoped }} a JOIN grid g USING (as_of, target_id, scope) GROUP BY ALL
    UNION ALL  -- Magnitsky-style in one jurisdiction, any programme in another
    SELECT a.as_of, 'share_multilateral_any_programme', a.scope, 'ALL',
           avg((x.n >= 2)::INTEGER), count(*) FILTER (WHERE x.n >= 2), count(*), NULL
    FROM (SELECT DISTINCT as_of, target_id, scope FROM {{ scoped }} WHERE scope <> 'all') a
    JOIN any_grid x USING (as_of, target_id) GROUP BY ALL
    UNION ALL
    SELECT a.as_of, 'share_multilateral_any_programme', a.scope, a.jurisdiction,
           avg((x.n >= 2)::INTEGER), count(*) FILTER (WHERE x.n >= 2), count(*), NULL
    FROM {{ scoped }} a JOIN any_grid x USING (as_of, target_id) WHERE a.scope <> 'all'
    GROUP BY ALL
    UNION ALL  -- share of A's targets that B lists too, for every B loaded on the date
    SELECT a.as_of, 'pairwise_share', a.scope, a.jurisdiction || '>' || b.jurisdiction,
           avg((c.target_id IS NOT NULL)::INTEGER), count(c.target_id), count(*),
           [a.jurisdiction, b.jurisdiction]
    FROM {{ scoped }} a
    JOIN {{ bases }} b
      ON b.as_of = a.as_of AND b.jurisdiction <> a.jurisdiction AND b.basis <> '{{ not_loaded }}'
    LEFT JOIN {{ scoped }} c ON c.as_of = a.as_of AND c.target_id = a.target_id
     AND c.scope = a.scope AND c.jurisdiction = b.jurisdiction
    GROUP BY a.as_of, a.scope, a.jurisdiction, b.jurisdiction
    UNION ALL
    SELECT as_of, 'targets_by_category', 'all', jurisdiction || ':' || category,
           count(DISTINCT target_id), count(DISTINCT target_id), NULL, [jurisdiction]
    FROM {{ listed }}
    WHERE current AND category IN ('human_rights', 'corruption', 'human_rights_and_corruption')
    GROUP BY ALL
    UNION ALL  -- listings (record and programme) that implement a UN listing
    SELECT as_of, 'share_un_mandated', 'all', jurisdiction, avg(un_mandated::INTEGER),
           count(*) FILTER (WHERE un_mandated), count(*), [jurisdiction]
    FROM {{ listed }} WHERE current GROUP BY ALL
    UNION ALL
    SELECT t.as_of, 'share_theme', t.scope, t.jurisdiction || ':' || t.theme,
           count(DISTINCT t.target_id) / any_value(z.n), count(DISTINCT t.target_id),
           any_value(z.n), [t.jurisdiction]
    FROM themes t JOIN sizes z USING (as_of, scope, jurisdiction)
    GROUP BY t.as_of, t.scope, t.jurisdiction, t.theme
    UNION ALL
    SELECT g.as_of, 'share_multilateral_by_country', g.scope, c.country,
           avg((g.n >= 2)::INTEGER), count(*) FILTER (WHERE g.n >= 2), count(*), NULL
    FROM grid g JOIN lands c USING (target_id) GROUP BY ALL
    UNION ALL
    SELECT as_of, 'share_multilateral_by_region', scope, region, avg((n >= 2)::INTEGER),
           count(*) FILTER (WHERE n >= 2), count(*), NULL
    FROM (SELECT DISTINCT g.as_of, g.scope, g.target_id, g.n,
                 coalesce(r.region, 'Unknown') AS region
          FROM grid g JOIN lands c USING (target_id)
          LEFT JOIN ref.regions r ON r.country_code = c.country)
    GROUP BY ALL
    UNION ALL
    SELECT s.as_of, 'distinct_countries', s.scope, s.jurisdiction,
           count(DISTINCT c.country), count(DISTINCT c.country), NULL, [s.jurisdiction]
    FROM {{ scoped }} s JOIN lands c USING (target_id) GROUP BY ALL
    UNION ALL
    SELECT g.as_of, 'distinct_countries', g.scope, 'ALL', count(DISTINCT c.country),
           count(DISTINCT c.country), NULL, NULL
    FROM grid g JOIN lands c USING (target_id) GROUP BY ALL
    UNION ALL
    SELECT as_of, 'share_in_allied_countries', scope, jurisdiction, avg(allied::INTEGER),
           count(*) FILTER (WHERE allied), count(*), [jurisdiction]
    FROM (SELECT a.*, EXISTS (SELECT 1 FROM lands c JOIN ref.allies al
                               ON al.country_code = c.country
                              WHERE c.target_id = a.target_id
                                AND al.jurisdiction = a.jurisdiction) AS allied
          FROM {{ scoped }} a  -- over targets with a known country: the unknown are counted apart
          WHERE a.target_id IN (SELECT target_id FROM lands))
    GROUP BY ALL
    UNION ALL
    SELECT as_of, 'targets_country_unknown', scope, jurisdiction, count(*), count(*), NULL,
           [jurisdiction]
    FROM {{ scoped }} WHERE target_id NOT IN (SELECT target_id FROM lands) GROUP BY ALL
    UNION ALL
    SELECT as_of, 'median_lag_days', scope, follower, median(days)::DOUBLE, count(*), NULL,
           NULL
    FROM lags GROUP BY ALL
    UNION ALL
    SELECT as_of, 'share_multilateral_by_annotation', scope, field || ': ' || value,
           avg((n >= 2)::INTEGER), count(*) FILTER (WHERE n >= 2), count(*), NULL
    FROM (  -- an annotation naming a jurisdiction counts where that jurisdiction lists it
        SELECT DISTINCT g.as_of, g.scope, g.target_id, g.n, a.field, a.value
        FROM alignment.annotations a JOIN grid g USING (target_id)
        WHERE a.jurisdiction IS NULL OR EXISTS (
            SELECT 1 FROM {{ scoped }} s WHERE s.as_of = g.as_of AND s.target_id = g.target_id
               AND s.scope = g.scope AND s.jurisdiction = a.jurisdiction))
    GROUP BY ALL
)
SELECT f.as_of, f.metric, f.scope, f.jurisdiction, f.value, f.numerator, f.denominator,
       (SELECT string_agg(b.jurisdiction || ': ' || b.basis, '; ' ORDER BY b.position)
        FROM {{ bases }} b
        WHERE b.as_of = f.as_of
          AND (f.rests_on IS NULL OR list_contains(f.rests_on, b.jurisdiction))) AS basis
FROM figures f
