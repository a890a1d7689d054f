"""Alignment marts: who is sanctioned by which jurisdictions, under which programmes, who by
only one, and how long the others take to follow. Pure SQL over matching and core.

Scopes are rows, not separate builds: `all` (any programme), `broad` and `strict`
(Magnitsky-style, from ref.programmes) and `autonomous` (any programme, UN-mandated listings
excluded). A jurisdiction lists a target "in scope" when one of its records in the target
carries a programme of that scope.

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

from sanctions import history
from sanctions.freshness import LAST_GOOD_SQL
from sanctions.publish import neutralised
from sanctions.sources import SOURCES, freshness_hours
from sanctions.warehouse import sql_string

# autonomous: any programme, UN-mandated listings excluded (what a government chose itself).
SCOPES = ("all", "broad", "strict", "autonomous")
NOT_LOADED = "not loaded for date"
# The first Magnitsky law (US, 2012): over_time starts its year-ends there.
OVER_TIME_FIRST_YEAR = 2012


def is_reference(source) -> bool:
    """A reference list (the UN) tells which listings are mandated; it does not "align"."""
    return getattr(source, "reference", False)


JURISDICTIONS = tuple(
    dict.fromkeys(s.jurisdiction for s in SOURCES.values() if not is_reference(s))
)

SCOPE_GRID = f"(SELECT unnest({list(SCOPES)}) AS scope)"
IN_SCOPE = """(scope = 'all' OR (scope = 'broad' AND broad) OR (scope = 'strict' AND strict)
               OR (scope = 'autonomous' AND NOT un_mandated))"""
REFERENCE = "(SELECT jurisdiction FROM alignment.jurisdictions WHERE reference)"
# One row per programme key: several published codes (e.g. Canada's 2020 and 2025 regime
# names) map to the same key.
PROGRAMME_KEYS = """(SELECT jurisdiction, programme_key, any_value(category) AS category,
                            bool_or(magnitsky_strict) AS magnitsky_strict,
                            bool_or(magnitsky_broad) AS magnitsky_broad
                     FROM ref.programmes GROUP BY ALL)"""
# Jurisdictions the figures may name: loaded ones (any date: see the bases) that align.
LOADED = "(SELECT jurisdiction FROM alignment.jurisdictions WHERE loaded AND NOT reference)"


def utc_date(column: str) -> str:
    """History times are TIMESTAMPTZ at midnight UTC: read their day in UTC, whatever the
    session's time zone."""
    return f"timezone('UTC', {column})::DATE"


JURISDICTIONS_SQL = f"""
CREATE OR REPLACE TABLE alignment.jurisdictions AS
WITH latest AS (
    SELECT * FROM core.snapshots
    QUALIFY row_number() OVER (PARTITION BY source_id ORDER BY loaded_at DESC) = 1
), histories AS (
    SELECT source_id, min({utc_date("as_of")}) AS history_from FROM history.snapshots GROUP BY 1
), dated AS (
    SELECT source_id, min(coalesce(p.listed_on, r.listed_on)) AS listing_dates_from
    FROM core.records r JOIN core.programmes p USING (record_id, source_id) GROUP BY 1
), good AS ({LAST_GOOD_SQL})
SELECT g.position, g.jurisdiction, g.source_id, g.title, g.reference,
       greatest(round(g.freshness_hours / 24), 1)::INTEGER AS freshness_days,
       s.snapshot_id IS NOT NULL AS loaded, s.published_on,
       {utc_date("s.fetched_at")} AS fetched_on,
       coalesce(s.published_on, {utc_date("s.fetched_at")}) AS snapshot_on,
       s.record_count, h.history_from, d.listing_dates_from,
       good.last_good < now() - to_seconds(g.freshness_hours * 3600) AS stale,
       CASE WHEN s.published_on IS NOT NULL
            THEN 'published ' || strftime(s.published_on, '%Y-%m-%d')
            WHEN s.snapshot_id IS NOT NULL
            THEN 'fetched on ' || strftime({utc_date("s.fetched_at")}, '%Y-%m-%d')
                 || ' (the file states no publication date)'
            ELSE 'not loaded' END AS snapshot
FROM a_registry g LEFT JOIN latest s USING (source_id) LEFT JOIN histories h USING (source_id)
LEFT JOIN dated d USING (source_id) LEFT JOIN good USING (source_id)
ORDER BY g.position"""

# Each programme of each record dated by the first version that carried it, where that version
# came after the start of the history (a list that gives no listing date, e.g. the OFAC CSV).
PROGRAMMES_FIRST_SEEN = """(
    SELECT v.record_id, v.programme_key, min(v.valid_from) AS first_seen
    FROM history.version_programmes v
    JOIN (SELECT source_id, min(as_of) AS started FROM history.snapshots GROUP BY 1) h
      USING (source_id)
    GROUP BY ALL HAVING min(v.valid_from) > any_value(h.started))"""
