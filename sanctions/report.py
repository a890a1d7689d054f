"""A self-contained HTML report of the alignment figures as of a date: numbers, inline SVG
charts each with its numbers in a table beneath, no script and nothing fetched, so it opens
offline. The HTML comes from a Jinja template with autoescape on: every name printed comes
from the lists and is untrusted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
from jinja2 import Environment, FileSystemLoader

from sanctions import alignment

PALETTE = ("#1f5fa8", "#c8102e", "#5a2d82", "#d4a017", "#0f7b6c", "#8c564b", "#e377c2")
MULTILATERAL_COLOUR = "#2f6f4e"
MIN_CHART_WIDTH = 760
SCOPE_LABELS = {
    "strict": "Magnitsky-style (strict)",
    "broad": "Magnitsky-style (broad)",
    "all": "all programmes",
    "autonomous": "autonomous listings (UN-mandated excluded)",
}
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
LAG_BUCKETS = (
    (30, "under a month"),
    (365, "1-12 months"),
    (3 * 365, "1-3 years"),
    (None, "3 years or more"),
)
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass
class Chart:
    """One picture: an SVG drawn by the template from `shapes`, and its numbers as a table."""

    kind: str
    title: str
    width: int
    height: int
    shapes: dict
    columns: list[str]
    rows: list[list]

    def __post_init__(self):
        self.width = max(self.width, MIN_CHART_WIDTH)  # room for the title


def build_report(database: str, as_of: date | None = None) -> str:
    """The report for the warehouse (or its published copy) at `database`, as of `as_of`
    (today by default). Raises alignment.AsOfError for a date the evidence cannot answer."""
    with duckdb.connect(database, read_only=True) as con:
        as_of = as_of or con.execute("SELECT current_date").fetchall()[0][0]
        alignment.stage_as_of(con, as_of)
        return _render(con, as_of)


def _rows(con, sql: str, params=()) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


def _render(con, as_of: date) -> str:
    figures = {
        (metric, scope, j): (value, num, den, basis)
        for _, metric, scope, j, value, num, den, basis in _rows(
            con, f"SELECT * FROM ({alignment.figures_sql('asof')})"
        )
    }
    bases = _bases(con)
    loaded = [b["jurisdiction"] for b in bases if b["basis"] != alignment.NOT_LOADED]
    colours = {b["jurisdiction"]: PALETTE[i % len(PALETTE)] for i, b in enumerate(bases)}
    names = [*(b["jurisdiction"] for b in bases), "ALL"]
    charts = [
        _upset(con, "strict", loaded, colours),
        _upset(con, "all", loaded, colours),
        _matrix(figures, "strict", loaded),
        _matrix(figures, "all", loaded),
        _over_time(con, as_of, figures, loaded, colours),
        _lags(con),
        _regions(figures),
    ]
    return TEMPLATES.get_template("report.html.j2").render(
        as_of=as_of,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        bases=bases,
        headline=[
            (scope, SCOPE_LABELS[scope], figures.get(("share_multilateral", scope, "ALL")))
            for scope in ("strict", "broad", "all")
        ],
        names=names,
        table=_figures_table(figures, names),
        charts=charts,
        newest=_newest_unilateral(con),
        multilateral_colour=MULTILATERAL_COLOUR,
    )


def _bases(con) -> list[dict]:
    """Each jurisdiction's basis on the date, its last good snapshot and the caveat."""
    rows = _rows(
        con,
        """SELECT b.jurisdiction, b.basis, j.snapshot, j.stale, j.freshness_days,
                  j.history_from, j.title
           FROM asof_bases b JOIN alignment.jurisdictions j USING (jurisdiction, source_id)
           ORDER BY b.position""",
    )
    return [
        {
            "jurisdiction": j,
            "basis": basis,
            "snapshot": snapshot,
            "stale": bool(stale),
            "freshness_days": days,
            "title": title,
            "caveat": CAVEATS[basis].format(history_from=history_from, snapshot=snapshot),
        }
        for j, basis, snapshot, stale, days, history_from, title in rows
    ]


def _figures_table(figures: dict, names: list[str]) -> list[dict]:
    """Per scope, the figures per jurisdiction and in total; then the share of each
    jurisdiction's Magnitsky-style targets listed for human rights and for corruption."""
    metrics = (
        ("targets_listed", "targets listed", False),
        ("targets_ever_listed", "targets ever listed (delisted included where known)", False),
        ("share_multilateral", "listed by 2+ jurisdictions", True),
        ("share_multilateral_any_programme", "Magnitsky-style here, any programme elsewhere", True),
        ("share_in_allied_countries", "targets in allied countries", True),
        ("distinct_countries", "distinct countries of targets", False),
        ("median_lag_days", "median days to follow another jurisdiction", False),
        ("share_un_mandated", "listings implementing a UN listing", True),
    )

    def cell(found, share: bool) -> str:
        if found is None:
            return ""
        value, num, den, _ = found
        return f"{value:.1%} ({num:,}/{den:,})" if share else f"{value:,.0f}"

    rows = [
        {
            "scope": SCOPE_LABELS[scope],
            "label": label,
            "cells": [cell(figures.get((metric, scope, j)), share) for j in names],
        }
        for scope in SCOPE_LABELS
        for metric, label, share in metrics
        if any((metric, scope, j) in figures for j in names)
    ]
    themes = sorted(
        {key[2].split(":", 1)[1] for key in figures if key[:2] == ("share_theme", "strict")}
    )
    rows += [
        {
            "scope": SCOPE_LABELS["strict"],
            "label": f"share listed for {theme.replace('_', ' ')}",
            "cells": [
                cell(figures.get(("share_theme", "strict", f"{j}:{theme}")), True) for j in names
            ],
        }
        for theme in themes
    ]
    return rows


