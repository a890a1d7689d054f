"""Assertions on a staged snapshot, run before it may replace what core holds.

Each returns an `Outcome`; the Dagster layer turns them into blocking asset checks, so a failed
assertion stops the publish step and the previously published rows stay in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sanctions.warehouse import latest_snapshot, loaded_snapshot, staged_snapshot_id

MIN_FILL_RATE = 0.99
MIN_COUNT_RATIO = 0.8


@dataclass(frozen=True)
class Outcome:
    passed: bool
    summary: str
    metadata: dict = field(default_factory=dict)


def staged_count(con, source_id: str) -> int:
    return con.execute(
        "SELECT count(*) FROM staging.records WHERE source_id = ?", [source_id]
    ).fetchall()[0][0]


def snapshot_parsed(con, source_id: str) -> Outcome:
    """The snapshot fetched last is the one staged, and it yielded records."""
    fetched = latest_snapshot(con, source_id)
    staged = staged_snapshot_id(con, source_id)
    count = staged_count(con, source_id)
    passed = fetched is not None and staged == fetched.snapshot_id and count > 0
    return Outcome(
        passed,
        f"staged snapshot {staged} has {count:,} records"
        if passed
        else f"staged snapshot {staged} is not the fetched one or is empty",
        {"staged_snapshot": staged, "fetched_snapshot": fetched.snapshot_id if fetched else None},
    )


def count_in_bounds(con, source_id: str, minimum: int, maximum: int) -> Outcome:
    count = staged_count(con, source_id)
    return Outcome(
        minimum <= count <= maximum,
        f"{count:,} records; expected between {minimum:,} and {maximum:,}",
        {"records": count, "min_records": minimum, "max_records": maximum},
    )


def count_not_dropped(con, source_id: str, min_ratio: float = MIN_COUNT_RATIO) -> Outcome:
    """A sudden fall in the record count means a broken file far more often than mass delisting."""
    count = staged_count(con, source_id)
    loaded = loaded_snapshot(con, source_id)
    if loaded is None:
        return Outcome(True, f"{count:,} records; first load, nothing to compare", {})
    previous = loaded[1]
    ratio = count / previous if previous else 1.0
    return Outcome(
        ratio >= min_ratio,
        f"{count:,} records against {previous:,} published ({ratio:.1%}; minimum {min_ratio:.0%})",
        {"records": count, "previous_records": previous, "ratio": round(ratio, 4)},
    )


def names_and_programmes_filled(con, source_id: str, min_rate: float = MIN_FILL_RATE) -> Outcome:
    total, with_name, with_programme = con.execute(
        """SELECT count(*),
                  count(*) FILTER (WHERE r.name IS NOT NULL),
                  count(*) FILTER (WHERE EXISTS (SELECT 1 FROM staging.programmes p
                                                 WHERE p.record_id = r.record_id
                                                   AND p.source_id = r.source_id))
           FROM staging.records r WHERE r.source_id = ?""",
        [source_id],
    ).fetchall()[0]
    name_rate = with_name / total if total else 0.0
    programme_rate = with_programme / total if total else 0.0
    return Outcome(
        name_rate >= min_rate and programme_rate >= min_rate,
        f"names on {name_rate:.2%} of records, programmes on {programme_rate:.2%} "
        f"(minimum {min_rate:.0%})",
        {"name_fill_rate": round(name_rate, 4), "programme_fill_rate": round(programme_rate, 4)},
    )


def record_ids_unique(con, source_id: str) -> Outcome:
    duplicates = con.execute(
        """SELECT record_id, count(*) FROM staging.records WHERE source_id = ?
           GROUP BY record_id HAVING count(*) > 1 ORDER BY 2 DESC LIMIT 10""",
        [source_id],
    ).fetchall()
    return Outcome(
        not duplicates,
        "record ids are unique" if not duplicates else f"duplicate record ids: {duplicates}",
        {"duplicate_examples": [record_id for record_id, _ in duplicates]},
    )


def programmes_known(con, source_id: str) -> Outcome:
    """Every programme tag must be in the taxonomy: a new tag needs a decision on its category."""
    unknown = con.execute(
        """SELECT programme_raw, count(DISTINCT record_id) FROM staging.programmes
           WHERE source_id = ? AND programme_key IS NULL GROUP BY 1 ORDER BY 2 DESC""",
        [source_id],
    ).fetchall()
    return Outcome(
        not unknown,
        "every programme tag is in schemas/programmes.csv"
        if not unknown
        else "programme tags missing from schemas/programmes.csv: "
        + ", ".join(f"{tag} ({count} records)" for tag, count in unknown),
        {"unknown_programmes": [tag for tag, _ in unknown]},
    )
