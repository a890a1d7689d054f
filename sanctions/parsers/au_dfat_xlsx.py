"""DFAT's Consolidated List (`regulation8_consolidated.xlsx`), Australia's only machine-readable
list.

One sheet, one row per name: a record's other names are further rows whose Reference adds a
letter (2, 2a, 2b), each repeating the record's facts. Columns are found by header name because
the layout changed in 2025: 19 columns since, 12 before (no Alias Strength, IMO Number,
Instrument of Designation or the four measure flags; types written `Entity `, lower case or not
at all). The regime is `Committees`: `Autonomous (...)` or, for UN-mandated listings, a Security
Council resolution and committee such as `1718 (DPRK)`.

python-calamine reads the cells and never evaluates a formula, but it returns a formula's cached
value and turns an error cell into an empty one, so formula and error cells are refused: the
published list holds values only.
"""

from __future__ import annotations

import logging
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook

from sanctions.errors import ParseError
from sanctions.model import (
    Address,
    Attribute,
    BirthDate,
    Country,
    Identifier,
    Name,
    Programme,
    Record,
    Row,
)
from sanctions.parsers.common import (
    EXCEL_EPOCH,
    DateRange,
    Enumeration,
    Reading,
    clean,
    countries,
    day_range,
    parse_date_text,
    programme_key,
    script_of,
)
from sanctions.parsers.un_references import UN_REFERENCE, un_reference_rows

JURISDICTION = "AU"
REQUIRED_COLUMNS = (
    "Reference",
    "Name of Individual or Entity",
    "Type",
    "Name Type",
    "Date of Birth",
    "Place of Birth",
    "Citizenship",
    "Address",
    "Additional Information",
    "Listing Information",
    "Committees",
    "Control Date",
)
MEASURES = ("Targeted Financial Sanction", "Travel Ban", "Arms Embargo", "Maritime Restriction")
COLUMNS_SINCE_2025 = ("Alias Strength", "IMO Number", "Instrument of Designation", *MEASURES)
ALL_COLUMNS = (*REQUIRED_COLUMNS, *COLUMNS_SINCE_2025)
ENTITY_TYPES = Enumeration(
    "Type", {"Individual": "person", "Entity": "organization", "Vessel": "vessel"}
)
NAME_TYPES = Enumeration(
    "Name Type", {"Primary Name": "primary", "Alias": "aka", "Original Script": "aka"}
)
# An alias of unread strength is weak: it must never decide a match alone.
ALIAS_STRENGTHS = Enumeration("Alias Strength", {"Strong": False, "Weak": True}, unknown=True)
# Resolution 1373 has no UN list: Australia designates under it on its own decision.
NATIONAL_RESOLUTIONS = ("1373",)
UNKNOWN_COLUMN = "?"  # row keys of columns the parser does not know: "?<published header>"
MAX_PART_BYTES = 200_000_000  # the 2026 sheet unpacks to 8 MB; calamine reads parts whole

# A number, then letters for a record's further names, then digits for names added later:
# 2, 2a, 2b, 34c1, 1276c1 (the 2024 layout); whole numbers may come as 2.0 from the sheet.
_REFERENCE = re.compile(r"^(\d+)\s*([A-Za-z]*)(\d*)$")
_UN_COMMITTEE = re.compile(r"^(\d{3,4}) \(")
# One birth date of a cell holding several: 12/02/1961, 03/1965, 1962, 5 May 1957, April 1957,
# Approximately 1963, Approximately: Between 1959 and 1965; separators vary (",", ";", new
# lines, spaces, ".").
_BIRTH_DATE = re.compile(
    r"\b(?:approximately:?\s*)?(?:between\s+\d{4}\s+and\s+\d{4}|\d{1,2}/\d{1,2}/\d{4}"
    r"|\d{1,2}/\d{4}|(?:\d{1,2}\s+)?[A-Za-z]{3,9}\.?\s+\d{4}|\d{4})\b",
    re.IGNORECASE,
)
_MONTH_YEAR = re.compile(r"\d{1,2}/\d{4}")
# "Listed on 2 Sep. 2014", "Listed by the 1737 Committee on 24 March 2007", "... 16 November 2011]",
# "16 Jul.2020" (no space), "First listed on 16/07/2009" (day first), "2 /03/2016"
_LISTING_DATE = re.compile(
    r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s*(\d{4})\b"
    r"|\b(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})\b"
)
# Searched apart: one alternation of the two is four times slower on the 8 MB sheet.
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_ERROR = re.compile(rb' t="e"')  # the type of a cell holding an error value
_CELL = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]+[0-9]+)"')
log = logging.getLogger("sanctions.parsers")


