"""Alignment marts: who is sanctioned by which jurisdictions, under which programmes, who by
only one, and how long the others take to follow. Pure SQL over matching and core: one
file per table in sanctions/marts/ (partials shared by several start with "_"), rendered with
jinja2 from the source registry, so each figure's derivation reads top to bottom.

Scopes are rows, not separate builds: the scopes in use (sanctions.scopes: schemas/scopes.csv
or SANCTIONS_SCOPES, `all`, `broad` and `strict` as shipped, then the `autonomous` rule) are
written to alignment.scopes and every mart reads them from there. A jurisdiction lists a
target "in scope" when one of its records in the target carries a programme of that scope.

Every figure can also be computed as of a past date. Each jurisdiction's state on that date
comes from the best evidence held (its basis): its history (versions valid on the date), else
a snapshot dated on or before it (every record in it was listed by then; ahead of the listing
dates of that same snapshot, which would drop its undated records), else the listing dates of
its latest snapshot (delistings before that snapshot are unknown). A jurisdiction with
none of these is "not loaded for date" and is left out of every figure, never counted as
listing nobody. The jurisdictions come from the source registry; reference lists (the UN) are
not jurisdictions that align.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import duckdb
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from sanctions import history
from sanctions.freshness import LAST_GOOD_SQL
from sanctions.publish import neutralised
from sanctions.scopes import Scope, load_scopes, scope_rows
from sanctions.sources import SOURCES, freshness_hours
from sanctions.warehouse import sql_string, transaction

NOT_LOADED = "not loaded for date"
# The first Magnitsky law (US, 2012): over_time starts its year-ends there.
OVER_TIME_FIRST_YEAR = 2012


def is_reference(source) -> bool:
    """A reference list (the UN) tells which listings are mandated; it does not "align"."""
    return getattr(source, "reference", False)


JURISDICTIONS = tuple(
    dict.fromkeys(s.jurisdiction for s in SOURCES.values() if not is_reference(s))
)

SCOPE_GRID = "(SELECT DISTINCT scope FROM alignment.scopes)"
REFERENCE = "(SELECT jurisdiction FROM alignment.jurisdictions WHERE reference)"
# One row per programme key: several published codes (e.g. Canada's 2020 and 2025 regime
# names) map to the same key.
PROGRAMME_KEYS = """(SELECT jurisdiction, programme_key, any_value(category) AS category
                     FROM ref.programmes GROUP BY ALL)"""
# Jurisdictions the figures may name: loaded ones (any date: see the bases) that align.
LOADED = "(SELECT jurisdiction FROM alignment.jurisdictions WHERE loaded AND NOT reference)"
ONE_DATE = "SELECT CAST(d AS DATE) AS as_of"
# Each programme of each record dated by the first version that carried it, where that version
# came after the start of the history (a list that gives no listing date, e.g. the OFAC CSV).
PROGRAMMES_FIRST_SEEN = """(
    SELECT v.record_id, v.programme_key, min(v.valid_from) AS first_seen
    FROM history.version_programmes v
    JOIN (SELECT source_id, min(as_of) AS started FROM history.snapshots GROUP BY 1) h
      USING (source_id)
    GROUP BY ALL HAVING min(v.valid_from) > any_value(h.started))"""


def utc_date(column: str) -> str:
    """History times are TIMESTAMPTZ at midnight UTC: read their day in UTC, whatever the
    session's time zone."""
    return f"timezone('UTC', {column})::DATE"


# The marts' SQL, one file per table in sanctions/marts/ (partials start with "_"), rendered
# with the registry's jurisdictions and the fragments above.
MARTS = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "marts"),
    undefined=StrictUndefined,
    autoescape=False,
)


def render(template: str, **variables) -> str:
    """One mart file (or partial) of sanctions/marts, rendered."""
    return MARTS.get_template(template).render(**variables).strip()


MARTS.globals.update(
    render=render,
    utc_date=utc_date,
    jurisdictions=JURISDICTIONS,
    scope_grid=SCOPE_GRID,
    reference=REFERENCE,
    programme_keys=PROGRAMME_KEYS,
    loaded=LOADED,
    not_loaded=NOT_LOADED,
    one_date=ONE_DATE,
    programmes_first_seen=PROGRAMMES_FIRST_SEEN,
    last_good_sql=LAST_GOOD_SQL,
    over_time_first_year=OVER_TIME_FIRST_YEAR,
)


