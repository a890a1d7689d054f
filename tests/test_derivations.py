"""Derived tables are functions of the files (issue 18): programme keys derived from the
programme as published wherever they are read, each programme dated by the first version that
carried it, same-day versions in publish order, the UK's designation date per regime and the
regimes' start dates, absent companion files read as unknown, UN-mandated per date."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from sanctions import alignment, clusters, companions, matching, quality, warehouse
from sanctions.archive import Archive
from sanctions.programmes import PROGRAMMES_CSV
from sanctions.replay import replay
from sanctions.sources import SOURCES
from tests.conftest import FIXTURES
from tests.synthetic_lists import PEOPLE, Listing, conlist_csv

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")
OFAC_CSV = FIXTURES / "us_ofac_csv"
SDN_LINES = (OFAC_CSV / "SDN.CSV").read_bytes().splitlines(keepends=True)


def sdn(*replacements: tuple[bytes, bytes]) -> bytes:
    text = b"".join(SDN_LINES)
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    return text


def dated_set(folder: Path, day: str, sdn_bytes: bytes, companions_from: Path | None) -> None:
    """An OFAC CSV set of one date: its own folder named by the date."""
    member = folder / day
    member.mkdir(parents=True)
    (member / "SDN.CSV").write_bytes(sdn_bytes)
    for name in ("ALT.CSV", "ADD.CSV", "SDN_COMMENTS.CSV"):
        if companions_from is not None:
            shutil.copyfile(companions_from / name, member / name)


def replay_all(con, folder: Path, tmp_path: Path, files: int) -> None:
    """Replay the dated sets of `folder`, every one of them applied."""
    report = replay(con, SOURCES["us_ofac"], folder, Archive(tmp_path / "raw"))
    assert len(report.applied) == files, report.skipped


def build_marts(con) -> None:
    con.execute("BEGIN TRANSACTION")
    matching.match(con)
    clusters.write_clusters(con)
    con.execute("COMMIT")
    alignment.build(con)


def as_of(con, day: str, record_id: str) -> list[tuple]:
    return con.execute(
        """SELECT programme_key, list_contains(scopes, 'strict') AS strict, listed_on
           FROM alignment.as_of(?::DATE) WHERE record_id = ? ORDER BY ALL""",
        [day, record_id],
    ).fetchall()


def test_a_programme_added_later_is_dated_by_the_file_that_first_carried_it(tmp_path):
    """Item 4: the OFAC CSV gives no listing date; US:1005 gains GLOMAG in the second file."""
    folder = tmp_path / "us"
    dated_set(folder, "2024-01-01", sdn(), None)
    dated_set(folder, "2024-03-01", sdn((b'"SDNTK"', b'"SDNTK] [GLOMAG"')), None)
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        replay(con, SOURCES["us_ofac"], folder, Archive(tmp_path / "raw"))
        build_marts(con)
        listings = con.execute(
            """SELECT programme_key, listed_on, listed_on_origin FROM alignment.listings
               WHERE record_id = 'US:1005' ORDER BY 1"""
        ).fetchall()
        assert listings == [
            ("US-GLOMAG", date(2024, 3, 1), "first_seen"),
            ("US-SDNTK", None, None),  # carried by the first file: its date is unknown
        ]
        assert as_of(con, "2024-02-01", "US:1005") == [("US-SDNTK", False, None)]
        assert as_of(con, "2024-03-01", "US:1005") == [
            ("US-GLOMAG", True, date(2024, 3, 1)),
            ("US-SDNTK", False, None),
        ]


def test_a_taxonomy_fix_reaches_past_dates(tmp_path, monkeypatch):
    """Item 1 (history part): the history keeps the published string; the keys of past dates
    come from the taxonomy in use at the next build."""
    taxonomy = tmp_path / "programmes.csv"
    rows = PROGRAMMES_CSV.read_text(encoding="utf-8").splitlines(keepends=True)
    taxonomy.write_text(
        "".join(r for r in rows if not r.startswith("US,GLOMAG,")), encoding="utf-8"
    )
    monkeypatch.setenv("SANCTIONS_PROGRAMMES", str(taxonomy))
    folder = tmp_path / "us"
    dated_set(folder, "2024-01-01", sdn(), None)
    dated_set(folder, "2024-03-01", sdn((b"Former Deputy Minister", b"Minister")), None)
    path = tmp_path / "w.duckdb"
    with warehouse.connect(path) as con:
        replay(con, SOURCES["us_ofac"], folder, Archive(tmp_path / "raw"))
        build_marts(con)
        assert as_of(con, "2024-02-01", "US:1001") == [("US-UNCLASSIFIED-GLOMAG", False, None)]
    taxonomy.write_text("".join(rows), encoding="utf-8")
    with warehouse.connect(path) as con:
        build_marts(con)
        assert as_of(con, "2024-02-01", "US:1001") == [("US-GLOMAG", True, None)]
        keys = con.execute(
            "SELECT DISTINCT unnest(programme_keys) FROM history.events WHERE record_id = 'US:1001'"
        ).fetchall()
        assert keys == [("US-GLOMAG",)]


HISTORY_STATE = {
    "record_versions": """SELECT record_id, content_hash, valid_from, valid_to, snapshot_id,
                                 programmes, parts, programme_entries
                          FROM history.record_versions""",
    "events": """SELECT record_id, event, event_date, changed_fields, programme_keys,
                        programmes, snapshot_id FROM history.events""",
    "part_hashes": "SELECT record_id, parts FROM history.part_hashes",
}


def history_state(con) -> dict[str, list[tuple]]:
    return {
        name: con.execute(f"{sql} ORDER BY ALL").fetchall() for name, sql in HISTORY_STATE.items()
    }


@pytest.mark.parametrize("fixed_before", ["a_new_file", "the_marts_build"])
def test_a_taxonomy_fix_leaves_the_history_a_replay_under_it_gives(
    tmp_path, monkeypatch, fixed_before
):
    """Item 1 (history): a taxonomy lacking GLOMAG and PEESA-EO14039 and keying
    ILLICIT-DRUGS-EO14059 as SDGT by mistake. US:1005 moving from OFAC's PEESA tag to
    PEESA-EO14039 (one key once fixed) reads as a programmes change under it; US:1004 moving
    from SDGT to ILLICIT-DRUGS-EO14059 reads as none. Once the taxonomy is fixed, versions,
    events and part hashes equal a replay under the fixed taxonomy throughout, whether the fix
    meets a new file or the marts build first."""
    full = PROGRAMMES_CSV.read_text(encoding="utf-8").splitlines(keepends=True)
    edited = [
        row.replace(",US-ILLICIT-DRUGS-EO14059,", ",US-SDGT,")
        if row.startswith("US,ILLICIT-DRUGS-EO14059,")
        else row
        for row in full
        if not row.startswith(("US,GLOMAG,", "US,PEESA-EO14039,"))
    ]
    assert len(full) - len(edited) == 2 and ",US-SDGT,\n" not in "".join(full)
    days = ("2024-01-01", "2024-02-01", "2024-03-01")
    moved = (
        (b'"SDNTK"', b'"PEESA-EO14039"'),
        (b'"aircraft","SDGT"', b'"aircraft","ILLICIT-DRUGS-EO14059"'),
    )
    dated_set(tmp_path / days[0], days[0], sdn((b'"SDNTK"', b'"PEESA"')), None)
    dated_set(tmp_path / days[1], days[1], sdn(*moved), None)
    dated_set(tmp_path / days[2], days[2], sdn(*moved, (b'"SEA EXAMPLE"', b'"SEA II"')), None)
    changes = """SELECT record_id, event_date::DATE, changed_fields FROM history.events
                 WHERE event = 'changed' ORDER BY ALL"""
    states = {}
    for path, taxonomy_rows in (("fixed", full), ("edited", edited)):
        taxonomy = tmp_path / f"{path}.csv"
        taxonomy.write_text("".join(taxonomy_rows), encoding="utf-8")
        monkeypatch.setenv("SANCTIONS_PROGRAMMES", str(taxonomy))
        with warehouse.connect(tmp_path / f"{path}.duckdb") as con:
            for day in days:
                if path == "edited" and fixed_before == "a_new_file" and day == days[-1]:
                    taxonomy.write_text("".join(full), encoding="utf-8")
                report = replay(con, SOURCES["us_ofac"], tmp_path / day, Archive(tmp_path / path))
                assert len(report.applied) == 1, report.skipped
            if path == "edited" and fixed_before == "the_marts_build":
                assert con.execute(changes).fetchall() == [
                    ("US:1003", date(2024, 3, 1), ["details", "names"]),
                    ("US:1005", date(2024, 2, 1), ["programmes"]),
                ]
                taxonomy.write_text("".join(full), encoding="utf-8")
            build_marts(con)
            states[path] = history_state(con)
            states[path]["changes"] = con.execute(changes).fetchall()
    assert states["edited"] == states["fixed"]
    assert states["fixed"]["changes"] == [
        ("US:1003", date(2024, 3, 1), ["details", "names"]),
        ("US:1004", date(2024, 2, 1), ["programmes"]),
    ]


def test_same_day_republication_shows_only_the_latest_version(tmp_path):
    """Item 5: two files of one day, the second moving a person from Russia to Global Human
    Rights: that day and later show only Global Human Rights."""
    person = PEOPLE[0]
    day = date(2025, 4, 10)
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        for step, regime in enumerate((1, 0)):  # UK_REGIMES: 1 Russia, 0 Global Human Rights
            folder = tmp_path / f"uk{step}"
            folder.mkdir()
            (folder / "ConList_2025-04-10.csv").write_bytes(
                conlist_csv(day, [Listing(person, programme=regime)])
            )
            report = replay(con, SOURCES["uk_fcdo"], folder, Archive(tmp_path / "raw"))
            assert report.applied and not report.skipped
        build_marts(con)
        record = f"UK:{20000 + person.key}"
        for when in ("2025-04-10", "2025-06-01"):
            keys = [key for key, _, _ in as_of(con, when, record)]
            assert keys == ["UK-GHR"], when


def conlist(tmp_path: Path, listed_on: str, designated: str) -> Path:
    text = conlist_csv(date(2025, 4, 10), [Listing(PEOPLE[1], programme=0)]).decode("utf-8")
    text = text.replace(
        ",Global Human Rights,,,,", f",Global Human Rights,{listed_on},{designated},,"
    )
    assert designated in text
    path = tmp_path / "mirror" / "ConList_2025-04-10.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_uk_designation_date_per_regime_and_regimes_that_did_not_exist_yet(tmp_path):
    """Item 6: "UK Sanctions List Date Designated", not "Listed On" (a first listing under an
    older regime); a listing dated before its regime began is named by a warning."""
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        replay(
            con,
            SOURCES["uk_fcdo"],
            conlist(tmp_path, "06/03/2014", "31/12/2020").parent,
            Archive(tmp_path / "raw"),
        )
        listed = con.execute(
            "SELECT programme_key, listed_on FROM core.programmes WHERE record_id = 'UK:20002'"
        ).fetchall()
        assert listed == [("UK-GHR", date(2020, 12, 31))]
        build_marts(con)
        strict = con.execute(
            """SELECT count(*) FROM alignment.as_of(DATE '2018-06-30')
               WHERE list_contains(scopes, 'strict')"""
        ).fetchall()
        assert strict == [(0,)]
        assert quality.listings_within_regime_dates(con, "uk_fcdo").passed
        began = con.execute(
            "SELECT began FROM ref.programme_dates WHERE programme_key = 'UK-GHR'"
        ).fetchall()
        assert began == [(date(2020, 7, 6),)]
    with warehouse.connect(tmp_path / "w2.duckdb") as con:  # a date before the regime began
        replay(
            con,
            SOURCES["uk_fcdo"],
            conlist(tmp_path / "early", "06/03/2014", "06/03/2014").parent,
            Archive(tmp_path / "raw2"),
        )
        outcome = quality.listings_within_regime_dates(con, "uk_fcdo")
        assert not outcome.passed
        assert "UK:20002 UK-GHR dated 2014-03-06 (began 2020-07-06)" in outcome.summary


def test_an_absent_companion_file_is_unknown_not_a_deletion(tmp_path):
    """Item 7: a lone SDN.CSV between two full sets writes no names or addresses change, keeps
    the aliases and address countries (marked), and a real alias change still shows."""
    folder = tmp_path / "us"
    dated_set(folder, "2024-01-01", sdn(), OFAC_CSV)
    dated_set(folder, "2024-02-01", sdn(), None)
    changed = tmp_path / "changed"
    shutil.copytree(OFAC_CSV, changed)
    alt = changed / "ALT.CSV"
    alt.write_bytes(alt.read_bytes().replace(b'"PETROFF, Ivan"', b'"PETROV, Ivan S."'))
    dated_set(folder, "2024-03-01", sdn(), changed)
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        replay_all(con, folder, tmp_path, files=3)
        events = con.execute(
            """SELECT event_date::DATE, record_id, changed_fields FROM history.events
               WHERE event = 'changed' ORDER BY ALL"""
        ).fetchall()
        assert events == [(date(2024, 3, 1), "US:1001", ["names"])]
        absent = con.execute(
            "SELECT published_on, absent_files FROM core.snapshots ORDER BY published_on"
        ).fetchall()
        assert [files for _, files in absent] == [
            [],
            companions.absent_companions("ofac_csv", ["SDN.CSV"]),
            [],
        ]


def test_a_lone_file_keeps_the_last_known_aliases_and_countries(tmp_path):
    """Item 7: matching and figures read the carried values, marked by the snapshot."""
    full, lone = tmp_path / "full", tmp_path / "lone"
    dated_set(full, "2024-01-01", sdn(), OFAC_CSV)
    dated_set(lone, "2024-02-01", sdn(), None)
    facts = """SELECT (SELECT list(name ORDER BY name) FROM core.names WHERE kind <> 'primary'),
                      (SELECT list(country_code ORDER BY country_code) FROM core.countries
                       WHERE relation = 'address'),
                      (SELECT absent_files FROM core.snapshots ORDER BY loaded_at DESC LIMIT 1)"""
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        replay(con, SOURCES["us_ofac"], full, Archive(tmp_path / "raw"))
        aliases, countries, absent = con.execute(facts).fetchall()[0]
        assert aliases and countries and absent == []
        replay(con, SOURCES["us_ofac"], lone, Archive(tmp_path / "raw"))
        assert con.execute(facts).fetchall()[0] == (
            aliases,
            countries,
            ["ALT.CSV", "ADD.CSV", "SDN_COMMENTS.CSV"],
        )


def test_the_first_file_to_carry_a_companion_reports_no_change(tmp_path):
    """Item 7: aliases never known before (only lone files) are not "names changed"."""
    folder = tmp_path / "us"
    dated_set(folder, "2024-01-01", sdn(), None)
    dated_set(folder, "2024-02-01", sdn(), OFAC_CSV)
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        replay(con, SOURCES["us_ofac"], folder, Archive(tmp_path / "raw"))
        changed = con.execute(
            "SELECT record_id, changed_fields FROM history.events WHERE event = 'changed'"
        ).fetchall()
    assert all("names" not in fields and "addresses" not in fields for _, fields in changed)


def test_a_record_first_listed_without_its_companions_reports_no_change_when_they_come(
    tmp_path,
):
    """Item 7: a record whose aliases and addresses no file had given yet (listed, and listed
    again, only in lone SDN.CSV files, while the sets before and between were full) gets them
    from the next full set: no "names", "addresses" or "countries" change, as for a record
    that was always in full sets."""
    without_petrov = b"".join(line for line in SDN_LINES if not line.startswith(b"1001,"))
    folder = tmp_path / "us"
    dated_set(folder, "2024-01-01", without_petrov, OFAC_CSV)
    dated_set(folder, "2024-02-01", sdn(), None)
    dated_set(folder, "2024-03-01", without_petrov, OFAC_CSV)
    dated_set(folder, "2024-04-01", sdn(), None)
    dated_set(folder, "2024-05-01", sdn(), OFAC_CSV)
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        replay_all(con, folder, tmp_path, files=5)
        events = con.execute(
            """SELECT event_date::DATE, event, changed_fields FROM history.events
               WHERE record_id = 'US:1001' ORDER BY seq"""
        ).fetchall()
        aliases = con.execute(
            "SELECT list(name ORDER BY name) FROM core.names WHERE record_id = 'US:1001'"
        ).fetchall()[0][0]
    assert events == [
        (date(2024, 2, 1), "listed", None),
        (date(2024, 3, 1), "delisted", None),
        (date(2024, 4, 1), "relisted", None),
    ]
    assert aliases == ["PETROFF, Ivan", "PETROV, Ivan", "PETROV, Ivan Sergeyevich"]


def test_a_lone_file_keeps_the_facts_of_the_remarks_continued_in_sdn_comments(tmp_path):
    """Item 7: OFAC cuts long remarks mid-word and continues them in SDN_COMMENTS.CSV; a lone
    SDN.CSV keeps the whole remarks last known and the facts read from them (the identifier in
    the continuation, not the half one of the cut): no "identifiers" change either way."""
    cut = (
        b"Cedula No. 12345678 (Colombia).",
        b"Cedula No. 123",
    )
    full = tmp_path / "full"
    shutil.copytree(OFAC_CSV, full)
    (full / "SDN.CSV").write_bytes(sdn(cut))
    comments = full / "SDN_COMMENTS.CSV"
    comments.write_bytes(
        comments.read_bytes().replace(b"\x1a", b'1005,"45678 (Colombia)."\r\n\x1a')
    )
    steps = [("2024-01-01", full), ("2024-02-01", None), ("2024-03-01", full)]
    for day, companions_from in steps:
        dated_set(tmp_path / day, day, sdn(cut), companions_from)
    facts = """SELECT (SELECT list(value ORDER BY value) FROM core.identifiers
                       WHERE record_id = 'US:1005'),
                      (SELECT remarks FROM core.records WHERE record_id = 'US:1005')"""
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        seen = []
        for day, _ in steps:
            replay(con, SOURCES["us_ofac"], tmp_path / day, Archive(tmp_path / "raw"))
            seen.append(con.execute(facts).fetchall()[0])
        assert seen == [seen[0]] * 3
        identifiers, remarks = seen[0]
        assert "12345678" in identifiers and remarks.endswith("Cedula No. 12345678 (Colombia).")
        changed = con.execute(
            "SELECT record_id, changed_fields FROM history.events WHERE event = 'changed'"
        ).fetchall()
    assert changed == []


def test_remarks_continued_for_the_first_time_are_no_change_but_a_new_title_is(tmp_path):
    """Item 7: a lone SDN.CSV first, then the full set: the facts the continuation adds to
    remarks OFAC cut at 1,000 characters (1005's Cedula number) are no change; a title changed
    in the same file on a record whose remarks are not continued (1001) still is."""
    short = b"Cedula No. 12345678 (Colombia)."
    links = "".join(f"Linked To: EMPRESA EJEMPLO {n:02d} S.A. DE C.V.; " for n in range(18))
    head = sdn()[sdn().index(b"DOB circa 1970") : sdn().index(short)]
    site = "x" * (1000 - len(head) - len(links) - len("Website www..test; Cedula No. 12"))
    long = f"{links}Website www.{site}.test; {short.decode()}".encode()
    whole = sdn((short, long), (b"#directi", b"#directives."))
    cut_at = whole.index(b"DOB circa 1970") + 1000
    assert whole[cut_at - 6 : cut_at] == b"No. 12"  # OFAC's cut, inside the number
    lone = whole[:cut_at] + whole[whole.index(b'"', cut_at) :]
    full = tmp_path / "full"
    shutil.copytree(OFAC_CSV, full)
    continuation = whole[cut_at : whole.index(b'"', cut_at)]
    (full / "SDN_COMMENTS.CSV").write_bytes(b'1005,"' + continuation + b'"\r\n\x1a')
    retitled = lone.replace(b'"Former Deputy Minister"', b'"Deputy Minister"')
    folder = tmp_path / "us"
    dated_set(folder, "2024-01-01", lone, None)
    dated_set(folder, "2024-02-01", retitled, full)
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        replay(con, SOURCES["us_ofac"], folder, Archive(tmp_path / "raw"))
        changed = con.execute(
            "SELECT record_id, changed_fields FROM history.events WHERE event = 'changed'"
        ).fetchall()
        identifiers = con.execute(
            "SELECT list(value ORDER BY value) FROM core.identifiers WHERE record_id = 'US:1005'"
        ).fetchall()[0][0]
    assert "12345678" in identifiers
    assert changed == [("US:1001", ["details"])]


def test_a_backfill_of_lone_files_reports_no_change_of_what_they_lacked(tmp_path):
    """Item 7: older lone SDN.CSV files backfilled before a live full set: the aliases,
    addresses and continued remarks they lacked were unknown, so the full set changes none of
    them; a real change the full set shows (a programme added) is still one."""
    designated = sdn((b'"GLOMAG"', b'"GLOMAG] [RUSSIA-EO14024"'))
    dated_set(tmp_path / "live", "2024-02-01", designated, OFAC_CSV)
    dated_set(tmp_path / "older", "2024-01-01", sdn(), None)
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        replay(con, SOURCES["us_ofac"], tmp_path / "live", Archive(tmp_path / "raw"))
        report = replay(con, SOURCES["us_ofac"], tmp_path / "older", Archive(tmp_path / "raw"))
        assert report.backfilled
        changed = con.execute(
            """SELECT event_date::DATE, record_id, changed_fields FROM history.events
               WHERE event = 'changed' ORDER BY ALL"""
        ).fetchall()
    assert changed == [(date(2024, 2, 1), "US:1001", ["programmes"])]


def test_un_mandated_comes_from_the_un_listing_valid_on_the_date(tmp_path):
    """Item 8: a US record delisted before today is UN-mandated on the dates the UN listed
    the target (QDe.904 since 2002-01-11), and not before."""
    foundation = b'9001,"EXAMPLE RELIEF FOUNDATION",-0- ,"SDGT"' + b",-0- " * 8 + b"\r\n"
    with_foundation = sdn().rstrip(b"\x1a") + foundation + b"\x1a"
    folder = tmp_path / "us"
    dated_set(folder, "2001-06-01", with_foundation, None)
    dated_set(folder, "2002-06-01", with_foundation, None)
    dated_set(folder, "2024-01-01", sdn(), None)
    un = tmp_path / "un"
    un.mkdir()
    (un / "consolidated.xml").symlink_to(FIXTURES / "un_sc" / "consolidated.xml")
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        replay(con, SOURCES["us_ofac"], folder, Archive(tmp_path / "raw"))
        assert replay(con, SOURCES["un_sc"], un, Archive(tmp_path / "raw")).applied
        build_marts(con)
        flags = {
            day: con.execute(
                "SELECT un_mandated FROM alignment.as_of(?::DATE) WHERE record_id = 'US:9001'",
                [day],
            ).fetchall()
            for day in ("2001-06-01", "2002-06-01", "2024-01-01")
        }
    assert flags == {"2001-06-01": [(False,)], "2002-06-01": [(True,)], "2024-01-01": []}
