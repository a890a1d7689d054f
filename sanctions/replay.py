"""Replay dated historical files of one source into the history, in date order.

Each file's date comes from its name (SDN_2024-05-03.CSV) or its folder's name
(legacy_csv/2019-01-04/SDN.CSV, or a folder given itself: csv_2021-07-07/SDN.CSV), else from
the publication date the file itself carries; the files of one date form one snapshot (SDN,
ALT, ADD of one day). Several folders replay as one sequence.

On a warehouse that already runs live, files dated before its history are backfilled: replayed
into a scratch history and spliced in before the live one, never touching core; the records
they list that core no longer holds join retired.*, as a replay in date order leaves them.
Files dated after it are published through the publish gate like a fetch. A file inside the
span of the history, a duplicate, one that fails to parse or a blocking check, or one whose
date cannot be told is reported and skipped; the history already built is never touched by a
skipped file.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sanctions import history, matching, quality, warehouse
from sanctions.archive import Archive
from sanctions.errors import CheckFailed, SourceError
from sanctions.fetch import FetchedFile, HttpOptions, fetch_to_archive
from sanctions.parsers import PARSERS
from sanctions.refresh import parse_source, publish_source, snapshot_id_of
from sanctions.sources import Source, record_bounds

_DATE = re.compile(r"[_-]?(\d{4})-(\d{2})-(\d{2})")


@dataclass
class ReplayReport:
    applied: list[tuple[date, int]] = field(default_factory=list)  # (date, events)
    backfilled: list[tuple[date, int]] = field(default_factory=list)  # (date, events)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    retired: int = 0  # records a backfill added to retired.* (listed before the history only)
    seconds: float = 0.0


@dataclass
class _Group:
    """The files of one snapshot: official file name -> path."""

    files: dict[str, Path] = field(default_factory=dict)

    @property
    def names(self) -> str:
        return ", ".join(str(path) for path in self.files.values())


def _date_in(name: str) -> tuple[date, str] | None:
    """The date in a file or folder name, and the name without it."""
    found = _DATE.search(name)
    if not found:
        return None
    try:
        day = date(*map(int, found.groups()))
    except ValueError:
        return None
    return day, name[: found.start()] + name[found.end() :]


def dated_files(
    folders: list[Path], source: Source
) -> tuple[dict[date, _Group], list[tuple[str, str]]]:
    """{date: files} over the folders, and the files whose date cannot be told."""
    groups: dict[date, _Group] = defaultdict(_Group)
    undated = []
    for folder in folders:
        own = _date_in(Path(folder).absolute().name)  # csv_2021-07-07/{SDN,ALT,ADD}.CSV
        for path in sorted(Path(folder).iterdir()):
            if path.is_dir():
                dated = _date_in(path.name)
                members = sorted(p for p in path.iterdir() if p.is_file())
                if dated is None:
                    undated += [(str(p), "no date in the folder's name") for p in members]
                    continue
                for member in members:
                    groups[dated[0]].files[member.name.upper()] = member
                continue
            dated = _date_in(path.name)
            if dated is not None:
                groups[dated[0]].files[dated[1].upper()] = path
            elif own is not None:
                groups[own[0]].files[path.name.upper()] = path
            elif (day := _date_inside(path, source)) is not None:
                groups[day].files[path.name.upper()] = path
            else:
                undated.append(
                    (str(path), "no date (YYYY-MM-DD) in its name and none inside the file")
                )
    return dict(groups), undated


def _date_inside(path: Path, source: Source) -> date | None:
    """The publication date a file carries itself (OFAC XML, the UK lists, the EU file)."""
    try:
        fmt, _ = source.format_for([path.name])
    except SourceError:
        return None
    return PARSERS[fmt.name].publication_date({fmt.main_file.upper(): path})


def replay(con, source: Source, folders: Path | list[Path], archive: Archive) -> ReplayReport:
    """Replay the dated files of a folder (or several, as one sequence) into the history of
    `source`."""
    started = time.perf_counter()
    folders = [folders] if isinstance(folders, (str, Path)) else folders
    groups, undated = dated_files([Path(f) for f in folders], source)
    report = ReplayReport(skipped=list(undated))
    first = history.first_as_of(con, source.id)
    newest = history.latest_as_of(con, source.id)
    older = [day for day in sorted(groups) if first is not None and _instant(day) < first]
    later = [day for day in sorted(groups) if day not in older]
    if older:
        _backfill(con, source, {day: groups[day] for day in older}, archive, report)
    for day in later:
        group = groups[day]
        if newest is not None and _instant(day) < newest:
            report.skipped.append(
                (group.names, f"inside the span of the history (up to {newest:%Y-%m-%d})")
            )
            continue
        try:
            snapshot_id = _stage(con, source, group, day, archive)
            if history.last_applied(con, source.id) == snapshot_id:
                report.skipped.append((group.names, "already in the history"))
                continue
            outcome = publish_source(con, source, origin="replay", expected_snapshot=snapshot_id)
        except SourceError as exc:
            report.skipped.append((group.names, str(exc)))
            continue
        report.applied.append((day, outcome.counts.get("history_events", 0)))
        newest = _instant(day)
    report.seconds = time.perf_counter() - started
    return report


def _instant(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _stage(con, source: Source, group: _Group, day: date, archive: Archive) -> str:
    """Archive the files of one date, log them as a replay and parse them into staging."""
    fmt, main = source.format_for(list(group.files))
    official = {fmt.main_file.upper(): group.files[main]}
    official |= {
        name: group.files[name.upper()] for name in fmt.companions if name.upper() in group.files
    }
    fetched: list[FetchedFile] = [
        fetch_to_archive(source.id, str(path), name, archive, HttpOptions())
        for name, path in official.items()
    ]
    snapshot_id = snapshot_id_of(fetched)
    warehouse.record_fetch(con, snapshot_id, fmt.name, fetched, day, origin="replay")
    parse_source(con, source, snapshot_id)
    return snapshot_id


RETIRED_SCRATCH = "retired_backfill"


def _create_retired_scratch(con) -> None:
    con.execute(f"DROP SCHEMA IF EXISTS {RETIRED_SCRATCH} CASCADE")
    con.execute(f"CREATE SCHEMA {RETIRED_SCRATCH}")
    for table in warehouse.RECORD_TABLES:
        con.execute(f"CREATE TABLE {RETIRED_SCRATCH}.{table} AS FROM retired.{table} LIMIT 0")


def _keep_last_rows(con, source_id: str) -> None:
    """Keep the staged older snapshot's rows of each record, replacing those of earlier files:
    in the end, every record's rows from the last older file that listed it."""
    staged = "SELECT record_id FROM staging.records WHERE source_id = $source"
    for table in warehouse.RECORD_TABLES:
        con.execute(
            f"DELETE FROM {RETIRED_SCRATCH}.{table} WHERE source_id = $source "
            f"AND record_id IN ({staged})",
            {"source": source_id},
        )
        con.execute(
            f"INSERT INTO {RETIRED_SCRATCH}.{table} BY NAME SELECT * FROM staging.{table} "
            "WHERE source_id = $source",
            {"source": source_id},
        )


