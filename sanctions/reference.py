"""The taxonomy and reference CSVs in use, checked before any fetch.

Every `schemas/*.csv` is a reference table (countries, regions, allies, and any added later);
the taxonomy is `schemas/programmes.csv` or the copy SANCTIONS_PROGRAMMES names. They are inputs
of every derived table (sanctions.fingerprint), and a broken one stops a run before anything is
fetched, naming the file, the line and the problem, so nothing published changes.
"""

from __future__ import annotations

import csv
from pathlib import Path

from sanctions import programmes
from sanctions.errors import ReferenceFileError
from schemas import SCHEMA_FILES

TAXONOMY = "taxonomy"
TAXONOMY_COLUMNS = (
    "jurisdiction",
    "programme_code",
    "programme_key",
    "title",
    "category",
)


def reference_files(taxonomy: Path) -> dict[str, Path]:
    """{name: path} of the taxonomy in use and every other reference CSV beside the DDL."""
    found = {TAXONOMY: Path(taxonomy)}
    for entry in sorted(Path(str(SCHEMA_FILES)).glob("*.csv")):
        if entry.name != programmes.PROGRAMMES_CSV.name:
            found[entry.name] = entry
    return found


def check_reference_files(files: dict[str, Path]) -> None:
    """Every file exists, is UTF-8 CSV with a header of distinct names, and each line has the
    header's number of fields and a first (key) field; the taxonomy is also loaded and checked
    row by row. Raises ReferenceFileError on the first problem."""
    for name, path in files.items():
        _check_csv(Path(path))
        if name == TAXONOMY:
            _check_taxonomy(Path(path))


def _check_taxonomy(path: Path) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    missing = [column for column in TAXONOMY_COLUMNS if column not in header]
    if missing:
        raise ReferenceFileError(path, 1, f"columns missing: {', '.join(missing)}")
    try:
        programmes.Taxonomy.load(path)
    except ValueError as exc:
        raise ReferenceFileError(
            path, None, str(exc).removeprefix(f"programme taxonomy {path}: ")
        ) from exc


def _check_csv(path: Path) -> None:
    if not path.is_file():
        raise ReferenceFileError(path, None, "not found")
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle, strict=True)
            header = next(reader, None)
            if not header or any(not column.strip() for column in header):
                raise ReferenceFileError(path, 1, f"header {header!r} has an empty column name")
            repeated = sorted({column for column in header if header.count(column) > 1})
            if repeated:
                raise ReferenceFileError(path, 1, f"header repeats {', '.join(repeated)}")
            for fields in reader:
                if not fields:
                    continue
                if len(fields) != len(header):
                    raise ReferenceFileError(
                        path,
                        reader.line_num,
                        f"{len(fields)} fields, expected {len(header)} ({', '.join(header)})",
                    )
                if not fields[0].strip():
                    raise ReferenceFileError(path, reader.line_num, f"empty {header[0]}")
    except UnicodeDecodeError as exc:
        raise ReferenceFileError(path, None, f"not UTF-8 ({exc.reason})") from exc
    except csv.Error as exc:
        raise ReferenceFileError(path, reader.line_num, f"not valid CSV ({exc})") from exc
