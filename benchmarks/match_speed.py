"""Matching speed and memory on the four real snapshots, on a synthetic corpus 10x their size,
and beside brute-force all-pairs rapidfuzz on the same names.

    python benchmarks/match_speed.py        (or: make bench-match)

Each measurement runs in its own subprocess so that peak RSS (VmHWM) is its own.
"""

import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from benchmarks.common import real_data  # noqa: E402
from benchmarks.match_quality import load  # noqa: E402

DATA = real_data()
SNAPSHOTS = {
    "us_ofac": {"SDN.CSV": DATA / "us_ofac/sdn_history/SDN_2024-05-03.CSV"},
    "uk_fcdo": {"ConList.csv": DATA / "uk/ConList_2025-04-10.csv"},
    "ca_sema": {"sema-lmes.xml": DATA / "ca/sema-lmes_2020-04-15.xml"},
    "eu_fsf": {"fsf.xml": DATA / "eu/fsf_2026-08-05_excerpt.xml"},
}
RECORD_TABLES = (
    "records",
    "names",
    "programmes",
    "identifiers",
    "birth_dates",
    "countries",
    "addresses",
    "attributes",
)


def synthesise(path: Path, copies: int) -> None:
    """Add `copies` clones of every record, with perturbed names, dates and identifiers:
    a doubled vowel, a dropped last letter or an a spelt e; dates shifted by days;
    identifiers with a digit appended."""
    from sanctions import warehouse

    with warehouse.connect(path) as con:
        for table in RECORD_TABLES:
            replace = ["record_id || '~' || k AS record_id"]
            if table == "records":
                replace.append("source_key || '~' || k AS source_key")
            if table == "names":
                replace.append(
                    """CASE k % 3
                         WHEN 0 THEN regexp_replace(name, '([aeiouAEIOU])', '\\1\\1')
                         WHEN 1 THEN left(name, length(name) - 1)
                         ELSE regexp_replace(name, '[aA]', 'e')
                       END AS name"""
                )
            if table == "birth_dates":
                replace += ["earliest + k::INTEGER AS earliest", "latest + k::INTEGER AS latest"]
            if table == "identifiers":
                replace.append("value || (k % 10)::VARCHAR AS value")
            con.execute(
                f"""INSERT INTO core.{table}
                    SELECT * EXCLUDE (k) REPLACE ({", ".join(replace)})
                    FROM (SELECT * FROM core.{table}), range(1, {copies} + 1) AS r(k)"""
            )


def measure(mode: str, path: str) -> dict:
    """Run in the subprocess: time one matching run (or the brute-force comparison)."""
    from rapidfuzz import fuzz
    from rapidfuzz.process import cdist

    from sanctions import clusters, matching, warehouse
    from sanctions.normalise import normalise_name

    started = time.perf_counter()
    with warehouse.connect(Path(path)) as con:
        if mode == "match":
            stats = matching.match(con)
            clusters.write_clusters(con)
            result = {
                "records": stats.records,
                "candidates": stats.candidates,
                "name_pairs": stats.name_pairs,
            }
        else:
            names = sorted(
                {
                    normalise_name(name, entity_type).text
                    for name, entity_type in con.execute(
                        """SELECT n.name, r.entity_type
                           FROM core.names n JOIN core.records r USING (record_id)"""
                    ).fetchall()
                }
                - {""}
            )
            for start in range(0, len(names), 2000):
                cdist(
                    names[start : start + 2000],
                    names,
                    scorer=fuzz.token_sort_ratio,
                    dtype="uint8",
                    workers=-1,
                )
            result = {"names": len(names), "name_pairs": len(names) ** 2}
    result["seconds"] = time.perf_counter() - started
    status = Path("/proc/self/status").read_text()
    result["peak_mb"] = int(re.search(r"VmHWM:\s+(\d+)", status)[1]) / 1024
    return result


def run(mode: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--one", mode, str(path)],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    return json.loads(out.stdout)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        real = load(Path(tmp) / "real", SNAPSHOTS)
        bigger = load(Path(tmp) / "x10", SNAPSHOTS)
        synthesise(bigger, copies=9)
        rows = [
            ("four real snapshots", run("match", real)),
            ("brute force, same names", run("brute", real)),
            ("synthetic 10x corpus", run("match", bigger)),
        ]
    print(
        f"{'run':<26}{'records':>9}{'names':>8}{'candidates':>12}{'name pairs':>15}"
        f"{'seconds':>9}{'peak MB':>9}"
    )
    for label, result in rows:
        print(
            f"{label:<26}{result.get('records', ''):>9}{result.get('names', ''):>8}"
            f"{result.get('candidates', ''):>12}{result['name_pairs']:>15,}"
            f"{result['seconds']:>9.1f}{result['peak_mb']:>9.0f}"
        )
    base, brute, large = (result["seconds"] for _, result in rows)
    print(f"brute force / matcher: {brute / base:.1f}x; 10x corpus / real: {large / base:.1f}x")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        print(json.dumps(measure(sys.argv[2], sys.argv[3])))
    else:
        main()