def lags_sql(scoped: str) -> str:
    """Days from the first listing of a target to each follow-on, per scope and date."""
    return render("_lags.sql", scoped=scoped)


def bases_sql(dates: str, reference: bool = False) -> str:
    """Each aligning jurisdiction's basis on each date of `dates` (a query of as_of dates);
    with `reference`, the reference lists' (the UN's) instead."""
    return render("_bases.sql", dates=dates, reference_lists=reference)


def stage(con, prefix: str, bases: str, listed: str) -> None:
    """Temp tables {prefix}_bases, _listed, _scoped (the (date, target, jurisdiction, scope)
    grid of current listings) and _ever (also those delisted by the date) for figures_sql."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {prefix}_bases AS {bases}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {prefix}_listed AS {listed}")
    for name, only_current in (("scoped", True), ("ever", False)):
        con.execute(render("_stage.sql", prefix=prefix, name=name, only_current=only_current))


def stage_dates(con, dates: str, prefix: str = "dated") -> None:
    """Stage the listings of every date of `dates` from each jurisdiction's best evidence."""
    stage(con, prefix, bases_sql(dates), render("_listed.sql", bases=f"{prefix}_bases"))


def figures_sql(prefix: str) -> str:
    """Every figure of the report, per date, from the tables `stage` wrote."""
    return render("_figures.sql", prefix=prefix)


TABLE_COMMENTS = {
    "listings": "One row per target, jurisdiction and programme it is listed under, with "
    "the scopes it counts in and its listing date: the base of every other mart.",
    "scopes": "The scopes the marts count by: one row per programme of a scope, from "
    "schemas/scopes.csv or the SANCTIONS_SCOPES file (* = every programme), then the "
    "autonomous rule. Edit the file, not this table.",
    "jurisdictions": "One row per source of the registry: its jurisdiction, whether it is a "
    "reference list (the UN), whether loaded, its last good snapshot (published date as the "
    "publisher states it, else the day it was fetched), whether stale, and from which date "
    "its history and its listing dates are evidence.",
    "target_jurisdictions": "One row per target, loaded jurisdiction and scope: whether the "
    "jurisdiction lists the target in that scope, since when, under which programme keys.",
    "targets": "One row per target: name, type, countries, and for each jurisdiction of the "
    "registry whether it lists the target, under which programme keys, since when, and whether "
    "in each scope of alignment.scopes (<scope>_<jurisdiction>); jurisdiction counts per "
    "scope; the record ids.",
    "gaps": "For every target listed in a scope by some but not all loaded jurisdictions: who "
    "lists it, who does not, in which scope, and since when. A jurisdiction that is not "
    "loaded never appears in not_listed_by.",
    "pairwise": "For each ordered pair of loaded jurisdictions and scope: targets listed by "
    "both, by the first only, by the second only.",
    "lags": "For targets listed by several jurisdictions with known dates: days from the first "
    "listing to each follow-on listing, per scope; date_origin says where the date comes from "
    "(publisher: the list itself; first_seen: the first snapshot in the history that showed "
    "it, for lists that give no listing date).",
    "listing_evidence": "Every listing with the dates it is evidence for, per basis: history "
    "(a record version, listed_from to listed_to), snapshot (the latest snapshot, from its "
    "date) and listing_dates (the publisher's listing date). Read it through "
    "alignment.as_of(DATE).",
    "summary": "The report's figures for what core holds now as (metric, scope, jurisdiction, "
    "value, numerator, denominator); for shares value = numerator / denominator, so every "
    "figure traces back to alignment.targets.",
    "report_figures": "The report's figures as of each date of alignment.over_time (and today), "
    "with the basis of every jurisdiction they rest on; `sanctions report --as-of DATE` "
    "computes any other date the same way.",
    "over_time": "Share of targets listed by two or more jurisdictions (jurisdiction ALL) and, "
    "per jurisdiction, its targets and the share of them another jurisdiction lists, as of "
    "every history snapshot date and every year-end since 2012; basis names the evidence of "
    "each jurisdiction on that date (history, snapshot, listing_dates or not loaded for date).",
}


ANNOTATION_COLUMNS = ("id", "field", "value", "source", "note")
# Optional: the jurisdiction the fact is about (a civil-society recommendation to the US holds
# for the US listing only); empty or absent, the fact holds for the target.
ANNOTATION_JURISDICTION = "jurisdiction"


