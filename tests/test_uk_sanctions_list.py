"""The UK Sanctions List at full scale: built from the real OFSI ConList of the same day, it
loads through the pipeline with every regime classified and gives the ConList's figures, and a
history continues from ConList to it without a mass of events at the change of feed."""

from __future__ import annotations

import re
from datetime import date

import pytest

from sanctions import warehouse
from sanctions.archive import Archive
from sanctions.errors import CheckFailed
from sanctions.refresh import refresh_from_mirror
from sanctions.replay import replay
from sanctions.scopes import load_scopes
from sanctions.sources import SOURCES
from tests.conftest import make_mirror, real_data_dir
from tests.uksl_from_conlist import STATUTORY_TITLES, conlist_rows, uksl_from_conlist

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore::ResourceWarning")]

UKSL = "UK-Sanctions-List.xml"


@pytest.fixture(scope="module")
def conlist_path():
    path = real_data_dir() / "uk/ConList_2025-04-10.csv"
    if not path.is_file():
        pytest.skip(f"real snapshot {path} not found (set SANCTIONS_REAL_DATA)")
    return path


def _load(con, folder, files: dict) -> None:
    mirror = make_mirror(folder / "mirror", files, "uk_fcdo")
    refresh_from_mirror(con, ["uk_fcdo"], Archive(folder / "raw"), str(mirror))


@pytest.fixture(scope="module")
def both_paths(conlist_path, tmp_path_factory):
    """The same day's content published from ConList and from the UK Sanctions List."""
    root = tmp_path_factory.mktemp("uk_formats")
    with (
        warehouse.connect(root / "conlist.duckdb") as conlist,
        warehouse.connect(root / "uksl.duckdb") as uksl,
    ):
        _load(conlist, root / "conlist", {"ConList.csv": conlist_path})
        _load(uksl, root / "uksl", {UKSL: uksl_from_conlist(conlist_path)})
        yield conlist, uksl


def _keyed(con) -> dict[str, set[str]]:
    keys: dict[str, set[str]] = {}
    for record_id, key in con.execute(
        "SELECT record_id, programme_key FROM core.programmes"
    ).fetchall():
        keys.setdefault(record_id, set()).add(key)
    return keys


def test_the_uk_sanctions_list_gives_the_records_and_keys_of_the_conlist(both_paths, conlist_path):
    conlist, uksl = both_paths
    groups = {row["Group ID"] for row in conlist_rows(conlist_path)[1]}
    from_conlist, from_uksl = _keyed(conlist), _keyed(uksl)
    assert set(from_uksl) == {f"UK:{group}" for group in groups} == set(from_conlist)
    assert from_uksl == from_conlist
    assert not [key for keys in from_uksl.values() for key in keys if "UNCLASSIFIED" in key]
    # every statutory title of the file went through the one lookup, none by a second opinion
    raws = dict(
        uksl.execute("SELECT DISTINCT programme_raw, programme_key FROM core.programmes").fetchall()
    )
    assert set(raws) <= set(STATUTORY_TITLES.values())
    assert len(raws) == len({row["Regime"] for row in conlist_rows(conlist_path)[1]})


def test_the_strict_counts_agree_and_are_not_empty(both_paths):
    strict = sorted(next(s for s in load_scopes() if s.name == "strict").keys)
    strict_uk = [key for key in dict.fromkeys(strict) if key.startswith("UK-")]
    assert strict_uk == ["UK-GAC", "UK-GHR"]
    counts = [
        con.execute(
            """SELECT programme_key, count(DISTINCT record_id) FROM core.programmes
               WHERE programme_key IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1 ORDER BY 1""",
            [strict_uk],
        ).fetchall()
        for con in both_paths
    ]
    assert counts[0] == counts[1]
    assert [key for key, count in counts[1] if count > 0] == strict_uk


