"""The alignment report as of a date, and what each number rests on: the basis of every
jurisdiction, snapshots dated by their evidence, partial snapshots named, the origin of every
date beside it. Charts are Vega-Lite specs (Vega-Altair), each with its numbers in a table
beside it: rendered to static SVG by vl-convert for the stand-alone report (no script, nothing
fetched), or drawn by the bundled Vega scripts in the site (`sanctions.site`), where every
number links to the page listing the targets behind it. The HTML comes from Jinja templates
with autoescape on: every name printed comes from the lists and is untrusted."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import altair as alt
import duckdb
import vl_convert
from jinja2 import Environment, FileSystemLoader

from sanctions import alignment, scopes
from sanctions.sources import SOURCES

MULTILATERAL_COLOUR = "#2f6f4e"
HEADLINE_METRIC = "share_multilateral"
CAVEATS = {
    "history": "the list as it stood on the date, from the history kept since {history_from}; "
    "targets listed then and delisted since are counted",
    "snapshot": "every record of the snapshot ({snapshot}) was listed by the date; listings "
    "and delistings between the snapshot and the date are unknown",
    "listing_dates": "records of the latest snapshot ({snapshot}) whose listing date is on or "
    "before the date; delistings before that snapshot are unknown, so targets delisted since "
    "are missing, and records without a listing date are not counted",
    alignment.NOT_LOADED: "no evidence for this date: left out of every figure, never counted "
    "as listing nobody",
}
# Where a listing date comes from (alignment.listings.listed_on_origin).
DATE_ORIGINS = {
    "publisher": "the publisher's listing date",
    "first_seen": "first seen in the history kept (the list gives no date)",
    None: "no date: the list gives none and the history began after it was listed",
}
LAG_BUCKETS = (
    (30, "under a month"),
    (365, "1-12 months"),
    (3 * 365, "1-3 years"),
    (None, "3 years or more"),
)
# The rows of the figures table: (metric, label, is a share).
TABLE_METRICS = (
    ("targets_listed", "targets listed", False),
    ("targets_ever_listed", "targets ever listed (delisted included where known)", False),
    ("share_multilateral", "listed by 2+ jurisdictions", True),
    ("share_multilateral_any_programme", "in this scope here, any programme elsewhere", True),
    ("share_in_allied_countries", "in allied countries (of targets with a known country)", True),
    ("targets_country_unknown", "targets with no known country", False),
    ("distinct_countries", "distinct countries of targets", False),
    ("median_lag_days", "median days to follow another jurisdiction", False),
    ("share_un_mandated", "listings implementing a UN listing", True),
)
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass
class Cell:
    """A number in a table, and the page listing what it counts (None: not a site page)."""

    text: str
    href: str | None = None


@dataclass
class Chart:
    """One picture: a Vega-Lite spec (drawn statically or by Vega) and its numbers as a table;
    the title is the figure's heading, outside the spec."""

    key: str
    title: str
    spec: dict
    columns: list[str]
    rows: list[list]
    svg: str = ""


@dataclass
class Linker:
    """Where each number's page is: nothing for the stand-alone report; the site collects the
    figures it links to and writes a page for each."""

    site: bool = False
    linked: dict[tuple, str] = field(default_factory=dict)

    def figure(self, key: tuple) -> str | None:
        """key: (as_of, metric, scope, jurisdiction) of a report figure, or a chart's own
        ("combination", scope, combo) / ("lags", bucket)."""
        if not self.site:
            return None
        path = "figures/" + "/".join(slug(str(part)) for part in key) + ".html"
        self.linked[key] = path
        return path

    def target(self, target_id: str) -> str | None:
        return target_page(target_id) if self.site else None


def target_page(target_id: str) -> str:
    """A target's page: targets/<target_id>.html; a record id standing for its own target
    (delisted before any matching run, e.g. "CA:Belarus / ...") is hashed to a file name."""
    if re.fullmatch(r"[A-Za-z0-9_-]+", target_id):
        return f"targets/{target_id}.html"
    return f"targets/record-{hashlib.sha256(target_id.encode()).hexdigest()[:16]}.html"


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text.replace(">", "-to-")).strip("_") or "_"


