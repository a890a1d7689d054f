"""A static site of the alignment figures that works offline (file://, no server, nothing
fetched): `index.html` is the report with every number linked to its page; `figures/...` list
the targets behind each figure's numerator and denominator; `targets/<id>.html` tell one
target's story (names per jurisdiction, programmes and listing dates with their origin,
history events, match evidence, annotations, alerts); a search over target names is a JSON
index loaded as a script (browsers refuse fetch() on file://) and a few lines of plain JS."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from datetime import date
from pathlib import Path

import duckdb
import vl_convert

from sanctions import alignment
from sanctions.report import (
    DATE_ORIGINS,
    LAG_BUCKETS,
    MULTILATERAL_COLOUR,
    TEMPLATES,
    Linker,
    label,
    lag_bucket,
    report_context,
    stage_report,
    target_page,
    today,
)

PREFIX = "site"
ASSETS = Path(__file__).parent / "templates" / "assets"
# What each figure counts: its members, and which of them are in the numerator.
DEFINITIONS = {
    "targets_listed": "targets listed in the scope on the date",
    "targets_ever_listed": "targets listed in the scope on or before the date, delisted "
    "ones included where the history shows them",
    "share_multilateral": "of the targets listed in the scope, those listed by two or more "
    "jurisdictions",
    "share_multilateral_any_programme": "of the targets listed in the scope, those another "
    "jurisdiction lists under any programme",
    "pairwise_share": "of the first jurisdiction's targets in the scope, those the second "
    "lists too",
    "share_in_allied_countries": "of the targets with a known country, those with a country "
    "that is an ally of the jurisdiction (schemas/allies.csv)",
    "targets_country_unknown": "targets with no known country (nationality, citizenship, "
    "address, registration, flag)",
    "distinct_countries": "countries of the targets listed in the scope",
    "median_lag_days": "follow-on listings: days from the first jurisdiction's listing to "
    "this jurisdiction's; the figure is their median",
    "share_un_mandated": "listings (record and programme) implementing a UN listing",
    "share_theme": "of the jurisdiction's targets in the scope, those listed under a regime "
    "that states the theme (or annotated with it)",
    "share_multilateral_by_region": "of the targets with a country in the region, those "
    "listed by two or more jurisdictions",
    "combination": "targets listed by exactly this combination of jurisdictions",
    "lags": "follow-on listings (all programmes) whose lag falls in the bucket",
}


def build_site(database: Path, out: Path, as_of: date | None = None) -> dict[str, int]:
    """Write the site for the published copy at `database` into `out`; return page counts."""
    with duckdb.connect(str(database), read_only=True) as con:
        as_of = as_of or today(con)
        stage_report(con, as_of, PREFIX)
        linker = Linker(site=True)
        context = report_context(con, as_of, PREFIX, linker)
        out = Path(out)
        for folder in ("figures", "targets", "assets"):
            shutil.rmtree(out / folder, ignore_errors=True)
        (out / "assets").mkdir(parents=True)
        _write(
            out / "index.html",
            TEMPLATES.get_template("report.html.j2").render(
                site=True, search=True, root="", **context
            ),
        )
        described = dict(context["scopes"])
        figures = _figure_pages(con, out, context["figures"], linker, described)
        targets = _target_pages(con, out, as_of)
        _assets(out, targets)
    return {"figures": figures, "targets": len(targets)}


def _write(path: Path, text: str) -> None:
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def _assets(out: Path, targets: list[tuple[str, str, list[str]]]) -> None:
    """The Vega scripts (bundled by vl-convert: nothing is fetched), the chart and search
    scripts, and the search index as a script assigning a JSON array."""
    (out / "assets" / "vega.js").write_text(vl_convert.javascript_bundle(), encoding="utf-8")
    for name in ("charts.js", "search.js"):
        shutil.copyfile(ASSETS / name, out / "assets" / name)
    index = [[page, name, names] for page, name, names in targets]
    (out / "assets" / "search-index.js").write_text(
        "window.SEARCH_INDEX = " + json.dumps(index, ensure_ascii=False) + ";\n",
        encoding="utf-8",
    )


# ------------------------------------------------------------------------------ figure pages


def members_sql(prefix: str) -> str:
    """The members of every figure of alignment.figures_sql(prefix) that the site links to:
    (as_of, metric, scope, jurisdiction, target_id, member, in_numerator, detail). A share's
    rows are its denominator, in_numerator marks its numerator; a count's rows are what it
    counts. The site's test counts them against the figures."""
    scoped, listed, ever = f"{prefix}_scoped", f"{prefix}_listed", f"{prefix}_ever"
    return f"""
WITH grid AS (SELECT as_of, target_id, scope, count(DISTINCT jurisdiction) AS n,
                     string_agg(DISTINCT jurisdiction, ' + ' ORDER BY jurisdiction) AS who
              FROM {scoped} GROUP BY ALL),
any_grid AS (SELECT as_of, target_id, count(DISTINCT jurisdiction) AS n,
                    string_agg(DISTINCT jurisdiction, ' + ' ORDER BY jurisdiction) AS who
             FROM {scoped} WHERE scope = 'all' GROUP BY ALL),
lands AS (SELECT target_id, unnest(countries) AS country FROM alignment.targets),
stated AS (  -- as alignment's figures: the listing's theme, in each of its scopes
    SELECT DISTINCT as_of, target_id, jurisdiction, scope, theme
    FROM (SELECT *, unnest(scopes) AS scope FROM {listed} WHERE current)
    WHERE theme <> 'unstated'
), annotated AS (
    SELECT DISTINCT target_id, jurisdiction, value AS theme FROM alignment.annotations
    WHERE field = 'theme' AND target_id IS NOT NULL
), themes AS (
    SELECT s.as_of, s.target_id, s.jurisdiction, s.scope,
           coalesce(st.theme, an.theme, 'unstated') AS theme
    FROM {scoped} s LEFT JOIN stated st USING (as_of, target_id, jurisdiction, scope)
    LEFT JOIN annotated an ON st.theme IS NULL AND an.target_id = s.target_id
     AND (an.jurisdiction IS NULL OR an.jurisdiction = s.jurisdiction)
)
SELECT as_of, 'targets_listed' AS metric, scope, jurisdiction, target_id,
       NULL::VARCHAR AS member, true AS in_numerator, NULL::VARCHAR AS detail
FROM {scoped}
UNION ALL
SELECT as_of, 'targets_listed', scope, 'ALL', target_id, NULL, true, who FROM grid
UNION ALL
SELECT as_of, 'targets_ever_listed', scope, jurisdiction, target_id, NULL, true, NULL
FROM {ever}
UNION ALL
SELECT DISTINCT as_of, 'targets_ever_listed', scope, 'ALL', target_id, NULL, true, NULL
FROM {ever}
UNION ALL
SELECT as_of, 'share_multilateral', scope, 'ALL', target_id, NULL, n >= 2, who FROM grid
UNION ALL
SELECT a.as_of, 'share_multilateral', a.scope, a.jurisdiction, a.target_id, NULL, g.n >= 2,
       g.who
FROM {scoped} a JOIN grid g USING (as_of, target_id, scope)
UNION ALL
SELECT a.as_of, 'share_multilateral_any_programme', a.scope, 'ALL', a.target_id, NULL,
       x.n >= 2, x.who
FROM (SELECT DISTINCT as_of, target_id, scope FROM {scoped} WHERE scope <> 'all') a
JOIN any_grid x USING (as_of, target_id)
UNION ALL
SELECT a.as_of, 'share_multilateral_any_programme', a.scope, a.jurisdiction, a.target_id,
       NULL, x.n >= 2, x.who
FROM {scoped} a JOIN any_grid x USING (as_of, target_id) WHERE a.scope <> 'all'
UNION ALL
SELECT a.as_of, 'pairwise_share', a.scope, a.jurisdiction || '>' || b.jurisdiction,
       a.target_id, NULL, c.target_id IS NOT NULL, NULL
FROM {scoped} a
JOIN {prefix}_bases b ON b.as_of = a.as_of AND b.jurisdiction <> a.jurisdiction
 AND b.basis <> '{alignment.NOT_LOADED}'
LEFT JOIN {scoped} c ON c.as_of = a.as_of AND c.target_id = a.target_id
 AND c.scope = a.scope AND c.jurisdiction = b.jurisdiction
UNION ALL
SELECT a.as_of, 'share_in_allied_countries', a.scope, a.jurisdiction, a.target_id, NULL,
       EXISTS (SELECT 1 FROM lands c JOIN ref.allies al ON al.country_code = c.country
               WHERE c.target_id = a.target_id AND al.jurisdiction = a.jurisdiction),
       (SELECT string_agg(country, ' ' ORDER BY country) FROM lands c
        WHERE c.target_id = a.target_id)
FROM {scoped} a WHERE a.target_id IN (SELECT target_id FROM lands)
UNION ALL
SELECT as_of, 'targets_country_unknown', scope, jurisdiction, target_id, NULL, true, NULL
FROM {scoped} WHERE target_id NOT IN (SELECT target_id FROM lands)
UNION ALL
SELECT s.as_of, 'distinct_countries', s.scope, s.jurisdiction, NULL, c.country, true,
       count(DISTINCT s.target_id) || ' targets'
FROM {scoped} s JOIN lands c USING (target_id) GROUP BY ALL
UNION ALL
SELECT g.as_of, 'distinct_countries', g.scope, 'ALL', NULL, c.country, true,
       count(DISTINCT g.target_id) || ' targets'
FROM grid g JOIN lands c USING (target_id) GROUP BY ALL
UNION ALL
SELECT as_of, 'median_lag_days', scope, follower, target_id, NULL, true,
       leader || ' ' || led_on || ', ' || follower || ' ' || followed_on || ': ' || days
       || ' days (dates: ' || coalesce(date_origin, 'unknown') || ')'
FROM ({alignment.lags_sql(scoped)})
UNION ALL
SELECT as_of, 'share_un_mandated', 'all', jurisdiction, target_id, NULL, un_mandated,
       record_id || ' ' || coalesce(programme_key, 'no programme key')
FROM {listed} WHERE current
UNION ALL
SELECT t.as_of, 'share_theme', t.scope, t.jurisdiction || ':' || th.theme, t.target_id, NULL,
       bool_or(t.theme = th.theme), NULL
FROM themes t JOIN (SELECT DISTINCT as_of, scope, jurisdiction, theme FROM themes) th
  USING (as_of, scope, jurisdiction)
GROUP BY ALL
UNION ALL
SELECT DISTINCT g.as_of, 'share_multilateral_by_region', g.scope,
       coalesce(r.region, 'Unknown'), g.target_id, NULL, g.n >= 2, g.who
FROM grid g JOIN lands c USING (target_id)
LEFT JOIN ref.regions r ON r.country_code = c.country"""


