{% from "_macros.sql" import scopes_of, theme_of, un_reference -%}
-- alignment.listings: one row per (target, jurisdiction, programme) listing of what core holds
-- now, with the scopes it counts in, its listing date and where that date comes from.
CREATE OR REPLACE TABLE alignment.listings AS
WITH listed AS (
    SELECT c.target_id, c.record_id, c.source_id, c.jurisdiction, p.programme_key,
           p.programme_raw, coalesce(t.category, 'unclassified') AS category,
           coalesce(p.listed_on, r.listed_on, {{ utc_date("f.first_seen") }}) AS listed_on,
           CASE WHEN coalesce(p.listed_on, r.listed_on) IS NOT NULL
                THEN coalesce(r.listed_on_origin, 'publisher')
                WHEN f.first_seen IS NOT NULL THEN 'first_seen' END AS listed_on_origin,
           -- implements a UN listing: says so, or its regime is a UN one, or the UN lists it
           (coalesce(t.category = 'un', false)
            OR {{ un_reference("c.record_id") }}
            OR EXISTS (SELECT 1 FROM matching.clusters u WHERE u.target_id = c.target_id
                       AND u.jurisdiction IN {{ reference }})) AS un_mandated
    FROM matching.clusters c
    JOIN core.records r USING (record_id)
    JOIN core.programmes p USING (record_id)
    LEFT JOIN {{ programmes_first_seen }} f USING (record_id, programme_key)
    LEFT JOIN {{ programme_keys }} t
           ON t.jurisdiction = c.jurisdiction AND t.programme_key = p.programme_key
    QUALIFY row_number() OVER (PARTITION BY c.record_id, p.programme_key
                               ORDER BY coalesce(p.listed_on, r.listed_on, f.first_seen)) = 1
)
SELECT target_id, record_id, source_id, jurisdiction, programme_key, programme_raw, category,
       {{ theme_of("category") }} AS theme,
       {{ scopes_of("l.programme_key", "l.un_mandated") }} AS scopes,
       listed_on, listed_on_origin, un_mandated
FROM listed l
