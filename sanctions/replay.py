"""Replay a folder of dated historical files of one source into the history, in date order.

The date comes from the file name (SDN_2024-05-03.CSV); files of the same date form one
snapshot (SDN, ALT, ADD of one day). A file out of date order, a duplicate of a snapshot
already in the history, or one that fails to parse or to pass its checks is reported and
skipped; the history already built is never touched.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sanctions import history, quality, warehouse
from sanctions.archive import Archive
from sanctions.errors import SourceError
from sanctions.fetch import HttpOptions, fetch_to_archive
from sanctions.refresh import parse_source, publish_source, snapshot_id_of
from sanctions.sources import Source

_DATE = re.compile(r"[_-]?(\d{4})-(\d{2})-(\d{2})")
REPLAY_CHECKS = (
    quality.snapshot_parsed,
    quality.record_ids_unique,
    quality.names_and_programmes_filled,
    quality.programmes_known,
)


@dataclass
class ReplayReport:
    applied: list[tuple[date, int]] = field(default_factory=list)  # (date, events)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    seconds: float = 0.0


def dated_files(folder: Path) -> tuple[dict[date, dict[str, Path]], list[tuple[str, str]]]:
    """{date: {official file name: path}} from the names, and the files without a date."""
    groups: dict[date, dict[str, Path]] = defaultdict(dict)
    undated = []
    for path in sorted(Path(folder).iterdir()):
        if not path.is_file():
            continue
        found = _DATE.search(path.name)
        if not found:
            undated.append((path.name, "no date (YYYY-MM-DD) in the file name"))
            continue
        official = (path.name[: found.start()] + path.name[found.end() :]).upper()
        groups[date(*map(int, found.groups()))][official] = path
    return dict(groups), undated


def replay(con, source: Source, folder: Path, archive: Archive) -> ReplayReport:
    started = time.perf_counter()
    groups, undated = dated_files(folder)
    report = ReplayReport(skipped=list(undated))
    for day in sorted(groups):
        files = groups[day]
        names = ", ".join(path.name for path in files.values())
        as_of = datetime(day.year, day.month, day.day, tzinfo=UTC)
        newest = history.latest_as_of(con, source.id)
        if newest is not None and as_of < newest:
            report.skipped.append(
                (names, f"out of date order: the history is at {newest:%Y-%m-%d}")
            )
            continue
        try:
            outcome = _apply(con, source, files, day, archive)
        except SourceError as exc:
            report.skipped.append((names, str(exc)))
            continue
        if isinstance(outcome, str):
            report.skipped.append((names, outcome))
        else:
            report.applied.append((day, outcome))
    report.seconds = time.perf_counter() - started
    return report


def _apply(con, source: Source, files: dict[str, Path], day: date, archive: Archive):
    fmt, main = source.format_for(list(files))
    official = {fmt.main_file.upper(): files[main]}
    official |= {name: files[name.upper()] for name in fmt.companions if name.upper() in files}
    fetched = [
        fetch_to_archive(source.id, str(path), name, archive, HttpOptions())
        for name, path in official.items()
    ]
    snapshot_id = snapshot_id_of(fetched)
    if history.applied(con, source.id, snapshot_id):
        return "already in the history (a duplicate of an applied snapshot)"
    warehouse.record_fetch(con, snapshot_id, fmt.name, fetched, day)
    parse_source(con, source)
    failed = [
        outcome.summary for check in REPLAY_CHECKS if not (outcome := check(con, source.id)).passed
    ]
    if failed:
        return "checks failed: " + "; ".join(failed)
    return publish_source(con, source).counts.get("history_events", 0)
