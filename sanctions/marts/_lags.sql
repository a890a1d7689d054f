-- Days from the first listing of a target to each follow-on, per scope and date, from
-- {{ scoped }} (ties: the first jurisdiction by code leads, so the figure does not change
-- between builds).
WITH dated AS (SELECT * FROM {{ scoped }} WHERE first_listed IS NOT NULL),
leaders AS (
    SELECT as_of, target_id, scope,
           first(jurisdiction ORDER BY first_listed, jurisdiction) AS leader,
           min(first_listed) AS led_on
    FROM dated GROUP BY ALL HAVING count(*) > 1
)
SELECT d.as_of, d.target_id, d.scope, l.leader, d.jurisdiction AS follower, l.led_on,
       d.first_listed AS followed_on, date_diff('day', l.led_on, d.first_listed) AS days,
       d.listed_on_origin AS date_origin
FROM dated d JOIN leaders l USING (as_of, target_id, scope)
WHERE d.jurisdiction <> l.leader
