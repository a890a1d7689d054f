"""Assertions on a staged snapshot, run before it may replace what core holds.

`evaluate` runs every check on the staged snapshot and `record_results` keeps the outcomes in
core.check_results: the publish gate (sanctions.refresh.publish_source) refuses a snapshot
unless every blocking check passed on that very snapshot, whatever launched the publish (a
Dagster job, one asset from the UI, a replay, a script). The Dagster checks show the same
outcomes in the UI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

from sanctions.warehouse import latest_snapshot, loaded_snapshot, staged_snapshot_id

MIN_FILL_RATE = 0.99
MIN_COUNT_RATIO = 0.8
MAX_UNCLASSIFIED_SHARE = 0.5  # more records than this under unknown regimes: a format change
UNCLASSIFIED = "-UNCLASSIFIED-"


@dataclass(frozen=True)
class Outcome:
    passed: bool
    summary: str
    metadata: dict = field(default_factory=dict)


def staged_count(con, source_id: str) -> int:
    return con.execute(
        "SELECT count(*) FROM staging.records WHERE source_id = ?", [source_id]
    ).fetchall()[0][0]


def snapshot_parsed(con, source_id: str, expected: str | None = None) -> Outcome:
    """The snapshot staged is the one expected (by default the one fetched last), and it
    yielded records."""
    if expected is None:
        fetched = latest_snapshot(con, source_id)
        expected = fetched.snapshot_id if fetched else None
    staged = staged_snapshot_id(con, source_id)
    count = staged_count(con, source_id)
    passed = expected is not None and staged == expected and count > 0
    return Outcome(
        passed,
        f"staged snapshot {staged} has {count:,} records"
        if passed
        else f"staged snapshot {staged} is not the expected one ({expected}) or is empty",
        {"staged_snapshot": staged, "expected_snapshot": expected},
    )


def count_in_bounds(con, source_id: str, minimum: int, maximum: int) -> Outcome:
    count = staged_count(con, source_id)
    return Outcome(
        minimum <= count <= maximum,
        f"{count:,} records; expected between {minimum:,} and {maximum:,}",
        {"records": count, "min_records": minimum, "max_records": maximum},
    )


def count_not_dropped(
    con, source_id: str, previous: int | None = None, min_ratio: float = MIN_COUNT_RATIO
) -> Outcome:
    """A sudden fall in the record count means a broken file far more often than mass delisting.
    Compared with what core holds, or with `previous` (a backfill compares with the snapshot
    before it; 0 when there is none)."""
    count = staged_count(con, source_id)
    if previous is None:
        loaded = loaded_snapshot(con, source_id)
        previous = loaded[1] if loaded else None
    if not previous:
        return Outcome(True, f"{count:,} records; first load, nothing to compare", {})
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


def _unclassified(con, source_id: str) -> tuple[int, list[tuple[str, int]]]:
    """Records whose every programme is unclassified, and each unclassified string's count."""
    strings = con.execute(
        f"""SELECT programme_raw, count(DISTINCT record_id) FROM staging.programmes
            WHERE source_id = ? AND programme_key LIKE '%{UNCLASSIFIED}%'
            GROUP BY 1 ORDER BY 2 DESC, 1""",
        [source_id],
    ).fetchall()
    only = con.execute(
        f"""SELECT count(*) FROM (SELECT record_id FROM staging.programmes WHERE source_id = ?
            GROUP BY record_id HAVING bool_and(programme_key LIKE '%{UNCLASSIFIED}%'))""",
        [source_id],
    ).fetchall()[0][0]
    return only, strings


def _listing(strings: list[tuple[str, int]]) -> str:
    return "; ".join(f"{text!r} ({count} records)" for text, count in strings)


def programmes_classified(con, source_id: str) -> Outcome:
    """A regime string missing from the taxonomy is published under an UNCLASSIFIED key (in no
    Magnitsky-style scope) and reported here, so a new regime never freezes the source."""
    _, strings = _unclassified(con, source_id)
    return Outcome(
        not strings,
        "every programme string is classified in schemas/programmes.csv"
        if not strings
        else "published under UNCLASSIFIED keys until a row is added to schemas/programmes.csv: "
        + _listing(strings),
        {"unclassified_programmes": {text: count for text, count in strings}},
    )


def programmes_mostly_classified(
    con, source_id: str, max_share: float = MAX_UNCLASSIFIED_SHARE
) -> Outcome:
    """Unknown regimes on most records mean the file changed format, not that regimes were
    added: refuse it, naming the strings."""
    only, strings = _unclassified(con, source_id)
    total = staged_count(con, source_id)
    share = only / total if total else 0.0
    return Outcome(
        share <= max_share,
        f"{only:,} of {total:,} records ({share:.1%}) have only unclassified programmes "
        f"(maximum {max_share:.0%})" + (f": {_listing(strings[:20])}" if strings else ""),
        {"records_only_unclassified": only, "share": round(share, 4)},
    )


UNREAD = "unread_value"  # sanctions.parsers.common.UNREAD, the parsers' unknown values