def read_annotations(path: Path) -> list[tuple]:
    """Rows of the analysts' annotations CSV (id, field, value, source, note and an optional
    jurisdiction), validated."""
    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ANNOTATION_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"annotations {path}: columns missing: {', '.join(missing)}")
        rows = []
        for line, row in enumerate(reader, start=2):
            empty = [c for c in ("id", "field", "value") if not (row[c] or "").strip()]
            if empty:
                raise ValueError(f"annotations {path}: line {line}: empty {', '.join(empty)}")
            jurisdiction = (row.get(ANNOTATION_JURISDICTION) or "").strip() or None
            if jurisdiction is not None and jurisdiction not in JURISDICTIONS:
                raise ValueError(
                    f"annotations {path}: line {line}: unknown jurisdiction {jurisdiction!r} "
                    f"(the registry has {', '.join(JURISDICTIONS)})"
                )
            values = tuple((row[c] or "").strip() or None for c in ANNOTATION_COLUMNS)
            rows.append((*values, jurisdiction))
    return rows


def load_annotations(con, rows: list[tuple]) -> None:
    """Attach annotations to this run's targets through record ids, or target ids: a target id
    retired by a merge follows matching.target_merges to the id that carries on, so an
    annotation never detaches silently."""
    con.execute("DELETE FROM alignment.annotations")
    if not rows:
        return
    con.execute(
        """CREATE OR REPLACE TEMP TABLE a_successor AS
           WITH RECURSIVE chain(old_id, new_id, depth) AS (
               SELECT old_target_id, new_target_id, 1 FROM matching.target_merges
               UNION ALL
               SELECT c.old_id, m.new_target_id, c.depth + 1
               FROM chain c JOIN matching.target_merges m ON m.old_target_id = c.new_id
               WHERE c.depth < 100)
           SELECT old_id, arg_max(new_id, depth) AS new_id FROM chain GROUP BY old_id"""
    )
    con.executemany(
        """INSERT INTO alignment.annotations
               (subject_id, target_id, field, value, source, note, problem, jurisdiction)
           SELECT ?, coalesce((SELECT target_id FROM matching.clusters WHERE record_id = $1),
                              (SELECT any_value(target_id) FROM matching.clusters
                               WHERE target_id = $1),
                              (SELECT any_value(c.target_id) FROM a_successor s
                               JOIN matching.clusters c ON c.target_id = s.new_id
                               WHERE s.old_id = $1)),
                  ?, ?, ?, ?, NULL, ?""",
        rows,
    )
    con.execute(
        """UPDATE alignment.annotations SET problem = 'unknown record or target id'
           WHERE target_id IS NULL"""
    )
    con.execute(
        """UPDATE alignment.annotations a
           SET problem = a.jurisdiction || ' does not list the target: the fact counts nowhere'
           WHERE a.jurisdiction IS NOT NULL AND a.target_id IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM matching.clusters c
                             WHERE c.target_id = a.target_id AND c.jurisdiction = a.jurisdiction)"""
    )


