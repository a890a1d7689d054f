"""Scopes as data: schemas/scopes.csv (or SANCTIONS_SCOPES) is checked before any fetch, and a
scope added there reaches every mart and figure, the report and the site."""

import csv
import shutil

import duckdb
import pytest
from lxml import html

from pipelines.cli import main
from sanctions import alignment, scopes, warehouse
from sanctions.programmes import PROGRAMMES_CSV
from sanctions.report import build_report
from sanctions.scopes import SCOPES_CSV, ScopesError, load_scopes
from sanctions.site import build_site
from tests.test_cli import clean_env, only_error_line  # noqa: F401 (fixture)

SHIPPED = SCOPES_CSV.read_text(encoding="utf-8")


def test_the_shipped_scopes_are_all_broad_strict_and_the_autonomous_rule():
    found = {scope.name: scope for scope in load_scopes()}
    assert list(found) == ["all", "broad", "strict", "autonomous"]
    assert found["all"].keys == ("*",) and found["autonomous"].un_mandated_excluded
    assert set(found["strict"].keys) == {
        "US-GLOMAG",
        "US-MAGNITSKY",
        "CA-JVCFOA",
        "UK-GHR",
        "UK-GAC",
        "EU-HR",
        "AU-THEMATIC-HR",
        "AU-THEMATIC-CORRUPTION",
    }
    assert set(found["strict"].keys) < set(found["broad"].keys)
    assert all(scope.description for scope in found.values())


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ("strict,US-NO-SUCH-PROGRAMME,", "unknown programme key 'US-NO-SUCH-PROGRAMME'"),
        ("strict,ZZ-GLOMAG,", "unknown jurisdiction 'ZZ' in programme key 'ZZ-GLOMAG'"),
        ("strict,US-GLOMAG,", "US-GLOMAG is listed twice in scope strict"),
        ("autonomous,US-GLOMAG,x", "scope 'autonomous' is not a usable name"),
        ("My Scope,US-GLOMAG,x", "scope 'My Scope' is not a usable name"),
        ("all,US-GLOMAG,", "scope all mixes * with programme keys"),
        ("strict,US-GLOMAG", "expected 3 fields"),
        ("strict,US-UHRPA,another description", "a second, different description for scope"),
    ],
)
def test_a_bad_line_names_the_file_and_the_line(tmp_path, extra, problem):
    path = tmp_path / "scopes.csv"
    path.write_text(SHIPPED + extra + "\n", encoding="utf-8")
    line = len(SHIPPED.splitlines()) + 1
    with pytest.raises(ScopesError) as raised:
        load_scopes(path)
    assert str(raised.value).startswith(f"scopes file {path}: line {line}: ")
    assert problem in str(raised.value)


def test_a_file_without_the_all_scope_or_a_description_is_refused(tmp_path):
    path = tmp_path / "scopes.csv"
    path.write_text("scope,programme_key,description\nstrict,US-GLOMAG,x\n", encoding="utf-8")
    with pytest.raises(ScopesError, match="scope all must be defined"):
        load_scopes(path)
    path.write_text(SHIPPED + "mine,US-GLOMAG,\n", encoding="utf-8")
    with pytest.raises(ScopesError, match="no description for scope mine"):
        load_scopes(path)


def test_a_bad_scopes_setting_stops_the_run_before_any_fetch(clean_env, tmp_path, capsys):  # noqa: F811
    path = tmp_path / "scopes.csv"
    path.write_text(SHIPPED + "strict,CA-SEMA-ATLANTIS,\n", encoding="utf-8")
    clean_env.setenv("SANCTIONS_SCOPES", str(path))
    assert main(["run"]) == 2
    line = only_error_line(capsys)
    assert line == (
        f"sanctions: scopes file {path}: line {len(SHIPPED.splitlines()) + 1}: unknown "
        "programme key 'CA-SEMA-ATLANTIS' (not in the programme taxonomy)"
    )
    assert not (tmp_path / "data").exists(), "nothing may be fetched or created"


