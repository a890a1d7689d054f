"""Scopes: which programmes a figure counts, as data (schemas/scopes.csv, or the analysts' own
file named by SANCTIONS_SCOPES), so an advocate can define a report's own counting without
editing code.

One row per programme of a scope: `scope,programme_key,description`. The key `*` stands for
every programme, unclassified ones included (that is how `all` ships: listing every key would
leave out a regime the taxonomy does not know yet). The first row of a scope describes it; its
other rows may leave the description empty. `autonomous` is not a row but a rule on top:
every programme, listings that implement a UN listing excluded (what a government chose
itself). The marts write the scopes in use to alignment.scopes, so every figure, alert and
page reads the same definition.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from sanctions.errors import SettingsError
from sanctions.sources import SOURCES
from schemas import SCHEMA_FILES

SCOPES_CSV = Path(str(SCHEMA_FILES / "scopes.csv"))
COLUMNS = ("scope", "programme_key", "description")
EVERY_PROGRAMME = "*"
AUTONOMOUS = "autonomous"
AUTONOMOUS_DESCRIPTION = (
    "Any programme, listings that implement a UN listing excluded (what a government chose "
    "itself); a rule, not rows of the scopes file"
)
# alignment.targets names its columns listed_<j>, programmes_<j>, first_listed_<j>, themes_<j>
# and <scope>_<j>: a scope may not take one of those names.
RESERVED = (AUTONOMOUS, "listed", "programmes", "first_listed", "themes")
NAME = re.compile(r"[a-z][a-z0-9_]*")


class ScopesError(SettingsError):
    """A scopes file that cannot be used: names the file, the line and the problem."""

    def __init__(self, path: Path, line: int | None, problem: str):
        where = f"{path}: line {line}" if line else str(path)
        ValueError.__init__(self, f"scopes file {where}: {problem}")


@dataclass(frozen=True)
class Scope:
    name: str
    description: str
    keys: tuple[str, ...]  # ("*",): every programme
    un_mandated_excluded: bool = False


def read_scopes(path: Path, programme_keys: set[str]) -> tuple[Scope, ...]:
    """The scopes of `path` in file order, then `autonomous`; every key must be one of
    `programme_keys` (the taxonomy in use) and of a jurisdiction of the registry."""
    jurisdictions = {source.jurisdiction for source in SOURCES.values()}
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScopesError(path, None, f"cannot be read as UTF-8 text ({exc})") from exc
    keys: dict[str, list[str]] = {}
    descriptions: dict[str, str] = {}
    reader = csv.DictReader(text.splitlines(keepends=True))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ScopesError(path, 1, f"columns missing: {', '.join(missing)}")
    for row in reader:
        line = reader.line_num
        if None in row or any(value is None for value in row.values()):
            raise ScopesError(path, line, f"expected {len(COLUMNS)} fields")
        scope, key = row["scope"].strip(), row["programme_key"].strip()
        description = row["description"].strip()
        if not NAME.fullmatch(scope) or scope in RESERVED:
            raise ScopesError(
                path,
                line,
                f"scope {scope!r} is not a usable name (lower-case letters, digits and _, "
                f"starting with a letter; not {', '.join(RESERVED)})",
            )
        if key != EVERY_PROGRAMME and key not in programme_keys:
            prefix = key.split("-", 1)[0]
            problem = (
                f"unknown jurisdiction {prefix!r} in programme key {key!r} (the registry "
                f"has {', '.join(sorted(jurisdictions))})"
                if prefix not in jurisdictions
                else f"unknown programme key {key!r} (not in the programme taxonomy)"
            )
            raise ScopesError(path, line, problem)
        listed = keys.setdefault(scope, [])
        if key in listed:
            raise ScopesError(path, line, f"{key} is listed twice in scope {scope}")
        if EVERY_PROGRAMME in [*listed, key] and listed:
            raise ScopesError(path, line, f"scope {scope} mixes * with programme keys")
        listed.append(key)
        if description and descriptions.setdefault(scope, description) != description:
            raise ScopesError(path, line, f"a second, different description for scope {scope}")
    if keys.get("all") != [EVERY_PROGRAMME]:
        raise ScopesError(path, None, "scope all must be defined, as the single row all,*")
    undescribed = [scope for scope in keys if scope not in descriptions]
    if undescribed:
        raise ScopesError(path, None, f"no description for scope {', '.join(undescribed)}")
    return (
        *(Scope(scope, descriptions[scope], tuple(listed)) for scope, listed in keys.items()),
        Scope(AUTONOMOUS, AUTONOMOUS_DESCRIPTION, (EVERY_PROGRAMME,), un_mandated_excluded=True),
    )


def scope_rows(scopes: tuple[Scope, ...]) -> list[tuple]:
    """alignment.scopes' rows: (position, scope, programme_key, description,
    un_mandated_excluded), one per programme of a scope."""
    return [
        (position, scope.name, key, scope.description, scope.un_mandated_excluded)
        for position, scope in enumerate(scopes)
        for key in scope.keys
    ]


def load_scopes(path: Path | None = None, taxonomy: Path | None = None) -> tuple[Scope, ...]:
    """The scopes in `path` (default schemas/scopes.csv), their keys checked against the
    taxonomy in use (SANCTIONS_PROGRAMMES) and the shipped one: a team taxonomy that lacks a
    row runs (its listings stay unclassified until the row is added, as without scopes), a key
    neither knows (a typo) stops the run."""
    from sanctions import programmes, reference

    keys = set()
    for source in (taxonomy or programmes.taxonomy_path(), Path(str(programmes.PROGRAMMES_CSV))):
        # a broken taxonomy stops here as the reference-file check before a run would stop it
        reference.check_reference_files({reference.TAXONOMY: source})
        keys |= {info.key for info in programmes.taxonomy(source).by_code.values()}
    return read_scopes(path or SCOPES_CSV, keys)


def from_warehouse(con) -> tuple[Scope, ...]:
    """The scopes the marts of a warehouse (or its published copy) were built with, in order:
    what alerts, the report and the site must count by."""
    rows = con.execute(
        """SELECT scope, any_value(description), list(programme_key ORDER BY programme_key),
                  bool_or(un_mandated_excluded)
           FROM alignment.scopes GROUP BY scope ORDER BY min(position)"""
    ).fetchall()
    return tuple(Scope(name, text, tuple(keys), excluded) for name, text, keys, excluded in rows)