# The record carries a UN reference (only core's current rows hold it).
UN_REFERENCE = """EXISTS (SELECT 1 FROM core.attributes a WHERE a.record_id = {record}
                          AND a.attribute = 'un_reference')"""

BASE_STATEMENTS = [
    JURISDICTIONS_SQL,
    # One row per (target, jurisdiction, programme) listing, with scope flags and dates.
    f"""CREATE OR REPLACE TABLE alignment.listings AS
    SELECT c.target_id, c.record_id, c.source_id, c.jurisdiction, p.programme_key,
           p.programme_raw, coalesce(t.category, 'unclassified') AS category,
           coalesce(t.magnitsky_strict, false) AS strict,
           coalesce(t.magnitsky_broad, false) AS broad,
           coalesce(p.listed_on, r.listed_on, {utc_date("f.first_seen")}) AS listed_on,
           CASE WHEN coalesce(p.listed_on, r.listed_on) IS NOT NULL
                THEN coalesce(r.listed_on_origin, 'publisher')
                WHEN f.first_seen IS NOT NULL THEN 'first_seen' END AS listed_on_origin,
           -- implements a UN listing: says so, or its regime is a UN one, or the UN lists it
           (coalesce(t.category = 'un', false)
            OR {UN_REFERENCE.format(record="c.record_id")}
            OR EXISTS (SELECT 1 FROM matching.clusters u WHERE u.target_id = c.target_id
                       AND u.jurisdiction IN {REFERENCE})) AS un_mandated
    FROM matching.clusters c
    JOIN core.records r USING (record_id)
    JOIN core.programmes p USING (record_id)
    LEFT JOIN {PROGRAMMES_FIRST_SEEN} f USING (record_id, programme_key)
    LEFT JOIN {PROGRAMME_KEYS} t
           ON t.jurisdiction = c.jurisdiction AND t.programme_key = p.programme_key
    QUALIFY row_number() OVER (PARTITION BY c.record_id, p.programme_key
                               ORDER BY coalesce(p.listed_on, r.listed_on, f.first_seen)) = 1""",
]