BASIS_COMMENT = (
    "The evidence each jurisdiction rests on for the date, e.g. 'US: history; CA: "
    "listing_dates; EU: not loaded for date' (history, snapshot, listing_dates, not loaded "
    "for date)."
)
# Columns of the same name mean the same in every mart (a table's own entry wins).
COMMON_COMMENTS = {
    "target_id": "The target (matching.clusters.target_id): one real-world party.",
    "record_id": "The record (core.records.record_id) the listing comes from.",
    "source_id": "Source of the record (sanctions.sources.SOURCES).",
    "jurisdiction": "US, CA, UK, EU, AU, ... (sanctions.sources.SOURCES).",
    "scope": "A scope of alignment.scopes: all, broad, strict, autonomous as shipped, or "
    "one of the SANCTIONS_SCOPES file.",
    "programme_key": "Stable programme key (ref.programmes), e.g. US-GLOMAG; "
    "<J>-UNCLASSIFIED-... for a regime the taxonomy lacks.",
    "programme_raw": "The programme or regime as the publisher wrote it.",
    "category": "The programme's category in ref.programmes; unclassified when unknown.",
    "scopes": "The scopes of alignment.scopes this listing counts in.",
    "theme": "human_rights or corruption where the publisher states it through the regime "
    "(UK Global Human Rights / Global Anti-Corruption, Australia's thematic regimes, ...); "
    "unstated otherwise (e.g. US Global Magnitsky covers both).",
    "themes": "The themes of its listings of the target in the scope (see "
    "alignment.listings.theme).",
    "listed_on": "Listing date: the publisher's, else the first history snapshot that "
    "showed it (see listed_on_origin); NULL when neither is known.",
    "listed_on_origin": "Where listed_on comes from: publisher (the list itself, or the "
    "parser's named field) or first_seen (the first snapshot in the history that showed it).",
    "un_mandated": "The listing implements a UN listing.",
    "as_of": "The date the row describes.",
    "basis": BASIS_COMMENT,
    "metric": "What is measured (see alignment.report_figures.metric).",
    "value": "The figure: numerator / denominator for shares.",
    "numerator": "Count behind the figure.",
    "denominator": "Count it is a share of; NULL for counts.",
}
COLUMN_COMMENTS = {
    "jurisdictions": {
        "position": "Order of the source in the registry.",
        "title": "The list's title.",
        "record_count": "Records in the last good snapshot.",
        "reference": "True for a reference list (the UN): it is not counted as a jurisdiction.",
        "freshness_days": "How often the publisher is expected to update: older is stale.",
        "loaded": "Whether core holds a snapshot of the source.",
        "published_on": "Publication date of the last good snapshot, as the publisher states "
        "it (or a replayed file's name); NULL when the file carries none.",
        "fetched_on": "Day the last good snapshot was fetched.",
        "snapshot_on": "The snapshot's date: published_on, else fetched_on.",
        "history_from": "First date of the source's history: from it, the basis is history.",
        "listing_dates_from": "Earliest listing date the publisher gives in the snapshot; NULL "
        "when it gives none (the OFAC CSV).",
        "stale": "The last good snapshot (the last fetch that confirmed what core holds, or the "
        "publication date of a replayed file) is older than the source's freshness expectation "
        "(sanctions.freshness).",
        "snapshot": "The snapshot as the report states it: 'published ...' or 'fetched on ...'.",
    },
    "scopes": {
        "position": "Order of the scope: the file's order, autonomous last.",
        "programme_key": "A programme key the scope counts; * for every programme, "
        "unclassified ones included.",
        "description": "What the scope counts, as its file describes it.",
        "un_mandated_excluded": "Listings that implement a UN listing are left out (the "
        "autonomous rule).",
    },
    "target_jurisdictions": {
        "listed": "Whether the jurisdiction lists the target in the scope.",
        "first_listed": "Its earliest listing date for the target in the scope.",
        "listed_on_origin": "publisher or first_seen (see alignment.lags.date_origin).",
        "programme_keys": "Programme keys of its listings of the target in the scope.",
    },
    "targets": {
        "name": "A primary name in Latin script, preferring the US, UK, then EU record.",
        "entity_type": "The most common entity type of its records (individual, entity, "
        "vessel, aircraft).",
        "countries": "ISO codes of the countries its records name (nationality, citizenship, "
        "address, registration, flag); empty when none is known.",
        "jurisdictions": "Number of loaded jurisdictions listing it (any programme).",
        "record_ids": "Its records in core.records.",
    },
    "gaps": {
        "listed_by": "A jurisdiction listing the target in the scope.",
        "not_listed_by": "A loaded jurisdiction not listing it in the scope.",
        "since": "The date listed_by first listed it in the scope.",
    },
    "pairwise": {
        "first": "The first jurisdiction of the pair.",
        "second": "The second jurisdiction of the pair.",
        "both_list": "Targets both list in the scope.",
        "first_only": "Targets only the first lists (of the two).",
        "second_only": "Targets only the second lists (of the two).",
    },
    "lags": {
        "leader": "The jurisdiction that listed the target first (ties: the first by code).",
        "follower": "A jurisdiction that listed it later or on the same day.",
        "led_on": "The leader's listing date.",
        "followed_on": "The follower's listing date.",
        "days": "followed_on - led_on, in days.",
        "date_origin": "Where followed_on comes from: publisher (the list itself) or "
        "first_seen (the first history snapshot that showed it, for lists without dates).",
    },
    "listing_evidence": {
        "basis": "history, snapshot or listing_dates.",
        "listed_from": "First date the row is evidence of the listing.",
        "listed_to": "Date the history shows it gone (or replaced by a later version); NULL "
        "while listed.",
        "un_referenced": "The record carries a UN reference (known for the version core holds "
        "only); as_of adds the UN regimes and the UN's own listings valid on the date.",
    },
    "summary": {
        "metric": "What is measured (see alignment.report_figures.metric), plus "
        "source_snapshot: one row per source naming the snapshot the figures rest on.",
        "jurisdiction": "The jurisdiction, ALL, or the breakdown (country, region, "
        "jurisdiction:theme, A>B); for source_snapshot the snapshot as the report states it.",
    },
    "report_figures": {
        "as_of": "The date the figure describes.",
        "metric": "What is measured, e.g. targets_listed, share_multilateral, pairwise_share "
        "(jurisdiction A>B: share of A's targets B lists too), share_theme, "
        "share_un_mandated.",
        "jurisdiction": "The jurisdiction, ALL, or the breakdown (country, region, "
        "jurisdiction:theme, A>B).",
    },
    "over_time": {
        "jurisdiction": "The jurisdiction, or ALL for every loaded one.",
        "multilateral": "Targets listed by two or more jurisdictions (of the jurisdiction's).",
        "targets": "Targets listed in the scope (by the jurisdiction, or by any for ALL).",
        "share_multilateral": "multilateral / targets.",
    },
    "listings": {
        "un_mandated": "The listing implements a UN listing: the record carries a UN "
        "reference, its regime is a UN one, or the UN list holds the target.",
    },
}


