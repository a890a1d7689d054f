-- alignment.targets: one wide row per target, a block of columns per jurisdiction of the
-- registry, read from alignment.target_jurisdictions.
CREATE OR REPLACE TABLE alignment.targets AS
WITH names AS (
    SELECT c.target_id,
           arg_min(n.name, CASE c.jurisdiction WHEN 'US' THEN 1 WHEN 'UK' THEN 2
                                WHEN 'EU' THEN 3 ELSE 4 END) AS name
    FROM matching.clusters c JOIN core.names n USING (record_id)
    WHERE n.kind = 'primary' AND (n.script IS NULL OR n.script = 'Latin')
    GROUP BY c.target_id
), kinds AS (
    SELECT c.target_id, mode(r.entity_type) AS entity_type,
           list(DISTINCT c.record_id ORDER BY c.record_id) AS record_ids
    FROM matching.clusters c JOIN core.records r USING (record_id) GROUP BY c.target_id
), lands AS (
    SELECT c.target_id, list(DISTINCT k.country_code ORDER BY k.country_code) AS countries
    FROM matching.clusters c JOIN core.countries k USING (record_id)
    WHERE k.country_code IS NOT NULL
      AND k.relation IN ('nationality', 'citizenship', 'address', 'registration', 'flag')
    GROUP BY c.target_id
), wide AS (
    SELECT target_id,
{%- for j in jurisdictions %}{% set x = j.lower() %}
           bool_or(listed AND jurisdiction = '{{ j }}' AND scope = 'all') AS listed_{{ x }},
           any_value(programme_keys) FILTER (WHERE jurisdiction = '{{ j }}' AND scope = 'all')
               AS programmes_{{ x }},
           any_value(first_listed) FILTER (WHERE jurisdiction = '{{ j }}' AND scope = 'all')
               AS first_listed_{{ x }},
           any_value(themes) FILTER (WHERE jurisdiction = '{{ j }}' AND scope = 'all')
               AS themes_{{ x }},
{%- for scope in scope_names if scope != "all" %}
           bool_or(listed AND jurisdiction = '{{ j }}' AND scope = '{{ scope }}')
               AS {{ scope }}_{{ x }},
{%- endfor %}
{%- endfor %}
           count(DISTINCT jurisdiction) FILTER (WHERE listed AND scope = 'all') AS jurisdictions
{%- for scope in scope_names if scope != "all" %},
           count(DISTINCT jurisdiction) FILTER (WHERE listed AND scope = '{{ scope }}')
               AS jurisdictions_{{ scope }}
{%- endfor %}
    FROM alignment.target_jurisdictions GROUP BY target_id
)
SELECT k.target_id, coalesce(n.name, k.record_ids[1]) AS name, k.entity_type,
       coalesce(l.countries, []) AS countries,
{%- for j in jurisdictions %}{% set x = j.lower() %}
       coalesce(w.listed_{{ x }}, false) AS listed_{{ x }}, w.programmes_{{ x }},
       w.first_listed_{{ x }}, w.themes_{{ x }},
{%- for scope in scope_names if scope != "all" %}
       coalesce(w.{{ scope }}_{{ x }}, false) AS {{ scope }}_{{ x }},
{%- endfor %}
{%- endfor %}
       coalesce(w.jurisdictions, 0) AS jurisdictions,
{%- for scope in scope_names if scope != "all" %}
       coalesce(w.jurisdictions_{{ scope }}, 0) AS jurisdictions_{{ scope }},
{%- endfor %}
       k.record_ids
FROM kinds k LEFT JOIN names n USING (target_id) LEFT JOIN lands l USING (target_id)
LEFT JOIN wide w USING (target_id)