def _upset(con, scope: str, loaded: list[str], colours: dict) -> Chart:
    """Which combinations of jurisdictions list the targets: a bar per combination over a
    matrix of dots naming its jurisdictions (UpSet)."""
    combos = _rows(
        con,
        """SELECT combo, count(*) AS targets FROM (
               SELECT target_id, list(jurisdiction ORDER BY position) AS combo
               FROM asof_scoped JOIN asof_bases USING (as_of, jurisdiction)
               WHERE scope = ? GROUP BY target_id)
           GROUP BY combo ORDER BY targets DESC, len(combo), combo::VARCHAR LIMIT 15""",
        [scope],
    )
    left, top, column, bar_area, row = 60, 44, 44, 170, 22  # top: room for title and counts
    most = max((count for _, count in combos), default=0) or 1
    bars, dots, links = [], [], []
    for index, (combo, count) in enumerate(combos):
        x = left + index * column + column / 2
        height = bar_area * count / most
        bars.append({"x": x - 14, "y": top + bar_area - height, "h": height, "count": count})
        members = [loaded.index(j) for j in combo if j in loaded]
        for r, j in enumerate(loaded):
            dots.append({"x": x, "y": top + bar_area + 20 + r * row, "on": j in combo})
        if len(members) > 1:
            links.append(
                {
                    "x": x,
                    "y1": top + bar_area + 20 + min(members) * row,
                    "y2": top + bar_area + 20 + max(members) * row,
                }
            )
    labels = [
        {"text": j, "y": top + bar_area + 24 + r * row, "colour": colours[j]}
        for r, j in enumerate(loaded)
    ]
    return Chart(
        kind="upset",
        title=f"Targets by the combination of jurisdictions that list them, {SCOPE_LABELS[scope]}",
        width=left + column * len(combos) + 20,
        height=top + bar_area + 20 + row * len(loaded) + 10,
        shapes={"bars": bars, "dots": dots, "links": links, "labels": labels},
        columns=["jurisdictions", "targets"],
        rows=[[" + ".join(combo), f"{count:,}"] for combo, count in combos],
    )


def _matrix(figures: dict, scope: str, loaded: list[str]) -> Chart:
    """Share of the row jurisdiction's targets that the column jurisdiction also lists."""
    cell, left, top = 80, 60, 50
    cells, rows = [], []
    for r, first in enumerate(loaded):
        for c, second in enumerate(loaded):
            found = figures.get(("pairwise_share", scope, f"{first}>{second}"))
            share = found[0] if found else None
            cells.append(
                {
                    "x": left + c * cell,
                    "y": top + r * cell,
                    "share": share,
                    "text": "" if first == second else (f"{share:.0%}" if found else "n/a"),
                }
            )
            if found and first != second:
                rows.append([first, second, f"{found[1]:,}", f"{found[2]:,}", f"{share:.1%}"])
    return Chart(
        kind="matrix",
        title=f"Share of the row's targets also listed by the column, {SCOPE_LABELS[scope]}",
        width=left + cell * len(loaded) + 20,
        height=top + cell * len(loaded) + 10,
        shapes={
            "cells": cells,
            "size": cell,
            "columns": [{"x": left + c * cell + cell / 2, "text": j} for c, j in enumerate(loaded)],
            "rows": [{"y": top + r * cell + cell / 2 + 4, "text": j} for r, j in enumerate(loaded)],
            "top": top,
            "left": left,
        },
        columns=["listed by", "also listed by", "both", "targets of the first", "share"],
        rows=rows,
    )