def publication_date(files: dict[str, Path]) -> date | None:
    """The spreadsheet carries no publication date."""
    return None


def parse(files: dict[str, Path], source_id: str = "au_dfat") -> Iterator[Row]:
    if len(files) != 1:
        raise ParseError(source_id, ", ".join(files), "expected exactly one xlsx workbook")
    file_name, path = next(iter(files.items()))
    _refuse_formulas_and_errors(path, source_id, file_name)
    groups: dict[str, list[tuple[tuple, dict]]] = defaultdict(list)
    for number, row in _rows(path, source_id, file_name):
        reference = _text(row["Reference"]) or ""
        match = _REFERENCE.match(reference)
        if match is None:
            problem = (
                f"row {number}: Reference {reference!r} is not a number, letters and digits "
                "(e.g. 34, 34c, 34c1)"
            )
            raise ParseError(source_id, file_name, problem)
        base, letters, digits = match.groups()
        # The base row (no letter) first, then a, b, ..., z, aa, then c1 after c.
        order = (len(letters), letters.lower(), int(digits or 0), number)
        groups[base].append((order, row))
    if not groups:
        raise ParseError(source_id, file_name, "no rows after the header")
    reading = Reading(source_id, file_name)
    for base, rows in groups.items():
        rows.sort(key=lambda order_row: order_row[0])
        for key, record in _records(base, [row for _, row in rows]):
            yield from _record_rows(key, record, reading)
    reading.verdict()
    yield from reading.field_counts()


def _records(base: str, rows: list[dict]) -> Iterator[tuple[str, list[dict]]]:
    """The records of one base reference: one, unless a further row gives another primary name
    (two parties filed under one number): that row and its followers are a record of their own,
    keyed by its full reference, so two parties are never merged into one."""
    key, record, primary = base, [], None
    for row in rows:
        name = _text(row["Name of Individual or Entity"])
        is_primary = (_text(row["Name Type"]) or "").casefold() == "primary name"
        if is_primary and primary is not None and name != primary:
            yield key, record
            key, record = (_text(row["Reference"]) or base).lower().replace(" ", ""), []
        if is_primary:
            primary = name
        record.append(row)
    yield key, record


# --------------------------------------------------------------------------------- the workbook


def _refuse_formulas_and_errors(path: Path, source_id: str, file_name: str) -> None:
    """Fail naming the first formula or error cell of any worksheet, or a part too large to
    unpack."""
    try:
        with zipfile.ZipFile(path) as archive:
            for part in archive.infolist():
                if part.file_size > MAX_PART_BYTES:
                    problem = f"{part.filename} unpacks to {part.file_size:,} bytes (a zip bomb?)"
                    raise ParseError(source_id, file_name, problem)
                name = part.filename
                if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                    continue
                xml = archive.read(part)
                found = [
                    (match.start(), what)
                    for pattern, what in ((_FORMULA, "a formula"), (_ERROR, "an error value"))
                    if (match := pattern.search(xml))
                ]
                if found:
                    at, what = min(found)
                    cells = _CELL.findall(xml, 0, xml.find(b">", at) + 1)
                    cell = cells[-1].decode() if cells else "?"
                    raise ParseError(
                        source_id,
                        file_name,
                        f"{part.filename} cell {cell} holds {what}; the list must hold values only",
                    )
    except zipfile.BadZipFile as exc:
        raise ParseError(source_id, file_name, f"not an xlsx workbook ({exc})") from exc


def _rows(path: Path, source_id: str, file_name: str) -> Iterator[tuple[int, dict]]:
    """(row number, {column: cell}) of the list's rows, strings cleaned; blank rows skipped."""
    try:
        workbook = CalamineWorkbook.from_path(path)
    except CalamineError as exc:
        raise ParseError(source_id, file_name, f"not a readable xlsx workbook ({exc})") from exc
    with workbook:
        first, rows, columns = _list_sheet(workbook, source_id, file_name)
        cleaned: dict[str, str | None] = {}  # alias rows repeat their record's long texts
        for number, cells in enumerate(rows, start=first):
            row = {}
            for column, at in columns.items():
                cell = cells[at] if at < len(cells) else None
                if isinstance(cell, str):
                    if cell not in cleaned:
                        cleaned[cell] = clean(cell)
                    cell = cleaned[cell]
                row[column] = cell
            if any(_text(cell) for cell in row.values()):
                yield number, row


