"""`sanctions site` on the real snapshots: US SDN.CSV 2024-05-03, Canada 2025-05-25, UK
2025-04-10 and Australia 2026-07-23, matched and published. Every number of the index is
followed to its page, whose targets must count to the figure; the index, a figure page of each
kind and a few target pages load in headless Chromium without a console message (every figure
page and forty target pages under `-m slow`)."""

import json
import re
import statistics

import duckdb
import pytest
from lxml import html

from pipelines import cli
from sanctions.site import build_site

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def site(four_lists, tmp_path_factory):
    out = tmp_path_factory.mktemp("site_out")
    pages = build_site(four_lists / "published" / "warehouse.duckdb", out)
    assert pages["targets"] > 15_000 and pages["figures"] > 100
    return out


def page(path) -> html.HtmlElement:
    return html.fromstring(path.read_text(encoding="utf-8"))


def bastrykin(four_lists) -> str:
    with duckdb.connect(str(four_lists / "published" / "warehouse.duckdb"), read_only=True) as con:
        ((target_id,),) = con.execute(
            "SELECT target_id FROM alignment.targets WHERE name ILIKE '%BASTRYKIN%'"
        ).fetchall()
    return target_id


def test_bastrykins_page_names_every_jurisdiction_with_programmes_and_dates(four_lists, site):
    doc = page(site / "targets" / f"{bastrykin(four_lists)}.html")
    listings = {}
    for row in doc.xpath("//table[@id='programmes']//tr[@class='listing']"):
        cells = [cell.text_content().strip() for cell in row.xpath("td")]
        listings.setdefault(cells[0], []).append(cells)
    assert set(listings) == {"US", "UK", "CA", "AU"}
    for jurisdiction, rows in listings.items():
        assert all(cells[2] and cells[2] != "unclassified" for cells in rows), rows
        if jurisdiction == "US":  # the SDN.CSV gives no listing date, and no history is kept
            assert all(not cells[3] and cells[4].startswith("no date") for cells in rows)
        else:
            assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", cells[3]) for cells in rows), rows
            assert all(cells[4] == "the publisher's listing date" for cells in rows)
    names = doc.xpath("//table[@id='names']//td[1]/text()")
    assert {"US", "UK", "CA", "AU"} <= set(names)
    assert doc.xpath("//table[@id='links']//tr[td]"), "no match evidence"


def numbers(text: str) -> tuple[int, int] | None:
    found = re.search(r"\(([\d,]+)/([\d,]+)\)", text)
    return (int(found[1].replace(",", "")), int(found[2].replace(",", ""))) if found else None


def test_every_number_of_the_index_links_to_the_targets_it_counts(site):
    index = page(site / "index.html")
    links = [link for link in index.xpath("//a[@href]") if link.get("href").startswith("figures/")]
    assert len(links) > 200
    cells = index.xpath("//table[@id='figures']//td[position() > 2][normalize-space()]")
    assert cells and all(cell.xpath("a") for cell in cells), "a figure without its page"
    for link in links:
        text = link.text_content().strip()
        figure = page(site / link.get("href"))
        members = figure.xpath("//tr[contains(@class, 'member')]")
        marked = figure.xpath("//tr[contains(@class, 'numerator')]")
        numerator = int(figure.get_element_by_id("numerator").text_content().replace(",", ""))
        denominator = figure.xpath("//*[@id='denominator']")
        if denominator:  # a share: every row is the denominator, the numerator is marked
            assert len(marked) == numerator and len(members) == int(
                denominator[0].text_content().replace(",", "")
            ), link.get("href")
            if numbers(text):
                assert numbers(text) == (numerator, len(members)), link.get("href")
            elif text.endswith("%"):  # a headline
                assert text == f"{numerator / len(members):.1%}", link.get("href")
            else:  # a jurisdiction's targets over time: the share's denominator
                assert int(text.replace(",", "")) == len(members), link.get("href")
        else:
            assert len(members) == numerator, link.get("href")
            value = figure.get_element_by_id("value").text_content()
            assert text == value, link.get("href")
            if "median_lag_days" in link.get("href"):
                days = [int(re.search(r": (-?\d+) days", row.text_content())[1]) for row in members]
                assert f"{statistics.median(days):,.0f}" == text
            else:
                assert int(text.replace(",", "")) == numerator, link.get("href")


