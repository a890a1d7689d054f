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

from sanctions import companions
from sanctions.sources import bound_setting
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
    within = minimum <= count <= maximum
    setting = bound_setting(source_id, "MIN" if count < minimum else "MAX")
    return Outcome(
        within,
        f"{count:,} records; expected between {minimum:,} and {maximum:,}"
        + ("" if within else f" ({setting} changes the bound)"),
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


def listings_within_regime_dates(con, source_id: str) -> Outcome:
    """A listing dated before its regime began (ref.programme_dates) is dated by another
    listing (e.g. the first one under an older regime): name them, so the date is fixed at
    the source rather than counted in a regime that did not exist yet."""
    early = con.execute(
        """SELECT p.record_id, p.programme_key, coalesce(p.listed_on, r.listed_on), d.began
           FROM staging.programmes p JOIN staging.records r USING (source_id, record_id)
           JOIN ref.programme_dates d USING (programme_key)
           WHERE p.source_id = ? AND coalesce(p.listed_on, r.listed_on) < d.began
           ORDER BY 1, 2""",
        [source_id],
    ).fetchall()
    examples = "; ".join(f"{r} {k} dated {on} (began {began})" for r, k, on, began in early[:20])
    return Outcome(
        not early,
        "no listing is dated before its regime began"
        if not early
        else f"{len(early):,} listings dated before their regime began: {examples}",
        {"listings_before_regime": len(early)},
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
    fields: dict[str, tuple[int, float]]  # field -> (records holding it, share of records)
    format: str | None  # columns and elements compare only within one format


FIRST_LOAD = Coverage(0, {}, None)
PARSER_FIELDS = ("column ", "element ")  # counted by the parser, named as the file names them


def _record_fields(schema: str) -> str:
    """(record_id, field) of every field a record of the source holds in `schema`. Fields are
    found, not listed: every entity type, identifier type, country relation and attribute, plus
    birth dates, aliases, weak aliases, addresses, listing dates, titles, genders, remarks."""
    of = f"FROM {schema}.{{}} WHERE source_id = $source"
    return f"""
        SELECT record_id, 'entity type ' || entity_type AS field {of.format("records")}
        UNION SELECT record_id, 'identifier ' || id_type {of.format("identifiers")}
        UNION SELECT record_id, 'countries (' || relation || ')' {of.format("countries")}
        UNION SELECT record_id, 'attribute ' || attribute {of.format("attributes")}
            AND attribute <> '{UNREAD}'
        UNION SELECT record_id, 'birth dates' {of.format("birth_dates")}
        UNION SELECT record_id, 'aliases' {of.format("names")} AND kind <> 'primary'
        UNION SELECT record_id, 'weak aliases' {of.format("names")} AND is_weak
        UNION SELECT record_id, 'addresses' {of.format("addresses")}
        UNION SELECT record_id, 'listing dates' {of.format("programmes")} AND listed_on IS NOT NULL
        UNION SELECT record_id, 'titles' {of.format("records")} AND title IS NOT NULL
        UNION SELECT record_id, 'genders' {of.format("records")} AND gender IS NOT NULL
        UNION SELECT record_id, 'remarks' {of.format("records")} AND remarks IS NOT NULL"""


def coverage(con, schema: str, source_id: str, among: str | None = None) -> Coverage:
    """The source's fields in `schema` (staging or core) and the share of records holding each.
    With `among` (the other schema), record fields are counted over the records both hold, so
    that delistings and new listings do not move them: a field the kept records lose is a
    column that vanished. The parser's counts of the file's columns and elements come from the
    snapshot, as shares of all its records."""
    scope = (
        f"AND record_id IN (SELECT record_id FROM {among}.records WHERE source_id = $source)"
        if among
        else ""
    )
    params = {"source": source_id}
    records = con.execute(
        f"SELECT count(*) FROM {schema}.records WHERE source_id = $source {scope}", params
    ).fetchall()[0][0]
    found = con.execute(
        f"""SELECT field, count(*) FROM ({_record_fields(schema)})
            WHERE true {scope} GROUP BY 1""",
        params,
    ).fetchall()
    fields = {name: (count, count / records) for name, count in found if records}
    snapshot = con.execute(
        f"""SELECT format, field_counts, record_count FROM {schema}.snapshots
            WHERE source_id = $source
            ORDER BY {"loaded_at" if schema == "core" else "parsed_at"} DESC LIMIT 1""",
        params,
    ).fetchall()
    fmt, counted, total = snapshot[0] if snapshot else (None, None, 0)
    for name, count in (counted or {}).items():
        fields[name] = (count, count / total if total else 0.0)
    return Coverage(records, fields, fmt)


def coverage_kept(
    con,
    source_id: str,
    blocking: bool,
    floors: dict[str, float],
    first_load: bool | None = None,
) -> Outcome:
    """Each field's share of records against the last published snapshot of the source, over
    the records both hold: a drop by more than half fails, naming the field. On a first load
    (nothing published, or `first_load`, as a backfill judges each older file) each field the
    registry gives a floor must reach it. `blocking` selects the identifier and entity-type
    fields, else the others."""
    if first_load is None:
        first_load = loaded_snapshot(con, source_id) is None
    if first_load:
        now_staged, previous = coverage(con, "staging", source_id), FIRST_LOAD
    else:
        now_staged = coverage(con, "staging", source_id, among="core")
        previous = coverage(con, "core", source_id, among="staging")
    staged, published = now_staged.fields, previous.fields
    if previous.format != now_staged.format:  # a new format names its columns its own way
        published = {f: n for f, n in published.items() if not f.startswith(PARSER_FIELDS)}

    (absent,) = con.execute(
        """SELECT coalesce(any_value(absent_files), []) FROM staging.snapshots
           WHERE source_id = ?""",
        [source_id],
    ).fetchone()
    unknown = {field: file for file in absent for field in companions.COVERAGE_FIELDS.get(file, ())}

    def selected(name: str) -> bool:
        return name.startswith(BLOCKING_FIELDS) == blocking and name not in unknown

    failures = []
    if previous.records:
        for name, (count, was) in sorted(published.items()):
            now = staged.get(name, (0, 0.0))[1]
            if selected(name) and count >= MIN_FIELD_RECORDS and now < was * MIN_COVERAGE_RATIO:
                failures.append(f"{name} on {now:.1%} of records, {was:.1%} published")
        against = f"against the published snapshot, over the {previous.records:,} records both hold"
    elif now_staged.records < FLOOR_MIN_RECORDS:
        total = now_staged.records
        return Outcome(True, f"first load of {total:,} records: too few to judge coverage", {})
    else:
        for name, floor in sorted(floors.items()):
            now = staged.get(name, (0, 0.0))[1]
            if selected(name) and now < floor:
                failures.append(f"{name} on {now:.1%} of records, floor {floor:.0%}")
        against = "first load, against the registry's floors"
    kind = "identifier and entity-type" if blocking else "field"
    unjudged = sorted(name for name in unknown if name.startswith(BLOCKING_FIELDS) == blocking)
    not_judged = (
        "; not judged, their file absent: "
        + ", ".join(f"{name} ({unknown[name]})" for name in unjudged)
        if unjudged
        else ""
    )
    return Outcome(
        not failures,
        f"{kind} coverage kept ({against}){not_judged}"
        if not failures
        else f"{kind} coverage dropped ({against}; a renamed or removed column?): "
        + "; ".join(failures)
        + not_judged,
        {
            "coverage": {name: round(share, 4) for name, (_, share) in staged.items()},
            "dropped": failures,
            "not_judged": {name: unknown[name] for name in unjudged},
        },
    )


@dataclass(frozen=True)
class Context:
    """What a check compares the staged snapshot with."""

    source_id: str
    bounds: tuple[int, int]
    previous_count: int | None = None  # None: the count core holds
    expected_snapshot: str | None = None  # None: the latest fetch
    first_load: bool | None = None  # None: a first load when core holds nothing of the source

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
        lambda con, c: coverage_kept(con, c.source_id, True, c.floors, c.first_load),
    ),
    Check(
        "field_coverage_kept",
        "No other field (birth dates, aliases, weak aliases, countries, listing dates, "
        "attributes, ...) fell to less than half its share (a warning).",
        False,
        lambda con, c: coverage_kept(con, c.source_id, False, c.floors, c.first_load),
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
    Check(
        "listings_within_regime_dates",
        "No listing is dated before its regime began (a warning, from ref.programme_dates).",
        False,
        lambda con, c: listings_within_regime_dates(con, c.source_id),
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
