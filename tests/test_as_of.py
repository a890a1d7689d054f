"""Alignment as of a date, on the real files: the US SDN.CSV of 2022-11-30 replayed (its date
from its name), Canada's list of 2025-05-25 and the UK's of 2025-04-10, the EU not loaded (the
setup docs/analyst-guide.md documents)."""

import csv
import shutil
from datetime import date

import duckdb
import pytest
from lxml import html

from pipelines import cli
from sanctions import alignment, warehouse
from sanctions.report import build_report
from tests.conftest import build_warehouse, real_data_dir, real_files
from tests.test_alignment import guide_queries

pytestmark = pytest.mark.integration
DAY = date(2022, 11, 30)
SDN = "us_ofac/sdn_history/SDN_2022-11-30.CSV"
SCOPE_FLAGS = {"all": "listed", "broad": "broad", "strict": "strict"}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A data directory with the warehouse matched and its marts built, and its published copy;
    no alert has ever run."""
    files = real_files(
        uk_fcdo={"ConList.csv": "uk/ConList_2025-04-10.csv"},
        ca_sema={"sema-lmes.xml": "ca/sema-lmes_2025-05-25.xml"},
    )
    sdn = real_files(us_ofac={"SDN_2022-11-30.CSV": SDN})["us_ofac"]
    root = tmp_path_factory.mktemp("as_of")
    history = root / "us_history"
    history.mkdir()
    for name, path in sdn.items():
        (history / name).symlink_to(path)
    build_warehouse(root, files, replays={"us_ofac": history}, publish=True)
    return root


@pytest.fixture(scope="module")
def db(data_dir):
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        yield con


def rows(con, sql, params=()):
    return con.execute(sql, list(params)).fetchall()


def figures(con, as_of, metric):
    """{(scope, jurisdiction): (numerator, denominator, basis)} of one metric as of a date."""
    return {
        (scope, j): (num, den, basis)
        for _, m, scope, j, _, num, den, basis in alignment.figures_as_of(con, as_of)
        if m == metric
    }


def test_every_jurisdiction_is_present_with_its_basis(db):
    assert rows(db, "SELECT jurisdiction, basis FROM alignment.bases(?)", [DAY]) == [
        ("US", "history"),
        ("CA", "listing_dates"),
        ("UK", "listing_dates"),
        ("EU", "not loaded for date"),
        ("AU", "not loaded for date"),
    ]
    evidence = figures(db, DAY, "records_in_evidence")
    assert evidence[("all", "EU")] == (0, None, "EU: not loaded for date")
    assert (
        evidence[("all", "US")][0]
        == rows(db, "SELECT count(*) FROM core.records WHERE source_id = 'us_ofac'")[0][0]
    )
    shares = figures(db, DAY, "share_multilateral")
    assert shares[("strict", "ALL")][2] == (
        "US: history; CA: listing_dates; UK: listing_dates; EU: not loaded for date; "
        "AU: not loaded for date"
    )


def test_the_us_strict_count_is_the_glomag_and_magnit_records_of_the_file(db):
    with (real_data_dir() / SDN).open(encoding="latin-1", newline="") as handle:
        magnitsky = {
            row[0]
            for row in csv.reader(handle)
            if len(row) > 3 and {p.strip(" []") for p in row[3].split("] [")} & {"GLOMAG", "MAGNIT"}
        }
    assert len(magnitsky) == 483
    assert figures(db, DAY, "targets_listed")[("strict", "US")][0] == len(magnitsky)
    listed = rows(
        db,
        """SELECT DISTINCT record_id FROM alignment.as_of(?)
           WHERE jurisdiction = 'US' AND list_contains(scopes, 'strict')""",
        [DAY],
    )
    assert {record_id.split(":", 1)[1] for (record_id,) in listed} == magnitsky


def test_canadian_listings_dated_after_the_date_are_not_counted(db):
    ((later,),) = rows(
        db,
        """SELECT count(*) FROM alignment.listings WHERE jurisdiction = 'CA'
           AND programme_key = 'CA-JVCFOA' AND year(listed_on) = 2023""",
    )
    assert later == 10  # real JVCFOA listings of 2023 in the 2025 file
    counted = rows(
        db,
        """SELECT min(listed_on), max(listed_on), count(*) FROM alignment.as_of(?)
           WHERE jurisdiction = 'CA' AND programme_key = 'CA-JVCFOA'""",
        [DAY],
    )
    assert counted[0][1] <= DAY and counted[0][2] == 70


@pytest.mark.parametrize("scope", ["all", "broad", "strict"])
def test_numerators_and_denominators_reconcile_with_the_targets(db, scope):
    """Recounted from alignment.targets (the US file is the list on the date) and the
    publishers' listing dates in alignment.listings (Canada and the UK)."""
    flag = SCOPE_FLAGS[scope]
    in_scope = f"list_contains(l.scopes, '{scope}')"
    listed_by = {
        j: f"""EXISTS (SELECT 1 FROM alignment.listings l WHERE l.target_id = t.target_id
               AND l.jurisdiction = '{j}' AND l.listed_on <= DATE '{DAY}' AND {in_scope})"""
        for j in ("CA", "UK")
    }
    ((multilateral, listed, us, ca, uk),) = rows(
        db,
        f"""WITH dated AS (
               SELECT {flag}_us AS us, {listed_by["CA"]} AS ca, {listed_by["UK"]} AS uk
               FROM alignment.targets t)
           SELECT count(*) FILTER (WHERE us::INT + ca::INT + uk::INT >= 2),
                  count(*) FILTER (WHERE us OR ca OR uk),
                  count(*) FILTER (WHERE us), count(*) FILTER (WHERE ca),
                  count(*) FILTER (WHERE uk)
           FROM dated""",
    )
    shares = figures(db, DAY, "share_multilateral")
    assert shares[(scope, "ALL")][:2] == (multilateral, listed)
    counts = figures(db, DAY, "targets_listed")
    assert [counts[(scope, j)][0] for j in ("US", "CA", "UK")] == [us, ca, uk]
    assert (scope, "EU") not in counts


