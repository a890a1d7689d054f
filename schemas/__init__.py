"""DuckDB DDL (`*.sql`, applied in name order) and reference tables (`*.csv`)."""

from importlib.resources import files

SCHEMA_FILES = files(__name__)
