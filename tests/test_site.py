"""`sanctions site` on the real snapshots: US SDN.CSV 2024-05-03, Canada 2025-05-25, UK
2025-04-10 and Australia 2026-07-23, matched and published. Every number of the index is
followed to its page, whose targets must count to the figure; every figure page, the index and
a sample of target pages load in headless Chromium without a console message."""

import json
import re
import statistics

import duckdb
import pytest
from lxml import html

from pipelines import cli
from sanctions import alignment, clusters, matching, warehouse
from sanctions.archive import Archive
from sanctions.publish import publish_copy
from sanctions.refresh import refresh_from_mirror
from sanctions.site import build_site
from tests.conftest import make_mirror, real_data_dir

pytestmark = pytest.mark.integration
FILES = {
    "us_ofac": ("SDN.CSV", "us_ofac/sdn_history/SDN_2024-05-03.CSV"),
    "ca_sema": ("sema-lmes.xml", "ca/sema-lmes_2025-05-25.xml"),
    "uk_fcdo": ("ConList.csv", "uk/ConList_2025-04-10.csv"),
    "au_dfat": ("regulation8_consolidated.xlsx", "au/regulation8_consolidated_2026-07-23.xlsx"),
}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A data directory whose published copy holds the four lists, matched, with its marts."""
    data = real_data_dir()
    if not all((data / path).is_file() for _, path in FILES.values()):
        pytest.skip(f"real snapshots not found at {data} (set SANCTIONS_REAL_DATA)")
    root = tmp_path_factory.mktemp("site")
    for source_id, (name, path) in FILES.items():
        make_mirror(root / "mirror", {name: data / path}, source_id)
    with warehouse.connect(root / "warehouse.duckdb") as con:
        refresh_from_mirror(con, tuple(FILES), Archive(root / "raw"), str(root / "mirror"))
        matching.match(con)
        clusters.write_clusters(con)
        alignment.build(con)
        publish_copy(con, root / "published" / "warehouse.duckdb")
    return root


@pytest.fixture(scope="module")
def site(data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("site_out")
    pages = build_site(data_dir / "published" / "warehouse.duckdb", out)
    assert pages["targets"] > 15_000 and pages["figures"] > 100
    return out


def page(path) -> html.HtmlElement:
    return html.fromstring(path.read_text(encoding="utf-8"))


def bastrykin(data_dir) -> str:
    with duckdb.connect(str(data_dir / "published" / "warehouse.duckdb"), read_only=True) as con:
        ((target_id,),) = con.execute(
            "SELECT target_id FROM alignment.targets WHERE name ILIKE '%BASTRYKIN%'"
        ).fetchall()
    return target_id


def test_bastrykins_page_names_every_jurisdiction_with_programmes_and_dates(data_dir, site):
    doc = page(site / "targets" / f"{bastrykin(data_dir)}.html")
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


def test_the_allied_share_is_over_targets_with_a_known_country(data_dir, site):
    index = page(site / "index.html")
    definition = " ".join(index.get_element_by_id("allies-definition").text_content().split())
    assert "the share is over the targets with a known country" in definition
    with duckdb.connect(str(data_dir / "published" / "warehouse.duckdb"), read_only=True) as con:
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


def test_every_page_loads_in_a_headless_browser_without_console_messages(
    data_dir, site, chromium, tmp_path
):
    figures = sorted((site / "figures").rglob("*.html"))
    targets = sorted((site / "targets").glob("*.html"))
    sample = [site / "targets" / f"{bastrykin(data_dir)}.html", *targets[:: len(targets) // 40]]
    pages = [site / "index.html", *figures, *sample]
    loaded, messages = chromium.console(pages, tmp_path / "harness.html")
    assert messages == []
    assert loaded == len(pages)
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
        (
            "site_figure.png",
            site / "figures" / next(iter(sorted(figures))).relative_to(site / "figures"),
        ),
    ):
        assert chromium.screenshot(shot, name, 2400).stat().st_size > 10_000


def test_the_search_index_finds_a_target_by_any_of_its_names(data_dir, site):
    text = (site / "assets" / "search-index.js").read_text(encoding="utf-8")
    assert text.startswith("window.SEARCH_INDEX = ")
    rows = json.loads(text.removeprefix("window.SEARCH_INDEX = ").rstrip().rstrip(";"))
    found = [row for row in rows if any("BASTRYKIN" in name.upper() for name in [row[1], *row[2]])]
    assert [row[0] for row in found] == [f"targets/{bastrykin(data_dir)}.html"]
    for name in ("index.html", f"targets/{bastrykin(data_dir)}.html"):
        assert not re.search(r"src=\"https?://", (site / name).read_text()), "fetches online"


def test_site_without_a_published_copy_says_so_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("SANCTIONS_DATA_DIR", str(tmp_path))
    with pytest.raises(SystemExit) as stopped:
        cli.main(["site", "--out", str(tmp_path / "site")])
    message = str(stopped.value)
    assert "\n" not in message and message.startswith("no published copy at")
    assert not (tmp_path / "site").exists()
