"""Placeholder replaced by the taxonomy branch (classify, unclassified_key)."""

import re

from sanctions.parsers.common import ProgrammeInfo, programme_taxonomy


def classify(jurisdiction: str, raw: str) -> ProgrammeInfo | None:
    english = " ".join(raw.split()).split(" / ")[0]
    return programme_taxonomy().get((jurisdiction, english.upper()))


def unclassified_key(jurisdiction: str, raw: str) -> str:
    slug = re.sub(r"[^A-Z0-9]+", "-", raw.upper()).strip("-")
    return f"{jurisdiction}-UNCLASSIFIED-{slug}"
