"""`sanctions`: the commands that are not Dagster runs, and `sanctions run` to refresh headless.

sanctions run     materialise every asset (fetch, stage, check, publish, match), with progress
sanctions judge   record an analyst's decision on two records; export / import them as CSV
sanctions replay  load a folder of dated historical files of one source, in date order
sanctions report  write the self-contained HTML report from the published copy
sanctions site    write the static site (report, a page per target and per figure)
sanctions export  write the alignment marts as CSV or Parquet
sanctions alerts  list stored alerts (--since DATE, --subscriber NAME, --format table|json|md)
sanctions sql     query the published copy read-only (one query, or interactively)
sanctions dev     start the Dagster UI and daemon (dg dev) with DAGSTER_HOME prepared

Bad input (an unknown source, a broken setting, a missing mirror, a data directory that cannot
be written) stops before any work with one line and exit code 2; expected failures print one
line each; tracebacks only with --debug.
"""

import argparse
import json
import logging
import os
import shutil
import sys
import uuid
from datetime import date
from pathlib import Path

from dotenv import load_dotenv

from pipelines.notices import failure_notice, send_notice
from pipelines.settings import Settings, SettingsError, prepare_dagster_home
from sanctions.locations import not_in_mirror
from sanctions.runlock import run_lock
from sanctions.sources import SOURCES

EXIT_BAD_INPUT = 2
SOURCE_LAYERS = ("raw", "staging", "core")
WRITING_COMMANDS = {"run", "judge", "replay", "dev"}  # need a writable data directory
ALERT_FORMATS = ("table", "json", "md")


def _run(args: argparse.Namespace, settings: Settings) -> int:
    """Refresh, then match only when something downstream would change; a failed run sends a
    failure notice to the alert sinks (sensors never see in-process runs)."""
    import dagster as dg

    from assets.alerts import ALERTS, DELIVERIES
    from pipelines.definitions import defs
    from pipelines.jobs import match_all, refresh_all
    from pipelines.orphans import fail_orphaned_runs

    alert_assets = [ALERTS, DELIVERIES]
    home = prepare_dagster_home(settings)
    print(f"data directory: {settings.data_dir}  (DAGSTER_HOME={home})", flush=True)
    print(f"feed: {'mirror ' + settings.mirror if settings.mirror else 'official URLs'}")
    selection = [
        dg.AssetKey([layer, source_id])
        for source_id in _sources_to_refresh(settings, args.source)
        for layer in SOURCE_LAYERS
    ]
    problems: list[str] = []
    run_id = uuid.uuid4().hex  # this invocation's id until a Dagster run gives one
    try:
        with (
            run_lock(settings.data_dir, on_wait=lambda line: print(line, flush=True)),
            dg.DagsterInstance.get() as instance,
        ):
            for line in fail_orphaned_runs(instance):  # a killed run would block the daemon
                print(line, flush=True)
            result = _execute(defs, refresh_all, args.debug, instance, selection)
            run_id = result.run_id
            problems += _problems(result)
            _print_summary(result, _stale_sources(settings))
            if args.source:  # --source refreshes the sources only
                return 0 if not problems else 1
            # matching runs even when a source failed, on what core holds
            reasons = _why_match(instance, settings)
            if not reasons:
                print("match_all: skipped, no new snapshot since the last matching run")
                # events waiting for a list this refresh confirmed are classified now
                result = _execute(defs, match_all, args.debug, instance, alert_assets)
                run_id = result.run_id
                problems += _problems(result)
                _print_summary(result)
                return 0 if not problems else 1
            print(f"match_all: {'; '.join(reasons)}", flush=True)
            result = _execute(defs, match_all, args.debug, instance, None)
            run_id = result.run_id
            problems += _problems(result)
            _print_summary(result)
    except Exception as exc:
        problems.append(_first_line(str(exc)) or type(exc).__name__)
        raise
    finally:
        if problems:
            for error in send_notice(settings, failure_notice("sanctions run", run_id, problems)):
                print(f"failure notice not sent: {error}", file=sys.stderr)
    return 0 if not problems else 1


def _execute(defs, job, debug: bool, instance, selection):
    import dagster as dg

    from pipelines.orphans import process_tags

    job_def, run_config = defs.resolve_job_def(job.name), {}
    if not debug:
        job_def = job_def.with_logger_defs({"progress": dg.LoggerDefinition(_progress)})
        run_config = {"loggers": {"progress": {}}}
    return job_def.execute_in_process(
        run_config=run_config,
        instance=instance,
        raise_on_error=False,
        asset_selection=selection,
        tags=process_tags(),  # so a later run can tell when this process was killed
    )