def test_after_every_snapshot_the_figures_are_the_summary(db):
    ((today,),) = rows(db, "SELECT current_date")
    dated = {
        (metric, scope, j): (value, num, den)
        for _, metric, scope, j, value, num, den, _ in alignment.figures_as_of(db, today)
    }
    summary = rows(db, "SELECT * FROM alignment.summary WHERE metric <> 'source_snapshot'")
    assert len(summary) > 400
    for metric, scope, j, value, num, den in summary:
        assert dated[(metric, scope, j)] == (pytest.approx(value), num, den), (metric, scope, j)
    assert len(dated) == len(summary)


def test_snapshots_are_dated_as_their_publishers_date_them(db):
    lines = {
        line
        for (line,) in rows(
            db, "SELECT jurisdiction FROM alignment.summary WHERE metric = 'source_snapshot'"
        )
    }
    ((fetched,),) = rows(
        db, "SELECT fetched_on FROM alignment.jurisdictions WHERE jurisdiction = 'CA'"
    )
    assert lines == {
        "US: published 2022-11-30 (stale: expected at least every 1 day)",
        f"CA: fetched on {fetched} (the file states no publication date)",
        "UK: published 2025-04-10",  # fetched today: its copy is fresh, though the file is old
        "EU: not loaded",
        "AU: not loaded",
    }


def test_a_jurisdiction_not_loaded_is_never_not_listing(db):
    assert rows(db, "SELECT count(*) FROM alignment.gaps WHERE not_listed_by = 'EU'") == [(0,)]
    assert rows(db, "SELECT count(*) FROM alignment.gaps WHERE not_listed_by = 'UK'")[0][0] > 0
    pairs = rows(db, "SELECT DISTINCT first FROM alignment.pairwise ORDER BY 1")
    assert pairs == [("CA",), ("UK",), ("US",)]
    assert rows(db, "SELECT count(*) FROM alignment.targets WHERE listed_eu") == [(0,)]


def test_the_long_table_and_the_wide_columns_agree(db):
    for j in ("us", "ca", "uk"):
        assert rows(
            db,
            f"""SELECT count(*) FILTER (WHERE listed) FROM alignment.target_jurisdictions
                WHERE jurisdiction = '{j.upper()}' AND scope = 'strict'""",
        ) == rows(db, f"SELECT count(*) FILTER (WHERE strict_{j}) FROM alignment.targets")


