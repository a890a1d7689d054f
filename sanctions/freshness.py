"""Stale sources: a source whose last good snapshot is older than its publisher's rhythm.

The last good snapshot is the last time a fetch confirmed or replaced what core holds: the
latest `raw.manifest` row with origin 'fetch' whose snapshot is core's current one (for a list
loaded by replays only, the date its file was published). A failed fetch, a snapshot refused
by the checks or a mirror that lacks the source leave it where it was, so the age keeps growing
until a fetch succeeds again. The run summary, the Dagster check and the report all use this.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sanctions.sources import SOURCES, freshness_hours


@dataclass(frozen=True)
class SourceAge:
    source_id: str
    last_good: datetime  # UTC
    age_hours: float
    limit_hours: float

    @property
    def stale(self) -> bool:
        return self.age_hours > self.limit_hours

    def describe(self) -> str:
        return (
            f"{self.source_id}: last good snapshot {_duration(self.age_hours)} ago "
            f"({self.last_good:%Y-%m-%d %H:%M} UTC), expected within {_duration(self.limit_hours)}"
        )


# Per loaded source: the instant its last good snapshot stands for.
LAST_GOOD_SQL = """
SELECT c.source_id,
       coalesce((SELECT max(m.fetched_at) FROM raw.manifest m
                 WHERE m.source_id = c.source_id AND m.snapshot_id = c.snapshot_id
                   AND m.origin = 'fetch'),
                c.published_on::TIMESTAMPTZ, c.fetched_at) AS last_good
FROM (SELECT * FROM core.snapshots
      QUALIFY row_number() OVER (PARTITION BY source_id ORDER BY loaded_at DESC) = 1) c
"""


def source_ages(
    con, now: datetime | None = None, environ: Mapping[str, str] = os.environ
) -> list[SourceAge]:
    """The age of every loaded source's last good snapshot, in registry order."""
    now = now or datetime.now(UTC)
    rows = con.execute(f"SELECT source_id, last_good FROM ({LAST_GOOD_SQL})").fetchall()
    last_good = dict(rows)
    return [
        SourceAge(
            source.id,
            last_good[source.id],
            (now - last_good[source.id]).total_seconds() / 3600,
            freshness_hours(source, environ),
        )
        for source in SOURCES.values()
        if source.id in last_good
    ]


def stale_sources(
    con, now: datetime | None = None, environ: Mapping[str, str] = os.environ
) -> list[SourceAge]:
    return [age for age in source_ages(con, now, environ) if age.stale]


def _duration(hours: float) -> str:
    if hours < 48:
        return f"{hours:.0f} h"
    return f"{hours / 24:.0f} days"