def _figure_pages(con, out: Path, figures: dict, linker: Linker, described: dict) -> int:
    """A page per figure the index links to, listing its members; `described`: each scope's
    description (alignment.scopes), stated on the pages of its figures."""
    wanted = [key for key in linker.linked if key[0] not in ("combination", "lags")]
    con.execute(
        """CREATE OR REPLACE TEMP TABLE site_wanted (as_of DATE, metric VARCHAR,
           scope VARCHAR, jurisdiction VARCHAR)"""
    )
    con.executemany("INSERT INTO site_wanted VALUES (?, ?, ?, ?)", wanted)
    members = defaultdict(list)
    for day, metric, scope, j, target_id, member, numerator, detail, name in con.execute(
        f"""SELECT m.*, t.name FROM ({members_sql(PREFIX)}) m
            SEMI JOIN site_wanted w
              ON w.as_of = m.as_of AND w.metric = m.metric
             AND w.scope = m.scope AND w.jurisdiction = m.jurisdiction
            LEFT JOIN alignment.targets t USING (target_id)
            ORDER BY NOT m.in_numerator, coalesce(t.name, m.member, target_id), target_id"""
    ).fetchall():
        members[(day, metric, scope, j)].append(
            (
                target_page(target_id) if target_id else None,
                name or member or target_id,
                numerator,
                detail,
            )
        )
    pages = 0
    for key, path in linker.linked.items():
        if key[0] == "combination":
            page = _combination(con, *key[1:])
            page["scope"] = described[key[2]]
        elif key[0] == "lags":
            page = _lag_bucket(con, *key[1:])
        else:
            day, metric, scope, j = key
            value, num, den, basis = figures[key]
            page = {
                "title": f"{metric.replace('_', ' ')}: {j}, {label(scope)}, as of {day}",
                "definition": DEFINITIONS.get(metric, metric),
                "value": f"{value:.1%}" if den is not None else f"{value:,.0f}",
                "numerator": num,
                "denominator": den,
                "basis": basis,
                "rows": members[key],
                "scope": described[scope],
            }
        depth = path.count("/")
        _write(
            out / path,
            TEMPLATES.get_template("figure.html.j2").render(
                site=True, root="../" * depth, multilateral_colour=MULTILATERAL_COLOUR, **page
            ),
        )
        pages += 1
    return pages