def _problems(result) -> list[str]:
    """What the failure notice says about a run: nothing when it succeeded."""
    if result.success:
        return []
    return _failures(result) or [f"{result.dagster_run.job_name}: run failed"]


def _why_match(instance, settings: Settings) -> list[str]:
    """Why matching must run again: it never succeeded, a core data version (snapshot id) or
    the matcher's code changed since it last ran, or analysts judged pairs or annotated
    targets since. Empty: nothing downstream would change."""
    import dagster as dg

    from assets.alignment import MARTS
    from assets.matching import CORE_ASSETS, LINKS, MATCHER_CODE_VERSION
    from sanctions import warehouse

    last_runs = instance.get_runs(filters=dg.RunsFilter(job_name="match_all"), limit=1)
    links = instance.get_latest_materialization_event(LINKS)
    marts = instance.get_latest_materialization_event(MARTS)
    if not last_runs or last_runs[0].status != dg.DagsterRunStatus.SUCCESS or not links:
        return ["the last matching run did not succeed" if last_runs else "never matched"]
    tags = links.tags or {}
    reasons = []
    if tags.get("dagster/code_version") != MATCHER_CODE_VERSION:
        reasons.append("the matcher changed")
    for key in CORE_ASSETS:
        event = instance.get_latest_materialization_event(key)
        if event is None:  # never loaded: nothing new to match
            continue
        current = (event.tags or {}).get("dagster/data_version")
        if current != tags.get(f"dagster/input_data_version/{key.to_user_string()}"):
            reasons.append(f"new snapshot of {key.path[-1]}")
    with warehouse.connect(settings.warehouse_path, read_only=True) as con:
        judged = con.execute("SELECT max(epoch(judged_at)) FROM matching.judgements").fetchall()
    if (judged[0][0] or 0) > links.timestamp:
        reasons.append("new judgements")
    annotations = settings.annotations_path
    if annotations.is_file() and marts and annotations.stat().st_mtime > marts.timestamp:
        reasons.append("annotations changed")
    return reasons


def _stale_sources(settings: Settings) -> list[str]:
    from sanctions import warehouse
    from sanctions.freshness import stale_sources

    if not settings.warehouse_path.is_file():
        return []
    with warehouse.connect(settings.warehouse_path, read_only=True) as con:
        return [age.describe() for age in stale_sources(con)]


def _sources_to_refresh(settings: Settings, chosen: list[str] | None) -> list[str]:
    """The chosen (or all) sources, less those a partial mirror does not hold."""
    wanted = chosen or list(SOURCES)
    present = [
        source_id for source_id in wanted if not not_in_mirror(SOURCES[source_id], settings.mirror)
    ]
    for source_id in wanted:
        if source_id not in present:
            print(f"{source_id}: not in the mirror, skipped; last good snapshot kept", flush=True)
    if not present:
        raise SettingsError(
            "SANCTIONS_MIRROR",
            settings.mirror or "",
            "a folder per source, e.g. " + ", ".join(f"{settings.mirror}/{s}" for s in wanted),
        )
    return present


class _ProgressFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = getattr(record, "dagster_meta", {}).get("orig_message", record.getMessage())
        return f"{self.formatTime(record, '%H:%M:%S')} {message}"


def _is_asset_message(record: logging.LogRecord) -> bool:
    """The assets' own messages; Dagster's step events and errors (with their tracebacks) stay
    out: the summary names every failure once."""
    is_event = getattr(record, "dagster_meta", {}).get("dagster_event") is not None
    return not is_event and record.levelno < logging.ERROR