def _over_time(con, as_of: date, figures: dict, loaded: list[str], colours: dict) -> Chart:
    """Cumulative Magnitsky-style (strict) targets per jurisdiction up to the date, and the
    share listed by two or more as a line on the right-hand axis."""
    points = {
        (day, j): (num, den, basis)
        for day, j, num, den, basis in _rows(
            con,
            """SELECT as_of, jurisdiction, multilateral, targets, basis FROM alignment.over_time
               WHERE scope = 'strict' AND as_of < ?""",
            [as_of],
        )
    }
    for j in [*loaded, "ALL"]:
        found = figures.get(("share_multilateral", "strict", j))
        if found:
            points[(as_of, j)] = (found[1], found[2], found[3])
    days = sorted({day for day, _ in points})
    left, right, top, plot_w, plot_h = 70, 70, 40, 620, 220
    span = max((days[-1] - days[0]).days, 1) if days else 1
    most = max((den for (_, j), (_, den, _) in points.items() if j != "ALL"), default=0) or 1

    def x(day):
        return left + plot_w * (day - days[0]).days / span

    lines = []
    for j in loaded:
        coords = [
            (x(d), top + plot_h * (1 - points[(d, j)][1] / most)) for d in days if (d, j) in points
        ]
        lines.append({"label": j, "colour": colours[j], "points": coords, "dash": False})
    shares = [
        (x(d), top + plot_h * (1 - points[(d, "ALL")][0] / points[(d, "ALL")][1]))
        for d in days
        if (d, "ALL") in points and points[(d, "ALL")][1]
    ]
    lines.append(
        {
            "label": "share listed by 2+ (right axis)",
            "colour": "#222",
            "points": shares,
            "dash": True,
        }
    )
    ticks = [days[i] for i in sorted({0, len(days) // 2, len(days) - 1})] if days else []
    rows = []
    for d in days:
        total = points.get((d, "ALL"))
        rows.append(
            [str(d)]
            + [f"{points[(d, j)][1]:,}" if (d, j) in points else "" for j in loaded]
            + [
                f"{total[0] / total[1]:.1%} ({total[0]:,}/{total[1]:,})"
                if total and total[1]
                else "",
                total[2] if total else "",
            ]
        )
    return Chart(
        kind="lines",
        title="Magnitsky-style (strict) targets listed per jurisdiction over time, and the "
        "share listed by two or more",
        width=left + plot_w + right,
        height=top + plot_h + 60,
        shapes={
            "lines": lines,
            "left": left,
            "top": top,
            "plot_w": plot_w,
            "plot_h": plot_h,
            "most": most,
            "ticks": [{"x": x(d), "text": str(d)} for d in ticks],
        },
        columns=["as of", *loaded, "share listed by 2+", "basis"],
        rows=rows,
    )


def bar_chart(title: str, bars: list[tuple[str, float]], columns, rows) -> Chart:
    """A horizontal bar chart: (label, value) per bar."""
    width, row, left = 720, 24, 310
    top = max((value for _, value in bars), default=0) or 1
    shapes = {
        "left": left,
        "bars": [
            {
                "label": label,
                "y": 30 + i * row,
                "length": (width - left - 70) * value / top,
                "text": f"{value:,.0f}",
            }
            for i, (label, value) in enumerate(bars)
        ],
    }
    return Chart("bars", title, width, row * len(bars) + 40, shapes, columns, rows)


def _lags(con) -> Chart:
    """How long the others took to follow the first jurisdiction, in buckets, all programmes."""
    lags = _rows(
        con,
        f"""SELECT days FROM ({alignment.lags_sql("asof_scoped")}) WHERE scope = 'all'""",
    )
    counts = {label: 0 for _, label in LAG_BUCKETS}
    for (days,) in lags:
        label = next(label for limit, label in LAG_BUCKETS if limit is None or days < limit)
        counts[label] += 1
    bars = list(counts.items())
    return bar_chart(
        "Time for another jurisdiction to follow (dated listings, all programmes)",
        bars,
        ["time to follow", "follow-on listings"],
        [[label, f"{count:,}"] for label, count in bars],
    )


def _regions(figures: dict) -> Chart:
    """Magnitsky-style (strict) targets by region, with the share listed by two or more."""
    regions = sorted(
        (
            (j, v)
            for (m, s, j), v in figures.items()
            if m == "share_multilateral_by_region" and s == "strict"
        ),
        key=lambda item: -item[1][2],
    )
    return bar_chart(
        "Magnitsky-style (strict) targets by region",
        [(region, den) for region, (_, _, den, _) in regions],
        ["region", "targets", "listed by 2+"],
        [[region, f"{den:,}", f"{value:.1%}"] for region, (value, _, den, _) in regions],
    )


def _newest_unilateral(con) -> list[tuple]:
    """Targets listed by one jurisdiction only on the date, newest listing first."""
    return _rows(
        con,
        """SELECT coalesce(t.name, s.target_id), s.jurisdiction, s.first_listed,
                  array_to_string(list(DISTINCT l.programme_key ORDER BY l.programme_key), ', ')
           FROM asof_scoped s
           JOIN asof_listed l USING (as_of, target_id, jurisdiction)
           LEFT JOIN alignment.targets t USING (target_id)
           WHERE s.scope = 'all' AND l.current AND s.first_listed IS NOT NULL
             AND target_id IN (SELECT target_id FROM asof_scoped WHERE scope = 'all'
                               GROUP BY target_id HAVING count(*) = 1)
           GROUP BY ALL ORDER BY s.first_listed DESC, 1 LIMIT 20""",
    )
