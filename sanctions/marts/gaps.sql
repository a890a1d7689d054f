-- alignment.gaps: who lists a target in a scope and who does not. Only loaded jurisdictions
-- can be "not listing": a list we do not hold says nothing.
CREATE OR REPLACE TABLE alignment.gaps AS
SELECT a.target_id, a.jurisdiction AS listed_by, j.jurisdiction AS not_listed_by, a.scope,
       a.first_listed AS since
FROM now_scoped a CROSS JOIN {{ loaded }} j
WHERE j.jurisdiction <> a.jurisdiction
  AND NOT EXISTS (SELECT 1 FROM now_scoped b WHERE b.target_id = a.target_id
                  AND b.scope = a.scope AND b.jurisdiction = j.jurisdiction)
