-- The listings of what core holds now, shaped as _listed.sql's.
SELECT current_date AS as_of, target_id, record_id, jurisdiction, programme_key, category,
       theme, scopes, listed_on, listed_on_origin, un_mandated,
       'latest snapshot' AS basis, true AS current
FROM alignment.listings WHERE jurisdiction IN {{ loaded }}
