-- Each aligning jurisdiction's basis on each date of `dates`: its history from its first
-- history snapshot, else its latest snapshot from its date, else its publisher's listing dates;
-- with `reference`, the reference lists' (the UN's) instead.
SELECT d.as_of, j.position, j.jurisdiction, j.source_id,
       CASE WHEN j.history_from <= d.as_of THEN 'history'
            WHEN j.snapshot_on <= d.as_of THEN 'snapshot'
            WHEN j.listing_dates_from <= d.as_of THEN 'listing_dates'
            ELSE '{{ not_loaded }}' END AS basis
FROM ({{ dates }}) d CROSS JOIN alignment.jurisdictions j
WHERE {{ "" if reference_lists | default(false) else "NOT" }} j.reference