STATEMENTS = [
    f"""CREATE OR REPLACE TABLE alignment.target_jurisdictions AS
    WITH keys AS (
        SELECT target_id, jurisdiction, scope,
               list(DISTINCT programme_key ORDER BY programme_key) AS programme_keys
        FROM alignment.listings, {SCOPE_GRID} s WHERE {IN_SCOPE} GROUP BY ALL
    )
    SELECT t.target_id, j.jurisdiction, s.scope, a.target_id IS NOT NULL AS listed,
           a.first_listed, a.listed_on_origin, k.programme_keys
    FROM (SELECT DISTINCT target_id FROM matching.clusters) t
    CROSS JOIN {LOADED} j CROSS JOIN {SCOPE_GRID} s
    LEFT JOIN now_scoped a USING (target_id, jurisdiction, scope)
    LEFT JOIN keys k USING (target_id, jurisdiction, scope)""",
    """CREATE OR REPLACE TABLE alignment.targets AS
    WITH names AS (
        SELECT c.target_id,
               arg_min(n.name, CASE c.jurisdiction WHEN 'US' THEN 1 WHEN 'UK' THEN 2
                                    WHEN 'EU' THEN 3 ELSE 4 END) AS name
        FROM matching.clusters c JOIN core.names n USING (record_id)
        WHERE n.kind = 'primary' AND (n.script IS NULL OR n.script = 'Latin')
        GROUP BY c.target_id
    ), kinds AS (
        SELECT c.target_id, mode(r.entity_type) AS entity_type,
               list(DISTINCT c.record_id ORDER BY c.record_id) AS record_ids
        FROM matching.clusters c JOIN core.records r USING (record_id) GROUP BY c.target_id
    ), lands AS (
        SELECT c.target_id, list(DISTINCT k.country_code ORDER BY k.country_code) AS countries
        FROM matching.clusters c JOIN core.countries k USING (record_id)
        WHERE k.country_code IS NOT NULL
          AND k.relation IN ('nationality', 'citizenship', 'address', 'registration', 'flag')
        GROUP BY c.target_id
    ), wide AS (
        SELECT target_id,
    """
    + ",\n".join(
        f"""
           bool_or(listed AND jurisdiction = '{j}' AND scope = 'all') AS listed_{j.lower()},
           any_value(programme_keys) FILTER (WHERE jurisdiction = '{j}' AND scope = 'all')
               AS programmes_{j.lower()},
           any_value(first_listed) FILTER (WHERE jurisdiction = '{j}' AND scope = 'all')
               AS first_listed_{j.lower()},
           bool_or(listed AND jurisdiction = '{j}' AND scope = 'strict')
               AS magnitsky_strict_{j.lower()},
           bool_or(listed AND jurisdiction = '{j}' AND scope = 'broad')
               AS magnitsky_broad_{j.lower()}"""
        for j in JURISDICTIONS
    )
    + """,
           count(DISTINCT jurisdiction) FILTER (WHERE listed AND scope = 'all') AS jurisdictions,
           count(DISTINCT jurisdiction) FILTER (WHERE listed AND scope = 'strict')
               AS jurisdictions_strict,
           count(DISTINCT jurisdiction) FILTER (WHERE listed AND scope = 'broad')
               AS jurisdictions_broad,
           count(DISTINCT jurisdiction) FILTER (WHERE listed AND scope = 'autonomous')
               AS jurisdictions_autonomous
        FROM alignment.target_jurisdictions GROUP BY target_id
    )
    SELECT k.target_id, coalesce(n.name, k.record_ids[1]) AS name, k.entity_type,
           coalesce(l.countries, []) AS countries,
    """
    + ",\n".join(
        f"""
           coalesce(w.listed_{j}, false) AS listed_{j}, w.programmes_{j},
           w.first_listed_{j}, coalesce(w.magnitsky_strict_{j}, false) AS magnitsky_strict_{j},
           coalesce(w.magnitsky_broad_{j}, false) AS magnitsky_broad_{j}"""
        for j in (j.lower() for j in JURISDICTIONS)
    )
    + """,
           coalesce(w.jurisdictions, 0) AS jurisdictions,
           coalesce(w.jurisdictions_strict, 0) AS jurisdictions_strict,
           coalesce(w.jurisdictions_broad, 0) AS jurisdictions_broad,
           coalesce(w.jurisdictions_autonomous, 0) AS jurisdictions_autonomous, k.record_ids
    FROM kinds k LEFT JOIN names n USING (target_id) LEFT JOIN lands l USING (target_id)
    LEFT JOIN wide w USING (target_id)""",
    # Only loaded jurisdictions can be "not listing": a list we do not hold says nothing.
    f"""CREATE OR REPLACE TABLE alignment.gaps AS
    SELECT a.target_id, a.jurisdiction AS listed_by, j.jurisdiction AS not_listed_by, a.scope,
           a.first_listed AS since
    FROM now_scoped a CROSS JOIN {LOADED} j
    WHERE j.jurisdiction <> a.jurisdiction
      AND NOT EXISTS (SELECT 1 FROM now_scoped b WHERE b.target_id = a.target_id
                      AND b.scope = a.scope AND b.jurisdiction = j.jurisdiction)""",
    f"""CREATE OR REPLACE TABLE alignment.pairwise AS
    WITH pairs AS (
        SELECT a.jurisdiction AS first, b.jurisdiction AS second, s.scope
        FROM {LOADED} a, {LOADED} b, {SCOPE_GRID} s
        WHERE a.jurisdiction <> b.jurisdiction
    ), grid AS (
        SELECT target_id, scope, list(jurisdiction) AS listed FROM now_scoped GROUP BY ALL
    )
    SELECT p.first, p.second, p.scope,
           count(*) FILTER (WHERE list_contains(listed, p.first)
                              AND list_contains(listed, p.second)) AS both_list,
           count(*) FILTER (WHERE list_contains(listed, p.first)
                              AND NOT list_contains(listed, p.second)) AS first_only,
           count(*) FILTER (WHERE NOT list_contains(listed, p.first)
                              AND list_contains(listed, p.second)) AS second_only
    FROM pairs p LEFT JOIN grid g ON g.scope = p.scope
    GROUP BY ALL ORDER BY ALL""",
]


def lags_sql(scoped: str) -> str:
    """Days from the first listing of a target to each follow-on, per scope and date (ties:
    the first jurisdiction by code leads, so the figure does not change between builds)."""
    return f"""
    WITH dated AS (SELECT * FROM {scoped} WHERE first_listed IS NOT NULL),
    leaders AS (
        SELECT as_of, target_id, scope,
               first(jurisdiction ORDER BY first_listed, jurisdiction) AS leader,
               min(first_listed) AS led_on
        FROM dated GROUP BY ALL HAVING count(*) > 1
    )
    SELECT d.as_of, d.target_id, d.scope, l.leader, d.jurisdiction AS follower, l.led_on,
           d.first_listed AS followed_on, date_diff('day', l.led_on, d.first_listed) AS days,
           d.listed_on_origin AS date_origin
    FROM dated d JOIN leaders l USING (as_of, target_id, scope)
    WHERE d.jurisdiction <> l.leader"""


