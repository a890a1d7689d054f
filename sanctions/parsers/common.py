"""Helpers every parser shares: text clean-up, dates, countries, programmes and safe XML."""

from __future__ import annotations

import calendar
import csv
import io
import logging
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import NamedTuple

import countrynames
from lxml import etree

from sanctions.errors import ParseError
from sanctions.model import Attribute, FieldCount, Name, Record, Row
from sanctions.programmes import classify
from schemas import SCHEMA_FILES

NULL_MARKERS = frozenset({"", "-0-"})
log = logging.getLogger("sanctions.parsers")


def clean(text: str | None) -> str | None:
    """Trim, fold runs of white space (NBSP included) and turn empty or null markers into None."""
    if text is None or text == "-0- ":
        return None
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    text = " ".join(text.split())  # str.split() also splits on NBSP and other Unicode spaces
    return None if text in NULL_MARKERS else text


def slug(text: str) -> str:
    """A lower-case snake_case key for free-form attribute names ("Vessel Flag" -> vessel_flag)."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


# ---------------------------------------------------------------------------------------- dates


class DateRange(NamedTuple):
    earliest: date | None
    latest: date | None
    precision: str  # day, month, year, range, circa, unparsed


_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}
_DAY_MONTH_YEAR = re.compile(r"^(?:(\d{1,2}) )?([A-Za-z]{3})[a-z]* (\d{4})$")
_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
# Day first, as Canada (DD-MM-YYYY) and the UK (dd/mm/yyyy, with dd, mm or 00 placeholders) write.
_DAY_FIRST = re.compile(r"^(\d{1,2}|dd|DD|00)[/-](\d{1,2}|mm|MM|00)[/-](\d{4})$")
EXCEL_EPOCH = date(1899, 12, 30)


def day_range(year: int, month: int | None = None, day: int | None = None) -> DateRange | None:
    """The range of days a partial date stands for (1962 -> 1962-01-01..1962-12-31)."""
    try:
        if month is None:
            return DateRange(date(year, 1, 1), date(year, 12, 31), "year")
        if day is None:
            last = calendar.monthrange(year, month)[1]
            return DateRange(date(year, month, 1), date(year, month, last), "month")
        exact = date(year, month, day)
    except ValueError:
        return None
    return DateRange(exact, exact, "day")


def precision_of(earliest: date, latest: date) -> str:
    """Name the precision of a day range as the publishers write them."""
    if earliest == latest:
        return "day"
    if (earliest.month, earliest.day, latest.month, latest.day) == (1, 1, 12, 31):
        return "year" if earliest.year == latest.year else "range"
    same_month = (earliest.year, earliest.month) == (latest.year, latest.month)
    if (
        same_month
        and earliest.day == 1
        and latest.day == calendar.monthrange(latest.year, latest.month)[1]
    ):
        return "month"
    return "range"


def excel_serial_date(text: str) -> DateRange | None:
    """Spreadsheet day numbers that leak into published files (Canada's ship build dates)."""
    if text.isdigit() and len(text) == 5:
        day = EXCEL_EPOCH + timedelta(days=int(text))
        return DateRange(day, day, "day")
    return None


def parse_date_text(raw: str) -> DateRange:
    """Parse the English date phrases of the lists: "12 Feb 1961", "Mar 1955", "1962",
    "circa 1960", "1962 to 1964", "01 Jan 1960 to 31 Dec 1962", ISO dates. Unknown: unparsed."""
    text = raw.strip().rstrip(".")
    circa = False
    lowered = text.lower()
    for prefix in ("circa ", "approximately ", "approx. ", "about "):
        if lowered.startswith(prefix):
            circa, text = True, text[len(prefix) :]
            break
    if " to " in text:
        start, _, end = text.partition(" to ")
        first, last = _single_date(start), _single_date(end)
        if first and last and first.earliest <= last.latest:
            return DateRange(first.earliest, last.latest, "circa" if circa else "range")
        return DateRange(None, None, "unparsed")
    single = _single_date(text)
    if single is None:
        return DateRange(None, None, "unparsed")
    return single._replace(precision="circa") if circa else single


def _single_date(text: str) -> DateRange | None:
    text = text.strip()
    if match := _ISO.match(text):
        year, month, day = (int(part) if part else None for part in match.groups())
        return day_range(year, month, day)
    if match := _DAY_FIRST.match(text):
        day, month, year = (
            int(part) if part.isdigit() and int(part) else None for part in match.groups()
        )
        if month is None:
            day = None
        return day_range(year, month, day) if year else None
    if match := _DAY_MONTH_YEAR.match(text):
        day, month_name, year = match.groups()
        month = _MONTHS.get(month_name.lower())
        if month is None:
            return None
        return day_range(int(year), month, int(day) if day else None)
    return None


_SCRIPT_NAMES = {"CJK": "Han", "HANGUL": "Hangul", "HIRAGANA": "Japanese", "KATAKANA": "Japanese"}


def script_of(text: str) -> str | None:
    """The writing system of the first letter (Latin, Cyrillic, Arabic, Hebrew, Han, ...)."""
    for char in text:
        if char.isalpha():
            first = unicodedata.name(char, "").split(" ")[0]
            return _SCRIPT_NAMES.get(first, first.title()) if first else None
    return None


# ------------------------------------------------------------------------------------ countries


class CountryLookup:
    """Resolve the publishers' country spellings to ISO 3166 alpha-2: schemas/countries.csv
    first (the publishers' own spellings and historical codes), then the maintained
    `countrynames` library for every other spelling (e.g. Australia's "Iran (Islamic Republic
    of)")."""

    def __init__(self, rows: list[dict[str, str]]):
        self._codes: dict[str, str] = {}
        for row in rows:
            for name in (row["country_code"], row["name"], *row["aliases"].split("|")):
                if name:
                    self._codes.setdefault(name.casefold(), row["country_code"])

    def code(self, name: str | None) -> str | None:
        if not name:
            return None
        key = name.strip().rstrip(".").casefold()
        return (
            self._codes.get(key)
            or self._codes.get(key.removeprefix("region: "))
            or countrynames.to_code(name.strip())
        )


@cache
def countries() -> CountryLookup:
    text = (SCHEMA_FILES / "countries.csv").read_text(encoding="utf-8")
    return CountryLookup(list(csv.DictReader(io.StringIO(text))))


# ----------------------------------------------------------------------------------- programmes


def programme_key(jurisdiction: str, code: str) -> str | None:
    """The stable key of a published programme code, or None when the taxonomy cannot classify
    it (cosmetic renamings and country-named regimes included: see sanctions.programmes)."""
    info = classify(jurisdiction, code)
    return info.key if info else None


# ------------------------------------------------------------------------------------------ CSV


def decode_text(path: Path) -> str:
    """UTF-8 (with or without BOM), else Windows-1252, which older list files use."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def csv_rows(
    text: str, source_id: str, file_name: str, columns: int | None = None
) -> Iterator[tuple[int, list[str]]]:
    """(line number, row) of a CSV text, strict about quoting and, if given, the field count;
    problems become a ParseError naming the line."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for row in reader:
            if not row or row == ["\x1a"]:  # OFAC ends its files with a lone Ctrl-Z
                continue
            if columns is not None and len(row) != columns:
                raise ParseError(
                    source_id,
                    file_name,
                    f"line {reader.line_num}: {len(row)} fields, expected {columns} "
                    "(truncated, or not the expected file?)",
                )
            yield reader.line_num, row
    except csv.Error as exc:
        raise ParseError(
            source_id, file_name, f"line {reader.line_num}: malformed CSV ({exc}); truncated?"
        ) from exc


# ------------------------------------------------------------------------------------------ XML


def safe_iterparse(
    path: Path, tags: tuple[str, ...] | None, event: str = "end"
) -> Iterator[tuple[str, etree._Element]]:
    """Stream `event`s for `tags` (local names, any namespace; None: every element) with a
    hardened parser: no DTD loading, no entity expansion, no network access."""
    events = etree.iterparse(
        str(path),
        events=(event,),
        tag=tuple(f"{{*}}{tag}" for tag in tags) if tags else None,
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    for _, element in events:
        yield local_name(element), element


# --------------------------------------------------------------------------------- enumerations

UNREAD = "unread_value"  # the attribute naming a value, column or element no table knows
UNKNOWN = "unknown"


def _fold(text: str) -> str:
    """Case, runs of white space and a final full stop do not change a value's meaning."""
    return " ".join(text.split()).casefold().rstrip(".")


class Enumeration:
    """One enumerated field of a format read through an explicit table: the publisher's values
    (compared case- and space-folded) and what each means in the model. A value the table lacks
    is never given a meaning: it reads as `unknown` (or what the field can hold) and is named."""

    def __init__(self, field: str, meanings: Mapping[str, object], unknown: object = UNKNOWN):
        self.field = field
        self.meanings = {_fold(value): meaning for value, meaning in meanings.items()}
        self.published = tuple(meanings)  # the values as the publisher writes them (tests)
        self.unknown = unknown


class Reading:
    """What one parse of one file read through its enumerations. Each unknown value, and each
    unknown column or element holding data, becomes an `unread_value` attribute of the record
    carrying it, so the checks name and count them; a field whose values are mostly unknown
    refuses the file, naming the values and their counts."""

    def __init__(self, source_id: str, file_name: str):
        self.source_id = source_id
        self.file_name = file_name
        self.values_read: Counter[str] = Counter()
        self.unknown: dict[str, Counter[str]] = defaultdict(Counter)
        self.pending: list[Attribute] = []
        self.fields: Counter[str] = Counter()  # records carrying each column or element

    def carries(self, fields) -> None:
        """One record carries these published fields ("column 'IMO Number'") with content."""
        self.fields.update(set(fields))

    def field_counts(self) -> list[FieldCount]:
        """Yield these once, after the last record: the coverage checks compare them."""
        return [FieldCount(field, count) for field, count in sorted(self.fields.items())]

    def read(self, enumeration: Enumeration, text: str | None, record_id: str):
        """The meaning of a published value; None when the value is absent (the format says
        what absence means, not this table)."""
        text = clean(text)
        if text is None:
            return None
        self.values_read[enumeration.field] += 1
        if (folded := _fold(text)) in enumeration.meanings:
            return enumeration.meanings[folded]
        self.unknown[enumeration.field][text] += 1
        self.pending.append(Attribute(record_id, UNREAD, f"{enumeration.field} {text!r}"))
        return enumeration.unknown

    def unread(self, record_id: str, what: str) -> None:
        """Data the parser cannot read on this record (an unknown column or element)."""
        self.pending.append(Attribute(record_id, UNREAD, what))

    def rows(self) -> list[Attribute]:
        """The unread-value rows gathered since the last call (yield them with the record)."""
        rows, self.pending = self.pending, []
        return rows

    def verdict(self) -> None:
        for field, values in self.unknown.items():
            count, read = sum(values.values()), self.values_read[field]
            if count > read / 2:
                listing = ", ".join(f"{v!r} ({n:,})" for v, n in values.most_common(10))
                raise ParseError(
                    self.source_id,
                    self.file_name,
                    f"{count:,} of {read:,} {field} values are unknown: {listing}; add them to "
                    "the parser's table if they are new values",
                )


class ElementWatch(Reading):
    """A Reading of an XML format that also notices element names the parser does not know and
    records left without a name, so a renamed schema fails loudly, naming the new elements,
    instead of loading empty fields."""

    def __init__(
        self,
        known: frozenset[str],
        key=None,
        source_id: str = "",
        file_name: str = "",
        required: frozenset[str] = frozenset(),
    ):
        super().__init__(source_id, file_name)
        self.known = known
        self.required = required  # elements the record ids are built from
        self.seen: set[str] = set()  # known element names some record carried
        self.key = key or local_name  # Canada compares the English part of bilingual names
        self.unknown_elements: Counter[str] = Counter()
        self.records = 0
        self.named = 0

    def see(self, element, has_name: bool, record_id: str | None = None) -> None:
        self.records += 1
        self.named += has_name
        self.carries(
            f"element <{self.key(child)}>"
            for child in element
            if len(child) or clean(child.text) or child.attrib
        )
        keys = {key: local_name(child) for child in element if (key := self.key(child))}
        self.seen.update(key for key in keys if key in self.known)
        for name in dict.fromkeys(name for key, name in keys.items() if key not in self.known):
            self.unknown_elements[name] += 1
            if record_id:
                self.unread(record_id, f"element <{name}>")

    def verdict(self, source_id: str, file_name: str, record_element: str) -> None:
        unknown = sorted(self.unknown_elements)
        found = f"; unknown elements: {', '.join(unknown)}" if unknown else ""
        if not self.records:
            raise ParseError(source_id, file_name, f"no {record_element} elements{found}")
        if absent := sorted(self.known - self.seen):
            found += f"; known elements on no record: {', '.join(absent)}"
        if missing := sorted(self.required - self.seen):
            raise ParseError(
                source_id,
                file_name,
                f"no record carries {', '.join(missing)}, which the record ids are built "
                f"from: the element names changed?{found}",
            )
        if self.named < self.records / 2:
            raise ParseError(
                source_id,
                file_name,
                f"{self.records} records but {self.named} with a name: the element names "
                f"changed?{found}",
            )
        self.source_id, self.file_name = source_id, file_name
        super().verdict()
        if unknown:
            log.warning("%s: %s: unknown elements: %s", source_id, file_name, ", ".join(unknown))


def root_attributes(path: Path) -> dict[str, str]:
    """The root element's attributes, read without parsing the rest of the file."""
    try:
        for _, root in safe_iterparse(path, None, event="start"):
            return dict(root.attrib)
    except etree.XMLSyntaxError:
        return {}  # the parse step reports what is wrong with the file
    return {}


def root_date(files: dict[str, Path], attribute: str) -> date | None:
    """A publication date in an attribute of the root element (an ISO date or date-time)."""
    stamp = root_attributes(next(iter(files.values()))).get(attribute, "")
    return parse_date_text(stamp[:10]).earliest if stamp else None


def single_file(files: dict[str, Path], source_id: str, expected: str) -> tuple[str, Path]:
    """The one (official name, path) of a single-file format."""
    if len(files) != 1:
        raise ParseError(source_id, ", ".join(files), f"expected exactly one {expected}")
    return next(iter(files.items()))


def has_name(rows: list[Row], primary: bool = False) -> bool:
    return any(type(row) is Name and (not primary or row.kind == "primary") for row in rows)


def stream_records(
    source_id: str,
    file_name: str,
    path: Path,
    tags: tuple[str, ...],
    watch: ElementWatch,
    rows_of: Callable[[str, etree._Element], Iterator[Row]],
    named: Callable[[list[Row]], bool] = has_name,
    containers: tuple[str, ...] = (),
) -> Iterator[Row]:
    """The rows of every record element of one XML file, streamed: each element is released
    once read, the watch learns whether it had a name, and a malformed file or a renamed schema
    fails naming the source and the file. With `containers`, every child of those elements is a
    record whatever its name (the parser reads the name through its table), so a renamed record
    element is read and named instead of skipped."""
    try:
        for tag, element in _record_elements(path, tags, containers):
            rows = list(rows_of(tag, element))
            record = next((row.record_id for row in rows if type(row) is Record), None)
            watch.see(element, named(rows), record)
            release(element)
            yield from rows
            yield from watch.rows()
    except etree.XMLSyntaxError as exc:
        raise ParseError(source_id, file_name, f"malformed XML: {exc}") from exc
    watch.verdict(source_id, file_name, " or ".join(tags))
    yield from watch.field_counts()


def _record_elements(
    path: Path, tags: tuple[str, ...], containers: tuple[str, ...]
) -> Iterator[tuple[str, etree._Element]]:
    if not containers:
        yield from safe_iterparse(path, tags)
        return
    for tag, element in safe_iterparse(path, None):
        parent = element.getparent()
        if parent is not None and local_name(parent) in containers:
            yield tag, element


def release(element: etree._Element) -> None:
    """Free a processed element and the siblings before it, keeping memory flat."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def local_name(element: etree._Element) -> str:
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""
