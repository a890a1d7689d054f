"""`sanctions`: the commands that are not Dagster runs, and `sanctions run` to refresh headless.

sanctions run     materialise every asset (fetch, stage, check, publish), with progress
sanctions dev     start the Dagster UI and daemon (dg dev) with DAGSTER_HOME prepared
"""

import argparse
import os
import sys
from pathlib import Path

from dotenv import load_dotenv

from pipelines.settings import Settings, prepare_dagster_home
from sanctions.sources import SOURCES


def _run(args: argparse.Namespace) -> int:
    import dagster as dg

    from pipelines.definitions import defs

    settings = Settings.from_env()
    home = prepare_dagster_home(settings)
    print(f"data directory: {settings.data_dir}  (DAGSTER_HOME={home})", flush=True)
    if settings.mirror:
        print(f"mirror: {settings.mirror}", flush=True)
    job = defs.resolve_job_def("refresh_all")
    selection = None
    if args.source:
        selection = [
            dg.AssetKey([layer, source])
            for source in args.source
            for layer in ("raw", "staging", "core")
        ]
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance, raise_on_error=False, asset_selection=selection
        )
    _print_summary(result)
    return 0 if result.success else 1


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
    print("run succeeded" if result.success else "run FAILED", flush=True)


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
    dev = commands.add_parser("dev", help="start the Dagster UI (dg dev)")
    dev.add_argument("--port", type=int, default=3000)
    dev.set_defaults(func=_dev)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
