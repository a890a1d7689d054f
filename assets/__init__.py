"""Dagster assets and asset checks: thin wrappers around the domain code in `sanctions`."""
