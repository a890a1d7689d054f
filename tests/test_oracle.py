"""An independent oracle: the figures every dated real file implies, computed in plain Python
over the raw files (csv, lxml, zipfile; nothing is imported from sanctions/ or pipelines/),
against what the warehouse says after replaying the same files (the `oracle_warehouse` fixture
of conftest.py builds it).

Per jurisdiction and date: the records listed, the strict (Magnitsky-style) records, and the
first date each programme appears on each record: the publisher's date where the list gives
one (UK "UK Sanctions List Date Designated", Canada DateOfListing, the EU entity's
designationDate else its regulation's publication date, the date Australia's Listing
Information gives, the UN's LISTED_ON), else the first file that carried the programme (the
OFAC CSV), unknown for what the first file of the history already carried. The taxonomy
(schemas/programmes.csv) and the strict scope (schemas/scopes.csv) are read as data.

Files covered: every dated full file in ../shared/data: the OFAC legacy CSV sets (2015-01-17,
2018-01-27, 2019-01-04; dated by their folder, an upper bound), the 2021-07-07 set and the
SDN.CSV history, as one US history; OFSI ConList 2025-04-10 and -14; Canada 2020-04-15 and
2025-05-25; the EU reconstructed FSF file 2026-08-22; Australia's consolidated list
2026-07-23; the UN consolidated list 2025-04-19. Left out: OFAC's non-SDN consolidated files
(CONS_*.XML: no source of the pipeline ingests them), the OFAC side tables of 2025-12-24 (no
SDN.CSV to join), and the partial files (the UKSL "sample_EDITED", the Canadian slice and
excerpt, the EU excerpt), which are no list on any date.
"""

from __future__ import annotations

import csv
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from lxml import etree

from tests.conftest import oracle_files, real_data_dir  # paths only: conftest builds the warehouse

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Dates before a list's first file: the listing dates of its latest file are the evidence.
EARLIER_DATES = (date(2018, 6, 30), date(2021, 12, 31))
JURISDICTIONS = ("US", "UK", "CA", "EU", "AU", "UN")

SCHEMAS = Path(__file__).parents[1] / "schemas"
DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")


def folded(text: str) -> str:
    """Case, dashes and white space (U+00A0 included) folded, as the taxonomy is matched."""
    return " ".join(text.translate(DASHES).casefold().split())


def taxonomy_keys() -> dict[tuple[str, str], str]:
    """(jurisdiction, code folded) -> key, read from the taxonomy file as data: a programme
    is its key, whatever spelling a file used (OFAC wrote ILLICIT-DRUGS-EO, then
    ILLICIT-DRUGS-EO14059)."""
    with (SCHEMAS / "programmes.csv").open(encoding="utf-8", newline="") as handle:
        return {
            (row["jurisdiction"], folded(row["programme_code"])): row["programme_key"]
            for row in csv.DictReader(handle)
        }


def strict_keys() -> set[str]:
    """The programme keys of the strict scope, read from schemas/scopes.csv as data."""
    with (SCHEMAS / "scopes.csv").open(encoding="utf-8", newline="") as handle:
        return {row["programme_key"] for row in csv.DictReader(handle) if row["scope"] == "strict"}


KEYS = taxonomy_keys()
STRICT = strict_keys()


def key_of(jurisdiction: str, programme: str) -> str:
    """The taxonomy key, or UNCLASSIFIED for a string the taxonomy lacks. Canada writes its
    regime bilingually ("Russia / Russie") and renamed Burma "Myanmar (Burma)": its key is
    that of the English part, else of the English part without its parenthesis."""
    candidates = [programme]
    if jurisdiction == "CA":
        english = programme.split(" / ")[0]
        candidates += [english, english.split(" (")[0]]
    for candidate in candidates:
        if (jurisdiction, folded(candidate)) in KEYS:
            return KEYS[(jurisdiction, folded(candidate))]
    return "UNCLASSIFIED"


def is_strict(jurisdiction: str, programme: str) -> bool:
    return key_of(jurisdiction, programme) in STRICT


class Listing:
    """One file of one list: {record id: {programme: publisher's date or None}}."""

    def __init__(self, day: date, programmes: dict[str, dict[str, date | None]]):
        self.day = day
        self.programmes = programmes