MART_STATEMENTS = [
    *STATEMENTS,
    f"""CREATE OR REPLACE TABLE alignment.lags AS
    SELECT * EXCLUDE (as_of) FROM ({lags_sql("now_scoped")})""",
]

# Every listing with the span of dates it is evidence for, one set of rows per basis.
EVIDENCE_SQL = f"""
CREATE OR REPLACE TABLE alignment.listing_evidence AS
SELECT 'history' AS basis, v.source_id, j.jurisdiction, v.record_id, v.programme_key,
       {utc_date("v.valid_from")} AS listed_from, {utc_date("v.valid_to")} AS listed_to,
       coalesce(l.listed_on, {utc_date("f.first_seen")}) AS listed_on,
       coalesce(l.listed_on_origin, CASE WHEN f.first_seen IS NOT NULL THEN 'first_seen' END)
           AS listed_on_origin,
       -- a UN reference is known for the version core holds, not for older ones
       v.valid_to IS NULL AND {UN_REFERENCE.format(record="v.record_id")} AS un_referenced
FROM history.version_programmes v JOIN alignment.jurisdictions j USING (source_id)
LEFT JOIN {PROGRAMMES_FIRST_SEEN} f USING (record_id, programme_key)
LEFT JOIN alignment.listings l  -- the publisher's own date, where it gives one
       ON l.record_id = v.record_id AND l.programme_key = v.programme_key
      AND l.listed_on_origin = 'publisher'
UNION ALL
SELECT 'snapshot', l.source_id, l.jurisdiction, l.record_id, l.programme_key, j.snapshot_on,
       NULL, l.listed_on, l.listed_on_origin, {UN_REFERENCE.format(record="l.record_id")}
FROM alignment.listings l JOIN alignment.jurisdictions j USING (source_id)
UNION ALL
SELECT 'listing_dates', source_id, jurisdiction, record_id, programme_key, listed_on, NULL,
       listed_on, listed_on_origin, {UN_REFERENCE.format(record="record_id")}
FROM alignment.listings WHERE listed_on_origin = 'publisher'
"""


def bases_sql(dates: str, reference: bool = False) -> str:
    """Each aligning jurisdiction's basis on each date of `dates` (a query of as_of dates);
    with `reference`, the reference lists' (the UN's) instead."""
    return f"""
    SELECT d.as_of, j.position, j.jurisdiction, j.source_id,
           CASE WHEN j.history_from <= d.as_of THEN 'history'
                WHEN j.snapshot_on <= d.as_of THEN 'snapshot'
                WHEN j.listing_dates_from <= d.as_of THEN 'listing_dates'
                ELSE '{NOT_LOADED}' END AS basis
    FROM ({dates}) d CROSS JOIN alignment.jurisdictions j
    WHERE {"" if reference else "NOT"} j.reference"""


def listed_sql(bases: str) -> str:
    """The listings each basis shows on its date; `current` is false for a listing the history
    shows delisted by then. A record delisted before any matching run is its own target.
    UN-mandated on a date: a UN regime, a UN reference on the version valid then, or a UN
    listing of the same target on that date (from the UN's own evidence)."""
    un_on = f"""(
        SELECT u.as_of, t.target_id
        FROM ({bases_sql(f"SELECT DISTINCT as_of FROM {bases}", reference=True)}) u
        JOIN alignment.listing_evidence e
          ON e.source_id = u.source_id AND e.basis = u.basis AND e.listed_from <= u.as_of
         AND (e.listed_to IS NULL OR e.listed_to > u.as_of)
        JOIN matching.record_targets t USING (record_id)
        GROUP BY ALL)"""
    return f"""
    SELECT b.as_of, coalesce(t.target_id, e.record_id) AS target_id, e.record_id,
           b.jurisdiction, e.programme_key, coalesce(p.category, 'unclassified') AS category,
           coalesce(p.magnitsky_strict, false) AS strict,
           coalesce(p.magnitsky_broad, false) AS broad, e.listed_on, e.listed_on_origin,
           e.un_referenced OR coalesce(p.category = 'un', false) OR un.target_id IS NOT NULL
               AS un_mandated, b.basis,
           e.listed_to IS NULL OR e.listed_to > b.as_of AS current
    FROM {bases} b
    JOIN alignment.listing_evidence e
      ON e.source_id = b.source_id AND e.basis = b.basis AND e.listed_from <= b.as_of
    LEFT JOIN matching.record_targets t USING (record_id)
    LEFT JOIN {un_on} un ON un.as_of = b.as_of AND un.target_id = t.target_id
    LEFT JOIN {PROGRAMME_KEYS} p
           ON p.jurisdiction = b.jurisdiction AND p.programme_key = e.programme_key"""