def column_comment(table: str, column: str, scope_names: list[str]) -> str | None:
    """The comment of a mart column: the table's own, then the per-jurisdiction columns of
    alignment.targets, then the common vocabulary."""
    if text := COLUMN_COMMENTS.get(table, {}).get(column):
        return text
    if table == "targets" and column.removeprefix("jurisdictions_") in scope_names:
        return f"Number of loaded jurisdictions listing it in scope {column[14:]}."
    if table == "targets":
        prefix, _, code = column.rpartition("_")
        j = code.upper()
        wide = {
            "listed": f"Whether {j} lists the target (any programme).",
            "programmes": f"Programme keys of {j}'s listings of the target.",
            "first_listed": f"{j}'s earliest listing date of the target.",
            "themes": f"Themes {j}'s listings of the target state (see alignment.listings.theme).",
        }
        wide.update({s: f"Whether {j} lists the target in scope {s}." for s in scope_names})
        if j in JURISDICTIONS:
            return wide.get(prefix)
    return COMMON_COMMENTS.get(column)


def _comment(con, kind: str, name: str, text: str) -> None:
    escaped = text.replace("'", "''")
    con.execute(f"COMMENT ON {kind} alignment.{name} IS '{escaped}'")


class AsOfError(ValueError):
    """An as-of date the evidence cannot answer for."""


def check_as_of(con, as_of: date) -> None:
    """Refuse a date in the future or before any evidence held, saying which evidence exists."""
    today = con.execute("SELECT current_date").fetchall()[0][0]
    if as_of > today:
        raise AsOfError(f"as-of date {as_of} is in the future (today is {today})")
    evidence = con.execute(
        """SELECT jurisdiction, least(history_from, snapshot_on, listing_dates_from)
           FROM alignment.jurisdictions WHERE loaded AND NOT reference ORDER BY position"""
    ).fetchall()
    if not evidence:
        raise AsOfError("no list is loaded: run `sanctions run` first")
    earliest = min(since for _, since in evidence)
    if as_of < earliest:
        held = ", ".join(f"{j} from {since}" for j, since in evidence)
        raise AsOfError(f"no evidence for {as_of}: the earliest is {earliest} ({held})")


def stage_as_of(con, as_of: date, prefix: str = "asof") -> None:
    """Check `as_of` and stage its listings (works on a read-only connection: temp tables)."""
    check_as_of(con, as_of)
    stage_dates(con, f"SELECT DATE '{as_of.isoformat()}' AS as_of", prefix)


def figures_as_of(con, as_of: date) -> list[tuple]:
    """alignment.report_figures' rows for `as_of`, computed from the evidence held."""
    stage_as_of(con, as_of)
    return con.execute(f"SELECT * FROM ({figures_sql('asof')}) ORDER BY ALL").fetchall()