def _day_in(path: Path) -> date:
    """The date in the file's name, else in its folder's (the OFAC legacy sets)."""
    for name in (path.name, path.parent.name):
        found = re.search(r"\d{4}-\d{2}-\d{2}", name)
        if found:
            return date.fromisoformat(found.group())
    raise ValueError(f"no date in {path}")


def _keep_earliest(programmes: dict[str, date | None], programme: str, on: date | None) -> None:
    known = programmes.get(programme)
    programmes[programme] = min((d for d in (known, on) if d), default=None)


def us_file(path: Path) -> Listing:
    """SDN.CSV: no header, CRLF or LF, a lone 0x1A line at the end (or none), programmes
    joined as "SDGT] [GLOMAG"."""
    programmes: dict[str, dict[str, date | None]] = {}
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        for row in csv.reader(handle):
            if not row or not row[0].strip().isdigit():
                continue  # the 0x1A line that ends the file
            codes = row[3].strip().strip("[]").split("] [")
            programmes[f"US:{int(row[0])}"] = {c.strip(): None for c in codes if c.strip()}
    return Listing(_day_in(path), programmes)


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
        _keep_earliest(programmes[f"UK:{row['Group ID'].strip()}"], regime, day)
    return Listing(_day_in(path), dict(programmes))


def ca_file(path: Path) -> Listing:
    """Canada gives no ids: a record is (Country, Schedule, Item), white space folded (the
    2020 file's JVCFOR string holds a U+00A0). DateOfListing exists since 2024."""
    programmes: dict[str, dict[str, date | None]] = {}
    for record in etree.parse(str(path)).getroot().iter("record"):
        text = {child.tag: " ".join((child.text or "").split()) for child in record}
        key = f"CA:{text['Country']}|{text.get('Schedule', '')}|{text.get('Item', '')}"
        listed = text.get("DateOfListing")
        programmes[key] = {text["Country"]: date.fromisoformat(listed) if listed else None}
    return Listing(_day_in(path), programmes)


def eu_file(path: Path) -> Listing:
    """FSF XML: the programme is on the entity's regulation; its date the entity's
    designationDate, else the publication of that regulation."""
    programmes: dict[str, dict[str, date | None]] = defaultdict(dict)
    for _, entity in etree.iterparse(str(path), tag="{*}sanctionEntity"):
        regulation = entity.find("{*}regulation")
        on = entity.get("designationDate") or regulation.get("publicationDate")
        _keep_earliest(
            programmes[f"EU:{entity.get('logicalId')}"],
            regulation.get("programme"),
            date.fromisoformat(on[:10]) if on else None,
        )
        entity.clear()
    return Listing(_day_in(path), dict(programmes))


SHEET = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def xlsx_rows(path: Path) -> Iterator[list[str | None]]:
    """The first sheet of a workbook, row by row (cells as text), read from its XML parts."""
    with zipfile.ZipFile(path) as book:
        shared = [
            "".join(t.text or "" for t in item.iter(f"{SHEET}t"))
            for item in etree.parse(book.open("xl/sharedStrings.xml")).getroot()
        ]
        for _, row in etree.iterparse(book.open("xl/worksheets/sheet1.xml"), tag=f"{SHEET}row"):
            cells: dict[int, str | None] = {}
            for cell in row.iter(f"{SHEET}c"):
                column = 0
                for letter in re.match(r"[A-Z]+", cell.get("r")).group():
                    column = column * 26 + ord(letter) - ord("A") + 1
                value = cell.findtext(f"{SHEET}v")
                if cell.get("t") == "s":
                    value = shared[int(value)]
                elif cell.get("t") == "inlineStr":
                    value = "".join(t.text or "" for t in cell.iter(f"{SHEET}t"))
                cells[column - 1] = value
            row.clear()
            yield [cells.get(i) for i in range(max(cells, default=-1) + 1)]


MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
WRITTEN_DATE = re.compile(r"\b(\d{1,2})\s+([A-Za-z]+)\.?,?\s*(\d{4})\b")
SLASHED_DATE = re.compile(r"\b(\d{1,2}) ?/(\d{1,2})/(\d{4})\b")