ONE_DATE = "SELECT CAST(d AS DATE) AS as_of"
MACROS = [
    f"CREATE OR REPLACE MACRO alignment.bases(d) AS TABLE {bases_sql(ONE_DATE)}",
    f"""CREATE OR REPLACE MACRO alignment.as_of(d) AS TABLE
    SELECT * EXCLUDE (current) FROM ({listed_sql(f"({bases_sql(ONE_DATE)})")}) WHERE current""",
]

NOW_BASES = f"""
    SELECT current_date AS as_of, position, jurisdiction, source_id,
           CASE WHEN loaded THEN 'latest snapshot' ELSE '{NOT_LOADED}' END AS basis
    FROM alignment.jurisdictions WHERE NOT reference"""
NOW_LISTED = f"""
    SELECT current_date AS as_of, target_id, record_id, jurisdiction, programme_key, category,
           strict, broad, listed_on, listed_on_origin, un_mandated,
           'latest snapshot' AS basis, true AS current
    FROM alignment.listings WHERE jurisdiction IN {LOADED}"""


def stage(con, prefix: str, bases: str, listed: str) -> None:
    """Temp tables {prefix}_bases, _listed, _scoped (the (date, target, jurisdiction, scope)
    grid of current listings) and _ever (also those delisted by the date) for figures_sql."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {prefix}_bases AS {bases}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {prefix}_listed AS {listed}")
    for name, only_current in (("scoped", "current AND"), ("ever", "")):
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {prefix}_{name} AS
            SELECT as_of, target_id, jurisdiction, scope, min(listed_on) AS first_listed,
                   first(listed_on_origin ORDER BY listed_on NULLS LAST) AS listed_on_origin
            FROM {prefix}_listed, {SCOPE_GRID} s WHERE {only_current} {IN_SCOPE}
            GROUP BY ALL"""
        )


def stage_dates(con, dates: str, prefix: str = "dated") -> None:
    """Stage the listings of every date of `dates` from each jurisdiction's best evidence."""
    stage(con, prefix, bases_sql(dates), listed_sql(f"{prefix}_bases"))