def build_report(database: str, as_of: date | None = None) -> str:
    """The stand-alone report (static SVG charts) for the warehouse (or its published copy) at
    `database`, as of `as_of` (today by default). Raises alignment.AsOfError for a date the
    evidence cannot answer."""
    with duckdb.connect(database, read_only=True) as con:
        as_of = as_of or today(con)
        stage_report(con, as_of, "report")
        context = report_context(con, as_of, "report", Linker())
        for chart in context["charts"]:
            chart.svg = vl_convert.vegalite_to_svg(chart.spec)
        return TEMPLATES.get_template("report.html.j2").render(site=False, root="", **context)


def stage_report(con, as_of: date, prefix: str) -> None:
    """Check `as_of` and stage the listings of that date and of every earlier date of the
    over-time series (alignment.stage: temp tables, so a read-only connection will do)."""
    alignment.check_as_of(con, as_of)
    con.execute("SET enable_progress_bar = false")
    day = f"DATE '{as_of.isoformat()}'"
    alignment.stage_dates(
        con,
        f"""SELECT {day} AS as_of
            UNION SELECT DISTINCT as_of FROM alignment.over_time WHERE as_of < {day}""",
        prefix,
    )


def today(con) -> date:
    return con.execute("SELECT current_date").fetchall()[0][0]


def _rows(con, sql: str, params=()) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


def report_context(con, as_of: date, prefix: str, linker: Linker) -> dict:
    """Everything the report shows, from the tables alignment.stage wrote under `prefix` (which
    may hold earlier dates too: the over-time series)."""
    figures = all_figures(con, prefix)
    now = {key[1:]: found for key, found in figures.items() if key[0] == as_of}
    bases = _bases(con, as_of, prefix)
    loaded = [b["jurisdiction"] for b in bases if b["basis"] != alignment.NOT_LOADED]
    partial = {b["jurisdiction"]: b["partial"] for b in bases if b["partial"]}
    described = {scope.name: scope.description for scope in scopes.from_warehouse(con)}
    in_order = _scopes(now, described)
    names = [*(b["jurisdiction"] for b in bases), "ALL"]

    def cell(metric: str, scope: str, j: str, share: bool) -> Cell:
        found = now.get((metric, scope, j))
        if found is None:
            return Cell("")
        value, num, den, _ = found
        text = f"{value:.1%} ({num:,}/{den:,})" if share else f"{value:,.0f}"
        return Cell(text, linker.figure((as_of, metric, scope, j)))

    headline = []
    for scope in in_order:
        found = now.get((HEADLINE_METRIC, scope, "ALL"))
        href = linker.figure((as_of, HEADLINE_METRIC, scope, "ALL")) if found else None
        headline.append((scope, label(scope), found, href, described[scope]))
    # pictured: the narrowest and the widest of the scopes that count a target on the date
    counting = [s for s in in_order if now.get(("targets_listed", s, "ALL"), (0, 0))[1]]
    narrowest, widest = (counting or in_order)[0], (counting or in_order)[-1]
    pictured = list(dict.fromkeys([narrowest, widest]))
    charts = [
        *(_upset(con, prefix, as_of, scope, loaded, linker) for scope in pictured),
        *(_matrix(now, as_of, scope, loaded, partial, linker) for scope in pictured),
        _over_time(con, prefix, as_of, figures, loaded, narrowest, linker),
        _lags(con, prefix, as_of, linker),
        _regions(now, as_of, narrowest, linker),
    ]
    return {
        "figures": figures,
        "as_of": as_of,
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "bases": bases,
        "partial": partial,
        "headline": headline,
        "names": names,
        "scopes": [(scope, described[scope]) for scope in in_order],
        "table": _figures_table(now, names, in_order, cell),
        "allies": _allies(con),
        "charts": charts,
        "newest": [
            (Cell(name, linker.target(target_id)), *rest)
            for target_id, name, *rest in _newest_unilateral(con, prefix, as_of)
        ],
        "date_origins": DATE_ORIGINS,
        "multilateral_colour": MULTILATERAL_COLOUR,
    }


