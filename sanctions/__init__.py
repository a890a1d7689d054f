"""Domain code of the sanctions-alignment pipeline: sources, fetching, parsing, the warehouse.

Nothing in this package imports Dagster, so every step can be used and tested on its own.
"""