def figures_sql(prefix: str) -> str:
    """Every figure of the report, per date, from the tables `stage` wrote: (as_of, metric,
    scope, jurisdiction, value, numerator, denominator, basis). `rests_on` lists the
    jurisdictions a row rests on (NULL: all), so that its basis names exactly their evidence."""
    scoped, listed, bases = f"{prefix}_scoped", f"{prefix}_listed", f"{prefix}_bases"
    return f"""
WITH grid AS (SELECT as_of, target_id, scope, count(DISTINCT jurisdiction) AS n
              FROM {scoped} GROUP BY ALL),
any_grid AS (SELECT as_of, target_id, count(DISTINCT jurisdiction) AS n
             FROM {scoped} WHERE scope = 'all' GROUP BY ALL),
sizes AS (SELECT as_of, scope, jurisdiction, count(*) AS n FROM {scoped} GROUP BY ALL),
lands AS (SELECT target_id, unnest(countries) AS country FROM alignment.targets),
lags AS ({lags_sql(scoped)}),
stated AS (  -- the regime says whether a listing is for human rights or corruption
    SELECT DISTINCT as_of, target_id, jurisdiction, scope, category AS theme
    FROM {listed}, {SCOPE_GRID} s
    WHERE current AND {IN_SCOPE} AND category IN ('human_rights', 'corruption')
), annotated AS (  -- else the analysts' annotation (field theme), e.g. for US GLOMAG
    SELECT DISTINCT target_id, value AS theme FROM alignment.annotations
    WHERE field = 'theme' AND target_id IS NOT NULL
), themes AS (
    SELECT s.as_of, s.target_id, s.jurisdiction, s.scope,
           coalesce(st.theme, an.theme, 'unstated') AS theme
    FROM {scoped} s LEFT JOIN stated st USING (as_of, target_id, jurisdiction, scope)
    LEFT JOIN annotated an ON st.theme IS NULL AND an.target_id = s.target_id
), figures AS (
    SELECT b.as_of, 'records_in_evidence' AS metric, 'all' AS scope, b.jurisdiction,
           count(DISTINCT l.record_id)::DOUBLE AS value, count(DISTINCT l.record_id) AS numerator,
           NULL::BIGINT AS denominator, [b.jurisdiction] AS rests_on
    FROM {bases} b LEFT JOIN {listed} l
      ON l.as_of = b.as_of AND l.jurisdiction = b.jurisdiction AND l.current
    GROUP BY b.as_of, b.jurisdiction
    UNION ALL
    SELECT as_of, 'targets_listed', scope, jurisdiction, count(*), count(*), NULL,
           [jurisdiction]
    FROM {scoped} GROUP BY ALL
    UNION ALL
    SELECT as_of, 'targets_listed', scope, 'ALL', count(*), count(*), NULL, NULL
    FROM grid GROUP BY ALL
    UNION ALL
    SELECT as_of, 'targets_ever_listed', scope, jurisdiction, count(*), count(*), NULL,
           [jurisdiction]
    FROM {prefix}_ever GROUP BY ALL
    UNION ALL
    SELECT as_of, 'targets_ever_listed', scope, 'ALL', count(DISTINCT target_id),
           count(DISTINCT target_id), NULL, NULL
    FROM {prefix}_ever GROUP BY ALL
    UNION ALL
    SELECT as_of, 'share_multilateral', scope, 'ALL', avg((n >= 2)::INTEGER),
           count(*) FILTER (WHERE n >= 2), count(*), NULL
    FROM grid GROUP BY ALL
    UNION ALL
    SELECT a.as_of, 'share_multilateral', a.scope, a.jurisdiction, avg((g.n >= 2)::INTEGER),
           count(*) FILTER (WHERE g.n >= 2), count(*), NULL
    FROM {scoped} a JOIN grid g USING (as_of, target_id, scope) GROUP BY ALL
    UNION ALL  -- Magnitsky-style in one jurisdiction, any programme in another
    SELECT a.as_of, 'share_multilateral_any_programme', a.scope, 'ALL',
           avg((x.n >= 2)::INTEGER), count(*) FILTER (WHERE x.n >= 2), count(*), NULL
    FROM (SELECT DISTINCT as_of, target_id, scope FROM {scoped} WHERE scope <> 'all') a
    JOIN any_grid x USING (as_of, target_id) GROUP BY ALL
    UNION ALL
    SELECT a.as_of, 'share_multilateral_any_programme', a.scope, a.jurisdiction,
           avg((x.n >= 2)::INTEGER), count(*) FILTER (WHERE x.n >= 2), count(*), NULL
    FROM {scoped} a JOIN any_grid x USING (as_of, target_id) WHERE a.scope <> 'all'
    GROUP BY ALL
    UNION ALL  -- share of A's targets that B lists too, for every B loaded on the date
    SELECT a.as_of, 'pairwise_share', a.scope, a.jurisdiction || '>' || b.jurisdiction,
           avg((c.target_id IS NOT NULL)::INTEGER), count(c.target_id), count(*),
           [a.jurisdiction, b.jurisdiction]
    FROM {scoped} a
    JOIN {bases} b
      ON b.as_of = a.as_of AND b.jurisdiction <> a.jurisdiction AND b.basis <> '{NOT_LOADED}'
    LEFT JOIN {scoped} c ON c.as_of = a.as_of AND c.target_id = a.target_id
     AND c.scope = a.scope AND c.jurisdiction = b.jurisdiction
    GROUP BY a.as_of, a.scope, a.jurisdiction, b.jurisdiction
    UNION ALL
    SELECT as_of, 'targets_by_category', 'all', jurisdiction || ':' || category,
           count(DISTINCT target_id), count(DISTINCT target_id), NULL, [jurisdiction]
    FROM {listed}
    WHERE current AND category IN ('human_rights', 'corruption', 'human_rights_and_corruption')
    GROUP BY ALL
    UNION ALL  -- listings (record and programme) that implement a UN listing
    SELECT as_of, 'share_un_mandated', 'all', jurisdiction, avg(un_mandated::INTEGER),
           count(*) FILTER (WHERE un_mandated), count(*), [jurisdiction]
    FROM {listed} WHERE current GROUP BY ALL
    UNION ALL
    SELECT t.as_of, 'share_theme', t.scope, t.jurisdiction || ':' || t.theme,
           count(DISTINCT t.target_id) / any_value(z.n), count(DISTINCT t.target_id),
           any_value(z.n), [t.jurisdiction]
    FROM themes t JOIN sizes z USING (as_of, scope, jurisdiction)
    GROUP BY t.as_of, t.scope, t.jurisdiction, t.theme
    UNION ALL
    SELECT g.as_of, 'share_multilateral_by_country', g.scope, c.country,
           avg((g.n >= 2)::INTEGER), count(*) FILTER (WHERE g.n >= 2), count(*), NULL
    FROM grid g JOIN lands c USING (target_id) GROUP BY ALL
    UNION ALL
    SELECT as_of, 'share_multilateral_by_region', scope, region, avg((n >= 2)::INTEGER),
           count(*) FILTER (WHERE n >= 2), count(*), NULL
    FROM (SELECT DISTINCT g.as_of, g.scope, g.target_id, g.n,
                 coalesce(r.region, 'Unknown') AS region
          FROM grid g JOIN lands c USING (target_id)
          LEFT JOIN ref.regions r ON r.country_code = c.country)
    GROUP BY ALL
    UNION ALL
    SELECT s.as_of, 'distinct_countries', s.scope, s.jurisdiction,
           count(DISTINCT c.country), count(DISTINCT c.country), NULL, [s.jurisdiction]
    FROM {scoped} s JOIN lands c USING (target_id) GROUP BY ALL
    UNION ALL
    SELECT g.as_of, 'distinct_countries', g.scope, 'ALL', count(DISTINCT c.country),
           count(DISTINCT c.country), NULL, NULL
    FROM grid g JOIN lands c USING (target_id) GROUP BY ALL
    UNION ALL
    SELECT as_of, 'share_in_allied_countries', scope, jurisdiction, avg(allied::INTEGER),
           count(*) FILTER (WHERE allied), count(*), [jurisdiction]
    FROM (SELECT a.*, EXISTS (SELECT 1 FROM lands c JOIN ref.allies al
                               ON al.country_code = c.country
                              WHERE c.target_id = a.target_id
                                AND al.jurisdiction = a.jurisdiction) AS allied
          FROM {scoped} a  -- over targets with a known country: the unknown are counted apart
          WHERE a.target_id IN (SELECT target_id FROM lands))
    GROUP BY ALL
    UNION ALL
    SELECT as_of, 'targets_country_unknown', scope, jurisdiction, count(*), count(*), NULL,
           [jurisdiction]
    FROM {scoped} WHERE target_id NOT IN (SELECT target_id FROM lands) GROUP BY ALL
    UNION ALL
    SELECT as_of, 'median_lag_days', scope, follower, median(days)::DOUBLE, count(*), NULL,
           NULL
    FROM lags GROUP BY ALL
    UNION ALL
    SELECT g.as_of, 'share_multilateral_by_annotation', g.scope, a.field || ': ' || a.value,
           avg((g.n >= 2)::INTEGER), count(*) FILTER (WHERE g.n >= 2), count(*), NULL
    FROM (SELECT DISTINCT target_id, field, value FROM alignment.annotations
          WHERE target_id IS NOT NULL) a
    JOIN grid g USING (target_id) GROUP BY ALL
)
SELECT f.as_of, f.metric, f.scope, f.jurisdiction, f.value, f.numerator, f.denominator,
       (SELECT string_agg(b.jurisdiction || ': ' || b.basis, '; ' ORDER BY b.position)
        FROM {bases} b
        WHERE b.as_of = f.as_of
          AND (f.rests_on IS NULL OR list_contains(f.rests_on, b.jurisdiction))) AS basis
FROM figures f"""


