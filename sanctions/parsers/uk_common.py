"""What the two UK formats (FCDO UK Sanctions List XML, OFSI ConList.csv) share: record keys,
name assembly and the numbered lists both use ("(1) Libya (2) Tunisia")."""

from __future__ import annotations

import re

from sanctions.model import Name
from sanctions.parsers.common import clean, script_of

JURISDICTION = "UK"
# The values both formats publish; each format reads them under its own field name.
ENTITY_TYPES = {"Individual": "person", "Entity": "organization", "Ship": "vessel"}
NAME_KINDS = {
    "Primary name": "primary",
    "Primary name variation": "aka",
    "Alias": "aka",
    "AKA": "aka",
    "FKA": "fka",
}
# Alias quality (ConList) or strength (FCDO): a low-quality alias is weak; one of unread
# strength too, so that it never decides a match alone.
ALIAS_QUALITIES = {
    "Good quality": False,
    "Low quality": True,
    "Good quality a.k.a": False,
    "Low quality a.k.a": True,
}
GENDERS = {"Male": "male", "Female": "female"}
_NUMBERED = re.compile(r"\(\d+\)\s*")


def record_key(group_id: str | None, unique_id: str | None) -> str:
    """The OFSI Group ID (kept by the FCDO list, so history spans the 2026 switch), else the
    FCDO Unique ID."""
    return clean(group_id) or clean(unique_id) or ""


def numbered(text: str | None) -> list[str]:
    """Split "(1) A (2) B" into ["A", "B"]; plain text gives one item."""
    if not text:
        return []
    return [item for part in _NUMBERED.split(text) if (item := clean(part))]


def person_or_entity_name(
    record_id: str, is_person: bool, parts: list[str | None], kind: str, weak: bool
) -> Name | None:
    """Name 1-5 are given names, Name 6 the surname or the whole name of an entity or ship."""
    given = " ".join(part for part in parts[:5] if part) or None
    family = parts[5] if len(parts) > 5 else None
    full = " ".join(part for part in (given, family) if part)
    if not full:
        return None
    if not is_person:
        given = family = None
    return Name(record_id, full, kind, weak, script_of(full), given, family)


def non_latin_name(record_id: str, text: str | None) -> Name | None:
    name = clean(text)
    return Name(record_id, name, "aka", False, script_of(name)) if name else None