def all_figures(con, prefix: str) -> dict[tuple, tuple]:
    """(as_of, metric, scope, jurisdiction) -> (value, numerator, denominator, basis) for every
    date staged under `prefix`."""
    return {
        (day, metric, scope, j): (value, num, den, basis)
        for day, metric, scope, j, value, num, den, basis in _rows(
            con, f"SELECT * FROM ({alignment.figures_sql(prefix)})"
        )
    }


def label(scope: str) -> str:
    """A scope in a title: its name as the scopes file spells it (alignment.scopes); what it
    counts is its description, shown in the report's scopes table and on every figure page."""
    return f"scope {scope}"


def _scopes(now: dict, described: dict[str, str]) -> list[str]:
    """Every scope the marts hold (alignment.scopes: schemas/scopes.csv or SANCTIONS_SCOPES),
    one that counts no target on the date included, narrowest first."""
    sizes = {
        scope: found[1]
        for (metric, scope, j), found in now.items()
        if metric == "targets_listed" and j == "ALL"
    }
    return sorted(described, key=lambda scope: (sizes.get(scope, 0), scope))


def _bases(con, as_of: date, prefix: str) -> list[dict]:
    """Each jurisdiction's basis on the date and its last good snapshot, dated by its evidence:
    an undated file by its latest listing date (published on or after it); stale only when the
    date is today (a past date is answered by its evidence, never stale); a snapshot far below
    its source's usual size shown as partial with its record count."""
    rows = _rows(
        con,
        f"""SELECT b.jurisdiction, j.source_id, b.basis, j.published_on, j.fetched_on,
                  j.record_count, j.stale, j.freshness_days, j.history_from, j.title,
                  (SELECT max(listed_on) FROM alignment.listings l
                   WHERE l.source_id = j.source_id AND l.listed_on_origin = 'publisher')
           FROM {prefix}_bases b JOIN alignment.jurisdictions j USING (jurisdiction, source_id)
           WHERE b.as_of = ? ORDER BY b.position""",
        [as_of],
    )
    is_today = as_of >= today(con)
    bases = []
    for row in rows:
        j, source_id, basis, published, fetched, count, stale, days, history_from, title = row[:10]
        latest = row[10]
        if count is None:
            snapshot = "not loaded"
        elif published:
            snapshot = f"published {published}"
        elif latest:
            snapshot = (
                f"published on or after {latest} (the file states no date; its latest listing "
                f"date is {latest}; fetched on {fetched})"
            )
        else:
            snapshot = f"fetched on {fetched} (the file states no publication date)"
        usual = SOURCES[source_id].min_records
        bases.append(
            {
                "jurisdiction": j,
                "basis": basis,
                "snapshot": snapshot,
                "stale": bool(stale) and is_today,
                "freshness_days": days,
                "title": title,
                "records": count,
                "partial": f"partial: {count:,} records (usually at least {usual:,})"
                if count is not None and count < usual
                else "",
                "caveat": CAVEATS[basis].format(history_from=history_from, snapshot=snapshot),
            }
        )
    return bases


def _figures_table(now: dict, names: list[str], scopes: list[str], cell) -> list[dict]:
    """Per scope, the figures per jurisdiction and in total; then, per scope, the share of each
    jurisdiction's targets listed under a regime that states its theme (human rights,
    corruption): a target whose theme nobody states is counted in no theme row."""
    rows = [
        {
            "scope": scope,
            "label": text,
            "cells": [cell(metric, scope, j, share) for j in names],
        }
        for scope in scopes
        for metric, text, share in TABLE_METRICS
        if any((metric, scope, j) in now for j in names)
    ]
    for scope in scopes:
        themes = sorted(
            {
                j.split(":", 1)[1]
                for (metric, s, j) in now
                if metric == "share_theme" and s == scope and not j.endswith(":unstated")
            }
        )
        rows += [
            {
                "scope": scope,
                "label": f"share listed for {theme.replace('_', ' ')} (stated by the regime)",
                "cells": [cell("share_theme", scope, f"{j}:{theme}", True) for j in names],
            }
            for theme in themes
        ]
    return rows


