"""`sanctions`: the commands that are not Dagster runs, and `sanctions run` to refresh headless.

sanctions run     materialise every asset (fetch, stage, check, publish, match), with progress
sanctions judge   record an analyst's decision on two records; export / import them as CSV
sanctions replay  load a folder of dated historical files of one source, in date order
sanctions report  write the self-contained HTML report from the published copy
sanctions export  write the alignment marts as CSV or Parquet
sanctions dev     start the Dagster UI and daemon (dg dev) with DAGSTER_HOME prepared
"""

import argparse
import os
import sys
from datetime import date
from pathlib import Path

from dotenv import load_dotenv

from pipelines.settings import Settings, prepare_dagster_home
from sanctions.sources import SOURCES


def _run(args: argparse.Namespace) -> int:
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.jobs import JOBS_IN_ORDER, refresh_all

    settings = Settings.from_env()
    home = prepare_dagster_home(settings)
    print(f"data directory: {settings.data_dir}  (DAGSTER_HOME={home})", flush=True)
    if settings.mirror:
        print(f"mirror: {settings.mirror}", flush=True)
    selection = None
    if args.source:
        selection = [
            dg.AssetKey([layer, source])
            for source in args.source
            for layer in ("raw", "staging", "core")
        ]
    succeeded = True
    with dg.DagsterInstance.get() as instance:
        # matching runs even when a source failed; --source refreshes the sources only
        for job in JOBS_IN_ORDER[:1] if selection else JOBS_IN_ORDER:
            result = defs.resolve_job_def(job.name).execute_in_process(
                instance=instance,
                raise_on_error=False,
                asset_selection=selection if job is refresh_all else None,
            )
            _print_summary(result)
            succeeded = succeeded and result.success
    return 0 if succeeded else 1


def _print_summary(result) -> None:
    print("\nasset               status       rows", flush=True)
    for event in result.get_asset_materialization_events():
        meta = {key: value.value for key, value in event.materialization.metadata.items()}
        status = meta.get("status") or ("changed" if meta.get("changed") else "unchanged")
        rows = meta.get("dagster/row_count", "")
        print(f"{event.asset_key.to_user_string():<19} {status:<12} {rows}")
    for check in result.get_asset_check_evaluations():
        verdict = "passed" if check.passed else "FAILED"
        print(f"check {check.asset_key.to_user_string()}:{check.check_name} {verdict}")
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            reason = data.user_failure_data.description if data.user_failure_data else None
            print(f"FAILED {event.step_key}: {reason or data.error.message.strip()}")
    outcome = "succeeded" if result.success else "FAILED"
    print(f"{result.dagster_run.job_name}: run {outcome}", flush=True)


def _judge(args: argparse.Namespace) -> int:
    """Record an analyst's decision on two records, or export / import judgements as CSV."""
    from sanctions import clusters, warehouse

    settings = Settings.from_env()
    with warehouse.connect(settings.warehouse_path) as con:
        if args.export:
            count = clusters.export_judgements(con, args.export)
            print(f"exported {count} judgements to {args.export}")
        elif args.import_file:
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


def _replay(args: argparse.Namespace) -> int:
    """Load a folder of dated historical files of one source into the history."""
    from sanctions import warehouse
    from sanctions.archive import Archive
    from sanctions.replay import replay

    settings = Settings.from_env()
    with warehouse.connect(settings.warehouse_path) as con:
        report = replay(
            con, SOURCES[args.source], Path(args.folder), Archive(settings.archive_root)
        )
    for day, events in report.applied:
        print(f"applied {day}: {events:,} events")
    for name, reason in report.skipped:
        print(f"skipped {name}: {reason}")
    print(
        f"{len(report.applied)} snapshots applied, {len(report.skipped)} skipped "
        f"in {report.seconds:.1f} s"
    )
    return 0 if not report.skipped else 3


def _export(args: argparse.Namespace) -> int:
    """Write the alignment marts of the published copy as CSV or Parquet."""
    from sanctions.alignment import AsOfError, export_as_of
    from sanctions.publish import export_marts

    published = Settings.from_env().published_path
    if not published.is_file():
        raise SystemExit(f"no published copy at {published}: run `sanctions run` first")
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


def _report(args: argparse.Namespace) -> int:
    """Write the self-contained HTML report from the published copy."""
    from sanctions.alignment import AsOfError
    from sanctions.report import build_report

    published = Settings.from_env().published_path
    if not published.is_file():
        raise SystemExit(f"no published copy at {published}: run `sanctions run` first")
    try:
        html = build_report(str(published), args.as_of)
    except AsOfError as exc:
        raise SystemExit(f"sanctions report: {exc}; nothing written") from exc
    Path(args.out).write_text(html, encoding="utf-8")
    print(f"report written to {args.out}")
    return 0


def _dev(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    prepare_dagster_home(settings)
    workspace = Path(__file__).resolve().parent.parent / "workspace.yaml"
    command = ["dg", "dev", "-w", str(workspace), "-p", str(args.port)]
    os.execvp(command[0], command)
    return 0  # not reached


def main(argv: list[str] | None = None) -> int:
    load_dotenv(".env")
    parser = argparse.ArgumentParser(prog="sanctions", description=__doc__.split("\n")[0])
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
    replay.add_argument("folder")
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
    dev = commands.add_parser("dev", help="start the Dagster UI (dg dev)")
    dev.add_argument("--port", type=int, default=3000)
    dev.set_defaults(func=_dev)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
