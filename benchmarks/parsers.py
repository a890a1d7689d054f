"""Parser throughput and peak memory on the real files, beside the bare read of each file.

    python benchmarks/parsers.py            (or: make bench)
    python benchmarks/parsers.py "SDN.XML"  (only the files whose label contains this)

Each measurement runs in a fresh subprocess so that its peak RSS (VmHWM) belongs to it alone.
The bare read is the floor: csv.reader over the same text, or lxml iterparse streaming the
same elements and freeing them. Every XML format is also measured on copies with its record
elements repeated 4x and 16x, to show that peak memory does not grow with the file size.
"""

import csv
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("SANCTIONS_REAL_DATA") or REPO.parent / "shared" / "data")

# format -> (record element streamed by the parser, or None for CSV formats)
RECORD_ELEMENT = {
    "ofac_csv": None,
    "uk_ofsi_csv": None,
    "ofac_advanced_xml": "DistinctParty",
    "ofac_sdn_xml": "sdnEntry",
    "ca_sema_xml": "record",
    "uk_fcdo_xml": "Designation",
    "eu_fsf_xml": "sanctionEntity",
}


def measure(fmt: str, mode: str, files: dict[str, str]) -> dict:
    """Run in the subprocess: one pass, reporting records, seconds and peak RSS."""
    from sanctions.model import Record
    from sanctions.parsers import PARSERS, ofac_advanced_xml
    from sanctions.parsers.common import decode_text, release, safe_iterparse

    paths = {name: Path(path) for name, path in files.items()}
    started = time.perf_counter()
    records = 0
    if mode == "parse":
        records = sum(1 for row in PARSERS[fmt].parse(paths) if type(row) is Record)
    elif RECORD_ELEMENT[fmt] is None:
        for path in paths.values():
            records += sum(1 for _ in csv.reader(io.StringIO(decode_text(path), newline="")))
    else:
        tags = (
            ofac_advanced_xml.STREAMED_TAGS
            if fmt == "ofac_advanced_xml"
            else (RECORD_ELEMENT[fmt],)
        )
        for _, element in safe_iterparse(next(iter(paths.values())), tags):
            records += 1
            release(element)
    seconds = time.perf_counter() - started
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent across exec.
    status = Path("/proc/self/status").read_text()
    peak_mb = int(re.search(r"VmHWM:\s+(\d+)", status)[1]) / 1024
    return {"records": records, "seconds": seconds, "peak_mb": peak_mb}


def run(fmt: str, mode: str, files: dict[str, Path]) -> dict:
    payload = json.dumps({name: str(path) for name, path in files.items()})
    out = subprocess.run(
        [sys.executable, __file__, "--one", fmt, mode, payload],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    return json.loads(out.stdout)


def repeated(source: Path, element: str, times: int, folder: Path) -> Path:
    """A copy of an XML file with its run of `element`s repeated `times` times."""
    text = source.read_text("utf-8")
    start = re.search(rf"<{element}[\s>]", text).start()
    end = text.rindex(f"</{element}>") + len(f"</{element}>")
    target = folder / f"x{times}_{source.name}"
    target.write_text(text[:start] + text[start:end] * times + text[end:], "utf-8")
    return target


def cases(tmp: Path, only: str | None = None) -> list[tuple[str, str, dict[str, Path]]]:
    """Every measured file, or those whose label contains `only` (with their repeated copies)."""
    us, csv_set = DATA / "us_ofac", DATA / "us_ofac" / "csv_2021-07-07"
    listed = [
        ("SDN.CSV 2024-05-03", "ofac_csv", {"SDN.CSV": us / "sdn_history/SDN_2024-05-03.CSV"}),
        (
            "OFAC CSV set 2021-07-07",
            "ofac_csv",
            {n: csv_set / n for n in ("SDN.CSV", "ALT.CSV", "ADD.CSV")},
        ),
        (
            "UK ConList 2025-04-10",
            "uk_ofsi_csv",
            {"ConList.csv": DATA / "uk/ConList_2025-04-10.csv"},
        ),
    ]
    xml = [
        (
            "OFAC CONS_ADVANCED",
            "ofac_advanced_xml",
            us / "advanced_xml/CONS_ADVANCED_2020-03-17.XML",
        ),
        ("OFAC CONS SDN.XML 2025", "ofac_sdn_xml", us / "CONS_SDNXML_2025-03-28.XML"),
        ("CA sema-lmes 2020", "ca_sema_xml", DATA / "ca/sema-lmes_2020-04-15.xml"),
        (
            "UK UKSL sample",
            "uk_fcdo_xml",
            DATA / "uk/UK-Sanctions-List_2026-09-10_sample_EDITED.xml",
        ),
        ("EU FSF excerpt", "eu_fsf_xml", DATA / "eu/fsf_2026-08-05_excerpt.xml"),
    ]
    listed = [case for case in listed if not only or only in case[0]]
    for label, fmt, path in xml:
        if only and only not in label:
            continue
        listed.append((label, fmt, {path.name: path}))
        for times in (
            (4, 16) if fmt in ("ofac_advanced_xml", "ofac_sdn_xml", "ca_sema_xml") else (400, 1600)
        ):
            bigger = repeated(path, RECORD_ELEMENT[fmt], times, tmp)
            listed.append((f"{label} x{times}", fmt, {path.name: bigger}))
    return listed


def main(only: str | None = None) -> None:
    if not DATA.is_dir():
        sys.exit(f"real snapshots not found at {DATA} (set SANCTIONS_REAL_DATA)")
    header = (
        f"{'file':<28}{'MB':>7}{'records':>9}{'parse s':>9}{'bare s':>8}{'x bare':>8}"
        f"{'rec/s':>10}{'MB/s':>7}{'peak MB':>9}{'bare peak':>10}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        for label, fmt, files in cases(Path(tmp), only):
            size = sum(path.stat().st_size for path in files.values()) / 1e6
            parsed, bare = run(fmt, "parse", files), run(fmt, "bare", files)
            print(
                f"{label:<28}{size:>7.1f}{parsed['records']:>9,}{parsed['seconds']:>9.2f}"
                f"{bare['seconds']:>8.2f}{parsed['seconds'] / bare['seconds']:>8.1f}"
                f"{parsed['records'] / parsed['seconds']:>10,.0f}{size / parsed['seconds']:>7.1f}"
                f"{parsed['peak_mb']:>9.0f}{bare['peak_mb']:>10.0f}"
            )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        print(json.dumps(measure(sys.argv[2], sys.argv[3], json.loads(sys.argv[4]))))
    else:
        main(sys.argv[1] if len(sys.argv) > 1 else None)