def _list_sheet(workbook, source_id: str, file_name: str) -> tuple[int, Iterator, dict[str, int]]:
    """The first sheet whose header has every required column: the number of its first data
    row, its data rows and {column: index}. Unknown columns are logged: a renamed optional
    column would otherwise go unnoticed."""
    problems = []
    for sheet_name in workbook.sheet_names:
        sheet = workbook.get_sheet_by_name(sheet_name)
        rows = iter(sheet.to_python())
        published = [" ".join(str(cell).split()) for cell in next(rows, [])]
        header = [name.casefold() for name in published]
        missing = [column for column in REQUIRED_COLUMNS if column.casefold() not in header]
        if missing:
            problems.append(f"sheet {sheet_name!r} has no column {', '.join(missing)}")
            continue
        since_2025 = [column for column in COLUMNS_SINCE_2025 if column.casefold() in header]
        if since_2025 and len(since_2025) < len(COLUMNS_SINCE_2025):
            absent = [column for column in COLUMNS_SINCE_2025 if column not in since_2025]
            raise ParseError(
                source_id,
                file_name,
                f"sheet {sheet_name!r} has {', '.join(since_2025)} of the 2025 layout but no "
                f"column {', '.join(absent)}: renamed or removed?",
            )
        known = {column.casefold() for column in ALL_COLUMNS}
        if unknown := [name for name in published if name and name.casefold() not in known]:
            log.warning("%s: %s: unknown columns: %s", source_id, file_name, ", ".join(unknown))
        columns = {
            column: header.index(column.casefold())
            for column in ALL_COLUMNS
            if column.casefold() in header
        }
        columns |= {f"{UNKNOWN_COLUMN}{name}": published.index(name) for name in unknown}
        return (sheet.start or (0, 0))[0] + 2, rows, columns  # 1-based, after the header
    raise ParseError(
        source_id, file_name, "no sheet is the Consolidated List: " + "; ".join(problems)
    )


def _text(cell) -> str | None:
    """A cell as text (strings are cleaned on reading): whole numbers without ".0", dates as ISO
    dates."""
    if cell is None or isinstance(cell, str):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, date):
        return cell.isoformat()[:10]
    return clean(str(cell))


def _cell_date(cell) -> date | None:
    """A date cell, an Excel day number or a date written as text."""
    if isinstance(cell, date):
        return date(cell.year, cell.month, cell.day)
    if isinstance(cell, int | float) and not isinstance(cell, bool) and cell > 0:
        return EXCEL_EPOCH + timedelta(days=int(cell))
    text = _text(cell)
    return parse_date_text(text).earliest if text else None


# ---------------------------------------------------------------------------------- a record


def _record_rows(key: str, rows: list[dict], reading: Reading) -> Iterator[Row]:
    record_id = f"{JURISDICTION}:{key}"
    entity_type = _entity_type(record_id, rows, reading)
    remarks = [text for row in rows if (text := _text(row["Additional Information"]))]
    yield Record(record_id, key, entity_type, remarks="\n".join(dict.fromkeys(remarks)) or None)
    facts: dict[Row, None] = dict.fromkeys(_names(record_id, rows, reading))  # ordered set
    reading.carries(
        f"column {column.removeprefix(UNKNOWN_COLUMN)!r}"
        for row in rows
        for column, cell in row.items()
        if _text(cell)
    )
    for row in rows:
        for fact in _row_facts(record_id, row):
            facts.setdefault(fact)
        for column, cell in row.items():
            if column.startswith(UNKNOWN_COLUMN) and _text(cell):
                reading.unread(record_id, f"column {column.removeprefix(UNKNOWN_COLUMN)!r}")
    for fact in _programmes(record_id, rows):
        facts.setdefault(fact)
    facts.update(dict.fromkeys(reading.rows()))
    yield from facts


def _entity_type(record_id: str, rows: list[dict], reading: Reading) -> str:
    """The first Type given; where no row has one (older files), a person if a birth is known."""
    types = [reading.read(ENTITY_TYPES, _text(row["Type"]), record_id) for row in rows]
    if given := [kind for kind in types if kind]:
        return given[0]
    born = any(_text(row["Date of Birth"]) or _text(row["Place of Birth"]) for row in rows)
    return "person" if born else "organization"


def _names(record_id: str, rows: list[dict], reading: Reading) -> list[Name]:
    names = []
    for row in rows:
        name = _text(row["Name of Individual or Entity"])
        if not name:
            continue
        kind = reading.read(NAME_TYPES, _text(row["Name Type"]), record_id)
        strength = row.get("Alias Strength")
        weak = reading.read(ALIAS_STRENGTHS, _text(strength), record_id) or False
        names.append(Name(record_id, name, kind or "aka", weak, script_of(name)))
    if names and all(name.kind not in ("primary", "unknown") for name in names):
        names[0] = names[0]._replace(kind="primary")  # older files leave Name Type blank
    return names


