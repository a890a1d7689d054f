-- Dates of the over-time series: every history snapshot, the year-ends since the first
-- Magnitsky law, and today, from the earliest evidence held.
SELECT DISTINCT as_of FROM (
    SELECT {{ utc_date("as_of") }} AS as_of FROM history.snapshots
    UNION SELECT make_date(y::INTEGER, 12, 31)
          FROM range({{ over_time_first_year }}, year(current_date)) t(y)
    UNION SELECT current_date)
WHERE as_of <= current_date AND as_of >= (
    SELECT min(least(history_from, snapshot_on, listing_dates_from))
    FROM alignment.jurisdictions WHERE NOT reference)