def _combination(con, as_of: date, scope: str, combo: str) -> dict:
    jurisdictions = combo.split("_")
    found = con.execute(
        f"""SELECT s.target_id, coalesce(t.name, s.target_id), true, NULL
            FROM {PREFIX}_scoped s LEFT JOIN alignment.targets t USING (target_id)
            WHERE s.as_of = ? AND s.scope = ?
            GROUP BY ALL HAVING list_sort(list(s.jurisdiction)) = list_sort(?::VARCHAR[])
            ORDER BY 2, 1""",
        [as_of, scope, jurisdictions],
    ).fetchall()
    rows = [(target_page(target_id), *rest) for target_id, *rest in found]
    return {
        "title": f"Listed by exactly {' + '.join(jurisdictions)}, {label(scope)}, as of {as_of}",
        "definition": DEFINITIONS["combination"],
        "value": f"{len(rows):,}",
        "numerator": len(rows),
        "denominator": None,
        "basis": "",
        "rows": rows,
    }


def _lag_bucket(con, as_of: date, bucket: int) -> dict:
    lags = con.execute(
        f"""SELECT l.target_id, coalesce(t.name, l.target_id), true,
                   l.leader || ' ' || l.led_on || ', ' || l.follower || ' ' || l.followed_on
                   || ': ' || l.days || ' days', l.days
            FROM ({alignment.lags_sql(f"{PREFIX}_scoped")}) l
            LEFT JOIN alignment.targets t USING (target_id)
            WHERE l.scope = 'all' AND l.as_of = ? ORDER BY l.days, 2""",
        [as_of],
    ).fetchall()
    rows = [
        (target_page(target_id), *rest)
        for target_id, *rest, days in lags
        if lag_bucket(days) == bucket
    ]
    return {
        "title": f"Follow-on listings {LAG_BUCKETS[bucket][1]} after the first, as of {as_of}",
        "definition": DEFINITIONS["lags"],
        "value": f"{len(rows):,}",
        "numerator": len(rows),
        "denominator": None,
        "basis": "",
        "rows": rows,
    }


