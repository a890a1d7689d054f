-- alignment.report_figures: every figure as of each date alignment.stage staged as "dated"
-- (the over-time dates).
CREATE OR REPLACE TABLE alignment.report_figures AS
{{ render("_figures.sql", prefix="dated") }}
