"""Parser throughput and peak memory on the real OFAC files, beside the bare read of each file.

    python benchmarks/parsers.py            (or: make bench)

Each measurement runs in a fresh subprocess so that its peak RSS (VmHWM) belongs to it alone.
The bare read is the floor: csv.reader over the same bytes, or lxml iterparse streaming the
same elements and freeing them. The advanced XML is also measured on copies with its parties
repeated 4x and 16x, to show that peak memory does not grow with the file size.
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
US = DATA / "us_ofac"


def measure(kind: str, files: dict[str, str]) -> dict:
    """Run in the subprocess: time one pass, report records, seconds and peak RSS."""
    from sanctions.model import Record
    from sanctions.parsers import ofac_advanced_xml, ofac_csv
    from sanctions.parsers.common import release, safe_iterparse

    paths = {name: Path(path) for name, path in files.items()}
    started = time.perf_counter()
    records = 0
    if kind == "csv_bare":
        for path in paths.values():
            records += sum(1 for _ in csv.reader(io.StringIO(path.read_text("latin-1"))))
    elif kind == "xml_bare":
        tags = ofac_advanced_xml.STREAMED_TAGS
        for _, element in safe_iterparse(next(iter(paths.values())), tags):
            records += 1
            release(element)
    else:
        parser = ofac_csv if kind == "csv_parse" else ofac_advanced_xml
        records = sum(1 for row in parser.parse(paths) if type(row) is Record)
    seconds = time.perf_counter() - started
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent across exec.
    status = Path("/proc/self/status").read_text()
    peak_mb = int(re.search(r"VmHWM:\s+(\d+)", status)[1]) / 1024
    return {"records": records, "seconds": seconds, "peak_mb": peak_mb}


def run(kind: str, files: dict[str, Path]) -> dict:
    payload = json.dumps({name: str(path) for name, path in files.items()})
    out = subprocess.run(
        [sys.executable, __file__, "--one", kind, payload],
        check=True, capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    return json.loads(out.stdout)


def repeated_parties(source: Path, times: int, folder: Path) -> Path:
    """A copy of an advanced XML file with its DistinctParty elements repeated `times` times."""
    text = source.read_text("utf-8")
    start, end = (
        text.index("<DistinctParties>") + len("<DistinctParties>"),
        text.index("</DistinctParties>"),
    )
    parties = text[start:end]
    copies = [re.sub(r'(Profile ID|FixedRef)="(\d+)"', lambda m, k=k: f'{m[1]}="{k}{m[2]}"',
                     parties) for k in range(1, times + 1)]  # fmt: skip
    target = folder / f"CONS_ADVANCED_x{times}.XML"
    target.write_text(text[:start] + "".join(copies) + text[end:], "utf-8")
    return target


def main() -> None:
    if not US.is_dir():
        sys.exit(f"real snapshots not found at {DATA} (set SANCTIONS_REAL_DATA)")
    baseline = run("csv_bare", {})["peak_mb"]
    csv_set = US / "csv_2021-07-07"
    cases = [
        ("SDN.CSV 2024-05-03", "csv", {"SDN.CSV": US / "sdn_history/SDN_2024-05-03.CSV"}),
        ("CSV set 2021-07-07", "csv", {n: csv_set / n for n in ("SDN.CSV", "ALT.CSV", "ADD.CSV")}),
    ]
    xml = US / "advanced_xml/CONS_ADVANCED_2020-03-17.XML"
    with tempfile.TemporaryDirectory() as tmp:
        cases.append(("CONS_ADVANCED 2020-03-17", "xml", {"CONS_ADVANCED.XML": xml}))
        for times in (4, 16):
            bigger = repeated_parties(xml, times, Path(tmp))
            cases.append((f"CONS_ADVANCED x{times} parties", "xml", {"CONS_ADVANCED.XML": bigger}))
        header = (f"{'file':<28}{'MB':>7}{'records':>9}{'parse s':>9}{'bare s':>8}{'x bare':>8}"
                  f"{'rec/s':>9}{'MB/s':>7}{'peak MB':>9}{'bare peak':>10}")  # fmt: skip
        print(f"interpreter + imports baseline: {baseline:.0f} MB peak RSS\n{header}")
        print("-" * len(header))
        for label, family, files in cases:
            size = sum(path.stat().st_size for path in files.values()) / 1e6
            parsed = run(f"{family}_parse", files)
            bare = run(f"{family}_bare", files)
            print(
                f"{label:<28}{size:>7.1f}{parsed['records']:>9,}{parsed['seconds']:>9.2f}"
                f"{bare['seconds']:>8.2f}{parsed['seconds'] / bare['seconds']:>8.1f}"
                f"{parsed['records'] / parsed['seconds']:>9,.0f}{size / parsed['seconds']:>7.1f}"
                f"{parsed['peak_mb']:>9.0f}{bare['peak_mb']:>10.0f}"
            )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        print(json.dumps(measure(sys.argv[2], json.loads(sys.argv[3]))))
    else:
        main()