# ------------------------------------------------------------------------------ target pages


def _grouped(con, sql: str, params=()) -> dict[str, list[tuple]]:
    """Rows of `sql` (target_id first) grouped by target."""
    grouped = defaultdict(list)
    for target_id, *rest in con.execute(sql, list(params)).fetchall():
        grouped[target_id].append(tuple(rest))
    return grouped


def _has_table(con, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
            [schema, table],
        ).fetchall()[0][0]
    )


def _target_pages(con, out: Path, as_of: date) -> list[tuple[str, str, list[str]]]:
    """A page per target (those of alignment.targets, and the records the history shows
    delisted before any matching run, their own targets); returns the search index rows."""
    targets = con.execute(
        f"""SELECT target_id, coalesce(t.name, target_id), t.entity_type,
                   coalesce(t.countries, [])
            FROM (SELECT target_id FROM alignment.targets
                  UNION SELECT target_id FROM {PREFIX}_listed WHERE as_of = ?)
            LEFT JOIN alignment.targets t USING (target_id) ORDER BY target_id""",
        [as_of],
    ).fetchall()
    names = _grouped(
        con,
        """SELECT c.target_id, c.jurisdiction, c.record_id, n.name, n.kind
           FROM matching.clusters c JOIN core.names n USING (record_id)
           ORDER BY c.target_id, c.jurisdiction, c.record_id, n.kind <> 'primary', n.name""",
    )
    listings = _grouped(
        con,
        f"""SELECT l.target_id, l.jurisdiction, l.record_id, l.programme_key,
                   p.title, l.listed_on, l.listed_on_origin, l.un_mandated, l.basis, l.current
            FROM {PREFIX}_listed l
            LEFT JOIN (SELECT jurisdiction, programme_key, any_value(title) AS title
                       FROM ref.programmes GROUP BY ALL) p USING (jurisdiction, programme_key)
            WHERE l.as_of = ?
            ORDER BY l.target_id, l.jurisdiction, l.listed_on NULLS LAST, l.programme_key""",
        [as_of],
    )
    events = _grouped(
        con,
        """SELECT c.target_id, timezone('UTC', e.event_date)::DATE, c.jurisdiction, e.record_id,
                  e.event, array_to_string(e.changed_fields, ', '),
                  array_to_string(e.programme_keys, ', ')
           FROM history.events e JOIN matching.clusters c USING (record_id)
           ORDER BY c.target_id, e.event_date, e.record_id""",
    )
    links = _grouped(
        con,
        """SELECT DISTINCT c.target_id, k.left_record_id, k.right_record_id, k.left_name,
                  k.right_name, k.score, k.name_score, k.decision, k.rule, k.explanation
           FROM matching.links k JOIN matching.clusters c
             ON c.record_id IN (k.left_record_id, k.right_record_id)
           ORDER BY c.target_id, k.score DESC, k.left_record_id, k.right_record_id""",
    )
    judgements = _grouped(
        con,
        """SELECT DISTINCT c.target_id, j.left_record_id, j.right_record_id, j.verdict,
                  j.author, strftime(j.judged_at, '%Y-%m-%d'), j.note
           FROM matching.judgements j JOIN matching.clusters c
             ON c.record_id IN (j.left_record_id, j.right_record_id)
           ORDER BY ALL""",
    )
    annotations = _grouped(
        con,
        """SELECT target_id, field, value, source, note FROM alignment.annotations
           WHERE target_id IS NOT NULL ORDER BY ALL""",
    )
    alerts = (
        _grouped(
            con,
            """SELECT target_id, event_date, kind, array_to_string(scopes, ', '),
                      jurisdiction, message
               FROM alerts.alerts ORDER BY target_id, event_date, kind""",
        )
        if _has_table(con, "alerts", "alerts")
        else {}
    )
    template = TEMPLATES.get_template("target.html.j2")
    index = []
    for target_id, name, entity_type, countries in targets:
        own_names = names.get(target_id, [])
        _write(
            out / target_page(target_id),
            template.render(
                site=True,
                root="../",
                multilateral_colour=MULTILATERAL_COLOUR,
                as_of=as_of,
                target_id=target_id,
                name=name,
                entity_type=entity_type,
                countries=countries,
                names=own_names,
                listings=listings.get(target_id, []),
                date_origins=DATE_ORIGINS,
                events=events.get(target_id, []),
                links=[(*link[:-1], _explained(link[-1])) for link in links.get(target_id, [])],
                judgements=judgements.get(target_id, []),
                annotations=annotations.get(target_id, []),
                alerts=alerts.get(target_id, []),
            ),
        )
        others = sorted({row[2] for row in own_names} - {name})
        index.append((target_page(target_id), name, others))
    return index


def _explained(explanation: str | None) -> str:
    """The matcher's features as `name: value` pairs, the telling ones (true, scores) only."""
    if not explanation:
        return ""
    features = json.loads(explanation)
    return ", ".join(
        f"{key.replace('_', ' ')}: {value}"
        for key, value in features.items()
        if value not in (False, None, 0, "", [])
    )
