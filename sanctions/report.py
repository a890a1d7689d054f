"""A self-contained HTML report of the alignment marts: numbers and inline SVG charts, no
script and nothing fetched, so it opens offline. Every name printed comes from the lists and
is escaped."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

import duckdb

JURISDICTIONS = ("US", "CA", "UK", "EU")
COLOURS = {"US": "#1f5fa8", "CA": "#c8102e", "UK": "#5a2d82", "EU": "#d4a017", "ALL": "#2f6f4e"}
SCOPE_LABELS = {
    "strict": "Magnitsky-style (strict)",
    "broad": "Magnitsky-style (broad)",
    "all": "all programmes",
}


def bar_chart(title: str, bars: list[tuple[str, float, str]], percent: bool = False) -> str:
    """A horizontal bar chart as inline SVG: (label, value, colour) per bar."""
    width, row, left = 720, 24, 310
    height = row * len(bars) + 40
    top = max((value for _, value, _ in bars), default=0) or 1
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}">',
        f'<text x="0" y="16" class="title">{escape(title)}</text>',
    ]
    for index, (label, value, colour) in enumerate(bars):
        y = 30 + index * row
        length = (width - left - 70) * value / top
        shown = f"{value:.1%}" if percent else f"{value:,.0f}"
        parts.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
            f'<rect class="bar" x="{left}" y="{y + 3}" width="{length:.1f}" height="{row - 8}" '
            f'fill="{colour}"/><text x="{left + length + 6:.1f}" y="{y + 15}">{shown}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _rows(con, sql: str, params=()) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


def build_report(database: str) -> str:
    """The report for the warehouse (or its published copy) at `database`."""
    with duckdb.connect(database, read_only=True) as con:
        return _render(con)


def _render(con) -> str:
    sources = [
        row[0]
        for row in _rows(
            con,
            """SELECT jurisdiction FROM alignment.summary
               WHERE metric = 'source_snapshot' ORDER BY 1""",
        )
    ]
    stamp = "Computed from: " + "; ".join(sources) + "."
    share = {
        (scope, j): (value, num, den)
        for _, scope, j, value, num, den in _rows(
            con, "SELECT * FROM alignment.summary WHERE metric = 'share_multilateral'"
        )
    }
    listed = {
        (scope, j): num
        for _, scope, j, _, num, _ in _rows(
            con, "SELECT * FROM alignment.summary WHERE metric = 'targets_listed'"
        )
    }

    headline = []
    for scope in ("strict", "broad", "all"):
        value, num, den = share.get((scope, "ALL"), (0.0, 0, 0))
        headline.append(
            f'<div class="figure"><div class="number" id="headline-{scope}">{value:.1%}</div>'
            f"<div>of {den:,} targets listed under {SCOPE_LABELS[scope]} are listed by two or "
            f"more jurisdictions ({num:,})</div></div>"
        )

    charts = []
    combos = _rows(
        con,
        """
        SELECT array_to_string(list_sort(list(DISTINCT jurisdiction)), ' + ') AS combo, count(*)
        FROM (SELECT target_id, unnest(['US','CA','UK','EU']) AS jurisdiction,
                     unnest([listed_us, listed_ca, listed_uk, listed_eu]) AS listed
              FROM alignment.targets) WHERE listed GROUP BY target_id""",
    )
    counts: dict[str, int] = {}
    for combo, _ in combos:
        counts[combo] = counts.get(combo, 0) + 1
    top = sorted(counts.items(), key=lambda item: -item[1])[:12]
    charts.append(
        bar_chart(
            "Targets by the jurisdictions that list them (all programmes)",
            [(combo, count, COLOURS["ALL"]) for combo, count in top],
        )
    )
    for scope in ("strict", "all"):
        charts.append(
            bar_chart(
                f"Share listed by two or more jurisdictions, {SCOPE_LABELS[scope]}",
                [
                    (
                        f"{j} ({listed.get((scope, j), 0):,} targets)",
                        share.get((scope, j), (0,))[0],
                        COLOURS[j],
                    )
                    for j in JURISDICTIONS
                    if (scope, j) in share
                ],
                percent=True,
            )
        )
    regions = _rows(
        con,
        """SELECT jurisdiction, value, denominator FROM alignment.summary
        WHERE metric = 'share_multilateral_by_region' AND scope = 'strict'
        ORDER BY denominator DESC""",
    )
    charts.append(
        bar_chart(
            "Magnitsky-style (strict) targets by region",
            [(f"{r} ({d:,}, {v:.0%} multilateral)", d, COLOURS["ALL"]) for r, v, d in regions],
        )
    )
    countries = _rows(
        con,
        """SELECT jurisdiction, denominator FROM alignment.summary
        WHERE metric = 'share_multilateral_by_country' AND scope = 'strict'
        ORDER BY denominator DESC LIMIT 12""",
    )
    charts.append(
        bar_chart(
            "Magnitsky-style (strict) targets by country (top 12)",
            [(c, d, COLOURS["ALL"]) for c, d in countries],
        )
    )
    lags = _rows(
        con,
        """SELECT CASE WHEN days < 30 THEN 'under a month'
                                   WHEN days < 365 THEN '1-12 months'
                                   WHEN days < 3 * 365 THEN '1-3 years' ELSE '3 years or more' END,
                              count(*), min(days)
                         FROM alignment.lags WHERE scope = 'all' GROUP BY 1 ORDER BY 3""",
    )
    charts.append(
        bar_chart(
            "Time for another jurisdiction to follow (dated listings)",
            [(label, count, COLOURS["ALL"]) for label, count, _ in lags],
        )
    )

    over_time = _rows(
        con,
        """SELECT basis, as_of, value, denominator FROM alignment.over_time
           WHERE scope = 'strict' ORDER BY basis DESC, as_of""",
    )
    charts.append(
        bar_chart(
            "Share of Magnitsky-style (strict) targets listed by two or more jurisdictions "
            "over time",
            [
                (
                    f"{as_of} ({'history' if basis == 'snapshots' else 'listing dates'}, {d:,})",
                    value,
                    COLOURS["ALL"],
                )
                for basis, as_of, value, d in over_time
            ],
            percent=True,
        )
    )
    newest = _rows(
        con,
        """
        SELECT t.name, g.listed_by, g.since, list(DISTINCT l.programme_key)
        FROM alignment.gaps g JOIN alignment.targets t USING (target_id)
        JOIN alignment.listings l ON l.target_id = g.target_id AND l.jurisdiction = g.listed_by
        WHERE g.scope = 'all' AND t.jurisdictions = 1 AND g.since IS NOT NULL
        GROUP BY ALL ORDER BY g.since DESC, t.name LIMIT 20""",
    )
    table = "".join(
        f"<tr><td>{escape(str(name))}</td><td>{escape(j)}</td><td>{since}</td>"
        f"<td>{escape(', '.join(programmes))}</td></tr>"
        for name, j, since, programmes in newest
    )
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Sanctions alignment report</title>
<style>
body {{ font-family: sans-serif; margin: 2em; max-width: 60em; color: #222; }}
.figures {{ display: flex; gap: 1.5em; }} .figure {{ flex: 1; }}
.number {{ font-size: 2.4em; font-weight: bold; color: #2f6f4e; }}
svg.chart {{ display: block; margin: 1.5em 0; font-size: 12px; }}
svg .title {{ font-weight: bold; font-size: 14px; }}
table {{ border-collapse: collapse; }} td, th {{ border-bottom: 1px solid #ddd; padding: 4px 8px; }}
.stamp {{ color: #555; font-size: 0.9em; }}
</style></head><body>
<h1>How the US, Canada, the UK and the EU align their targeted sanctions</h1>
<p class="stamp">{escape(stamp)} Generated {generated}.</p>
<div class="figures">{"".join(headline)}</div>
{
        "".join(
            f'<figure>{chart}<figcaption class="stamp">{escape(stamp)}</figcaption></figure>'
            for chart in charts
        )
    }
<h2>Newest unilateral listings</h2>
<p class="stamp">Targets listed by one jurisdiction only, newest first. {escape(stamp)}</p>
<table><tr><th>target</th><th>listed by</th><th>since</th><th>programmes</th></tr>{table}</table>
</body></html>
"""
