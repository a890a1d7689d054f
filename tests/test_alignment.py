"""Alignment marts, the published copy and the report, on the real snapshots."""

import re
import shutil

import duckdb
import pytest
from lxml import html

from sanctions import alignment, clusters, matching, warehouse
from sanctions.publish import export_marts, publish_copy
from sanctions.report import build_report
from tests.conftest import REPO

pytestmark = pytest.mark.integration


def query(path, sql):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_every_target_once_and_every_record_behind_one(alignment_warehouse):
    ((targets, distinct, records, behind),) = query(
        alignment_warehouse,
        """
        SELECT count(*), count(DISTINCT target_id), (SELECT count(*) FROM core.records),
               (SELECT count(*) FROM (SELECT unnest(record_ids) FROM alignment.targets))
        FROM alignment.targets""",
    )
    assert targets == distinct
    assert behind == records


@pytest.mark.parametrize("scope", ["all", "broad", "strict"])
def test_summary_reconciles_with_targets(alignment_warehouse, scope):
    column = {
        "all": "jurisdictions",
        "broad": "jurisdictions_broad",
        "strict": "jurisdictions_strict",
    }[scope]
    summary = dict(
        ((j), (num, den))
        for j, num, den in query(
            alignment_warehouse,
            f"""
            SELECT jurisdiction, numerator, denominator FROM alignment.summary
            WHERE metric = 'share_multilateral' AND scope = '{scope}'""",
        )
    )
    ((listed, multilateral),) = query(
        alignment_warehouse,
        f"""
        SELECT count(*) FILTER (WHERE {column} >= 1), count(*) FILTER (WHERE {column} >= 2)
        FROM alignment.targets""",
    )
    assert summary["ALL"] == (multilateral, listed)
    flag = {"all": "listed", "broad": "broad", "strict": "strict"}[scope]
    for j in ("us", "ca", "uk"):
        ((by_j, by_j_multi),) = query(
            alignment_warehouse,
            f"""
            SELECT count(*) FILTER (WHERE {flag}_{j}),
                   count(*) FILTER (WHERE {flag}_{j} AND {column} >= 2) FROM alignment.targets""",
        )
        assert summary[j.upper()] == (by_j_multi, by_j)


def test_bastrykin_is_multilateral_and_magnitsky_style_everywhere(alignment_warehouse):
    rows = query(
        alignment_warehouse,
        """
        SELECT listed_us, listed_uk, listed_ca, strict_us, strict_uk, strict_ca,
               jurisdictions_strict
        FROM alignment.targets WHERE name ILIKE '%BASTRYKIN%'""",
    )
    assert rows == [(True, True, True, True, True, True, 3)]


def test_a_missing_source_is_reported_not_counted_as_nobody(alignment_warehouse, tmp_path):
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(alignment_warehouse, copy)
    with warehouse.connect(copy) as con:
        for table in ("records", "names", "programmes", "snapshots"):
            con.execute(f"DELETE FROM core.{table} WHERE source_id = 'eu_fsf'")
        con.execute("DELETE FROM matching.clusters WHERE source_id = 'eu_fsf'")
        alignment.build(con)
    lines = [
        line
        for (line,) in query(
            copy,
            """SELECT jurisdiction FROM alignment.summary
                                               WHERE metric = 'source_snapshot'""",
        )
    ]
    assert "EU: not loaded" in lines
    not_listed_by_eu = "SELECT count(*) FROM alignment.gaps WHERE not_listed_by = 'EU'"
    assert query(copy, not_listed_by_eu) == [(0,)]
    assert query(alignment_warehouse, not_listed_by_eu)[0][0] > 0  # loaded, it lists few of them
    assert "UK: published 2025-04-10" in lines  # dated as published; fetched today: fresh
    assert "EU: not loaded" in build_report(str(copy))


def test_published_copy_and_exports(alignment_warehouse, tmp_path):
    running = tmp_path / "warehouse.duckdb"  # publishing attaches a file: the run writes
    shutil.copy(alignment_warehouse, running)
    published = tmp_path / "published" / "warehouse.duckdb"
    with warehouse.connect(running) as con:
        publish_copy(con, published)
    assert query(published, "SELECT count(*) FROM alignment.targets") == query(
        alignment_warehouse, "SELECT count(*) FROM alignment.targets"
    )
    files = export_marts(published, tmp_path / "exports", "csv")
    assert {f.name for f in files} >= {"alignment.targets.csv", "alignment.summary.csv"}
    parquet = export_marts(published, tmp_path / "parquet", "parquet")
    assert all(path.stat().st_size > 0 for path in parquet)


def test_an_analyst_reading_the_published_copy_does_not_block_a_run(alignment_warehouse, tmp_path):
    running = tmp_path / "warehouse.duckdb"
    shutil.copy(alignment_warehouse, running)
    published = tmp_path / "published.duckdb"
    with warehouse.connect(running) as con:
        publish_copy(con, published)
    analyst = duckdb.connect(str(published), read_only=True)
    try:
        before = analyst.execute("SELECT count(*) FROM alignment.targets").fetchall()
        with warehouse.connect(running) as con:  # a full matching + marts + publish run
            matching.match(con)
            clusters.write_clusters(con)
            alignment.build(con)
            publish_copy(con, published)
        assert analyst.execute("SELECT count(*) FROM alignment.targets").fetchall() == before
    finally:
        analyst.close()
    assert query(published, "SELECT count(*) FROM alignment.targets") == before