def _allies(con) -> list[tuple]:
    """The definition of allies in use: per jurisdiction and basis, the countries and the URL."""
    return _rows(
        con,
        """SELECT jurisdiction, basis, string_agg(country_code, ' ' ORDER BY country_code),
                  any_value(source_url)
           FROM ref.allies GROUP BY ALL ORDER BY 1, 2""",
    )


def _upset(con, prefix: str, as_of: date, scope: str, loaded: list[str], linker) -> Chart:
    """Which combinations of jurisdictions list the targets: a bar per combination over a
    matrix of dots naming its jurisdictions (UpSet)."""
    combos = _rows(
        con,
        f"""SELECT combo, count(*) AS targets FROM (
               SELECT target_id, list(jurisdiction ORDER BY position) AS combo
               FROM {prefix}_scoped JOIN {prefix}_bases USING (as_of, jurisdiction)
               WHERE scope = ? AND as_of = ? GROUP BY target_id)
           GROUP BY combo ORDER BY targets DESC, len(combo), combo::VARCHAR LIMIT 15""",
        [scope, as_of],
    )
    bars = [{"combination": " + ".join(combo), "targets": count} for combo, count in combos]
    dots = [
        {"combination": " + ".join(combo), "jurisdiction": j, "member": j in combo}
        for combo, _ in combos
        for j in loaded
    ]
    order = [bar["combination"] for bar in bars]
    x = alt.X("combination:N", sort=order, axis=None)
    top = (
        alt.Chart(alt.Data(values=bars))
        .mark_bar(color=MULTILATERAL_COLOUR)
        .encode(
            x=x,
            y=alt.Y("targets:Q", title="targets"),
            tooltip=["combination:N", alt.Tooltip("targets:Q", format=",")],
        )
        .properties(width=max(44 * len(bars), 200), height=180)
    )
    bottom = (
        alt.Chart(alt.Data(values=dots))
        .mark_circle(size=120)
        .encode(
            x=alt.X("combination:N", sort=order, axis=None),
            y=alt.Y("jurisdiction:N", sort=loaded, title=None),
            color=alt.Color(
                "member:N",
                scale=alt.Scale(domain=[True, False], range=["#222222", "#dddddd"]),
                legend=None,
            ),
            tooltip=["combination:N"],
        )
        .properties(width=max(44 * len(bars), 200), height=22 * len(loaded))
    )
    title = f"Targets by the combination of jurisdictions that list them, {label(scope)}"
    return Chart(
        key=f"upset-{scope}",
        title=title,
        spec=alt.vconcat(top, bottom, spacing=4).to_dict(),
        columns=["jurisdictions", "targets"],
        rows=[
            [
                " + ".join(combo),
                Cell(f"{count:,}", linker.figure(("combination", as_of, scope, "_".join(combo)))),
            ]
            for combo, count in combos
        ],
    )


