-- alignment.as_of(d): the listings current on date d, from each jurisdiction's best evidence.
CREATE OR REPLACE MACRO alignment.as_of(d) AS TABLE
SELECT * EXCLUDE (current)
FROM ({{ render("_listed.sql", bases="(" ~ render("_bases.sql", dates=one_date) ~ ")") }})
WHERE current
