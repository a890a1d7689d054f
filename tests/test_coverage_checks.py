"""Unknown values and lost fields through the publish gate, with the real UN and DFAT files:
a refused snapshot names the source, the file, the value or field and the count, and core
keeps the last good snapshot."""

from __future__ import annotations

import re

import duckdb
import pytest

from sanctions import warehouse
from sanctions.archive import Archive
from sanctions.errors import CheckFailed, ParseError
from sanctions.refresh import refresh_from_mirror
from tests.conftest import make_mirror

pytestmark = pytest.mark.integration
UN_FILE = "consolidated.xml"


@pytest.fixture
def un_text(real_data) -> str:
    return (real_data / "un" / "un_consolidated_2025-04-19.xml").read_text("utf-8")


def _load(tmp_path, text: str, name: str):
    mirror = make_mirror(tmp_path / name, {UN_FILE: text.encode()}, "un_sc")
    with warehouse.connect(tmp_path / "warehouse.duckdb") as con:
        refresh_from_mirror(con, ["un_sc"], Archive(tmp_path / "raw"), str(mirror))


def _core(tmp_path) -> tuple:
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(
            """SELECT (SELECT string_agg(snapshot_id, ',') FROM core.snapshots),
                      (SELECT count(*) FROM core.records WHERE entity_type = 'organization'),
                      (SELECT list(DISTINCT check_name) FROM core.check_results
                       WHERE NOT passed)"""
        ).fetchall()[0]


def renamed_entities(text: str) -> str:
    return text.replace("<ENTITY>", "<ORGANISATION>").replace("</ENTITY>", "</ORGANISATION>")


def test_un_entities_renamed_on_a_first_load_are_refused_naming_them(tmp_path, un_text):
    with pytest.raises(CheckFailed) as caught:
        _load(tmp_path, renamed_entities(un_text), "mirror")
    message = str(caught.value)
    assert message.startswith("un_sc: snapshot ")
    assert UN_FILE.upper() in message.upper()
    assert re.search(
        r"coverage_kept: .*first load.*entity type organization on 0\.0% of records, floor 10%",
        message,
    )
    assert _core(tmp_path)[0] is None  # nothing published
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        summary = con.execute(
            "SELECT summary FROM core.check_results WHERE check_name = 'values_read'"
        ).fetchall()[0][0]
    assert "\"record element 'ORGANISATION'\" (193 records)" in summary


def test_un_entities_renamed_after_a_good_load_keep_the_good_snapshot(tmp_path, un_text):
    _load(tmp_path, un_text, "good")
    good = _core(tmp_path)
    assert good[1] == 193
    with pytest.raises(CheckFailed, match=r"entity type organization on 0\.0% of records, 22\.0%"):
        _load(tmp_path, renamed_entities(un_text), "renamed")
    assert _core(tmp_path)[:2] == good[:2]


def test_a_removed_element_is_named_against_the_published_snapshot(tmp_path, un_text):
    _load(tmp_path, un_text, "good")
    without_births = re.sub(
        r"<INDIVIDUAL_DATE_OF_BIRTH>.*?</INDIVIDUAL_DATE_OF_BIRTH>", "", un_text, flags=re.S
    )
    _load(tmp_path, without_births, "removed")  # a warning: it publishes, the check names it
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        summary = con.execute(
            """SELECT summary FROM core.check_results WHERE check_name = 'field_coverage_kept'
               AND NOT passed"""
        ).fetchall()[0][0]
    assert "birth dates on 0.0% of records, 74.6% published" in summary
    assert "element <INDIVIDUAL_DATE_OF_BIRTH> on 0.0% of records, 77.8% published" in summary


def test_dfat_persons_typed_person_are_refused_naming_the_value_and_count(tmp_path):
    from tests.test_au_dfat import FILE_NAME, workbook

    mirror = tmp_path / "mirror"
    workbook(mirror / "au_dfat", edit=lambda xml: xml.replace(">Individual<", ">Person<"))
    with (
        warehouse.connect(tmp_path / "warehouse.duckdb") as con,
        pytest.raises(ParseError) as caught,
    ):
        refresh_from_mirror(con, ["au_dfat"], Archive(tmp_path / "raw"), str(mirror))
    message = str(caught.value)
    assert message.startswith(f"au_dfat: {FILE_NAME} (archived as ")
    assert "6 of 9 Type values are unknown: 'Person' (6)" in message
    assert _core(tmp_path)[0] is None


def _coverage_summary(tmp_path, files: dict) -> tuple[bool, str]:
    mirror = make_mirror(tmp_path / "mirror", files)
    with warehouse.connect(tmp_path / "warehouse.duckdb") as con:
        refresh_from_mirror(con, ["us_ofac"], Archive(tmp_path / "raw"), str(mirror))
        return con.execute(
            """SELECT passed, summary FROM core.check_results
               WHERE check_name = 'field_coverage_kept'"""
        ).fetchall()[0]


def test_a_lone_sdn_csv_leaves_its_companions_fields_unjudged(tmp_path, real_data):
    """OFAC's dated files are lone SDN.CSVs: no ADD.CSV says nothing of addresses, so a first
    load is not failed for 0% of them; the fields are named as not judged."""
    passed, summary = _coverage_summary(
        tmp_path, {"SDN.CSV": real_data / "us_ofac" / "sdn_history" / "SDN_2024-05-03.CSV"}
    )
    assert passed, summary
    assert "not judged, their file absent: " in summary
    for field in ("addresses (ADD.CSV)", "countries (address) (ADD.CSV)", "aliases (ALT.CSV)"):
        assert field in summary


def test_a_complete_csv_set_judges_every_field(tmp_path, real_data):
    folder = real_data / "us_ofac" / "csv_2021-07-07"
    passed, summary = _coverage_summary(
        tmp_path, {name: folder / name for name in ("SDN.CSV", "ALT.CSV", "ADD.CSV")}
    )
    assert passed, summary
    assert "not judged" not in summary
