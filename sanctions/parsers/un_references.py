"""UN reference numbers (`QDi.001`: committee, i/e/v for individual/entity/vessel, number).

The UN list keys its records on them and the national lists cite them (UK `UN Ref`, EU
`unitedNationId`, Australia at the start of Additional Information), so every parser emits the
same two rows for a citation: an identifier the matcher compares and the attribute alignment
reads to tell UN-mandated listings from autonomous ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from sanctions.model import Attribute, Identifier

UN_REFERENCE = "un_reference"
IDENTIFIER_TYPE = "UN reference number"
# Publishers vary the case and spacing ("QDE.123", "CDi. 037") and run on into free text.
_REFERENCE = re.compile(r"([A-Za-z]{2})([ievIEV])\.\s*(\d{3})\b")


def un_reference(text: str | None) -> str | None:
    """The reference `text` starts with, spelt as the UN does: "CDi. 037. Listed..." -> CDi.037."""
    match = _REFERENCE.match(text.strip()) if text else None
    if match is None:
        return None
    committee, kind, number = match.groups()
    return f"{committee.upper()}{kind.lower()}.{number}"


def un_reference_rows(record_id: str, text: str | None) -> Iterator[Identifier | Attribute]:
    """The identifier and the `un_reference` attribute of a citation; nothing if it is none."""
    if reference := un_reference(text):
        yield Identifier(record_id, IDENTIFIER_TYPE, reference)
        yield Attribute(record_id, UN_REFERENCE, reference)