SUMMARY_SQL = f"""
CREATE OR REPLACE TABLE alignment.summary AS
SELECT metric, scope, jurisdiction, value, numerator, denominator
FROM ({figures_sql("now")})
UNION ALL
SELECT 'source_snapshot', 'all',
       jurisdiction || ': ' || snapshot
       || CASE WHEN stale THEN ' (stale: expected at least every ' || freshness_days
                               || CASE WHEN freshness_days = 1 THEN ' day)' ELSE ' days)' END
               ELSE '' END,
       coalesce(record_count, 0)::DOUBLE, record_count, NULL::BIGINT
FROM alignment.jurisdictions WHERE NOT reference
"""

# Dates of the over-time series: every history snapshot, the year-ends since the first
# Magnitsky law, and today, from the earliest evidence held.
OVER_TIME_DATES = f"""
SELECT DISTINCT as_of FROM (
    SELECT {utc_date("as_of")} AS as_of FROM history.snapshots
    UNION SELECT make_date(y::INTEGER, 12, 31)
          FROM range({OVER_TIME_FIRST_YEAR}, year(current_date)) t(y)
    UNION SELECT current_date)
WHERE as_of <= current_date AND as_of >= (
    SELECT min(least(history_from, snapshot_on, listing_dates_from))
    FROM alignment.jurisdictions WHERE NOT reference)"""

OVER_TIME_SQL = """
CREATE OR REPLACE TABLE alignment.over_time AS
SELECT as_of, scope, jurisdiction, numerator AS multilateral, denominator AS targets,
       value AS share_multilateral, basis
FROM alignment.report_figures WHERE metric = 'share_multilateral'
ORDER BY as_of, scope, jurisdiction"""

