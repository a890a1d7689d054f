"""Alignment marts: who is sanctioned by which jurisdictions, under which programmes, who by
only one, and how long the others take to follow. Pure SQL over matching.clusters and core.

Scopes are rows, not separate builds: `all` (any programme), `broad` and `strict`
(Magnitsky-style, from ref.programmes). A jurisdiction lists a target "in scope" when one of its
records in the target carries a programme of that scope.
"""

from __future__ import annotations

import csv
from pathlib import Path

JURISDICTIONS = ("US", "CA", "UK", "EU")
SCOPES = ("all", "broad", "strict")

STATEMENTS = [
    # One row per (target, jurisdiction, programme) listing, with scope flags and dates.
    """CREATE OR REPLACE TABLE alignment.listings AS
    SELECT c.target_id, c.record_id, c.jurisdiction, p.programme_key, p.programme_raw,
           coalesce(t.category, 'unknown') AS category,
           coalesce(t.magnitsky_strict, false) AS strict,
           coalesce(t.magnitsky_broad, false) AS broad,
           coalesce(p.listed_on, r.listed_on, f.first_seen::DATE) AS listed_on,
           CASE WHEN coalesce(p.listed_on, r.listed_on) IS NOT NULL
                THEN coalesce(r.listed_on_origin, 'publisher')
                WHEN f.first_seen IS NOT NULL THEN 'first_seen' END AS listed_on_origin
    FROM matching.clusters c
    JOIN core.records r USING (record_id)
    JOIN core.programmes p USING (record_id)
    LEFT JOIN (  -- first seen in the history, for records that appeared after its start
        SELECT v.record_id, min(v.valid_from) AS first_seen
        FROM history.record_versions v
        JOIN (SELECT source_id, min(as_of) AS started FROM history.snapshots GROUP BY 1) h
          USING (source_id)
        GROUP BY v.record_id HAVING min(v.valid_from) > any_value(h.started)
    ) f USING (record_id)
    LEFT JOIN ref.programmes t
           ON t.jurisdiction = c.jurisdiction AND t.programme_key = p.programme_key
    QUALIFY row_number() OVER (PARTITION BY c.record_id, p.programme_key
                               ORDER BY coalesce(p.listed_on, r.listed_on, f.first_seen)) = 1""",
    # The (target, jurisdiction, scope) grid.
    """CREATE OR REPLACE TEMP TABLE a_scoped AS
    SELECT target_id, jurisdiction, scope, min(listed_on) AS first_listed,
           any_value(listed_on_origin ORDER BY listed_on) AS listed_on_origin
    FROM alignment.listings,
         (SELECT unnest(['all', 'broad', 'strict']) AS scope) s
    WHERE scope = 'all' OR (scope = 'broad' AND broad) OR (scope = 'strict' AND strict)
    GROUP BY ALL""",
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
    ), programmes AS (
        SELECT target_id, jurisdiction, list(DISTINCT programme_key ORDER BY programme_key)
               AS keys
        FROM alignment.listings GROUP BY ALL
    )
    SELECT k.target_id, coalesce(n.name, k.record_ids[1]) AS name, k.entity_type,
           coalesce(l.countries, []) AS countries,
    """
    + ",\n".join(
        f"""
           EXISTS (SELECT 1 FROM a_scoped s WHERE s.target_id = k.target_id
                   AND s.jurisdiction = '{j}' AND s.scope = 'all') AS listed_{j.lower()},
           (SELECT keys FROM programmes p WHERE p.target_id = k.target_id
            AND p.jurisdiction = '{j}') AS programmes_{j.lower()},
           (SELECT first_listed FROM a_scoped s WHERE s.target_id = k.target_id
            AND s.jurisdiction = '{j}' AND s.scope = 'all') AS first_listed_{j.lower()},
           EXISTS (SELECT 1 FROM a_scoped s WHERE s.target_id = k.target_id
                   AND s.jurisdiction = '{j}' AND s.scope = 'strict')
               AS magnitsky_strict_{j.lower()},
           EXISTS (SELECT 1 FROM a_scoped s WHERE s.target_id = k.target_id
                   AND s.jurisdiction = '{j}' AND s.scope = 'broad')
               AS magnitsky_broad_{j.lower()}"""
        for j in JURISDICTIONS
    )
    + """,
           (SELECT count(DISTINCT jurisdiction) FROM a_scoped s
            WHERE s.target_id = k.target_id AND s.scope = 'all') AS jurisdictions,
           (SELECT count(DISTINCT jurisdiction) FROM a_scoped s
            WHERE s.target_id = k.target_id AND s.scope = 'strict') AS jurisdictions_strict,
           (SELECT count(DISTINCT jurisdiction) FROM a_scoped s
            WHERE s.target_id = k.target_id AND s.scope = 'broad') AS jurisdictions_broad,
           k.record_ids
    FROM kinds k LEFT JOIN names n USING (target_id) LEFT JOIN lands l USING (target_id)""",
    """CREATE OR REPLACE TABLE alignment.gaps AS
    SELECT a.target_id, a.jurisdiction AS listed_by, j.jurisdiction AS not_listed_by, a.scope,
           a.first_listed AS since
    FROM a_scoped a
    CROSS JOIN (SELECT unnest(['US', 'CA', 'UK', 'EU']) AS jurisdiction) j
    WHERE j.jurisdiction <> a.jurisdiction
      AND NOT EXISTS (SELECT 1 FROM a_scoped b WHERE b.target_id = a.target_id
                      AND b.scope = a.scope AND b.jurisdiction = j.jurisdiction)""",
    """CREATE OR REPLACE TABLE alignment.pairwise AS
    WITH pairs AS (
        SELECT a.jurisdiction AS first, b.jurisdiction AS second, s.scope
        FROM (SELECT unnest(['US', 'CA', 'UK', 'EU']) AS jurisdiction) a,
             (SELECT unnest(['US', 'CA', 'UK', 'EU']) AS jurisdiction) b,
             (SELECT unnest(['all', 'broad', 'strict']) AS scope) s
        WHERE a.jurisdiction <> b.jurisdiction
    ), grid AS (
        SELECT target_id, scope, list(jurisdiction) AS listed FROM a_scoped GROUP BY ALL
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
    """CREATE OR REPLACE TABLE alignment.lags AS
    WITH dated AS (SELECT * FROM a_scoped WHERE first_listed IS NOT NULL),
    leaders AS (
        SELECT target_id, scope, arg_min(jurisdiction, first_listed) AS leader,
               min(first_listed) AS led_on
        FROM dated GROUP BY ALL HAVING count(*) > 1
    )
    SELECT d.target_id, d.scope, l.leader, d.jurisdiction AS follower, l.led_on,
           d.first_listed AS followed_on, date_diff('day', l.led_on, d.first_listed) AS days,
           d.listed_on_origin AS date_origin
    FROM dated d JOIN leaders l USING (target_id, scope)
    WHERE d.jurisdiction <> l.leader""",
]