def unread_values(con, source_id: str) -> Outcome:
    """Values, columns and elements no table of the parser knows (a new value, a renamed
    column): named with the number of records carrying each. They publish (the record keeps
    `unknown` where the field allows it); a file where they dominate is refused while parsing."""
    found = con.execute(
        """SELECT value, count(DISTINCT record_id) FROM staging.attributes
           WHERE source_id = ? AND attribute = ? GROUP BY 1 ORDER BY 2 DESC, 1""",
        [source_id, UNREAD],
    ).fetchall()
    return Outcome(
        not found,
        "every enumerated value, column and element was read through the parser's tables"
        if not found
        else "not read, add them to the parser's tables: " + _listing(found[:20]),
        {"unread_values": {text: count for text, count in found}},
    )


# ------------------------------------------------------------------------------------ coverage

MIN_COVERAGE_RATIO = 0.5  # a field on less than half its share of the last published snapshot
MIN_FIELD_RECORDS = 25  # fields held by fewer published records are too small to compare
FLOOR_MIN_RECORDS = 100  # a first load of fewer records (a partial file) says nothing of shares
# Fields whose drop blocks the snapshot: identifiers and entity types decide matches.
BLOCKING_FIELDS = ("identifier ", "entity type ")


class Coverage(NamedTuple):
    records: int
    fields: dict[str, int]  # field -> records holding it
    format: str | None  # columns and elements compare only within one format


FIRST_LOAD = Coverage(0, {}, None)
PARSER_FIELDS = ("column ", "element ")  # counted by the parser, named as the file names them


def coverage(con, schema: str, source_id: str) -> Coverage:
    """(records, {field: records holding it}) of the source's rows in `schema` (staging or
    core). Fields are found, not listed: every entity type, identifier type, country relation
    and attribute, plus birth dates, aliases, weak aliases, addresses, listing dates, titles,
    genders and remarks, and every published column or record element the parser counted, so
    that a renamed or vanished column shows as a field that drops, by its name."""
    of = f"FROM {schema}.{{}} WHERE source_id = $source"
    rows = con.execute(
        f"""SELECT 'entity type ' || entity_type, count(*) {of.format("records")} GROUP BY 1
            UNION ALL SELECT 'identifier ' || id_type, count(DISTINCT record_id)
                {of.format("identifiers")} GROUP BY 1
            UNION ALL SELECT 'countries (' || relation || ')', count(DISTINCT record_id)
                {of.format("countries")} GROUP BY 1
            UNION ALL SELECT 'attribute ' || attribute, count(DISTINCT record_id)
                {of.format("attributes")} AND attribute <> '{UNREAD}' GROUP BY 1
            UNION ALL SELECT 'birth dates', count(DISTINCT record_id) {of.format("birth_dates")}
            UNION ALL SELECT 'aliases', count(DISTINCT record_id) {of.format("names")}
                AND kind <> 'primary'
            UNION ALL SELECT 'weak aliases', count(DISTINCT record_id) {of.format("names")}
                AND is_weak
            UNION ALL SELECT 'addresses', count(DISTINCT record_id) {of.format("addresses")}
            UNION ALL SELECT 'listing dates', count(DISTINCT record_id) {of.format("programmes")}
                AND listed_on IS NOT NULL
            UNION ALL SELECT 'titles', count(title) {of.format("records")}
            UNION ALL SELECT 'genders', count(gender) {of.format("records")}
            UNION ALL SELECT 'remarks', count(remarks) {of.format("records")}""",
        {"source": source_id},
    ).fetchall()
    # The parser's count of records carrying each published column or element: staging's
    # snapshot, or the snapshot core holds now.
    snapshot = con.execute(
        f"""SELECT format, field_counts FROM {schema}.snapshots WHERE source_id = $source
            ORDER BY {"loaded_at" if schema == "core" else "parsed_at"} DESC LIMIT 1""",
        {"source": source_id},
    ).fetchall()
    fmt, counted = snapshot[0] if snapshot else (None, None)
    total = con.execute(
        f"SELECT count(*) {of.format('records')}", {"source": source_id}
    ).fetchall()[0][0]
    fields = {field: count for field, count in rows if count}
    return Coverage(total, fields | dict(counted or {}), fmt)


