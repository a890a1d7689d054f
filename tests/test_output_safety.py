"""Names come from the lists and are untrusted: exports neutralise spreadsheet formulas, the
report escapes markup, and secrets stay out of what the pipeline writes."""

import csv

import duckdb
import vl_convert

from sanctions import alerts
from sanctions.publish import export_marts
from sanctions.report import TEMPLATES, bar_chart


def tiny_published(path):
    """A published copy with one hostile target name and the summary rows the report reads."""
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA alignment")
        con.execute("""CREATE TABLE alignment.targets AS SELECT 'T-1' AS target_id,
                       '=HYPERLINK(\"http://evil\")' AS name, ['US'] AS countries,
                       true AS listed_us, false AS listed_ca, false AS listed_uk,
                       false AS listed_eu, 1 AS jurisdictions""")
        con.execute("""CREATE TABLE alignment.summary AS SELECT * FROM (VALUES
            ('source_snapshot', 'all', 'US: last good snapshot 2024-05-03', 1.0, 1, NULL),
            ('share_multilateral', 'strict', 'ALL', 0.0, 0, 1)) t(metric, scope, jurisdiction,
            value, numerator, denominator)""")
        for table in ("gaps", "listings", "lags", "over_time"):
            con.execute(
                f"CREATE TABLE alignment.{table} (target_id VARCHAR, listed_by VARCHAR, "
                "jurisdiction VARCHAR, scope VARCHAR, since DATE, days INTEGER, "
                "programme_key VARCHAR, basis VARCHAR, as_of DATE, value DOUBLE, "
                "denominator INTEGER)"
            )


def test_csv_exports_neutralise_spreadsheet_formulas(tmp_path):
    published = tmp_path / "published.duckdb"
    tiny_published(published)
    export_marts(published, tmp_path / "out", "csv")
    with (tmp_path / "out" / "alignment.targets.csv").open() as handle:
        row = next(csv.DictReader(handle))
    assert row["name"] == '\'=HYPERLINK("http://evil")'


HOSTILE_NAMES = [
    "-ARCA S.A.",
    "=1+2",
    "+7 BANK",
    "@SUM(A1)",
    "\tTAB LTD",
    "\rCR LTD",
    "ARCA - S.A.",  # a formula character inside a name is harmless
]


def published_with_names(path, names: list[str]) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA alignment")
        con.execute("CREATE TABLE alignment.targets (target_id VARCHAR, name VARCHAR, n INTEGER)")
        con.executemany(
            "INSERT INTO alignment.targets VALUES (?, ?, ?)",
            [(f"T-{i}", name, i) for i, name in enumerate(names)],
        )


def test_csv_neutralises_every_formula_start_owasp_lists(tmp_path):
    published = tmp_path / "published.duckdb"
    published_with_names(published, HOSTILE_NAMES)
    export_marts(published, tmp_path / "out", "csv")
    with (tmp_path / "out" / "alignment.targets.csv").open(newline="", encoding="utf-8") as handle:
        names = [row["name"] for row in csv.DictReader(handle)]
    assert names == ["'" + name for name in HOSTILE_NAMES[:-1]] + ["ARCA - S.A."]


def test_parquet_exports_are_the_data_exactly(tmp_path):
    published = tmp_path / "published.duckdb"
    published_with_names(published, HOSTILE_NAMES)
    (exported,) = export_marts(published, tmp_path / "out", "parquet")
    rows = duckdb.sql(f"SELECT name, n FROM '{exported}' ORDER BY n").fetchall()
    assert rows == [(name, i) for i, name in enumerate(HOSTILE_NAMES)]


def test_the_report_and_the_site_escape_names():
    hostile = "<script>alert(1)</script><img src=x onerror=alert(1)>"
    chart = bar_chart("bars", "title", [{"label": hostile, "value": 1}], ["label", "n"], [])
    svg = vl_convert.vegalite_to_svg(chart.spec)  # the stand-alone report's static chart
    assert "<script>" not in svg and "<img" not in svg and "&lt;script&gt;" in svg
    spec = TEMPLATES.from_string("{{ spec | tojson }}").render(spec=chart.spec)  # the site's
    assert "</script>" not in spec and "<img" not in spec
    page = TEMPLATES.get_template("figure.html.j2").render(
        site=True,
        root="../",
        title=hostile,
        definition=hostile,
        value="1",
        numerator=1,
        denominator=None,
        basis="",
        rows=[("targets/T-1.html", hostile, True, hostile)],
    )
    assert "<script>alert" not in page and "<img" not in page and "&lt;img" in page


def test_webhook_address_never_appears_in_delivery_errors():
    secret = "http://127.0.0.1:9/hooks/T000/B000/SECRET-TOKEN"
    sink = alerts.WebhookSink(secret, timeout=0.5)
    try:
        sink.send({"message": "x"})
    except alerts.DeliveryError as exc:
        assert "SECRET-TOKEN" not in str(exc) and "127.0.0.1" not in str(exc)
    else:
        raise AssertionError("nothing listens on port 9: the delivery should fail")