def test_the_allied_share_is_over_targets_with_a_known_country(four_lists, site):
    index = page(site / "index.html")
    definition = " ".join(index.get_element_by_id("allies-definition").text_content().split())
    assert "the share is over the targets with a known country" in definition
    with duckdb.connect(str(four_lists / "published" / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            """SELECT metric, numerator, denominator FROM alignment.summary
               WHERE jurisdiction = 'AU' AND scope = 'all'
                 AND metric IN ('share_in_allied_countries', 'targets_country_unknown',
                                'targets_listed')"""
        ).fetchall()
        known = con.execute(
            """SELECT count(*) FROM alignment.targets WHERE listed_au AND len(countries) > 0"""
        ).fetchall()[0][0]
    figures = {metric: (num, den) for metric, num, den in rows}
    allied, with_country = figures["share_in_allied_countries"]
    assert with_country == known
    assert with_country + figures["targets_country_unknown"][0] == figures["targets_listed"][0]
    assert 0 < allied < with_country  # ANZUS: the US and New Zealand


def figure_page_of_each_kind(site) -> list:
    """The first figure page of each kind: a combination of jurisdictions, a lag bucket, and
    one page per metric (counts, shares, the median lag), whatever its scope or jurisdiction."""
    kinds = {}
    for path in sorted((site / "figures").rglob("*.html")):
        parts = path.relative_to(site / "figures").parts
        kinds.setdefault(parts[0] if parts[0] in ("combination", "lags") else parts[1], path)
    return list(kinds.values())


def assert_pages_load_without_console_messages(chromium, pages, harness) -> None:
    loaded, messages = chromium.console(pages, harness)
    assert messages == []
    assert loaded == len(pages)


def test_pages_of_every_kind_load_in_a_headless_browser_without_console_messages(
    four_lists, site, chromium, tmp_path
):
    """The index, a figure page of each kind and a few target pages (the `slow` sweep loads
    every figure page and forty target pages)."""
    figures = figure_page_of_each_kind(site)
    assert {path.relative_to(site / "figures").parts[0] for path in figures} >= {
        "combination",
        "lags",
    }
    assert len(figures) > 5, "a figure page per metric"
    targets = sorted((site / "targets").glob("*.html"))
    sample = [site / "targets" / f"{bastrykin(four_lists)}.html", *targets[:: len(targets) // 3]]
    assert_pages_load_without_console_messages(
        chromium, [site / "index.html", *figures, *sample], tmp_path / "harness.html"
    )
    dom = html.fromstring(chromium.dom(site / "index.html", scripts_ms=20_000))
    drawn = dom.xpath(
        "//div[contains(@class, 'vega')]//*[local-name()='svg']//*[local-name()='path']"
    )
    assert {chart.xpath("string(ancestor::figure/@id)") for chart in drawn} == {
        chart.get("id") for chart in dom.xpath("//figure[@class='chart']")
    }, "a chart not drawn"
    for name, shot in (
        ("site_index.png", site / "index.html"),
        ("site_target_bastrykin.png", sample[0]),
        ("site_figure.png", figures[0]),
    ):
        assert chromium.screenshot(shot, name, 2400).stat().st_size > 10_000


@pytest.mark.slow
def test_every_page_loads_in_a_headless_browser_without_console_messages(
    four_lists, site, chromium, tmp_path
):
    figures = sorted((site / "figures").rglob("*.html"))
    targets = sorted((site / "targets").glob("*.html"))
    sample = [site / "targets" / f"{bastrykin(four_lists)}.html", *targets[:: len(targets) // 40]]
    assert_pages_load_without_console_messages(
        chromium, [site / "index.html", *figures, *sample], tmp_path / "harness.html"
    )


def test_the_search_index_finds_a_target_by_any_of_its_names(four_lists, site):
    text = (site / "assets" / "search-index.js").read_text(encoding="utf-8")
    assert text.startswith("window.SEARCH_INDEX = ")
    rows = json.loads(text.removeprefix("window.SEARCH_INDEX = ").rstrip().rstrip(";"))
    found = [row for row in rows if any("BASTRYKIN" in name.upper() for name in [row[1], *row[2]])]
    assert [row[0] for row in found] == [f"targets/{bastrykin(four_lists)}.html"]
    for name in ("index.html", f"targets/{bastrykin(four_lists)}.html"):
        assert not re.search(r"src=\"https?://", (site / name).read_text()), "fetches online"


def test_site_without_a_published_copy_says_so_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("SANCTIONS_DATA_DIR", str(tmp_path))
    with pytest.raises(SystemExit) as stopped:
        cli.main(["site", "--out", str(tmp_path / "site")])
    message = str(stopped.value)
    assert "\n" not in message and message.startswith("no published copy at")
    assert not (tmp_path / "site").exists()
