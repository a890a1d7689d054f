{#- The scopes (alignment.scopes) a listing with programme key `key` is in: those naming its
    key or every programme (*), less those that exclude UN-mandated listings when it is one. -#}
{#- The theme a listing's publisher states through its regime: human_rights or corruption
    (UK Global Human Rights / Global Anti-Corruption, Australia's thematic regimes, ...),
    else unstated (e.g. US Global Magnitsky covers both). -#}
{% macro theme_of(category) -%}
CASE WHEN {{ category }} IN ('human_rights', 'corruption') THEN {{ category }} ELSE 'unstated' END
{%- endmacro %}
{#- The record carries a UN reference (only core's current rows hold it). `record` must be
    qualified: inside the subquery a bare record_id is the attribute's own. -#}
{% macro un_reference(record) -%}
EXISTS (SELECT 1 FROM core.attributes a WHERE a.record_id = {{ record }}
        AND a.attribute = 'un_reference')
{%- endmacro %}
{% macro scopes_of(key, un_mandated) -%}
coalesce((SELECT list(s.scope ORDER BY s.position) FROM alignment.scopes s
          WHERE (s.programme_key = '*' OR s.programme_key = {{ key }})
            AND NOT (s.un_mandated_excluded AND {{ un_mandated }})), [])
{%- endmacro %}
