"""Stale sources: the last good snapshot's age against each publisher's rhythm, in the domain
function, the `sanctions run` summary and the Dagster check."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest

from sanctions import warehouse
from sanctions.archive import Archive
from sanctions.fetch import HttpOptions
from sanctions.freshness import source_ages, stale_sources
from sanctions.refresh import fetch_source, parse_source, refresh_from_mirror
from sanctions.sources import SOURCES, freshness_hours
from tests.conftest import FIXTURES, make_mirror
from tests.pipeline_helpers import run

SDN = FIXTURES / "us_ofac_csv" / "SDN.CSV"


@pytest.fixture
def loaded(tmp_path):
    """The US (daily) and EU (weekly) fixtures fetched and published; yields the connection
    and the mirror."""
    mirror = make_mirror(tmp_path / "mirror", {"SDN.CSV": SDN})
    make_mirror(mirror, {"fsf.xml": FIXTURES / "eu_fsf" / "fsf.xml"}, "eu_fsf")
    with warehouse.connect(tmp_path / "warehouse.duckdb") as con:
        refresh_from_mirror(con, ["us_ofac", "eu_fsf"], Archive(tmp_path / "raw"), str(mirror))
        yield con, mirror


def last_good(con, source_id: str):
    return next(age.last_good for age in source_ages(con) if age.source_id == source_id)


def test_daily_and_weekly_publishers_go_stale_after_their_own_rhythm(loaded):
    con, _ = loaded
    fetched = last_good(con, "us_ofac")
    assert stale_sources(con, now=fetched + timedelta(hours=1), environ={}) == []
    day_later = fetched + timedelta(hours=25)
    stale = stale_sources(con, now=day_later, environ={})
    assert [age.source_id for age in stale] == ["us_ofac"]
    assert stale[0].limit_hours == 24
    assert "us_ofac: last good snapshot 25 h ago" in stale[0].describe()
    assert "expected within 24 h" in stale[0].describe()
    weeks_later = [age.source_id for age in stale_sources(con, day_later + timedelta(days=7), {})]
    assert weeks_later == ["us_ofac", "eu_fsf"]
    assert SOURCES["ca_sema"].freshness_hours == SOURCES["eu_fsf"].freshness_hours == 168
    assert SOURCES["au_dfat"].freshness_hours == SOURCES["un_sc"].freshness_hours == 168
    assert SOURCES["uk_fcdo"].freshness_hours == 24


def test_the_setting_overrides_a_source_rhythm_and_a_bad_value_names_it(loaded):
    con, _ = loaded
    later = last_good(con, "us_ofac") + timedelta(hours=25)
    relaxed = {"SANCTIONS_FRESHNESS_HOURS_US_OFAC": "48"}
    assert stale_sources(con, now=later, environ=relaxed) == []
    for bad in ("a day", "0", "-3", "nan"):
        with pytest.raises(ValueError, match="SANCTIONS_FRESHNESS_HOURS_US_OFAC"):
            freshness_hours(SOURCES["us_ofac"], {"SANCTIONS_FRESHNESS_HOURS_US_OFAC": bad})


def test_only_a_fetch_that_confirms_or_replaces_core_makes_a_source_fresh(loaded, tmp_path):
    con, mirror = loaded
    before = last_good(con, "us_ofac")
    archive = Archive(tmp_path / "raw")
    # a new file fetched and staged but not yet published (or refused): core is unchanged
    changed = SDN.read_bytes().replace(b"PETROV", b"PETROW")
    other = make_mirror(tmp_path / "changed", {"SDN.CSV": changed})
    fetch_source(warehouse.borrowed(con), SOURCES["us_ofac"], archive, HttpOptions(), str(other))
    parse_source(con, SOURCES["us_ofac"])
    assert last_good(con, "us_ofac") == before
    # the published file fetched again: the publisher confirms what core holds
    fetch_source(warehouse.borrowed(con), SOURCES["us_ofac"], archive, HttpOptions(), str(mirror))
    assert last_good(con, "us_ofac") > before


def test_a_stale_source_shows_in_the_run_summary_and_as_a_warning_check(tmp_path):
    """In a process of its own, so the code location loads with the setting (Dagster's
    freshness policy refuses windows under a minute: the policy is clamped, the check is not)."""
    mirror = make_mirror(tmp_path / "mirror", {"SDN.CSV": SDN})
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("SANCTIONS_", "DAGSTER"))}
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--source", "us_ofac"],
        cwd=tmp_path,
        env=environ
        | {
            "SANCTIONS_DATA_DIR": str(tmp_path / "data"),
            "SANCTIONS_MIRROR": str(mirror),
            "SANCTIONS_MIN_RECORDS_US_OFAC": "1",
            "SANCTIONS_FRESHNESS_HOURS_US_OFAC": "0.00001",  # 36 ms
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr  # stale is a warning, not a failure
    assert "STALE us_ofac: last good snapshot 0 h ago" in done.stdout
    assert "expected within 0 h" in done.stdout
    assert "check FAILED core/us_ofac:source_fresh: us_ofac: last good snapshot" in done.stdout


def test_the_source_fresh_check_warns_without_blocking(tmp_path, monkeypatch):
    monkeypatch.setenv("SANCTIONS_FRESHNESS_HOURS_US_OFAC", "0.00001")
    result = run(tmp_path / "data", make_mirror(tmp_path / "mirror", {"SDN.CSV": SDN}))
    assert result.success
    fresh = [c for c in result.get_asset_check_evaluations() if c.check_name == "source_fresh"]
    assert len(fresh) == 1 and not fresh[0].passed
    assert fresh[0].severity.value == "WARN"