OVER_TIME_SQL = """
CREATE OR REPLACE TABLE alignment.over_time AS
WITH scopes AS (SELECT unnest(['all', 'broad', 'strict']) AS scope),
dates AS (SELECT DISTINCT as_of::DATE AS as_of FROM history.snapshots),
covered AS (  -- jurisdictions whose history had started by each date
    SELECT d.as_of, list_sort(list(DISTINCT upper(split_part(s.source_id, '_', 1)))) AS sources
    FROM dates d JOIN history.snapshots s ON s.as_of::DATE <= d.as_of GROUP BY d.as_of
), listed AS (
    SELECT d.as_of, v.record_id, split_part(v.record_id, ':', 1) AS jurisdiction
    FROM dates d JOIN history.record_versions v
      ON v.valid_from::DATE <= d.as_of AND (v.valid_to IS NULL OR v.valid_to::DATE > d.as_of)
), keyed AS (
    SELECT l.*, (SELECT arg_max(e.programme_keys, e.event_date) FROM history.events e
                 WHERE e.record_id = l.record_id AND e.event_date::DATE <= l.as_of) AS keys
    FROM listed l
), scoped AS (
    SELECT DISTINCT k.as_of, t.target_id, k.jurisdiction, s.scope
    FROM keyed k JOIN matching.record_targets t USING (record_id), scopes s
    WHERE s.scope = 'all' OR EXISTS (
        SELECT 1 FROM ref.programmes p WHERE p.jurisdiction = k.jurisdiction
          AND list_contains(k.keys, p.programme_key)
          AND ((s.scope = 'broad' AND p.magnitsky_broad)
               OR (s.scope = 'strict' AND p.magnitsky_strict)))
), per_target AS (
    SELECT as_of, scope, target_id, count(DISTINCT jurisdiction) AS n FROM scoped GROUP BY ALL
), from_listing_dates AS (  -- before the history: the listing dates the publishers give
    SELECT make_date(y, 12, 31) AS as_of, l.scope, l.target_id,
           count(DISTINCT l.jurisdiction) AS n
    FROM (SELECT DISTINCT target_id, jurisdiction, scope, first_listed
          FROM a_scoped WHERE listed_on_origin = 'publisher') l,
         (SELECT unnest(range(2012, year(current_date))) AS y) years
    WHERE l.first_listed <= make_date(y, 12, 31)
    GROUP BY ALL
)
SELECT p.as_of, 'snapshots' AS basis, p.scope, avg((n >= 2)::INTEGER) AS value,
       count(*) FILTER (WHERE n >= 2) AS numerator, count(*) AS denominator,
       any_value(c.sources) AS sources
FROM per_target p JOIN covered c USING (as_of) GROUP BY p.as_of, p.scope
UNION ALL
SELECT as_of, 'publisher_listing_dates', scope, avg((n >= 2)::INTEGER),
       count(*) FILTER (WHERE n >= 2), count(*), NULL
FROM from_listing_dates GROUP BY ALL
ORDER BY 1, 2, 3
"""