def test_the_report_renders_in_a_headless_browser(alignment_warehouse, tmp_path, chromium):
    report = tmp_path / "report.html"
    report.write_text(build_report(str(alignment_warehouse)), encoding="utf-8")
    dom = chromium.dom(report)
    page = html.fromstring(dom)
    charts = page.xpath("//figure[@class='chart']")
    assert len(charts) == 7
    for chart in charts:
        assert chart.xpath("string(h3)"), "chart without title"
        assert chart.xpath("div[@class='static']/*[local-name()='svg']"), "chart not drawn"
        assert len(chart.xpath("table[@class='chart-numbers']//tr")) >= 2, "without its numbers"
    assert "partial: 5 records" in page.get_element_by_id("bases").text_content()  # EU excerpt
    ((today,),) = query(alignment_warehouse, "SELECT current_date")
    assert page.get_element_by_id("as-of").text_content() == str(today)
    bases = page.xpath("//table[@id='bases']//td[@class='basis']")
    assert [cell.text_content() for cell in bases] == ["history"] * 4 + ["not loaded for date"]
    strict = query(
        alignment_warehouse,
        """SELECT value FROM alignment.summary WHERE
        metric = 'share_multilateral' AND scope = 'strict' AND jurisdiction = 'ALL'""",
    )[0][0]
    assert page.get_element_by_id("headline-strict").text_content() == f"{strict:.1%}"
    assert chromium.screenshot(report, "report.png", 2800).stat().st_size > 10_000


def test_annotations_attach_through_record_ids_and_break_down_the_summary(
    alignment_warehouse, tmp_path
):
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(alignment_warehouse, copy)
    ((bastrykin,),) = query(
        copy,
        """SELECT record_ids[1] FROM alignment.targets
                                   WHERE name ILIKE '%BASTRYKIN%'""",
    )
    csv_file = tmp_path / "annotations.csv"
    csv_file.write_text(
        "id,field,value,source,note\n"
        f"{bastrykin},victim_group,journalists,report p.12,\n"
        "US:0000000,victim_group,lawyers,,a record that is not listed\n"
    )
    rows = alignment.read_annotations(csv_file)
    with warehouse.connect(copy) as con:
        matching.match(con)  # re-clustering: annotations follow the record id
        clusters.write_clusters(con)
        alignment.build(con, rows)
    attached = query(
        copy,
        "SELECT subject_id, target_id IS NOT NULL, problem FROM alignment.annotations ORDER BY 1",
    )
    assert set(attached) == {
        ("US:0000000", False, "unknown record or target id"),
        (bastrykin, True, None),
    }
    breakdown = query(
        copy,
        """SELECT numerator, denominator FROM alignment.summary
        WHERE metric = 'share_multilateral_by_annotation' AND scope = 'strict'
          AND jurisdiction = 'victim_group: journalists'""",
    )
    assert breakdown == [(1, 1)]
    csv_file.write_text("id,field\nUS:1,x\n")
    with pytest.raises(ValueError, match="columns missing: value, source, note"):
        alignment.read_annotations(csv_file)


def guide_queries() -> list[str]:
    text = (REPO / "docs" / "analyst-guide.md").read_text(encoding="utf-8")
    return re.findall(r"```sql\n(.*?)```", text, flags=re.S)


def test_every_query_of_the_analyst_guide_runs(alignment_warehouse):
    queries = guide_queries()
    assert len(queries) >= 10
    for sql in queries:
        query(alignment_warehouse, sql)  # raises on any error
    assert query(alignment_warehouse, queries[-1])  # the snapshots are listed


def test_themes_are_stated_per_listing_and_an_annotation_may_name_its_jurisdiction(
    alignment_warehouse, tmp_path
):
    stated = set(
        query(
            alignment_warehouse,
            """SELECT DISTINCT programme_key, theme FROM alignment.listings
               WHERE programme_key IN ('UK-GHR', 'UK-GAC', 'US-GLOMAG', 'CA-JVCFOA')""",
        )
    )
    assert stated == {
        ("UK-GHR", "human_rights"),
        ("UK-GAC", "corruption"),
        ("US-GLOMAG", "unstated"),
        ("CA-JVCFOA", "unstated"),
    }
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(alignment_warehouse, copy)
    ((bastrykin,),) = query(
        copy, "SELECT record_ids[1] FROM alignment.targets WHERE name ILIKE '%BASTRYKIN%'"
    )
    csv_file = tmp_path / "annotations.csv"
    csv_file.write_text(
        "id,field,value,source,note,jurisdiction\n"
        f"{bastrykin},theme,human_rights,a recommendation to the US,,US\n"
        f"{bastrykin},recommended_by,an NGO,,,EU\n"
    )
    rows = alignment.read_annotations(csv_file)
    with warehouse.connect(copy) as con:
        alignment.build(con, rows)
    themes = dict(
        query(
            copy,
            """SELECT jurisdiction, numerator FROM alignment.summary
               WHERE metric = 'share_theme' AND scope = 'strict'
                 AND jurisdiction IN ('US:human_rights', 'CA:human_rights', 'CA:unstated')""",
        )
    )
    ((ca_strict,),) = query(copy, "SELECT count(*) FILTER (WHERE strict_ca) FROM alignment.targets")
    assert themes == {"US:human_rights": 1, "CA:unstated": ca_strict}  # not CA: the US only
    problems = query(copy, "SELECT field, problem FROM alignment.annotations ORDER BY field")
    assert problems == [
        ("recommended_by", "EU does not list the target: the fact counts nowhere"),
        ("theme", None),
    ]
    assert not query(
        copy,
        """SELECT * FROM alignment.summary WHERE metric = 'share_multilateral_by_annotation'
           AND jurisdiction = 'recommended_by: an NGO'""",
    )
    csv_file.write_text("id,field,value,source,note,jurisdiction\nUS:1,theme,x,,,ZZ\n")
    with pytest.raises(ValueError, match=r"annotations .*: line 2: unknown jurisdiction 'ZZ'"):
        alignment.read_annotations(csv_file)
