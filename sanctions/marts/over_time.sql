-- alignment.over_time: the share listed by two or more, per date, read from report_figures.
CREATE OR REPLACE TABLE alignment.over_time AS
SELECT as_of, scope, jurisdiction, numerator AS multilateral, denominator AS targets,
       value AS share_multilateral, basis
FROM alignment.report_figures WHERE metric = 'share_multilateral'
ORDER BY as_of, scope, jurisdiction
