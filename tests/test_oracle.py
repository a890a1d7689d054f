"""An independent oracle: the figures every dated real file implies, computed in plain Python
over the raw files (csv, lxml; nothing is imported from sanctions/ or pipelines/), against
what the warehouse says after replaying the same files (the `oracle_warehouse` fixture of
conftest.py builds it).

Per jurisdiction and date: the records listed, the strict (Magnitsky-style) records, and the
first date each programme appears on each record: the publisher's date where the list gives
one (UK "UK Sanctions List Date Designated", Canada DateOfListing), else the first file that
carried the programme (the OFAC CSV), unknown for what the first file already carried.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from lxml import etree

from tests.conftest import real_data_dir  # a path only: conftest builds the warehouse

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# The strict scope as the issue defines it, per publisher's own code -> the taxonomy key.
US_STRICT = {"GLOMAG": "US-GLOMAG", "MAGNIT": "US-MAGNITSKY"}
UK_STRICT = {"Global Human Rights": "UK-GHR", "Global Anti-Corruption": "UK-GAC"}
CA_STRICT_MARK = "JVCFOR"  # in the Country string of the JVCFOR regime
# Dates before a list's first file: the listing dates of its latest file are the evidence.
EARLIER_DATES = (date(2018, 6, 30), date(2021, 12, 31))


TAXONOMY = Path(__file__).parents[1] / "schemas" / "programmes.csv"


def taxonomy_keys() -> dict[tuple[str, str], str]:
    """(jurisdiction, code case-folded) -> key, read from the taxonomy file as data: a programme
    is its key, whatever spelling a file used (OFAC wrote ILLICIT-DRUGS-EO, then
    ILLICIT-DRUGS-EO14059)."""
    with TAXONOMY.open(encoding="utf-8", newline="") as handle:
        return {
            (row["jurisdiction"], " ".join(row["programme_code"].casefold().split())): row[
                "programme_key"
            ]
            for row in csv.DictReader(handle)
        }


KEYS = taxonomy_keys()


def key_of(jurisdiction: str, programme: str) -> str:
    """The taxonomy key, or UNCLASSIFIED for a string the taxonomy lacks."""
    return KEYS.get((jurisdiction, " ".join(programme.casefold().split())), "UNCLASSIFIED")


class Listing:
    """One file of one list: {record id: {programme: publisher's date or None}}."""

    def __init__(self, day: date, programmes: dict[str, dict[str, date | None]]):
        self.day = day
        self.programmes = programmes


def us_file(path: Path) -> Listing:
    programmes: dict[str, dict[str, date | None]] = {}
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        for row in csv.reader(handle):
            if not row or not row[0].strip().isdigit():
                continue  # the 0x1A line that ends the file
            codes = row[3].strip().strip("[]").split("] [")
            programmes[f"US:{int(row[0])}"] = {c.strip(): None for c in codes if c.strip()}
    return Listing(date.fromisoformat(path.stem.split("_")[1]), programmes)


def uk_file(path: Path) -> Listing:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[1]
    programmes: dict[str, dict[str, date | None]] = defaultdict(dict)
    for values in rows[2:]:
        row = dict(zip(header, values, strict=True))
        designated = row["UK Sanctions List Date Designated"].strip()
        day = datetime.strptime(designated, "%d/%m/%Y").date() if designated else None
        regime = " ".join(row["Regime"].split())
        known = programmes[f"UK:{row['Group ID'].strip()}"].get(regime)
        programmes[f"UK:{row['Group ID'].strip()}"][regime] = min(
            (d for d in (known, day) if d), default=None
        )
    return Listing(date.fromisoformat(path.stem.split("_")[1]), dict(programmes))


def ca_file(path: Path) -> Listing:
    """Canada gives no ids: a record is (Country, Schedule, Item), white space folded."""
    programmes: dict[str, dict[str, date | None]] = {}
    for record in etree.parse(str(path)).getroot().iter("record"):
        text = {child.tag: " ".join((child.text or "").split()) for child in record}
        key = f"{text['Country']}|{text.get('Schedule', '')}|{text.get('Item', '')}"
        listed = text.get("DateOfListing")
        programmes[key] = {text["Country"]: date.fromisoformat(listed) if listed else None}
    return Listing(date.fromisoformat(path.stem.split("_")[1]), programmes)


def is_strict(jurisdiction: str, programme: str) -> bool:
    if jurisdiction == "US":
        return programme in US_STRICT
    if jurisdiction == "UK":
        return programme in UK_STRICT
    return CA_STRICT_MARK in programme


def counts_on(listings: list[Listing], jurisdiction: str, day: date) -> tuple[int, int] | None:
    """(records, strict records) the files say were listed on `day`: the newest file on or
    before it, else the listing dates of the latest file; None if neither says anything."""
    held = [listing for listing in listings if listing.day <= day]
    if held:
        shown = {record: set(p) for record, p in held[-1].programmes.items()}
    else:
        shown = {
            record: {p for p, on in programmes.items() if on is not None and on <= day}
            for record, programmes in listings[-1].programmes.items()
        }
        shown = {record: p for record, p in shown.items() if p}
        if not shown:
            return None
    strict = sum(any(is_strict(jurisdiction, p) for p in ps) for ps in shown.values())
    return len(shown), strict


def first_dates(jurisdiction: str, listings: list[Listing]) -> dict[tuple[str, str], date | None]:
    """(record, programme key) -> the publisher's date, else the first file carrying it when
    that file is not the first one (before it, nothing is known)."""
    first: dict[tuple[str, str], date | None] = {}
    for listing in listings:
        for record, programmes in listing.programmes.items():
            for programme, on in programmes.items():
                key = (record, key_of(jurisdiction, programme))
                dated = on if on or listing is listings[0] else listing.day
                if key not in first:
                    first[key] = dated
                elif dated is not None and first[key] is not None:
                    first[key] = min(first[key], dated)
    return first


@pytest.fixture(scope="module")
def lists() -> dict[str, list[Listing]]:
    data = real_data_dir()
    if not (data / "us_ofac/sdn_history").is_dir():
        pytest.skip(f"real snapshots not found at {data} (set SANCTIONS_REAL_DATA)")
    return {
        "US": [us_file(p) for p in sorted((data / "us_ofac/sdn_history").glob("SDN_*.CSV"))],
        "UK": [uk_file(data / f"uk/ConList_{d}.csv") for d in ("2025-04-10", "2025-04-14")],
        "CA": [ca_file(data / "ca/sema-lmes_2025-05-25.xml")],
    }


@pytest.fixture(scope="module")
def db(oracle_warehouse) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(oracle_warehouse), read_only=True)
    yield con
    con.close()


def warehouse_counts(db, jurisdiction: str, day: date) -> tuple[int, int] | None:
    basis = db.execute(
        "SELECT basis FROM alignment.bases(?) WHERE jurisdiction = ?", [day, jurisdiction]
    ).fetchall()[0][0]
    if basis == "not loaded for date":
        return None
    return db.execute(
        """SELECT count(DISTINCT record_id),
                  count(DISTINCT record_id) FILTER (WHERE list_contains(scopes, 'strict'))
           FROM alignment.as_of(?) WHERE jurisdiction = ?""",
        [day, jurisdiction],
    ).fetchall()[0]


@pytest.mark.parametrize("jurisdiction", ["US", "UK", "CA"])
def test_records_and_strict_records_on_every_date(lists, db, jurisdiction):
    listings = lists[jurisdiction]
    days = sorted({listing.day for listing in listings} | set(EARLIER_DATES))
    expected = {day: counts_on(listings, jurisdiction, day) for day in days}
    assert {day: warehouse_counts(db, jurisdiction, day) for day in days} == expected
    if jurisdiction == "UK":  # Global Human Rights began on 2020-07-06
        assert expected[date(2018, 6, 30)][1] == 0


def test_first_date_of_every_programme_on_every_current_record(lists, db):
    """By programme key, for the records the latest files hold."""
    for jurisdiction in ("US", "UK"):
        listings = lists[jurisdiction]
        first = first_dates(jurisdiction, listings)
        expected = {
            (record, key_of(jurisdiction, programme)): first[
                (record, key_of(jurisdiction, programme))
            ]
            for record, programmes in listings[-1].programmes.items()
            for programme in programmes
        }
        found: dict[tuple[str, str], date | None] = {}
        for record, key, on in db.execute(
            """SELECT record_id, programme_key, listed_on FROM alignment.listings
               WHERE jurisdiction = ?""",
            [jurisdiction],
        ).fetchall():
            key = "UNCLASSIFIED" if "-UNCLASSIFIED-" in key else key
            known = found.get((record, key), on)
            found[(record, key)] = None if known is None or on is None else min(known, on)
        assert found == expected, jurisdiction


def test_first_date_of_strict_programmes_on_every_record_ever_listed(lists, db):
    """By the taxonomy key, delisted records included (the history's evidence)."""
    for jurisdiction, strict in (("US", US_STRICT), ("UK", UK_STRICT)):
        expected = {
            (record, key): on
            for (record, key), on in first_dates(jurisdiction, lists[jurisdiction]).items()
            if key in strict.values()
        }
        found = dict(
            ((record, key), on)
            for record, key, on in db.execute(
                """SELECT DISTINCT record_id, programme_key, listed_on
                   FROM alignment.listing_evidence
                   WHERE basis = 'history' AND jurisdiction = ? AND programme_key IN ?""",
                [jurisdiction, list(strict.values())],
            ).fetchall()
        )
        assert found == expected, jurisdiction
    ca = {
        on
        for programmes in lists["CA"][-1].programmes.values()
        for programme, on in programmes.items()
        if CA_STRICT_MARK in programme
    }
    found = db.execute(
        """SELECT DISTINCT listed_on FROM alignment.listing_evidence
           WHERE basis = 'history' AND programme_key = 'CA-JVCFOA'"""
    ).fetchall()
    assert {on for (on,) in found} == ca