def _matrix(now: dict, as_of, scope: str, loaded: list[str], partial: dict, linker) -> Chart:
    """Share of the row jurisdiction's targets that the column jurisdiction also lists."""
    cells, rows = [], []
    for first in loaded:
        for second in loaded:
            found = now.get(("pairwise_share", scope, f"{first}>{second}"))
            if not found or first == second:
                continue
            value, num, den, _ = found
            cells.append(
                {
                    "listed by": first,
                    "also listed by": second,
                    "share": value,
                    "both": num,
                    "targets": den,
                }
            )
            rows.append(
                [
                    first + (f" ({partial[first]})" if first in partial else ""),
                    second,
                    Cell(
                        f"{value:.1%} ({num:,}/{den:,})",
                        linker.figure((as_of, "pairwise_share", scope, f"{first}>{second}")),
                    ),
                ]
            )
    base = alt.Chart(alt.Data(values=cells)).encode(
        x=alt.X("also listed by:N", sort=loaded, axis=alt.Axis(orient="top", labelAngle=0)),
        y=alt.Y("listed by:N", sort=loaded),
    )
    heat = base.mark_rect().encode(
        color=alt.Color(
            "share:Q",
            scale=alt.Scale(domain=[0, 1], range=["#eef5f1", MULTILATERAL_COLOUR]),
            legend=alt.Legend(format=".0%", title="share"),
        ),
        tooltip=[
            "listed by:N",
            "also listed by:N",
            alt.Tooltip("share:Q", format=".1%"),
            alt.Tooltip("both:Q", format=","),
            alt.Tooltip("targets:Q", format=","),
        ],
    )
    text = base.mark_text().encode(
        text=alt.Text("share:Q", format=".0%"),
        color=alt.condition("datum.share > 0.5", alt.value("white"), alt.value("#222222")),
    )
    title = f"Share of the row's targets also listed by the column, {label(scope)}"
    size = 70 * max(len(loaded), 1)
    return Chart(
        key=f"matrix-{scope}",
        title=title,
        spec=(heat + text).properties(width=size, height=size).to_dict(),
        columns=["listed by", "also listed by", "share (both / targets of the first)"],
        rows=rows,
    )