def coverage_kept(
    con,
    source_id: str,
    blocking: bool,
    floors: dict[str, float],
    previous: Coverage | None = None,
) -> Outcome:
    """Each field's share of records against the last published snapshot of the source (or
    `previous`, a backfill's snapshot before): a drop by more than half fails, naming the
    field. On a first load each field the registry gives a floor must reach it. `blocking`
    selects the identifier and entity-type fields, else the others."""
    now_staged = coverage(con, "staging", source_id)
    total, staged = now_staged.records, now_staged.fields
    if previous is None:
        loaded = loaded_snapshot(con, source_id)
        previous = coverage(con, "core", source_id) if loaded else FIRST_LOAD
    previous_total, published = previous.records, previous.fields
    if previous.format != now_staged.format:  # a new format names its columns its own way
        published = {f: n for f, n in published.items() if not f.startswith(PARSER_FIELDS)}

    def selected(field: str) -> bool:
        return field.startswith(BLOCKING_FIELDS) == blocking

    def share(count: int, of: int) -> float:
        return count / of if of else 0.0

    failures = []
    if previous_total:
        for field, count in sorted(published.items()):
            was, now = share(count, previous_total), share(staged.get(field, 0), total)
            if selected(field) and count >= MIN_FIELD_RECORDS and now < was * MIN_COVERAGE_RATIO:
                failures.append(f"{field} on {now:.1%} of records, {was:.1%} published")
        against = f"against the {previous_total:,} records published"
    elif total < FLOOR_MIN_RECORDS:
        return Outcome(True, f"first load of {total:,} records: too few to judge coverage", {})
    else:
        for field, floor in sorted(floors.items()):
            now = share(staged.get(field, 0), total)
            if selected(field) and now < floor:
                failures.append(f"{field} on {now:.1%} of records, floor {floor:.0%}")
        against = "first load, against the registry's floors"
    kind = "identifier and entity-type" if blocking else "field"
    return Outcome(
        not failures,
        f"{kind} coverage kept ({against})"
        if not failures
        else f"{kind} coverage dropped ({against}; a renamed or removed column?): "
        + "; ".join(failures),
        {
            "coverage": {field: round(share(count, total), 4) for field, count in staged.items()},
            "dropped": failures,
        },
    )


@dataclass(frozen=True)
class Context:
    """What a check compares the staged snapshot with."""

    source_id: str
    bounds: tuple[int, int]
    previous_count: int | None = None  # None: the count core holds
    expected_snapshot: str | None = None  # None: the latest fetch
    previous_coverage: Coverage | None = None  # of the snapshot before; None: what core holds

    @property
    def floors(self) -> dict[str, float]:
        from sanctions.sources import SOURCES

        source = SOURCES.get(self.source_id)
        return dict(source.coverage_floors) if source else {}


@dataclass(frozen=True)
class Check:
    name: str
    description: str
    blocking: bool
    run: Callable[..., Outcome]  # (con, Context) -> Outcome


CHECKS = (
    Check(
        "snapshot_parsed",
        "The fetched snapshot parsed and yielded records.",
        True,
        lambda con, c: snapshot_parsed(con, c.source_id, c.expected_snapshot),
    ),
    Check(
        "record_count_in_bounds",
        "The record count is within the configured bounds.",
        True,
        lambda con, c: count_in_bounds(con, c.source_id, *c.bounds),
    ),
    Check(
        "record_count_not_dropped",
        "At least 80% as many records as the published snapshot.",
        True,
        lambda con, c: count_not_dropped(con, c.source_id, c.previous_count),
    ),
    Check(
        "names_and_programmes_filled",
        "At least 99% of records have a name and a programme.",
        True,
        lambda con, c: names_and_programmes_filled(con, c.source_id),
    ),
    Check(
        "record_ids_unique",
        "No record id appears twice.",
        True,
        lambda con, c: record_ids_unique(con, c.source_id),
    ),
    Check(
        "programmes_mostly_classified",
        "At most half of the records are listed only under regimes the taxonomy lacks.",
        True,
        lambda con, c: programmes_mostly_classified(con, c.source_id),
    ),
    Check(
        "coverage_kept",
        "No identifier type or entity type fell to less than half its share of the published "
        "snapshot (on a first load: each reaches the registry's floor).",
        True,
        lambda con, c: coverage_kept(con, c.source_id, True, c.floors, c.previous_coverage),
    ),
    Check(
        "field_coverage_kept",
        "No other field (birth dates, aliases, weak aliases, countries, listing dates, "
        "attributes, ...) fell to less than half its share (a warning).",
        False,
        lambda con, c: coverage_kept(con, c.source_id, False, c.floors, c.previous_coverage),
    ),
    Check(
        "values_read",
        "Every enumerated value, column and element is in the parser's tables (a warning: "
        "unknown ones publish as unknown, named here with their record counts).",
        False,
        lambda con, c: unread_values(con, c.source_id),
    ),
    Check(
        "programmes_classified",
        "Every programme string is in the taxonomy (a warning: unknown ones still publish).",
        False,
        lambda con, c: programmes_classified(con, c.source_id),
    ),
)


@dataclass(frozen=True)
class CheckResult:
    check: Check
    outcome: Outcome

    @property
    def blocks(self) -> bool:
        return self.check.blocking and not self.outcome.passed


def evaluate(con, context: Context) -> list[CheckResult]:
    """Every check on the source's staged snapshot."""
    return [CheckResult(check, check.run(con, context)) for check in CHECKS]


def record_results(con, source_id: str, snapshot_id: str, results: list[CheckResult]) -> None:
    """Keep the outcomes, so that what was checked and what was published can be compared."""
    checked_at = datetime.now(UTC)
    con.executemany(
        "INSERT INTO core.check_results VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                source_id,
                snapshot_id,
                result.check.name,
                result.check.blocking,
                result.outcome.passed,
                result.outcome.summary,
                checked_at,
            )
            for result in results
        ],
    )
