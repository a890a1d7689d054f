-- What core holds now: every loaded jurisdiction rests on its latest snapshot.
SELECT current_date AS as_of, position, jurisdiction, source_id,
       CASE WHEN loaded THEN 'latest snapshot' ELSE '{{ not_loaded }}' END AS basis
FROM alignment.jurisdictions WHERE NOT reference