def _over_time(con, prefix: str, as_of, figures: dict, loaded, scope: str, linker) -> Chart:
    """Targets of the narrowest scope listed per jurisdiction at each date of the series, and,
    in its own panel, the share listed by two or more (one axis per quantity: no line hides
    another)."""
    days = sorted({day for (day, metric, s, _) in figures if metric == HEADLINE_METRIC})
    counts, shares, rows = [], [], []
    for day in days:
        row = [str(day)]
        for j in loaded:
            found = figures.get((day, HEADLINE_METRIC, scope, j))
            if found:
                counts.append({"date": str(day), "jurisdiction": j, "targets": found[2]})
            row.append(
                Cell(f"{found[2]:,}", linker.figure((day, HEADLINE_METRIC, scope, j)))
                if found
                else Cell("")
            )
        total = figures.get((day, HEADLINE_METRIC, scope, "ALL"))
        if total and total[2]:
            shares.append(
                {"date": str(day), "share": total[0], "listed by 2+": total[1], "targets": total[2]}
            )
            row.append(
                Cell(
                    f"{total[0]:.1%} ({total[1]:,}/{total[2]:,})",
                    linker.figure((day, HEADLINE_METRIC, scope, "ALL")),
                )
            )
            row.append(total[3] or "")
        else:
            row += [Cell(""), ""]
        rows.append(row)
    date_axis = alt.X("date:T", title=None, axis=alt.Axis(format="%Y", tickCount="year"))
    lines = (
        alt.Chart(alt.Data(values=counts))
        .mark_line(point=True)
        .encode(
            x=date_axis,
            y=alt.Y("targets:Q", title="targets listed"),
            color=alt.Color(
                "jurisdiction:N", sort=loaded, legend=alt.Legend(orient="right", labelLimit=0)
            ),
            strokeDash=alt.StrokeDash("jurisdiction:N", sort=loaded, legend=None),
            tooltip=["date:T", "jurisdiction:N", alt.Tooltip("targets:Q", format=",")],
        )
        .properties(width=560, height=220)
    )
    share = (
        alt.Chart(alt.Data(values=shares))
        .mark_line(point=True, color="#222222")
        .encode(
            x=date_axis,
            y=alt.Y(
                "share:Q",
                title="share listed by 2+",
                axis=alt.Axis(format=".0%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            tooltip=[
                "date:T",
                alt.Tooltip("share:Q", format=".1%"),
                alt.Tooltip("listed by 2+:Q", format=","),
                alt.Tooltip("targets:Q", format=","),
            ],
        )
        .properties(width=560, height=140)
    )
    title = (
        f"Targets listed per jurisdiction over time, and the share listed by two or more, "
        f"{label(scope)}"
    )
    return Chart(
        key="over-time",
        title=title,
        spec=alt.vconcat(lines, share).to_dict(),
        columns=["as of", *loaded, "share listed by 2+", "basis"],
        rows=rows,
    )


def bar_chart(key: str, title: str, bars: list[dict], columns, rows) -> Chart:
    """A horizontal bar chart of {"label", "value"} rows, in their order."""
    spec = (
        alt.Chart(alt.Data(values=bars))
        .mark_bar(color=MULTILATERAL_COLOUR)
        .encode(
            y=alt.Y(
                "label:N",
                sort=[bar["label"] for bar in bars],
                title=None,
                axis=alt.Axis(labelLimit=0),
            ),
            x=alt.X("value:Q", title=columns[1]),
            tooltip=["label:N", alt.Tooltip("value:Q", format=",")],
        )
        .properties(width=480)
        .to_dict()
    )
    return Chart(key, title, spec, columns, rows)


def lag_bucket(days: int) -> int:
    return next(i for i, (limit, _) in enumerate(LAG_BUCKETS) if limit is None or days < limit)


def _lags(con, prefix: str, as_of, linker) -> Chart:
    """How long the others took to follow the first jurisdiction, in buckets, all programmes."""
    lags = _rows(
        con,
        f"""SELECT days FROM ({alignment.lags_sql(f"{prefix}_scoped")})
            WHERE scope = 'all' AND as_of = ?""",
        [as_of],
    )
    counts = [0] * len(LAG_BUCKETS)
    for (days,) in lags:
        counts[lag_bucket(days)] += 1
    bars = [{"label": text, "value": counts[i]} for i, (_, text) in enumerate(LAG_BUCKETS)]
    return bar_chart(
        "lags",
        "Time for another jurisdiction to follow (dated listings, all programmes)",
        bars,
        ["time to follow", "follow-on listings"],
        [
            [text, Cell(f"{counts[i]:,}", linker.figure(("lags", as_of, i)))]
            for i, (_, text) in enumerate(LAG_BUCKETS)
        ],
    )


def _regions(now: dict, as_of, scope: str, linker) -> Chart:
    """Targets of the narrowest scope by region, with the share listed by two or more."""
    metric = "share_multilateral_by_region"
    regions = sorted(
        ((j, v) for (m, s, j), v in now.items() if m == metric and s == scope),
        key=lambda item: (-item[1][2], item[0]),
    )
    return bar_chart(
        "regions",
        f"Targets by region (of their known countries), {label(scope)}",
        [{"label": region, "value": den} for region, (_, _, den, _) in regions],
        ["region", "targets", "listed by 2+"],
        [
            [
                region,
                f"{den:,}",
                Cell(
                    f"{value:.1%} ({num:,}/{den:,})",
                    linker.figure((as_of, metric, scope, region)),
                ),
            ]
            for region, (value, num, den, _) in regions
        ],
    )


def _newest_unilateral(con, prefix: str, as_of) -> list[tuple]:
    """Targets listed by one jurisdiction only on the date, newest listing first, with the
    origin of the date; a listing implementing a UN listing is never unilateral."""
    return _rows(
        con,
        f"""SELECT l.target_id, coalesce(t.name, l.target_id), l.jurisdiction,
                  min(l.listed_on) AS since,
                  arg_min(l.listed_on_origin, l.listed_on) AS origin,
                  array_to_string(list(DISTINCT l.programme_key ORDER BY l.programme_key), ', ')
           FROM {prefix}_listed l LEFT JOIN alignment.targets t USING (target_id)
           WHERE l.as_of = ? AND l.current AND NOT l.un_mandated AND l.listed_on IS NOT NULL
             AND l.target_id IN (SELECT target_id FROM {prefix}_scoped
                                 WHERE as_of = ? AND scope = 'all'
                                 GROUP BY target_id HAVING count(*) = 1)
             AND l.target_id NOT IN (SELECT target_id FROM {prefix}_listed
                                     WHERE as_of = ? AND current AND un_mandated)
           GROUP BY ALL ORDER BY since DESC, 2 LIMIT 20""",
        [as_of, as_of, as_of],
    )
