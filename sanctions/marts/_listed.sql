{% from "_macros.sql" import scopes_of, theme_of -%}
-- The listings each basis of `bases` shows on its date; `current` is false for a listing the
-- history shows delisted by then. A record delisted before any matching run is its own
-- target. UN-mandated on a date: a UN regime, a UN reference on the version valid then, or a
-- UN listing of the same target on that date (from the UN's own evidence).
WITH un_on AS (
    SELECT u.as_of, t.target_id
    FROM ({{ render("_bases.sql", dates="SELECT DISTINCT as_of FROM " ~ bases, reference_lists=true) }}) u
    JOIN alignment.listing_evidence e
      ON e.source_id = u.source_id AND e.basis = u.basis AND e.listed_from <= u.as_of
     AND (e.listed_to IS NULL OR e.listed_to > u.as_of)
    JOIN matching.record_targets t USING (record_id)
    GROUP BY ALL
), listed AS (
    SELECT b.as_of, coalesce(t.target_id, e.record_id) AS target_id, e.record_id,
           b.jurisdiction, e.programme_key, coalesce(p.category, 'unclassified') AS category,
           e.listed_on, e.listed_on_origin,
           e.un_referenced OR coalesce(p.category = 'un', false) OR un.target_id IS NOT NULL
               AS un_mandated, b.basis,
           e.listed_to IS NULL OR e.listed_to > b.as_of AS current
    FROM {{ bases }} b
    JOIN alignment.listing_evidence e
      ON e.source_id = b.source_id AND e.basis = b.basis AND e.listed_from <= b.as_of
    LEFT JOIN matching.record_targets t USING (record_id)
    LEFT JOIN un_on un ON un.as_of = b.as_of AND un.target_id = t.target_id
    LEFT JOIN {{ programme_keys }} p
           ON p.jurisdiction = b.jurisdiction AND p.programme_key = e.programme_key
)
SELECT as_of, target_id, record_id, jurisdiction, programme_key, category,
       {{ theme_of("category") }} AS theme, {{ scopes_of("l.programme_key", "l.un_mandated") }} AS scopes,
       listed_on, listed_on_origin, un_mandated, basis, current
FROM listed l
