"""Allies as data: the shipped definition, cited per jurisdiction, and a bad file stopping a
run before any fetch."""

import csv
from collections import defaultdict

import pytest

from pipelines import cli
from sanctions.alignment import JURISDICTIONS
from sanctions.allies import ALLIES_CSV, read_allies

# NATO's 32 members (nato.int), Albania, Montenegro, North Macedonia and Turkey included.
NATO = {"AL", "BE", "BG", "CA", "HR", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IS", "IT"}
NATO |= {"LV", "LT", "LU", "ME", "NL", "MK", "NO", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "TR"}
NATO |= {"GB", "US"}


def allies_by_basis() -> dict[tuple[str, str], set[str]]:
    grouped = defaultdict(set)
    for jurisdiction, country, basis, _ in read_allies(ALLIES_CSV):
        grouped[(jurisdiction, basis)].add(country)
    return grouped


def test_every_jurisdiction_of_the_registry_has_cited_allies():
    rows = read_allies(ALLIES_CSV)
    assert {row[0] for row in rows} == set(JURISDICTIONS)
    assert all(row[3].startswith("https://") for row in rows)


def test_nato_is_its_32_members_and_the_us_names_its_major_non_nato_allies():
    grouped = allies_by_basis()
    assert grouped[("US", "NATO")] == NATO - {"US"}
    assert grouped[("CA", "NATO")] == NATO - {"CA"}
    assert grouped[("UK", "NATO")] == NATO - {"GB"}
    assert "CH" not in set().union(*grouped.values())  # Switzerland is neutral
    assert {"AU", "JP", "KR", "IL", "NZ", "EG", "JO", "PH", "TH", "AR", "BR", "KE"} <= grouped[
        ("US", "major non-NATO ally")
    ]
    assert grouped[("AU", "defence treaty (ANZUS)")] == {"US", "NZ"}


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("XX,GB,NATO,https://example.org", "unknown jurisdiction 'XX'"),
        ("US,ZZ,NATO,https://example.org", "unknown country code 'ZZ'"),
        ("US,GB,,https://example.org", "empty basis"),
    ],
)
def test_a_bad_allies_file_stops_the_run_before_any_fetch_naming_the_line(
    tmp_path, monkeypatch, capsys, row, problem
):
    allies = tmp_path / "allies.csv"
    with ALLIES_CSV.open(encoding="utf-8") as shipped:
        lines = shipped.read().splitlines()
    allies.write_text("\n".join([*lines[:3], row, *lines[3:]]) + "\n", encoding="utf-8")
    assert len(list(csv.reader(allies.open()))) == len(lines) + 1
    monkeypatch.setenv("SANCTIONS_ALLIES", str(allies))
    monkeypatch.setenv("SANCTIONS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SANCTIONS_MIRROR", str(tmp_path / "mirror"))
    assert cli.main(["run"]) == cli.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert f"allies file {allies}: line 4: {problem}" in err
    assert err.count("\n") == 1
    assert not (tmp_path / "data").exists()  # nothing fetched, nothing written