TABLE_COMMENTS = {
    "listings": "One row per target, jurisdiction and programme it is listed under, with "
    "Magnitsky-style flags and listing date: the base of every other mart.",
    "targets": "One row per target: name, type, countries, and for each of US, CA, UK, EU "
    "whether it lists the target, under which programme keys, since when, and whether under a "
    "Magnitsky-style programme (strict and broad); jurisdiction counts; the record ids.",
    "gaps": "For every target listed in a scope by some but not all jurisdictions: who lists "
    "it, who does not, in which scope, and since when.",
    "pairwise": "For each ordered pair of jurisdictions and scope: targets listed by both, by "
    "the first only, by the second only.",
    "lags": "For targets listed by several jurisdictions with known dates: days from the first "
    "listing to each follow-on listing, per scope; date_origin says where the date comes from "
    "(publisher: the list itself; first_seen: the first snapshot in the history that showed "
    "it, for lists that give no listing date).",
    "over_time": "Share of targets listed by two or more jurisdictions as of each snapshot date "
    "in the history (basis snapshots; sources says which lists had a history by then), and, "
    "for earlier years, an estimate from the listing dates the publishers give (basis "
    "publisher_listing_dates: only jurisdictions that publish listing dates count).",
    "summary": "The report's figures as (metric, scope, jurisdiction, value, numerator, "
    "denominator); for shares value = numerator / denominator, so every figure traces back to "
    "alignment.targets.",
}