def _row_facts(record_id: str, row: dict) -> Iterator[Row]:
    for raw, parsed in birth_dates(row["Date of Birth"]):
        yield BirthDate(record_id, raw, *parsed)
    if place := _text(row["Place of Birth"]):
        yield Attribute(record_id, "place_of_birth", place)
        code, country = _trailing_country(place)
        if code:
            yield Country(record_id, "birth", code, country)
    for citizenship in (_text(row["Citizenship"]) or "").split(";"):
        if citizenship := clean(citizenship):
            yield Country(record_id, "citizenship", countries().code(citizenship), citizenship)
    if address := _text(row["Address"]):
        code, country = _trailing_country(address)
        yield Address(record_id, address, country_code=code, country_name=country)
        if code:
            yield Country(record_id, "address", code, country)
    if imo := _text(row.get("IMO Number")):
        yield Identifier(record_id, "IMO", imo.upper().removeprefix("IMO").strip())
    for measure in MEASURES:
        if row.get(measure) is True:
            yield Attribute(record_id, "measure", measure)


def _trailing_country(text: str) -> tuple[str | None, str | None]:
    """(code, name) of the country that ends a place or address ("Kabul, Afghanistan")."""
    last = text.rsplit(",", 1)[-1].strip()
    code = countries().code(last)
    return (code, last) if code else (None, None)


def _programmes(record_id: str, rows: list[dict]) -> Iterator[Row]:
    """One programme per committee; a UN-mandated one also marks the record as such."""
    by_committee: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        if committee := _text(row["Committees"]):
            by_committee[committee].append(row)
    for committee, its_rows in by_committee.items():
        listed = [day for row in its_rows if (day := _listing_date(row))]
        instrument = next(
            (text for row in its_rows if (text := _text(row.get("Instrument of Designation")))),
            None,
        )
        yield Programme(
            record_id,
            committee,
            programme_key(JURISDICTION, committee),
            None,
            min(listed, default=None),
            instrument,
        )
        resolution = _UN_COMMITTEE.match(committee)
        if resolution and resolution.group(1) not in NATIONAL_RESOLUTIONS:
            yield Attribute(record_id, UN_REFERENCE, committee)
            for row in its_rows:  # "TAi.002. Title: ..." cites the UN reference number
                yield from un_reference_rows(record_id, _text(row["Additional Information"]))


def _listing_date(row: dict) -> date | None:
    """The first date of Listing Information ("Listed on 2 Sep. 2014", "16/07/2009", a date
    cell or an Excel day number), else the Control Date."""
    info = row["Listing Information"]
    if isinstance(info, date | int | float) and not isinstance(info, bool):
        return _cell_date(info)
    for day, month, year, *slashed in _LISTING_DATE.findall(_text(info) or ""):
        text = f"{day} {month} {year}" if day else "/".join(slashed)  # day first
        if found := parse_date_text(text).earliest:
            return found
    return _cell_date(row["Control Date"])


def birth_dates(cell) -> list[tuple[str, DateRange]]:
    """(raw, range) of every birth date in a Date of Birth cell: a date, a year or day number,
    or text listing several."""
    if isinstance(cell, date):
        day = date(cell.year, cell.month, cell.day)
        return [(day.isoformat(), DateRange(day, day, "day"))]
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        if 1800 <= cell <= 2100:
            return [(str(int(cell)), day_range(int(cell)))]
        day = EXCEL_EPOCH + timedelta(days=int(cell))
        return [(day.isoformat(), DateRange(day, day, "day"))]
    text = _text(cell)
    if not text:
        return []
    found = [(token, _birth_date(token)) for token in _BIRTH_DATE.findall(text)]
    return found or [(text, DateRange(None, None, "unparsed"))]


def _birth_date(token: str) -> DateRange:
    text = " ".join(token.split())
    lowered = text.lower()
    circa = lowered.startswith("approximately")
    if circa:
        text = text[len("approximately") :].lstrip(": ")
    if text.lower().startswith("between "):
        first, _, last = text[len("between ") :].partition(" and ")
        text = f"{first} to {last}"
    elif _MONTH_YEAR.fullmatch(text):
        month, year = text.split("/")
        text = f"{year}-{int(month):02d}"
    return parse_date_text(f"approximately {text}" if circa else text)