def test_over_time_is_filled_on_the_first_run_without_alerts(db):
    assert rows(db, "SELECT count(*) FROM alerts.alerts") == [(0,)]  # the alerts never ran
    assert rows(db, "SELECT count(*) FROM matching.record_targets") == rows(
        db, "SELECT count(*) FROM matching.clusters"
    )
    point = rows(
        db,
        """SELECT multilateral, targets, basis FROM alignment.over_time
           WHERE as_of = ? AND scope = 'strict' AND jurisdiction = 'ALL'""",
        [DAY],
    )
    shares = figures(db, DAY, "share_multilateral")
    assert point == [shares[("strict", "ALL")]]


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("1990-01-01", "no evidence for 1990-01-01: the earliest is"),
        ("2999-01-01", "as-of date 2999-01-01 is in the future"),
    ],
)
def test_a_date_without_evidence_writes_nothing(data_dir, monkeypatch, tmp_path, as_of, message):
    monkeypatch.setenv("SANCTIONS_DATA_DIR", str(data_dir))
    report = tmp_path / "report.html"
    with pytest.raises(SystemExit, match=message):
        cli.main(["report", "--as-of", as_of, "--out", str(report)])
    with pytest.raises(SystemExit, match=message):
        cli.main(["export", "--as-of", as_of, "--out", str(tmp_path / "exports")])
    assert list(tmp_path.iterdir()) == []