def _retire_backfilled(con, source_id: str) -> int:
    """What a replay in date order leaves in retired.*: the last rows of every record the older
    files listed and that core no longer holds, unless retired.* already holds later rows (a
    record delisted after the history began). Returns the records retired."""
    missing = f"""SELECT record_id FROM {RETIRED_SCRATCH}.records WHERE source_id = $source
                  EXCEPT SELECT record_id FROM core.records WHERE source_id = $source
                  EXCEPT SELECT record_id FROM retired.records WHERE source_id = $source"""
    con.execute(f"CREATE OR REPLACE TEMP TABLE r_backfill AS {missing}", {"source": source_id})
    for table in warehouse.RECORD_TABLES:
        con.execute(
            f"INSERT INTO retired.{table} BY NAME SELECT * FROM {RETIRED_SCRATCH}.{table} "
            "WHERE source_id = $source AND record_id IN (SELECT record_id FROM r_backfill)",
            {"source": source_id},
        )
    return con.execute("SELECT count(*) FROM r_backfill").fetchall()[0][0]


def _backfill(
    con, source: Source, groups: dict[date, _Group], archive: Archive, report: ReplayReport
) -> None:
    """Replay files older than the history into a scratch history, then splice it in; the
    records the older files listed and core no longer holds join retired.* as a replay would
    leave them, so matching reaches them and a backfill equals a replay of the same files."""
    scratch = history.create_scratch(con)
    _create_retired_scratch(con)
    previous_count = 0  # the oldest file has nothing before it to compare with
    try:
        for day, group in groups.items():
            try:
                snapshot_id = _stage(con, source, group, day, archive)
                context = quality.Context(
                    source.id,
                    record_bounds(source),
                    previous_count,
                    snapshot_id,
                    first_load=True,  # older files are judged by the floors, one by one
                )
                results = quality.evaluate(con, context)
                quality.record_results(con, source.id, snapshot_id, results)
                refused = [r for r in results if r.blocks]
                if refused:
                    raise CheckFailed(
                        source.id,
                        group.names,
                        "checks failed: "
                        + "; ".join(f"{r.check.name}: {r.outcome.summary}" for r in refused),
                    )
            except SourceError as exc:
                report.skipped.append((group.names, str(exc)))
                continue
            events = history.apply_snapshot(
                con,
                source.id,
                snapshot_id,
                _instant(day),
                origin="backfill",
                content="staging",
                hist=scratch,
            )
            _keep_last_rows(con, source.id)
            matching.remember_names(con, source.id, "staging")
            previous_count = quality.staged_count(con, source.id)
            report.backfilled.append((day, events))
        with warehouse.transaction(con):
            history.splice_backfill(con, source.id, scratch)
            report.retired = _retire_backfilled(con, source.id)
    finally:
        con.execute(f"DROP SCHEMA IF EXISTS {scratch} CASCADE")
        con.execute(f"DROP SCHEMA IF EXISTS {RETIRED_SCRATCH} CASCADE")
        if warehouse.latest_snapshot(con, source.id) is not None:
            parse_source(con, source)  # staging back to the live snapshot
