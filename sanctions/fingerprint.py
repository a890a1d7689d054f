"""The input fingerprint: one digest per input of the derived tables, kept in the warehouse.

Matching, the marts, the published copy and the alerts are functions of their inputs: every
source's snapshot sequence and history, the taxonomy and every reference CSV in use, the
analysts' judgements and annotations (an absent file is an input too), and the code of the
parsers, the matcher and the marts. They run again exactly when one of these differs from the
fingerprint the last complete derivation recorded in `meta.derivations`, whatever started the
run; nothing is read from Dagster's instance, so two data directories never share a decision.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from sanctions import alignment, clusters, matching, model
from sanctions.parsers import PARSERS, common
from sanctions.sources import SOURCES
from schemas import SCHEMA_FILES

PACKAGE_ROOT = Path(__file__).resolve().parent
ABSENT = "absent"
# A derivation is complete once the published copy is written and its alerts are built.
PUBLISHED, ALERTED = "published_at", "alerted_at"


def code_version(*modules: ModuleType) -> str:
    """A hash of the modules' source: changes exactly when their code does, no number to bump.
    A module built at run time (no source file) is hashed by its functions' byte code."""
    digest = hashlib.sha256()
    for module in modules:
        try:
            digest.update(inspect.getsource(module).encode())
        except (OSError, TypeError):
            for name, value in sorted(vars(module).items()):
                if inspect.isfunction(value):
                    digest.update(name.encode() + value.__code__.co_code)
    return digest.hexdigest()[:12]


MATCHER_CODE_VERSION = f"{matching.MATCHER_VERSION}-{code_version(matching, clusters)}"


def _sql_files() -> list[Path]:
    """Every SQL file the derivations may render: the DDL in schemas/ and any SQL (or SQL
    template) kept in the package, so a mart moved into a file of its own stays covered."""
    schemas = Path(str(SCHEMA_FILES))
    found = [*schemas.rglob("*.sql*"), *PACKAGE_ROOT.rglob("*.sql*")]
    return sorted(set(found))


def marts_code_version() -> str:
    digest = hashlib.sha256(code_version(alignment).encode())
    for path in _sql_files():
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def parsers_code_version() -> str:
    return code_version(*{id(p): p for p in PARSERS.values()}.values(), common, model)


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes, or `absent`: a file that disappears is a change too."""
    path = Path(path)
    if not path.is_file():
        return ABSENT
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _query_digest(con, sql: str, params: list | None = None) -> str:
    """An order-independent digest of a query's rows (count and sum of row hashes)."""
    count, total = con.execute(
        f"SELECT count(*), coalesce(sum(hash(q)::HUGEINT), 0)::VARCHAR FROM ({sql}) q",
        params or [],
    ).fetchall()[0]
    return hashlib.sha256(f"{count}:{total}".encode()).hexdigest()


def inputs(con, reference_files: Mapping[str, Path], annotations: Path) -> dict[str, str]:
    """Every input of the derived tables as name -> digest. `reference_files` are the taxonomy
    and the reference CSVs in use (settings name them); `annotations` the analysts' CSV."""
    found: dict[str, str] = {}
    for source_id in SOURCES:
        found[f"snapshots/{source_id}"] = hashlib.sha256(
            "\n".join(
                str(row)
                for row in con.execute(
                    """SELECT 'core', snapshot_id FROM (SELECT snapshot_id FROM core.snapshots
                           WHERE source_id = $source ORDER BY loaded_at DESC LIMIT 1)
                       UNION ALL
                       SELECT * FROM (SELECT snapshot_id, as_of::VARCHAR FROM history.snapshots
                                      WHERE source_id = $source ORDER BY as_of, seq)""",
                    {"source": source_id},
                ).fetchall()
            ).encode()
        ).hexdigest()
        found[f"history/{source_id}"] = hashlib.sha256(
            (
                _query_digest(con, "FROM history.events WHERE source_id = ?", [source_id])
                + _query_digest(
                    con, "FROM history.record_versions WHERE source_id = ?", [source_id]
                )
            ).encode()
        ).hexdigest()
    found.update(outside_inputs(con, reference_files, annotations))
    found["code/parsers"] = parsers_code_version()
    found["code/matcher"] = MATCHER_CODE_VERSION
    found["code/marts"] = marts_code_version()
    return found


def outside_inputs(con, reference_files: Mapping[str, Path], annotations: Path) -> dict[str, str]:
    """The inputs that change without any refresh (an analyst edits them): the reference CSVs,
    the judgements and the annotations. Cheap enough for a sensor to read every minute."""
    found = {
        f"reference/{name}": file_digest(path) for name, path in sorted(reference_files.items())
    }
    found["judgements"] = _query_digest(con, "FROM matching.judgements")
    found["annotations"] = file_digest(annotations)
    return found


def digest(found: Mapping[str, str], leave_out: tuple[str, ...] = ()) -> str:
    """One digest over the inputs, less those named in `leave_out` (a Dagster data version)."""
    kept = {name: value for name, value in found.items() if name not in leave_out}
    return hashlib.sha256(json.dumps(kept, sort_keys=True).encode()).hexdigest()[:16]


def source_digest(found: Mapping[str, str], source_id: str) -> str:
    """The data version of core/<source>: its own snapshots and history and every shared
    input, but not the other sources' (which would re-version it whenever they load)."""
    others = tuple(
        f"{kind}/{other}"
        for other in SOURCES
        if other != source_id
        for kind in ("snapshots", "history")
    )
    return digest(found, others)


def last_derived(con) -> dict[str, str] | None:
    """The inputs of the last complete derivation, None when none completed."""
    row = con.execute(
        """SELECT inputs FROM meta.derivations
           WHERE published_at IS NOT NULL AND alerted_at IS NOT NULL
           ORDER BY started_at DESC LIMIT 1"""
    ).fetchall()
    return json.loads(row[0][0]) if row else None


def changes(current: Mapping[str, str], previous: Mapping[str, str] | None) -> list[str]:
    """The inputs that differ from the last complete derivation: ["never derived"] when there
    was none, [] when nothing downstream would change."""
    if previous is None:
        return ["never derived"]
    names = sorted(set(current) | set(previous))
    return [name for name in names if current.get(name) != previous.get(name)]


def describe(changed: list[str]) -> str:
    """The run summary's line: why the downstream tables are derived again."""
    if changed == ["never derived"]:
        return "never derived"
    return "inputs changed: " + ", ".join(changed)


def start(con, run_id: str, found: Mapping[str, str], changed: list[str]) -> None:
    """Record a derivation as started with the inputs it reads (before it reads them)."""
    now = datetime.now(UTC)
    con.execute(
        """INSERT INTO meta.derivations (run_id, fingerprint, inputs, changed, started_at)
           VALUES (?, ?, ?, ?, ?)""",
        [run_id, digest(found), json.dumps(dict(found), sort_keys=True), changed, now],
    )


def advance(con, run_id: str, step: str) -> None:
    """Mark the run's derivation as published or alerted (PUBLISHED, ALERTED); nothing when
    the run did not derive (an asset launched alone)."""
    if step not in (PUBLISHED, ALERTED):
        raise ValueError(f"unknown derivation step {step!r}")
    con.execute(
        f"UPDATE meta.derivations SET {step} = ? WHERE run_id = ?", [datetime.now(UTC), run_id]
    )
