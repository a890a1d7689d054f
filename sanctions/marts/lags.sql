-- alignment.lags: the follow-on listings of what core holds now.
CREATE OR REPLACE TABLE alignment.lags AS
SELECT * EXCLUDE (as_of) FROM ({{ render("_lags.sql", scoped="now_scoped") }})