def _progress(init_context) -> logging.Logger:
    """A Dagster logger printing the assets' own messages, one line each."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(_ProgressFormatter())
    handler.addFilter(_is_asset_message)
    logger = logging.Logger("sanctions", logging.INFO)
    logger.addHandler(handler)
    return logger


def _print_summary(result, stale: list[str] = ()) -> None:
    print("\nasset               status       rows", flush=True)
    for event in result.get_asset_materialization_events():
        meta = {key: value.value for key, value in event.materialization.metadata.items()}
        status = meta.get("status") or ("changed" if meta.get("changed") else "unchanged")
        rows = meta.get("dagster/row_count", "")
        print(f"{event.asset_key.to_user_string():<19} {status:<12} {rows}")
        if "feed" in meta:
            print(f"    {meta['feed']}; {meta['publication']}")
    checks = result.get_asset_check_evaluations()
    passed = sum(check.passed for check in checks)
    if checks:
        print(f"checks: {passed} of {len(checks)} passed")
    for line in stale:
        print(f"STALE {line}")
    for line in _failures(result):
        print(line)
    outcome = "succeeded" if result.success else "FAILED"
    print(f"{result.dagster_run.job_name}: run {outcome}", flush=True)


def _failures(result) -> list[str]:
    """One line per failed check (with its reason) and per failed step, which names the
    source, the file and the cause; a step failed by its blocking check is named once."""
    lines = []
    for check in result.get_asset_check_evaluations():
        if not check.passed:
            reason = f": {check.description}" if check.description else ""
            key = check.asset_key.to_user_string()
            lines.append(f"check FAILED {key}:{check.check_name}{reason}")
    for event in result.all_events:
        data = event.step_failure_data if event.is_step_failure else None
        if data and data.error.cls_name != "DagsterAssetCheckFailedError":  # named above
            reason = data.user_failure_data.description if data.user_failure_data else None
            lines.append(f"FAILED {event.step_key}: {_first_line(reason or _cause(data.error))}")
    return lines


def _cause(error) -> str:
    """The underlying exception's message, not Dagster's wrapper ("Error occurred while
    executing op ...")."""
    while error.cause is not None and error.cls_name.startswith("Dagster"):
        error = error.cause
    return error.message


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] + (" (more with --debug)" if len(lines) > 1 else "") if lines else ""


def _judge(args: argparse.Namespace, settings: Settings) -> int:
    """Record an analyst's decision on two records, or export / import judgements as CSV."""
    from sanctions import clusters, warehouse

    if args.export:  # a reader never waits for a run: the published copy if the file is busy
        try:
            with warehouse.connect(settings.warehouse_path, read_only=True, wait=0) as con:
                count = clusters.export_judgements(con, args.export)
        except warehouse.WarehouseLocked:
            with warehouse.connect(_published_copy(settings), read_only=True, wait=0) as con:
                count = clusters.export_judgements(con, args.export)
            print("the warehouse is busy with a run: read the published copy")
        print(f"exported {count} judgements to {args.export}")
        return 0
    with warehouse.connect(settings.warehouse_path) as con:
        if args.import_file:
            added, skipped = clusters.import_judgements(con, args.import_file)
            print(
                f"imported {added} judgements from {args.import_file} ({skipped} already present)"
            )
        elif len(args.pair) == 3:
            left, right, verdict = args.pair
            known = {
                row[0]
                for row in con.execute(
                    "SELECT record_id FROM core.records WHERE record_id IN (?, ?)", [left, right]
                ).fetchall()
            }
            for record_id in {left, right} - known:
                print(f"warning: {record_id} is not in core.records; the judgement is kept")
            clusters.record_judgement(con, left, right, verdict, args.author, args.note)
            print(f"recorded: {left} {verdict} {right} (applies from the next matching run)")
        else:
            raise SystemExit(
                "usage: sanctions judge LEFT RIGHT same|different|unsure "
                "| --export FILE | --import FILE"
            )
    return 0


def _replay(args: argparse.Namespace, settings: Settings) -> int:
    """Load a folder of dated historical files of one source into the history."""
    from sanctions import warehouse
    from sanctions.archive import Archive
    from sanctions.replay import replay

    with (
        run_lock(settings.data_dir, on_wait=lambda line: print(line, flush=True)),
        warehouse.connect(settings.warehouse_path) as con,
    ):
        report = replay(
            con,
            SOURCES[args.source],
            [Path(folder) for folder in args.folders],
            Archive(settings.archive_root),
        )
    for day, events in report.backfilled:
        print(f"backfilled {day}: {events:,} events (before the history; core untouched)")
    for day, events in report.applied:
        print(f"applied {day}: {events:,} events")
    for name, reason in report.skipped:
        print(f"skipped {name}: {reason}")
    print(
        f"{len(report.applied)} snapshots applied, {len(report.backfilled)} backfilled, "
        f"{len(report.skipped)} skipped in {report.seconds:.1f} s"
    )
    return 0 if not report.skipped else 3


