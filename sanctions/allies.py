"""Which countries each jurisdiction counts as allies, as data: schemas/allies.csv (or the
file SANCTIONS_ALLIES names), one row per jurisdiction, country and basis (NATO, a major
non-NATO ally designation, a defence treaty, ...) with the URL that states it. Read and checked
before any fetch, so an unknown jurisdiction or country code stops a run naming the line."""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from pathlib import Path

from sanctions.sources import SOURCES
from schemas import SCHEMA_FILES

ALLIES_CSV = SCHEMA_FILES / "allies.csv"
COLUMNS = ("jurisdiction", "country_code", "basis", "source_url")


def allies_path(environ: Mapping[str, str] = os.environ) -> Path:
    """schemas/allies.csv, or the analysts' own definition named by SANCTIONS_ALLIES."""
    configured = (environ.get("SANCTIONS_ALLIES") or "").strip()
    return Path(configured) if configured else Path(str(ALLIES_CSV))


def _country_codes() -> set[str]:
    with (SCHEMA_FILES / "countries.csv").open(encoding="utf-8", newline="") as handle:
        return {row["country_code"] for row in csv.DictReader(handle)}


def read_allies(path: Path) -> list[tuple[str, str, str, str]]:
    """The rows of an allies file, checked: known jurisdiction (the registry's) and country
    code (schemas/countries.csv), a basis and an http(s) source URL on every line."""
    jurisdictions = {source.jurisdiction for source in SOURCES.values()}
    countries = _country_codes()
    if not Path(path).is_file():
        raise ValueError(f"allies file {path}: no such file")
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"allies file {path}: columns missing: {', '.join(missing)}")
        rows = []
        for row in reader:
            where = f"allies file {path}: line {reader.line_num}"
            values = {column: (row[column] or "").strip() for column in COLUMNS}
            if values["jurisdiction"] not in jurisdictions:
                raise ValueError(
                    f"{where}: unknown jurisdiction {values['jurisdiction']!r} "
                    f"(expected one of {', '.join(sorted(jurisdictions))})"
                )
            if values["country_code"] not in countries:
                raise ValueError(
                    f"{where}: unknown country code {values['country_code']!r} "
                    "(expected an ISO 3166 alpha-2 code of schemas/countries.csv)"
                )
            if not values["basis"]:
                raise ValueError(f"{where}: empty basis")
            if not values["source_url"].startswith(("https://", "http://")):
                raise ValueError(f"{where}: source_url {values['source_url']!r} is not a URL")
            rows.append(tuple(values[column] for column in COLUMNS))
    return rows
