-- Alignment marts, rebuilt from matching.clusters and core after every matching run.
CREATE SCHEMA IF NOT EXISTS alignment;