def _alerts(args: argparse.Namespace, settings: Settings) -> int:
    """List stored alerts (historical ones marked), all or those a subscriber asked for."""
    from sanctions import warehouse
    from sanctions.alerts import matching_alerts

    subscriber = None
    if args.subscriber:
        named = {s.name: s for s in settings.subscribers()}
        if args.subscriber not in named:
            raise SystemExit(
                f"sanctions alerts: no subscriber {args.subscriber!r} "
                f"(subscribers: {', '.join(named)})"
            )
        subscriber = named[args.subscriber]
    try:  # a reader never waits for a run: the published copy if the file is busy
        with warehouse.connect(settings.warehouse_path, read_only=True, wait=0) as con:
            found = matching_alerts(con, subscriber, args.since)
    except warehouse.WarehouseLocked:
        with warehouse.connect(_published_copy(settings), read_only=True, wait=0) as con:
            found = matching_alerts(con, subscriber, args.since)
    print(_format_alerts(found, args.format))
    return 0


def _format_alerts(found: list[dict], form: str) -> str:
    if form == "json":
        return json.dumps(found, default=str, ensure_ascii=False, indent=2)
    rows = [
        (
            str(a["event_date"]),
            a["jurisdiction"],
            a["kind"] + (" (historical)" if a["historical"] else ""),
            ", ".join(a["scopes"]),
            a["message"],
        )
        for a in found
    ]
    header = ("event date", "by", "kind", "scopes", "message")
    if form == "md":
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    return (
        "\n".join(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + row[-1]
            for row in [header, *rows]
        )
        + f"\n{len(rows)} alerts"
    )


def _published_copy(settings: Settings) -> Path:
    published = settings.published_path
    if not published.is_file():
        raise SystemExit(f"no published copy at {published}: run `sanctions run` first")
    return published


def _export(args: argparse.Namespace, settings: Settings) -> int:
    """Write the alignment marts of the published copy as CSV or Parquet."""
    from sanctions.alignment import AsOfError, export_as_of
    from sanctions.publish import export_marts

    published = _published_copy(settings)
    try:
        paths = (
            export_as_of(published, Path(args.out), args.format, args.as_of)
            if args.as_of
            else export_marts(published, Path(args.out), args.format)
        )
    except AsOfError as exc:
        raise SystemExit(f"sanctions export: {exc}; nothing written") from exc
    for path in paths:
        print(path)
    return 0


def _as_of_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _report(args: argparse.Namespace, settings: Settings) -> int:
    """Write the self-contained HTML report from the published copy."""
    from sanctions.alignment import AsOfError
    from sanctions.report import build_report

    try:
        html = build_report(str(_published_copy(settings)), args.as_of)
    except AsOfError as exc:
        raise SystemExit(f"sanctions report: {exc}; nothing written") from exc
    Path(args.out).write_text(html, encoding="utf-8")
    print(f"report written to {args.out}")
    return 0


def _site(args: argparse.Namespace, settings: Settings) -> int:
    """Write the static site from the published copy."""
    from sanctions.alignment import AsOfError
    from sanctions.site import build_site

    try:
        pages = build_site(_published_copy(settings), Path(args.out), args.as_of)
    except AsOfError as exc:
        raise SystemExit(f"sanctions site: {exc}; nothing written") from exc
    print(
        f"site written to {args.out}: index.html, {pages['figures']:,} figure pages, "
        f"{pages['targets']:,} target pages"
    )
    return 0


def _sql(args: argparse.Namespace, settings: Settings) -> int:
    """Query the published copy read-only: needs nothing but this project installed."""
    import duckdb

    path = Path(args.database) if args.database else _published_copy(settings)
    with duckdb.connect(str(path), read_only=True) as con:
        if args.query:
            return _show(con, args.query, args.max_rows)
        print(f"{path} (read-only). End a query with ';'; Ctrl-D or .quit to leave.")
        while (query := _read_query()) is not None:
            _show(con, query, args.max_rows)
    return 0


def _read_query() -> str | None:
    """One statement from the terminal, over several lines until ';'; None at the end."""
    lines: list[str] = []
    while True:
        try:
            line = input("sql> " if not lines else "...> ")
        except EOFError:
            print()
            return None
        if not lines and line.strip() in (".quit", ".exit"):
            return None
        lines.append(line)
        if line.rstrip().endswith(";"):
            return "\n".join(lines)


def _show(con, query: str, max_rows: int) -> int:
    import duckdb

    try:
        relation = con.sql(query)
    except duckdb.Error as exc:
        print(f"error: {_first_line(str(exc))}", file=sys.stderr)
        return 1
    if relation is not None:
        relation.show(max_rows=max_rows, max_width=shutil.get_terminal_size().columns)
    return 0