def au_listing_date(text: str | None) -> date | None:
    """The first date an Australian cell gives ("Listed on 2 Sep. 2014", "16/07/2009", an
    Excel day number), else None: an instrument's name alone ("... Instrument 2022") dates
    nothing to the day."""
    text = (text or "").strip()
    if text.isdigit():
        return date(1899, 12, 30) + timedelta(days=int(text))
    found = []
    for match in WRITTEN_DATE.finditer(text):
        if month := MONTHS.get(match.group(2).casefold()):
            found.append((match.start(), int(match.group(3)), month, int(match.group(1))))
    for match in SLASHED_DATE.finditer(text):
        day, month, year = map(int, match.groups())
        found.append((match.start(), year, month, day))
    for _, year, month, day in sorted(found):
        try:
            return date(year, month, day)
        except ValueError:
            continue  # not a day: the next date written
    return None


def au_file(path: Path) -> Listing:
    """DFAT's workbook: one row per name; a record is the number of its Reference (alias rows
    add a letter), its regime the Committees cell, its date the one Listing Information gives,
    else the Control Date (DFAT's date of the entry's last change: the only date the file
    gives for a listing it names by its instrument alone, "... Instrument 2022")."""
    rows = xlsx_rows(path)
    header = next(rows)
    programmes: dict[str, dict[str, date | None]] = defaultdict(dict)
    for values in rows:
        row = dict(zip(header, values + [None] * (len(header) - len(values)), strict=True))
        if not (row["Reference"] or "").strip():
            continue
        number = re.match(r"\d+", row["Reference"].strip())
        record = f"AU:{int(number.group())}"
        committee = " ".join(row["Committees"].split())
        on = au_listing_date(row["Listing Information"]) or au_listing_date(row["Control Date"])
        _keep_earliest(programmes[record], committee, on)
    return Listing(_day_in(path), dict(programmes))


def un_file(path: Path) -> Listing:
    """The UN consolidated list: a record is its REFERENCE_NUMBER, its regime UN_LIST_TYPE."""
    programmes: dict[str, dict[str, date | None]] = {}
    root = etree.parse(str(path)).getroot()
    for party in [*root.iter("INDIVIDUAL"), *root.iter("ENTITY")]:
        listed = (party.findtext("LISTED_ON") or "").strip()
        programmes[f"UN:{party.findtext('REFERENCE_NUMBER').strip()}"] = {
            party.findtext("UN_LIST_TYPE").strip(): date.fromisoformat(listed[:10])
            if listed
            else None
        }
    return Listing(_day_in(path), programmes)


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
    """(record, programme key) -> the earliest date a publisher gives for it in any file, else
    the first file carrying it when that file is not the first one (before it, nothing is
    known)."""
    given: dict[tuple[str, str], date | None] = {}
    for listing in listings:
        for record, programmes in listing.programmes.items():
            for programme, on in programmes.items():
                key = (record, key_of(jurisdiction, programme))
                if key not in given:
                    given[key] = on if on or listing is listings[0] else listing.day
                elif on is not None:
                    given[key] = min(d for d in (given[key], on) if d)
    return given


READERS = {
    "us_ofac": ("US", us_file),
    "uk_fcdo": ("UK", uk_file),
    "ca_sema": ("CA", ca_file),
    "eu_fsf": ("EU", eu_file),
    "au_dfat": ("AU", au_file),
    "un_sc": ("UN", un_file),
}


def dated_files(path: Path) -> list[Path]:
    """A file, or the files of a folder: an OFAC CSV set is its SDN.CSV, a folder of sets or
    of dated files each of them."""
    if path.is_file():
        return [path]
    if (path / "SDN.CSV").is_file():
        return [path / "SDN.CSV"]
    return [file for child in sorted(path.iterdir()) for file in dated_files(child)]


@pytest.fixture(scope="module")
def lists() -> dict[str, list[Listing]]:
    """{jurisdiction: its files in date order}, read from the same real files the warehouse
    replays."""
    files = oracle_files(real_data_dir())
    if not all(path.exists() for paths in files.values() for path in paths):
        pytest.skip(f"real snapshots not found at {real_data_dir()} (set SANCTIONS_REAL_DATA)")
    read = {}
    for source_id, paths in files.items():
        jurisdiction, reader = READERS[source_id]
        listings = [reader(file) for path in paths for file in dated_files(path)]
        read[jurisdiction] = sorted(listings, key=lambda listing: listing.day)
    return read


@pytest.fixture(scope="module")
def db(oracle_warehouse) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(oracle_warehouse), read_only=True)
    yield con
    con.close()