TABLE_COMMENTS = {
    "listings": "One row per target, jurisdiction and programme it is listed under, with "
    "Magnitsky-style flags and listing date: the base of every other mart.",
    "jurisdictions": "One row per source of the registry: its jurisdiction, whether it is a "
    "reference list (the UN), whether loaded, its last good snapshot (published date as the "
    "publisher states it, else the day it was fetched), whether stale, and from which date "
    "its history and its listing dates are evidence.",
    "target_jurisdictions": "One row per target, loaded jurisdiction and scope: whether the "
    "jurisdiction lists the target in that scope, since when, under which programme keys.",
    "targets": "One row per target: name, type, countries, and for each jurisdiction of the "
    "registry whether it lists the target, under which programme keys, since when, and whether "
    "under a Magnitsky-style programme (strict and broad); jurisdiction counts per scope "
    "(all, strict, broad, autonomous); the record ids.",
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


def read_annotations(path: Path) -> list[tuple]:
    """Rows of the analysts' annotations CSV (id, field, value, source, note), validated."""
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
            rows.append(tuple((row[c] or "").strip() or None for c in ANNOTATION_COLUMNS))
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
           SELECT ?, coalesce((SELECT target_id FROM matching.clusters WHERE record_id = $1),
                              (SELECT any_value(target_id) FROM matching.clusters
                               WHERE target_id = $1),
                              (SELECT any_value(c.target_id) FROM a_successor s
                               JOIN matching.clusters c ON c.target_id = s.new_id
                               WHERE s.old_id = $1)),
                  ?, ?, ?, ?, NULL""",
        rows,
    )
    con.execute(
        """UPDATE alignment.annotations SET problem = 'unknown record or target id'
           WHERE target_id IS NULL"""
    )


BASIS_COMMENT = (
    "The evidence each jurisdiction rests on for the date, e.g. 'US: history; CA: "
    "listing_dates; EU: not loaded for date' (history, snapshot, listing_dates, not loaded "
    "for date)."
)
COLUMN_COMMENTS = {
    "jurisdictions": {
        "position": "Order of the source in the registry.",
        "jurisdiction": "US, CA, UK, EU, ... (sanctions.sources.SOURCES).",
        "source_id": "Source id.",
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
    "target_jurisdictions": {
        "listed": "Whether the jurisdiction lists the target in the scope.",
        "first_listed": "Its earliest listing date for the target in the scope.",
        "listed_on_origin": "publisher or first_seen (see alignment.lags.date_origin).",
        "programme_keys": "Programme keys of its listings of the target in the scope.",
    },
    "listing_evidence": {
        "basis": "history, snapshot or listing_dates.",
        "listed_from": "First date the row is evidence of the listing.",
        "listed_to": "Date the history shows it gone (or replaced by a later version); NULL "
        "while listed.",
        "un_referenced": "The record carries a UN reference (known for the version core holds "
        "only); as_of adds the UN regimes and the UN's own listings valid on the date.",
    },
    "report_figures": {
        "as_of": "The date the figure describes.",
        "metric": "What is measured, e.g. targets_listed, share_multilateral, pairwise_share "
        "(jurisdiction A>B: share of A's targets B lists too), share_theme, "
        "share_un_mandated.",
        "scope": "strict, broad, all or autonomous.",
        "jurisdiction": "The jurisdiction, ALL, or the breakdown (country, region, "
        "jurisdiction:theme, A>B).",
        "value": "The figure: numerator / denominator for shares.",
        "numerator": "Count behind the figure.",
        "denominator": "Count it is a share of; NULL for counts.",
        "basis": BASIS_COMMENT,
    },
    "over_time": {
        "multilateral": "Targets listed by two or more jurisdictions (of the jurisdiction's).",
        "targets": "Targets listed in the scope (by the jurisdiction, or by any for ALL).",
        "share_multilateral": "multilateral / targets.",
        "basis": BASIS_COMMENT,
    },
    "listings": {
        "un_mandated": "The listing implements a UN listing: the record carries a UN "
        "reference, its regime is a UN one, or the UN list holds the target.",
    },
}


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


def build(con, annotations: list[tuple] | None = None) -> dict[str, int]:
    """Rebuild every alignment mart in one transaction; return row counts."""
    con.execute("BEGIN TRANSACTION")
    try:
        _registry_table(con)
        history.key_programmes(con)  # the taxonomy in use keys the history too
        for statement in BASE_STATEMENTS:
            con.execute(statement)
        stage(con, "now", NOW_BASES, NOW_LISTED)
        for statement in MART_STATEMENTS:
            con.execute(statement)
        load_annotations(con, annotations or [])
        con.execute(SUMMARY_SQL)
        con.execute(EVIDENCE_SQL)
        for macro in MACROS:
            con.execute(macro)
        stage_dates(con, OVER_TIME_DATES)
        con.execute(f"CREATE OR REPLACE TABLE alignment.report_figures AS {figures_sql('dated')}")
        con.execute(OVER_TIME_SQL)
        for table, comment in TABLE_COMMENTS.items():
            _comment(con, "TABLE", table, comment)
        for table, columns in COLUMN_COMMENTS.items():
            for column, comment in columns.items():
                _comment(con, "COLUMN", f"{table}.{column}", comment)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
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
