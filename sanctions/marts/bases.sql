-- alignment.bases(d): the evidence each jurisdiction rests on for date d.
CREATE OR REPLACE MACRO alignment.bases(d) AS TABLE
{{ render("_bases.sql", dates=one_date) }}
