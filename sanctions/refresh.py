"""The three steps of refreshing one source: fetch into the archive, parse into staging,
publish to core. Each step skips its work when its input has not changed since it last ran.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field, replace

import duckdb

from sanctions import history, quality, warehouse
from sanctions.archive import Archive
from sanctions.errors import CheckFailed, ParseError
from sanctions.fetch import FetchedFile, HttpOptions, fetch_to_archive
from sanctions.locations import fetch_plans
from sanctions.parsers import PARSERS
from sanctions.sources import SOURCES, Source, record_bounds
from sanctions.warehouse import Snapshot


@dataclass(frozen=True)
class FetchOutcome:
    snapshot: Snapshot
    files: list[FetchedFile]
    changed: bool  # differs from the snapshot published in core


@dataclass(frozen=True)
class StepOutcome:
    snapshot_id: str
    did_work: bool  # False: input unchanged, nothing was parsed or published
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def snapshot_id_of(files: list[FetchedFile]) -> str:
    """A single file's sha256, or a sha256 over the (name, sha256) pairs of a file set."""
    if len(files) == 1:
        return files[0].sha256
    members = "\n".join(
        f"{f.file_name}={f.sha256}" for f in sorted(files, key=lambda f: f.file_name)
    )
    return hashlib.sha256(members.encode()).hexdigest()


def fetch_source(
    db: warehouse.Opener,
    source: Source,
    archive: Archive,
    http: HttpOptions,
    mirror: str | None = None,
    override: str | None = None,
) -> FetchOutcome:
    """Fetch every file of the source's snapshot into the archive and log it in raw.manifest.

    The warehouse is opened only for the short reads and the final write, never while a
    download or its retries run, so analysts' commands are not kept waiting."""
    plans = fetch_plans(source, mirror, override)
    if http.retries < source.min_retries:
        http = replace(http, retries=source.min_retries)
    for position, plan in enumerate(plans):
        last_plan = position == len(plans) - 1
        fetched: list[FetchedFile] = []
        for index, file in enumerate(plan.files):
            result = fetch_to_archive(
                source.id,
                file.location,
                file.file_name,
                archive,
                http,
                previous=_previous_fetch(db, source.id, file.location),
                optional=file.optional or (index == 0 and not last_plan),
                browser_user_agent=source.needs_browser_user_agent,
            )
            if result is None and index == 0:
                break  # this format is not offered here; try the next plan
            if result is not None:
                fetched.append(result)
        if not fetched:
            continue
        parser = PARSERS[plan.format.name]
        files = {f.file_name: f.archive_path for f in fetched}
        published_on = parser.publication_date(files)
        snapshot_id = snapshot_id_of(fetched)
        with db() as con:
            warehouse.record_fetch(con, snapshot_id, plan.format.name, fetched, published_on)
            loaded = warehouse.loaded_snapshot(con, source.id)
        snapshot = Snapshot(
            source.id,
            snapshot_id,
            plan.format.name,
            files,
            published_on,
            min(f.fetched_at for f in fetched),
        )
        return FetchOutcome(snapshot, fetched, loaded is None or loaded[0] != snapshot_id)
    raise AssertionError("fetch_plans always ends with a plan whose main file is required")


def _previous_fetch(db: warehouse.Opener, source_id: str, url: str) -> FetchedFile | None:
    with db() as con:
        return warehouse.previous_fetch(con, source_id, url)


def parse_source(con, source: Source, snapshot_id: str | None = None) -> StepOutcome:
    """Parse the latest fetched snapshot (or the given one, for replays) into staging, unless
    staging already holds it."""
    snapshot = warehouse.latest_snapshot(con, source.id, snapshot_id)
    if snapshot is None:
        raise ParseError(source.id, "(none)", "nothing has been fetched for this source yet")
    if warehouse.staged_snapshot_id(con, source.id) == snapshot.snapshot_id:
        warehouse.assign_programme_keys(con, "staging", source.id)  # the taxonomy may be newer
        return StepOutcome(snapshot.snapshot_id, did_work=False)
    started = time.perf_counter()
    rows = PARSERS[snapshot.format].parse(snapshot.files, source.id)
    archived = ", ".join(str(path) for path in snapshot.files.values())
    try:
        counts = warehouse.stage(con, snapshot, rows)
    except ParseError as exc:
        raise ParseError(
            exc.source_id, f"{exc.file} (archived as {archived})", exc.problem
        ) from exc
    except duckdb.ConstraintException as exc:  # staging keeps core's NOT NULL constraints
        raise ParseError(
            source.id,
            f"{', '.join(snapshot.files)} (archived as {archived})",
            f"a parsed row breaks the warehouse schema: {str(exc).splitlines()[0]}",
        ) from exc
    return StepOutcome(snapshot.snapshot_id, True, counts, time.perf_counter() - started)


def publish_source(
    con,
    source: Source,
    bounds: tuple[int, int] | None = None,
    origin: str = "live",
    expected_snapshot: str | None = None,
) -> StepOutcome:
    """The publish gate: swap the staged snapshot into core only if every blocking check passed
    on it, now, in this warehouse; unless core already holds it. Every path to core (the job,
    one asset launched alone, a replay, a script) comes through here.

    Programme keys are re-derived from the taxonomy first, also when nothing new is staged."""
    staged = warehouse.staged_snapshot_id(con, source.id)
    if staged is None:
        raise ParseError(source.id, "(none)", "nothing is staged for this source")
    warehouse.assign_programme_keys(con, "staging", source.id)
    with warehouse.transaction(con):  # core and the history it matches are re-keyed together
        warehouse.assign_programme_keys(con, "core", source.id)
        history.key_programmes(con)
    loaded = warehouse.loaded_snapshot(con, source.id)
    if loaded is not None and loaded[0] == staged:
        return StepOutcome(staged, did_work=False)
    started = time.perf_counter()
    context = quality.Context(source.id, bounds or record_bounds(source), None, expected_snapshot)
    results = quality.evaluate(con, context)
    quality.record_results(con, source.id, staged, results)
    refused = [result for result in results if result.blocks]
    if refused:
        raise CheckFailed(
            source.id,
            f"snapshot {staged[:12]} ({staged_files(con, source.id)})",
            "not published, core keeps the last good snapshot; failed: "
            + "; ".join(f"{r.check.name}: {r.outcome.summary}" for r in refused),
        )
    counts = warehouse.publish(con, source.id, origin)
    return StepOutcome(staged, True, counts, time.perf_counter() - started)


def staged_files(con, source_id: str) -> str:
    return con.execute(
        "SELECT files FROM staging.snapshots WHERE source_id = ?", [source_id]
    ).fetchall()[0][0]


def refresh_from_mirror(con, source_ids, archive: Archive, mirror: str) -> None:
    """Fetch, parse and publish the given sources from a mirror through the publish gate,
    without Dagster (benchmarks, tests, scripts). Raises on the first failure."""
    for source_id in source_ids:
        source = SOURCES[source_id]
        fetch_source(warehouse.borrowed(con), source, archive, HttpOptions(), mirror)
        parse_source(con, source)
        publish_source(con, source)