def _dev(args: argparse.Namespace, settings: Settings) -> int:
    """Start `dg dev` from this environment (no activated .venv needed) on a persistent home."""
    prepare_dagster_home(settings)
    dg_command = shutil.which("dg", path=str(Path(sys.executable).parent)) or shutil.which("dg")
    if dg_command is None:
        raise SystemExit(f"`dg` is not installed beside {sys.executable}: run `make install`")
    workspace = Path(__file__).resolve().parent.parent / "workspace.yaml"
    command = [dg_command, "dev", "-w", str(workspace), "-p", str(args.port)]
    os.execv(command[0], command)
    return 0  # not reached


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line naming the value and what was expected (exit code 2)."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message}\n")


def main(argv: list[str] | None = None) -> int:
    load_dotenv(".env")
    parser = _Parser(prog="sanctions", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="refresh every source (or --source ...) headless")
    run.add_argument(
        "--source",
        action="append",
        choices=sorted(SOURCES),
        help="refresh only this source (repeatable)",
    )
    run.set_defaults(func=_run)
    judge = commands.add_parser("judge", help="record, export or import analyst judgements")
    judge.add_argument(
        "pair",
        nargs="*",
        metavar="LEFT RIGHT VERDICT",
        help="two record ids and same, different or unsure",
    )
    judge.add_argument("--author", default=os.environ.get("USER") or "analyst")
    judge.add_argument("--note")
    judge.add_argument("--export", metavar="FILE", help="write every judgement to a CSV file")
    judge.add_argument(
        "--import", dest="import_file", metavar="FILE", help="add the judgements of a CSV file"
    )
    judge.set_defaults(func=_judge)
    replay = commands.add_parser("replay", help="load dated historical files of one source")
    replay.add_argument("source", choices=sorted(SOURCES))
    replay.add_argument("folders", nargs="+", metavar="FOLDER")
    replay.set_defaults(func=_replay)
    export = commands.add_parser("export", help="export the alignment marts (CSV or Parquet)")
    export.add_argument("--format", choices=("csv", "parquet"), default="csv")
    export.add_argument("--out", default="exports")
    export.add_argument("--as-of", type=_as_of_date, help="figures as of YYYY-MM-DD")
    export.set_defaults(func=_export)
    report = commands.add_parser("report", help="write the HTML report")
    report.add_argument("--out", default="report.html")
    report.add_argument("--as-of", type=_as_of_date, help="figures as of YYYY-MM-DD")
    report.set_defaults(func=_report)
    site = commands.add_parser("site", help="write the static site (works offline)")
    site.add_argument("--out", default="site")
    site.add_argument("--as-of", type=_as_of_date, help="figures as of YYYY-MM-DD")
    site.set_defaults(func=_site)
    listing = commands.add_parser("alerts", help="list stored alerts (historical ones marked)")
    listing.add_argument("--since", type=_as_of_date, help="events on or after YYYY-MM-DD")
    listing.add_argument("--subscriber", help="only what this subscriber asked for")
    listing.add_argument("--format", choices=ALERT_FORMATS, default="table")
    listing.set_defaults(func=_alerts)
    sql = commands.add_parser("sql", help="query the published copy read-only")
    sql.add_argument("query", nargs="?", help="SQL to run; without it, an interactive prompt")
    sql.add_argument("--database", help="another DuckDB file (default: the published copy)")
    sql.add_argument("--max-rows", type=int, default=40, help="rows to print (default 40)")
    sql.set_defaults(func=_sql)
    dev = commands.add_parser("dev", help="start the Dagster UI (dg dev)")
    dev.add_argument("--port", type=int, default=3000)
    dev.set_defaults(func=_dev)
    for command in commands.choices.values():
        command.add_argument("--debug", action="store_true", help="log everything; tracebacks")
    args = parser.parse_args(argv)
    return _dispatch(args)


def _dispatch(args: argparse.Namespace) -> int:
    """Check the settings first (exit 2 when one is unusable), then run the command; an
    expected failure is one line on stderr, its traceback only with --debug."""
    logging.basicConfig(level=logging.INFO if args.debug else logging.WARNING, format="%(message)s")
    try:
        settings = Settings.from_env()
        if args.command in WRITING_COMMANDS:
            settings.check_paths()
        return args.func(args, settings)
    except SettingsError as exc:
        print(f"sanctions: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"sanctions {args.command}: {_first_line(str(exc)) or type(exc).__name__}",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