AS_OF_EXPORTS = {
    "report_figures": f"SELECT * FROM ({figures_sql('asof')})",
    "bases": """SELECT b.as_of, b.jurisdiction, b.basis, j.snapshot, j.stale
                FROM asof_bases b JOIN alignment.jurisdictions j USING (jurisdiction, source_id)
                ORDER BY b.position""",
    "as_of": "SELECT * EXCLUDE (current) FROM asof_listed WHERE current",
}


def export_as_of(published: Path, folder: Path, file_format: str, as_of: date) -> list[Path]:
    """Write the figures, the bases and the listings as of `as_of` as CSV or Parquet files
    (spreadsheet formulas neutralised); nothing is written when the date is refused."""
    if file_format not in ("csv", "parquet"):
        raise ValueError(f"format must be csv or parquet, not {file_format!r}")
    written = []
    with duckdb.connect(str(published), read_only=True) as con:
        stage_as_of(con, as_of)
        Path(folder).mkdir(parents=True, exist_ok=True)
        options = "(FORMAT parquet)" if file_format == "parquet" else "(HEADER, FORMAT csv)"
        for name, sql in AS_OF_EXPORTS.items():
            con.execute(f"CREATE OR REPLACE TEMP TABLE asof_export_{name} AS {sql}")
            target = Path(folder) / f"alignment.{name}.{as_of.isoformat()}.{file_format}"
            source = neutralised(con, "main", f"asof_export_{name}")
            con.execute(f"COPY (SELECT * FROM {source}) TO {sql_string(target)} {options}")
            written.append(target)
    return written


def _registry_table(con) -> None:
    con.execute(
        """CREATE OR REPLACE TEMP TABLE a_registry (position INTEGER, jurisdiction VARCHAR,
           source_id VARCHAR, title VARCHAR, reference BOOLEAN, freshness_hours DOUBLE)"""
    )
    con.executemany(
        "INSERT INTO a_registry VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                position,
                source.jurisdiction,
                source.id,
                source.title,
                is_reference(source),
                freshness_hours(source),
            )
            for position, source in enumerate(SOURCES.values())
        ],
    )


def _scopes_table(con, scopes: tuple[Scope, ...]) -> None:
    con.execute(
        """CREATE OR REPLACE TABLE alignment.scopes (position INTEGER, scope VARCHAR,
           programme_key VARCHAR, description VARCHAR, un_mandated_excluded BOOLEAN)"""
    )
    con.executemany("INSERT INTO alignment.scopes VALUES (?, ?, ?, ?, ?)", scope_rows(scopes))


def build(
    con, annotations: list[tuple] | None = None, scopes: tuple[Scope, ...] | None = None
) -> dict[str, int]:
    """Rebuild every alignment mart in one transaction, counting by `scopes` (default: the
    shipped schemas/scopes.csv); return row counts."""
    scopes = scopes or load_scopes()
    with transaction(con):
        _registry_table(con)
        history.key_programmes(con)  # the taxonomy in use keys the history too
        _scopes_table(con, scopes)
        con.execute(render("jurisdictions.sql"))
        con.execute(render("listings.sql"))
        stage(con, "now", render("_now_bases.sql"), render("_now_listed.sql"))
        for mart in ("target_jurisdictions", "targets", "gaps", "pairwise", "lags"):
            con.execute(render(f"{mart}.sql", scope_names=[scope.name for scope in scopes]))
        load_annotations(con, annotations or [])
        for mart in ("summary", "listing_evidence", "bases", "as_of"):
            con.execute(render(f"{mart}.sql"))
        stage_dates(con, render("_over_time_dates.sql"))
        for mart in ("report_figures", "over_time"):
            con.execute(render(f"{mart}.sql"))
        for table, comment in TABLE_COMMENTS.items():
            _comment(con, "TABLE", table, comment)
        names = [scope.name for scope in scopes]
        for table, column in con.execute(
            """SELECT table_name, column_name FROM duckdb_columns()
               WHERE schema_name = 'alignment' AND table_name IN $tables""",
            {"tables": list(TABLE_COMMENTS)},
        ).fetchall():
            if comment := column_comment(table, column, names):
                _comment(con, "COLUMN", f"{table}.{column}", comment)
    return {
        table: con.execute(f"SELECT count(*) FROM alignment.{table}").fetchall()[0][0]
        for table in (
            "targets",
            "gaps",
            "pairwise",
            "lags",
            "summary",
            "report_figures",
            "over_time",
        )
    }
