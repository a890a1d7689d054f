{% from "_macros.sql" import scopes_of, theme_of -%}
-- The listings each basis of `bases` shows on its date; `current` is false for a listing the
-- history shows delisted by then. A record delisted before any matching run is its own
-- target.
WITH listed AS (
    SELECT b.as_of, coalesce(t.target_id, e.record_id) AS target_id, e.record_id,
           b.jurisdiction, e.programme_key, coalesce(p.category, 'unclassified') AS category,
           e.listed_on, e.listed_on_origin,
           e.un_mandated OR coalesce(p.category = 'un', false) AS un_mandated, b.basis,
           e.listed_to IS NULL OR e.listed_to > b.as_of AS current
    FROM {{ bases }} b
    JOIN alignment.listing_evidence e
      ON e.source_id = b.source_id AND e.basis = b.basis AND e.listed_from <= b.as_of
    LEFT JOIN matching.record_targets t USING (record_id)
    LEFT JOIN {{ programme_keys }} p
           ON p.jurisdiction = b.jurisdiction AND p.programme_key = e.programme_key
)
SELECT as_of, target_id, record_id, jurisdiction, programme_key, category,
       {{ theme_of("category") }} AS theme, {{ scopes_of("l.programme_key", "l.un_mandated") }} AS scopes,
       listed_on, listed_on_origin, un_mandated, basis, current
FROM listed l
