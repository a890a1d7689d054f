"""Wall time and peak memory of a whole `sanctions run`, phase by phase, on the real lists:
a first full run into an empty data directory, then an unchanged run on the same mirror.

    .venv/bin/python benchmarks/run.py            (--keep DIR keeps the data directory)

The mirror (symlinks into ../shared/data, outside the repository) holds the US SDN.CSV of
2024-05-03, the Canadian list of 2025-05-25, the OFSI list of 2025-04-10 and the 5-entity EU
excerpt (its record-count minimum is lowered to 1). Each run is its own subprocess, so its
peak RSS (VmHWM) is its own; a thread samples RSS every 20 ms and the steps' start and end
come from Dagster's event log, which gives each phase its time and peak.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from benchmarks.common import real_data  # noqa: E402

SNAPSHOTS = {
    "us_ofac": ("SDN.CSV", "us_ofac/sdn_history/SDN_2024-05-03.CSV"),
    "ca_sema": ("sema-lmes.xml", "ca/sema-lmes_2025-05-25.xml"),
    "uk_fcdo": ("ConList.csv", "uk/ConList_2025-04-10.csv"),
    "eu_fsf": ("fsf.xml", "eu/fsf_2026-08-05_excerpt.xml"),
}
# Dagster step key prefix -> phase, in the order a run goes through them.
PHASES = {
    "raw__": "fetch",
    "staging__": "parse",
    "_staged_snapshot_checks": "checks",
    "core__": "publish",
    "matched": "matching",
    "alignment__marts": "marts",
    "published__warehouse": "publish copy",
    "alerts__": "alerts",
}
STARTUP = "Dagster start-up and run overhead"


def phase_of(step_key: str) -> str:
    for marker, phase in PHASES.items():
        if marker in step_key:
            return phase
    return step_key


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child() -> None:
    """One `sanctions run` in this process; prints its phases as JSON on the last line."""
    started = time.time()
    samples: list[tuple[float, float]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append((time.time(), rss_mb()))
            time.sleep(0.02)

    threading.Thread(target=sample, daemon=True).start()
    import dagster as dg

    from pipelines.cli import main

    with open(os.devnull, "w") as quiet:
        stdout, sys.stdout = sys.stdout, quiet
        try:
            exit_code = main(["run"])
        finally:
            sys.stdout = stdout
    ended = time.time()
    done.set()
    phases: dict[str, dict] = {}
    in_steps: list[tuple[float, float]] = []
    with dg.DagsterInstance.get() as instance:
        for record in instance.get_run_records():
            if record.create_timestamp.timestamp() < started:
                continue
            starts: dict[str, float] = {}
            for entry in instance.all_logs(record.dagster_run.run_id):
                event = entry.dagster_event
                if event is None or event.step_key is None:
                    continue
                if event.event_type_value == "STEP_START":
                    starts[event.step_key] = entry.timestamp
                elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
                    begin = starts.get(event.step_key, entry.timestamp)
                    in_steps.append((begin, entry.timestamp))
                    phase = phases.setdefault(phase_of(event.step_key), {"s": 0.0, "mb": 0.0})
                    phase["s"] += entry.timestamp - begin
                    within = [mb for at, mb in samples if begin <= at <= entry.timestamp]
                    phase["mb"] = max([phase["mb"], *within])
    total = ended - started
    phases[STARTUP] = {
        "s": total - sum(p["s"] for p in phases.values()),
        "mb": max(
            (mb for at, mb in samples if not any(a <= at <= b for a, b in in_steps)), default=0.0
        ),
    }
    print(json.dumps({"exit": exit_code, "wall": total, "peak": peak_mb(), "phases": phases}))


def build_mirror(root: Path) -> Path:
    data = real_data()
    for source_id, (name, relative) in SNAPSHOTS.items():
        (root / source_id).mkdir(parents=True, exist_ok=True)
        (root / source_id / name).symlink_to(data / relative)
    return root


def measure(data_dir: Path, mirror: Path) -> dict:
    env = os.environ | {
        "SANCTIONS_DATA_DIR": str(data_dir),
        "SANCTIONS_MIRROR": str(mirror),
        "DAGSTER_HOME": str(data_dir / "dagster_home"),
        "SANCTIONS_MIN_RECORDS_EU_FSF": "1",
    }
    wall = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child"],
        env=env,
        cwd=data_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    if not done.stdout.strip():
        sys.exit(f"sanctions run failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_wall"] = time.perf_counter() - wall
    return result


def table(runs: dict[str, dict]) -> str:
    names = list(dict.fromkeys(name for run in runs.values() for name in run["phases"]))
    order = [STARTUP, *dict.fromkeys(PHASES.values())]
    names.sort(key=lambda name: order.index(name) if name in order else len(order))
    header = "| phase | " + " | ".join(f"{run} s | {run} peak MB" for run in runs) + " |"
    lines = [header, "|---|" + "---:|---:|" * len(runs)]
    for name in names:
        cells = []
        for run in runs.values():
            phase = run["phases"].get(name)
            cells += [f"{phase['s']:.1f}", f"{phase['mb']:.0f}"] if phase else ["-", "-"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    totals = []
    for run in runs.values():
        totals += [f"**{run['process_wall']:.1f}**", f"**{run['peak']:.0f}**"]
    lines.append("| whole process (wall, VmHWM) | " + " | ".join(totals) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--keep", metavar="DIR", help="data directory to use and keep")
    args = parser.parse_args()
    if args.child:
        child()
        return
    with tempfile.TemporaryDirectory(prefix="sanctions-bench-") as scratch:
        mirror = build_mirror(Path(scratch) / "mirror")
        data_dir = Path(args.keep) if args.keep else Path(scratch) / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        runs = {"first": measure(data_dir, mirror), "unchanged": measure(data_dir, mirror)}
    print(table(runs))
    for name, run in runs.items():
        print(f"{name}: exit {run['exit']}, {run['process_wall']:.1f} s, {run['peak']:.0f} MB")


if __name__ == "__main__":
    main()