def warehouse_counts(db, jurisdiction: str, day: date) -> tuple[int, int] | None:
    """(records, strict records) of `alignment.as_of(day)`, None where it says the list was
    not loaded for the date."""
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


def reference_counts(db, jurisdiction: str, day: date) -> tuple[int, int] | None:
    """The UN is a reference list, outside `alignment.as_of`: (records, strict records) from
    its evidence, the history where it reaches the date, else the listing dates."""
    for basis, held in (
        ("history", "listed_from <= $day AND (listed_to IS NULL OR listed_to > $day)"),
        ("listing_dates", "listed_on <= $day"),
    ):
        records, strict = db.execute(
            f"""SELECT count(DISTINCT record_id),
                       count(DISTINCT record_id) FILTER (WHERE programme_key IN (
                           SELECT programme_key FROM alignment.scopes WHERE scope = 'strict'))
                FROM alignment.listing_evidence
                WHERE jurisdiction = $jurisdiction AND basis = $basis AND {held}""",
            {"day": day, "jurisdiction": jurisdiction, "basis": basis},
        ).fetchall()[0]
        if records:
            return records, strict
    return None


def test_every_file_is_one_snapshot_of_its_history(lists, db):
    """No file refused or skipped: the history holds one snapshot per file, of its records."""
    found = defaultdict(list)
    for source_id, day, records in db.execute(
        "SELECT source_id, as_of::DATE, records FROM history.snapshots ORDER BY source_id, seq"
    ).fetchall():
        found[READERS[source_id][0]].append((day, records))
    expected = {
        jurisdiction: [(listing.day, len(listing.programmes)) for listing in listings]
        for jurisdiction, listings in lists.items()
    }
    assert dict(found) == expected
    assert len(expected["US"]) == 16  # 3 legacy sets, the 2021-07-07 set, 12 SDN.CSV


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS)
def test_records_and_strict_records_on_every_date(lists, db, jurisdiction):
    listings = lists[jurisdiction]
    files = {listing.day for listing in listings}
    days = sorted(files | {day - timedelta(days=1) for day in files} | set(EARLIER_DATES))
    expected = {day: counts_on(listings, jurisdiction, day) for day in days}
    counts = reference_counts if jurisdiction == "UN" else warehouse_counts
    assert {day: counts(db, jurisdiction, day) for day in days} == expected
    if jurisdiction in ("UK", "EU", "AU"):  # their strict regimes began in 2020 and 2021
        assert expected[date(2018, 6, 30)][1] == 0


def dated(rows) -> dict[tuple[str, str], set[date | None]]:
    """{(record, key): the dates the warehouse gives}, unclassified keys as the oracle names
    them."""
    found: dict[tuple[str, str], set[date | None]] = defaultdict(set)
    for record, key, on in rows:
        found[(record, "UNCLASSIFIED" if "-UNCLASSIFIED-" in key else key)].add(on)
    return dict(found)


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS)
def test_first_date_of_every_programme_on_every_current_record(lists, db, jurisdiction):
    """By programme key, for the records the latest file holds."""
    listings = lists[jurisdiction]
    first = first_dates(jurisdiction, listings)
    expected = {
        (record, key): {first[(record, key)]}
        for record, programmes in listings[-1].programmes.items()
        for key in {key_of(jurisdiction, programme) for programme in programmes}
    }
    found = dated(
        db.execute(
            """SELECT record_id, programme_key, listed_on FROM alignment.listings
               WHERE jurisdiction = ?""",
            [jurisdiction],
        ).fetchall()
    )
    assert found == expected


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS)
def test_first_date_of_every_programme_on_every_record_ever_listed(lists, db, jurisdiction):
    """By programme key, delisted records included (the history's evidence): what any file of
    the history carried."""
    expected = {key: {on} for key, on in first_dates(jurisdiction, lists[jurisdiction]).items()}
    found = dated(
        db.execute(
            """SELECT record_id, programme_key, listed_on FROM alignment.listing_evidence
               WHERE basis = 'history' AND jurisdiction = ?""",
            [jurisdiction],
        ).fetchall()
    )
    assert found == expected
    strict = {key for key in expected if key[1] in STRICT}
    assert bool(strict) == (jurisdiction != "UN")  # the strict scope reaches every list but the UN