def test_a_malformed_date_is_refused(data_dir, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("SANCTIONS_DATA_DIR", str(data_dir))
    with pytest.raises(SystemExit):
        cli.main(["report", "--as-of", "30/11/2022", "--out", str(tmp_path / "r.html")])
    assert "not a date (YYYY-MM-DD): '30/11/2022'" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_export_as_of_writes_the_figures_bases_and_listings(data_dir, db, monkeypatch, tmp_path):
    monkeypatch.setenv("SANCTIONS_DATA_DIR", str(data_dir))
    assert cli.main(["export", "--as-of", str(DAY), "--out", str(tmp_path)]) == 0
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == [f"alignment.{name}.{DAY}.csv" for name in ("as_of", "bases", "report_figures")]
    with (tmp_path / f"alignment.report_figures.{DAY}.csv").open() as handle:
        exported = list(csv.DictReader(handle))
    assert len(exported) == len(alignment.figures_as_of(db, DAY))
    with (tmp_path / f"alignment.bases.{DAY}.csv").open() as handle:
        assert [row["basis"] for row in csv.DictReader(handle)] == [
            "history",
            "listing_dates",
            "listing_dates",
            "not loaded for date",
            "not loaded for date",
        ]


def test_the_report_for_a_date_renders_in_a_headless_browser(data_dir, db, tmp_path, chromium):
    report = tmp_path / "report.html"
    report.write_text(
        build_report(str(data_dir / "published" / "warehouse.duckdb"), DAY), encoding="utf-8"
    )
    dom = chromium.dom(report)
    page = html.fromstring(dom)
    assert page.get_element_by_id("as-of").text_content() == "2022-11-30"
    bases = page.xpath("//table[@id='bases']//tr[td]")
    assert [tuple(td.text_content() for td in row.xpath("td")[:2]) for row in bases] == [
        ("US", "history"),
        ("CA", "listing dates"),
        ("UK", "listing dates"),
        ("EU", "not loaded for date"),
        ("AU", "not loaded for date"),
    ]
    assert "stale" not in page.get_element_by_id("bases").text_content()  # a past date
    ((latest,),) = rows(
        db,
        """SELECT max(listed_on) FROM alignment.listings
           WHERE jurisdiction = 'CA' AND listed_on_origin = 'publisher'""",
    )
    assert latest == date(2025, 3, 20)
    assert f"published on or after {latest}" in bases[1].text_content()
    charts = page.xpath("//figure[@class='chart']")
    assert [chart.xpath("string(h3)") for chart in charts] == [
        "Targets by the combination of jurisdictions that list them, scope strict",
        "Targets by the combination of jurisdictions that list them, scope all",
        "Share of the row's targets also listed by the column, scope strict",
        "Share of the row's targets also listed by the column, scope all",
        "Targets listed per jurisdiction over time, and the share listed by two or more, "
        "scope strict",
        "Time for another jurisdiction to follow (dated listings, all programmes)",
        "Targets by region (of their known countries), scope strict",
    ]
    for chart in charts:
        assert chart.xpath("table[@class='chart-numbers']//tr[td]"), "chart without its numbers"
        assert chart.xpath(".//*[local-name()='svg']//*[local-name()='path']"), "chart not drawn"
    newest = page.xpath("//table[@id='newest']//tr[td]")
    assert newest and all(row.xpath("string(td[4])") for row in newest), "a date without origin"
    num, den, _ = figures(db, DAY, "share_multilateral")[("strict", "ALL")]
    assert page.get_element_by_id("headline-strict").text_content() == f"{num / den:.1%}"
    screenshot = chromium.screenshot(report, "report_as_of_2022-11-30.png", 5200)
    assert screenshot.stat().st_size > 10_000


def test_every_query_of_the_analyst_guide_returns_rows_on_its_setup(db):
    for sql in guide_queries():
        assert rows(db, sql), sql


def test_un_mandated_listings_leave_the_autonomous_scope(data_dir, tmp_path):
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(data_dir / "warehouse.duckdb", copy)
    share_sql = """SELECT numerator, denominator FROM alignment.summary
                   WHERE metric = 'share_un_mandated' AND jurisdiction = 'UK'"""
    with warehouse.connect(copy) as con:
        # the real ConList cites the UN on 866 groups: each of their listings is UN-mandated
        cited, not_flagged = rows(
            con,
            """SELECT count(DISTINCT a.record_id),
                      count(DISTINCT a.record_id) FILTER (WHERE NOT l.un_mandated)
               FROM core.attributes a JOIN alignment.listings l USING (record_id)
               WHERE a.source_id = 'uk_fcdo' AND a.attribute = 'un_reference'""",
        )[0]
        (before,) = rows(con, share_sql)
        ((record_id, target_id),) = con.execute(
            """SELECT record_id, target_id FROM alignment.listings
               WHERE jurisdiction = 'UK' AND programme_key = 'UK-RUSSIA' AND NOT un_mandated
                 AND target_id IN (SELECT target_id FROM matching.clusters
                                   GROUP BY 1 HAVING count(*) = 1)
               ORDER BY record_id LIMIT 1"""
        ).fetchall()
        con.execute(  # as the UK parsers emit it for a listing that implements a UN one
            "INSERT INTO core.attributes VALUES ('uk_fcdo', ?, 'un_reference', 'QDi.001')",
            [record_id],
        )
        alignment.build(con)
        (after,) = rows(con, share_sql)
        listings = rows(con, "SELECT count(*) FROM alignment.listings WHERE jurisdiction = 'UK'")
        scopes = rows(
            con,
            """SELECT scope FROM alignment.target_jurisdictions
               WHERE target_id = ? AND jurisdiction = 'UK' AND listed ORDER BY scope""",
            [target_id],
        )
    assert cited == 866 and not_flagged == 0
    assert after[0] == before[0] + 1 and after[1] == before[1] == listings[0][0]
    assert ("all",) in scopes and ("autonomous",) not in scopes


def test_without_a_history_a_snapshot_dated_by_then_is_the_evidence(data_dir, tmp_path):
    """A warehouse from before the history: the UK snapshot of 2025-04-10 counts whole from
    its date on, and through its listing dates before it."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(data_dir / "warehouse.duckdb", copy)
    with warehouse.connect(copy) as con:
        for table in ("record_versions", "events", "snapshots"):
            con.execute(f"DELETE FROM history.{table} WHERE source_id = 'uk_fcdo'")
        alignment.build(con)
        bases = {
            day: rows(con, "SELECT basis FROM alignment.bases(?) WHERE jurisdiction = 'UK'", [day])
            for day in (date(2025, 4, 9), date(2025, 4, 10))
        }
        uk = rows(
            con,
            "SELECT count(*) FROM alignment.target_jurisdictions "
            "WHERE jurisdiction = 'UK' AND scope = 'all' AND listed",
        )[0][0]
        counted = {
            day: figures(con, day, "targets_listed")[("all", "UK")][0]
            for day in (date(2025, 4, 9), date(2025, 4, 10))
        }
    assert bases == {date(2025, 4, 9): [("listing_dates",)], date(2025, 4, 10): [("snapshot",)]}
    assert counted[date(2025, 4, 10)] == uk
    assert counted[date(2025, 4, 9)] < uk