def test_a_scope_added_in_a_file_reaches_every_mart_and_figure(alignment_warehouse, tmp_path):
    """A report's own counting: the strict regimes plus Canada's SEMA regimes for Russia and
    Venezuela (the kind of broader definition the 2022 report used)."""
    path = tmp_path / "scopes.csv"
    strict = [key for key in next(s for s in load_scopes() if s.name == "strict").keys]
    extra = ["CA-SEMA-RUSSIA", "CA-SEMA-VENEZUELA"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        handle.write(SHIPPED)
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["report_2022", strict[0], "strict plus Canada's SEMA Russia, Venezuela"])
        writer.writerows(["report_2022", key, ""] for key in [*strict[1:], *extra])
        writer.writerow(["au_only", "AU-THEMATIC-HR", "Australia's thematic human rights"])
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(alignment_warehouse, copy)
    with warehouse.connect(copy) as con:
        alignment.build(con, scopes=load_scopes(path))
        assert [s.name for s in scopes.from_warehouse(con)] == [
            "all",
            "broad",
            "strict",
            "report_2022",
            "au_only",
            "autonomous",
        ]
        keys = [*strict, *extra]
        ca_listed = con.execute(
            """SELECT count(DISTINCT target_id) FROM alignment.listings
               WHERE jurisdiction = 'CA' AND list_contains($keys, programme_key)""",
            {"keys": keys},
        ).fetchall()[0][0]
        figures = dict(
            con.execute(
                """SELECT metric, numerator FROM alignment.report_figures
                   WHERE scope = 'report_2022' AND jurisdiction = 'CA' AND as_of = current_date
                     AND metric IN ('targets_listed', 'share_multilateral')"""
            ).fetchall()
        )
        wide = con.execute(
            "SELECT count(*) FILTER (WHERE report_2022_ca) FROM alignment.targets"
        ).fetchall()[0][0]
        strict_ca = con.execute(
            "SELECT count(*) FILTER (WHERE strict_ca) FROM alignment.targets"
        ).fetchall()[0][0]
        summary = con.execute(
            """SELECT numerator FROM alignment.summary WHERE metric = 'targets_listed'
               AND scope = 'report_2022' AND jurisdiction = 'CA'"""
        ).fetchall()
    assert ca_listed > strict_ca > 0
    assert figures["targets_listed"] == wide == ca_listed
    assert summary == [(ca_listed,)]
    with duckdb.connect(str(copy), read_only=True) as con:
        ((share, num, den),) = con.execute(
            """SELECT value, numerator, denominator FROM alignment.report_figures
               WHERE scope = 'report_2022' AND jurisdiction = 'ALL' AND as_of = current_date
                 AND metric = 'share_multilateral'"""
        ).fetchall()
    # the report names the scope with the description of the file, and counts it
    report = html.fromstring(build_report(str(copy)))
    assert report.get_element_by_id("headline-report_2022").text_content() == f"{share:.1%}"
    assert report.get_element_by_id("scope-report_2022").xpath("string(td[2])") == (
        "strict plus Canada's SEMA Russia, Venezuela"
    )
    assert "report_2022" in report.xpath("//table[@id='figures']//tr/td[1]/text()")
    # a scope counting no target here (Australia is not loaded) is listed, never pictured
    assert report.get_element_by_id("headline-au_only").text_content() == "n/a"
    assert report.get_element_by_id("scope-au_only").xpath("string(td[2])") == (
        "Australia's thematic human rights"
    )
    assert not any("au_only" in title for title in report.xpath("//figure/h3/text()"))
    # the site's index links the scope's number to its page, which lists what it counts
    out = tmp_path / "site"
    build_site(copy, out)
    index = html.fromstring((out / "index.html").read_text(encoding="utf-8"))
    (link,) = index.get_element_by_id("headline-report_2022").xpath("a")
    assert link.text_content() == f"{share:.1%}"
    figure = html.fromstring((out / link.get("href")).read_text(encoding="utf-8"))
    assert figure.get_element_by_id("numerator").text_content() == f"{num:,}"
    assert figure.get_element_by_id("denominator").text_content() == f"{den:,}"
    assert len(figure.xpath("//tr[contains(@class, 'member')]")) == den
    assert "strict plus Canada's SEMA Russia, Venezuela" in (
        figure.get_element_by_id("scope").text_content()
    )


def test_every_alignment_and_matching_table_and_column_has_a_comment(alignment_warehouse):
    with duckdb.connect(str(alignment_warehouse), read_only=True) as con:
        tables = con.execute(
            """SELECT schema_name || '.' || table_name FROM duckdb_tables()
               WHERE schema_name IN ('alignment', 'matching') AND coalesce(comment, '') = ''
               UNION ALL
               SELECT schema_name || '.' || view_name FROM duckdb_views()
               WHERE schema_name IN ('alignment', 'matching') AND coalesce(comment, '') = ''"""
        ).fetchall()
        columns = con.execute(
            """SELECT schema_name || '.' || table_name || '.' || column_name FROM duckdb_columns()
               WHERE schema_name IN ('alignment', 'matching') AND coalesce(comment, '') = ''
               ORDER BY ALL"""
        ).fetchall()
        counted = con.execute(
            """SELECT count(*) FROM duckdb_columns()
               WHERE schema_name = 'alignment' AND table_name = 'targets'"""
        ).fetchall()[0][0]
    assert tables == []
    assert columns == []
    assert counted > 30  # the wide table is there, every one of its columns commented


def test_a_taxonomy_lacking_a_row_still_runs_but_a_typo_does_not(tmp_path):
    """A team taxonomy without the GLOMAG row is a state the pipeline tolerates (its listings
    are published unclassified until the row is added): the shipped scopes still load."""
    taxonomy = tmp_path / "programmes.csv"
    rows = PROGRAMMES_CSV.read_text(encoding="utf-8").splitlines(keepends=True)
    taxonomy.write_text("".join(r for r in rows if ",US-GLOMAG," not in r), encoding="utf-8")
    strict = next(s for s in load_scopes(taxonomy=taxonomy) if s.name == "strict")
    assert "US-GLOMAG" in strict.keys
    path = tmp_path / "scopes.csv"
    path.write_text(SHIPPED + "strict,US-GLOMAGG,\n", encoding="utf-8")
    with pytest.raises(ScopesError, match="unknown programme key 'US-GLOMAGG'"):
        load_scopes(path, taxonomy=taxonomy)