def test_the_designation_dates_are_the_uk_designation_dates(both_paths, conlist_path):
    """The UK Sanctions List's DateDesignated is ConList's "UK Sanctions List Date Designated"
    (not "Listed On", the first listing under the EU): one date per group and regime."""
    _, uksl = both_paths
    expected = {
        (f"UK:{row['Group ID']}", STATUTORY_TITLES[row["Regime"]]): date(
            *map(int, reversed(row["UK Sanctions List Date Designated"].split("/")))
        )
        for row in conlist_rows(conlist_path)[1]
    }
    published = uksl.execute(
        "SELECT record_id, programme_raw, listed_on FROM core.programmes"
    ).fetchall()
    assert {(record, raw): listed for record, raw, listed in published} == expected


def _day_events(con, day: str) -> list[tuple]:
    return con.execute(
        """SELECT record_id, event, changed_fields FROM history.events
           WHERE event_date::DATE = ?::DATE ORDER BY ALL""",
        [day],
    ).fetchall()


@pytest.mark.slow
def test_a_conlist_history_continues_live_from_the_uk_sanctions_list(conlist_path, tmp_path):
    """ConList 2025-04-10 replayed, then the 2025-04-14 content live as a UK Sanctions List:
    exactly the events of the real day (ConList to ConList), not a delisting of every record."""
    later = conlist_path.with_name("ConList_2025-04-14.csv")
    if not later.is_file():
        pytest.skip(f"real snapshot {later} not found (set SANCTIONS_REAL_DATA)")
    folder = tmp_path / "uk"
    folder.mkdir()
    (folder / conlist_path.name).symlink_to(conlist_path)
    with warehouse.connect(tmp_path / "switch.duckdb") as con:
        replay(con, SOURCES["uk_fcdo"], folder, Archive(tmp_path / "raw"))
        mirror = make_mirror(tmp_path / "mirror", {UKSL: uksl_from_conlist(later)}, "uk_fcdo")
        refresh_from_mirror(con, ["uk_fcdo"], Archive(tmp_path / "raw"), str(mirror))
        switched = _day_events(con, "2025-04-14")
    (folder / later.name).symlink_to(later)
    with warehouse.connect(tmp_path / "conlist.duckdb") as con:
        replay(con, SOURCES["uk_fcdo"], folder, Archive(tmp_path / "raw2"))
        real_day = _day_events(con, "2025-04-14")
    assert switched == real_day
    assert [record for record, event, _ in real_day if event == "listed"] == [
        "UK:16856",
        "UK:16857",
    ]
    assert len(real_day) < 10


def test_a_file_with_mostly_unknown_regimes_is_refused_naming_them(
    both_paths, conlist_path, tmp_path
):
    """Regimes renamed to titles the taxonomy never saw: refused, naming each title and its
    count; core keeps the last good snapshot. (Last in this module: it leaves the refused
    snapshot in the shared warehouse's staging.)"""
    _, con = both_paths
    loaded = warehouse.loaded_snapshot(con, "uk_fcdo")
    core = con.execute("SELECT count(*), sum(hash(record_id, name)) FROM core.records").fetchall()
    unknown = {
        regime: re.sub(r"^The \w+", "The Ruritania", title) if regime != "Libya" else title
        for regime, title in STATUTORY_TITLES.items()
    }
    mirror = make_mirror(
        tmp_path / "bad", {UKSL: uksl_from_conlist(conlist_path, unknown)}, "uk_fcdo"
    )
    with pytest.raises(CheckFailed) as refused:
        refresh_from_mirror(con, ["uk_fcdo"], Archive(tmp_path / "raw"), str(mirror))
    message = str(refused.value)
    assert "programmes_mostly_classified" in message
    assert "core keeps the last good snapshot" in message
    assert re.search(
        r"'The Ruritania \(Sanctions\) \(EU Exit\) Regulations 2019' \(\d+ records\)", message
    )
    assert "Libya" not in message
    assert warehouse.loaded_snapshot(con, "uk_fcdo") == loaded
    assert (
        con.execute("SELECT count(*), sum(hash(record_id, name)) FROM core.records").fetchall()
        == core
    )
