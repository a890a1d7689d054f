-- {{ prefix }}_scoped (current listings) or {{ prefix }}_ever (also those delisted by the
-- date): the (date, target, jurisdiction, scope) grid the figures count.
CREATE OR REPLACE TEMP TABLE {{ prefix }}_{{ name }} AS
SELECT as_of, target_id, jurisdiction, scope, min(listed_on) AS first_listed,
       first(listed_on_origin ORDER BY listed_on NULLS LAST) AS listed_on_origin
FROM (SELECT *, unnest(scopes) AS scope FROM {{ prefix }}_listed
      {{- " WHERE current" if only_current else "" }})
GROUP BY ALL