SUMMARY_SQL = """
CREATE OR REPLACE TABLE alignment.summary AS
WITH grid AS (SELECT target_id, scope, count(DISTINCT jurisdiction) AS n
              FROM a_scoped GROUP BY ALL),
any_grid AS (SELECT target_id, count(DISTINCT jurisdiction) AS n
             FROM a_scoped WHERE scope = 'all' GROUP BY ALL),
per_jurisdiction AS (
    SELECT 'targets_listed' AS metric, scope, jurisdiction,
           count(DISTINCT target_id)::DOUBLE AS value,
           count(DISTINCT target_id) AS numerator, NULL::BIGINT AS denominator
    FROM a_scoped GROUP BY ALL
), multilateral AS (
    SELECT 'share_multilateral' AS metric, scope, 'ALL' AS jurisdiction,
           avg((n >= 2)::INTEGER) AS value, count(*) FILTER (WHERE n >= 2) AS numerator,
           count(*) AS denominator
    FROM grid GROUP BY scope
), multilateral_by_jurisdiction AS (
    SELECT 'share_multilateral' AS metric, a.scope, a.jurisdiction,
           avg((g.n >= 2)::INTEGER), count(*) FILTER (WHERE g.n >= 2), count(*)
    FROM a_scoped a JOIN grid g USING (target_id, scope) GROUP BY ALL
), magnitsky_any AS (  -- Magnitsky-style in one jurisdiction, any programme in another
    SELECT 'share_multilateral_any_programme' AS metric, a.scope, 'ALL' AS jurisdiction,
           avg((x.n >= 2)::INTEGER), count(*) FILTER (WHERE x.n >= 2), count(*)
    FROM (SELECT DISTINCT target_id, scope FROM a_scoped WHERE scope <> 'all') a
    JOIN any_grid x USING (target_id) GROUP BY ALL
), categories AS (
    SELECT 'targets_by_category' AS metric, 'all' AS scope, jurisdiction || ':' || category,
           count(DISTINCT target_id)::DOUBLE, count(DISTINCT target_id), NULL::BIGINT
    FROM alignment.listings
    WHERE category IN ('human_rights', 'corruption', 'human_rights_and_corruption')
    GROUP BY ALL
), countries AS (
    SELECT 'share_multilateral_by_country' AS metric, g.scope, unnest(t.countries) AS country,
           g.n
    FROM grid g JOIN alignment.targets t USING (target_id)
), by_country AS (
    SELECT metric, scope, country, avg((n >= 2)::INTEGER), count(*) FILTER (WHERE n >= 2),
           count(*)
    FROM countries GROUP BY ALL
), by_region AS (
    SELECT 'share_multilateral_by_region', c.scope, coalesce(r.region, 'Unknown'),
           avg((c.n >= 2)::INTEGER), count(*) FILTER (WHERE c.n >= 2), count(*)
    FROM (SELECT DISTINCT * FROM countries) c LEFT JOIN ref.regions r ON r.country_code = c.country
    GROUP BY ALL
), allied AS (
    SELECT 'share_in_allied_countries' AS metric, a.scope, a.jurisdiction,
           avg(EXISTS (SELECT 1 FROM alignment.targets t, ref.allies al
                       WHERE t.target_id = a.target_id AND al.jurisdiction = a.jurisdiction
                         AND list_contains(t.countries, al.country_code))::INTEGER),
           count(*) FILTER (WHERE EXISTS (
               SELECT 1 FROM alignment.targets t, ref.allies al
               WHERE t.target_id = a.target_id AND al.jurisdiction = a.jurisdiction
                 AND list_contains(t.countries, al.country_code))),
           count(*)
    FROM a_scoped a GROUP BY ALL
), lag AS (
    SELECT 'median_lag_days' AS metric, scope, follower, median(days)::DOUBLE,
           count(*), NULL::BIGINT
    FROM alignment.lags GROUP BY ALL
), annotated AS (
    SELECT 'share_multilateral_by_annotation' AS metric, g.scope,
           a.field || ': ' || a.value, avg((g.n >= 2)::INTEGER), count(*) FILTER (WHERE g.n >= 2),
           count(*)
    FROM (SELECT DISTINCT target_id, field, value FROM alignment.annotations
          WHERE target_id IS NOT NULL) a
    JOIN grid g USING (target_id) GROUP BY ALL
), sources AS (
    SELECT 'source_snapshot' AS metric, 'all' AS scope,
           j.jurisdiction || ': ' || coalesce(
               'last good snapshot ' || strftime(coalesce(s.published_on, s.loaded_at::DATE),
                                                 '%Y-%m-%d'), 'not loaded'),
           coalesce(s.record_count, 0)::DOUBLE, s.record_count, NULL::BIGINT
    FROM (VALUES ('US', 'us_ofac'), ('CA', 'ca_sema'), ('UK', 'uk_fcdo'), ('EU', 'eu_fsf'))
         j(jurisdiction, source_id)
    LEFT JOIN (SELECT * FROM core.snapshots
               QUALIFY row_number() OVER (PARTITION BY source_id ORDER BY loaded_at DESC) = 1) s
           USING (source_id)
)
SELECT * FROM per_jurisdiction
UNION ALL SELECT * FROM multilateral
UNION ALL SELECT * FROM multilateral_by_jurisdiction
UNION ALL SELECT * FROM magnitsky_any
UNION ALL SELECT * FROM categories
UNION ALL SELECT * FROM by_country
UNION ALL SELECT * FROM by_region
UNION ALL SELECT * FROM allied
UNION ALL SELECT * FROM lag
UNION ALL SELECT * FROM annotated
UNION ALL SELECT * FROM sources
"""


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
    """Attach annotations to this run's targets through record ids (or target ids)."""
    con.execute("DELETE FROM alignment.annotations")
    if not rows:
        return
    con.executemany(
        """INSERT INTO alignment.annotations
           SELECT ?, coalesce((SELECT target_id FROM matching.clusters WHERE record_id = $1),
                              (SELECT any_value(target_id) FROM matching.clusters
                               WHERE target_id = $1)),
                  ?, ?, ?, ?, NULL""",
        rows,
    )
    con.execute(
        """UPDATE alignment.annotations SET problem = 'unknown record or target id'
           WHERE target_id IS NULL"""
    )


def build(con, annotations: list[tuple] | None = None) -> dict[str, int]:
    """Rebuild every alignment mart in one transaction; return row counts."""
    con.execute("BEGIN TRANSACTION")
    try:
        for statement in STATEMENTS:
            con.execute(statement)
        load_annotations(con, annotations or [])
        con.execute(SUMMARY_SQL)
        con.execute(OVER_TIME_SQL)
        for table, comment in TABLE_COMMENTS.items():
            escaped = comment.replace("'", "''")
            con.execute(f"COMMENT ON TABLE alignment.{table} IS '{escaped}'")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return {
        table: con.execute(f"SELECT count(*) FROM alignment.{table}").fetchall()[0][0]
        for table in ("targets", "gaps", "pairwise", "lags", "summary", "over_time")
    }
