"""Small lists written in the official formats, for tests that generate whole histories:
OFAC's legacy SDN.XML (dated by Publish_Date) or its legacy CSV set (SDN.CSV with ALT.CSV,
ADD.CSV and SDN_COMMENTS.CSV, undated: replayed by file name) and OFSI's ConList.csv (dated by
its first row).

A person listed by both has the same name and birth date in each, so the matcher links them;
filler organisations (distinct names in each list) keep the record counts large enough that
delisting every person stays within the drop check (a good file is never refused as a broken
export), while a file that loses the fillers is.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Person:
    key: int
    family: str
    given: str
    born: date
    alias: str  # US only, in ALT.CSV
    city: str  # US only, in ADD.CSV
    country: str


PEOPLE = (
    Person(1, "KOVALENKO", "Borys", date(1961, 2, 12), "KOVALENKO, Boris", "Kyiv", "Ukraine"),
    Person(
        2, "ABDULLAEV", "Rustam", date(1970, 7, 3), "ABDULAEV, Rustam", "Tashkent", "Uzbekistan"
    ),
    Person(3, "MENDOZA QUIROGA", "Lucia", date(1958, 11, 21), "MENDOZA, Lucy", "La Paz", "Bolivia"),
    Person(4, "TAKAHASHI", "Kenji", date(1982, 5, 9), "TAKAHASI, Kenzi", "Osaka", "Japan"),
    Person(5, "OKONKWO", "Chidi", date(1966, 1, 30), "OKONKWO, Chidiebere", "Lagos", "Nigeria"),
)
US_FILLERS = (
    "AMBER HARBOUR LOGISTICS",
    "BASALT RIVER MINING",
    "CEDAR GATE SHIPPING",
    "DUNMORE FREIGHT SYSTEMS",
    "EASTWIND PETROCHEMICAL",
    "FALCON RIDGE AVIATION",
    "GRANITE BAY TRADING",
    "HOLLOWAY METALS GROUP",
    "INDIGO COAST BUNKERING",
    "JASPER LANE ELECTRONICS",
    "KINGSWAY CEMENT HOLDINGS",
    "LODESTAR MARINE SERVICES",
    "MIRAGE DESERT CONSTRUCTION",
    "NORTHGATE BULLION EXCHANGE",
    "ORCHID BAY FISHERIES",
    "PINNACLE ROCK DRILLING",
    "QUARTZ HILL REFINERY",
    "REDWOOD FERRY LINES",
)
UK_FILLERS = (
    "IRONBRIDGE CAPITAL PARTNERS",
    "JUNIPER STRAITS MARITIME",
    "KESTREL VALLEY ENERGY",
    "LARKSPUR DEFENCE SUPPLY",
    "MERIDIAN SALT WORKS",
    "NORTHFIELD GRAIN EXPORT",
    "OAKMONT CHEMICAL INDUSTRIES",
    "PEBBLESTONE TELECOM",
    "QUILLAN MOTOR WORKS",
    "RAVENSCAR TIMBER",
    "SILVERDALE PHARMA",
    "THORNBURY TEXTILES",
    "UPTON MILLS TRADING",
    "VALEMOUNT CARGO",
    "WESTBROOK INSURANCE BROKERS",
    "YARROW FIELD AGRICULTURE",
    "ZEPHYR AIR CHARTER",
    "ASHGROVE PAPER MILLS",
)
US_PROGRAMMES = ("GLOMAG", "SDGT")
UK_REGIMES = ("Global Human Rights", "Russia")


@dataclass(frozen=True)
class Listing:
    """A person on one list: under which programme, and a title that may change."""

    person: Person
    programme: int = 0  # index into the list's programmes
    title: str = "Official"


def sdn_xml(published: date, listings: list[Listing]) -> bytes:
    """An OFAC SDN.XML file (current namespace) holding the people and the US fillers."""
    entries = []
    for listing in listings:
        person = listing.person
        entries.append(
            f"""  <sdnEntry>
    <uid>{1000 + person.key}</uid>
    <firstName>{escape(person.given)}</firstName>
    <lastName>{escape(person.family)}</lastName>
    <title>{escape(listing.title)}</title>
    <sdnType>Individual</sdnType>
    <programList><program>{US_PROGRAMMES[listing.programme]}</program></programList>
    <dateOfBirthList><dateOfBirthItem><uid>{5000 + person.key}</uid>
      <dateOfBirth>{person.born:%d %b %Y}</dateOfBirth><mainEntry>true</mainEntry>
    </dateOfBirthItem></dateOfBirthList>
  </sdnEntry>"""
        )
    for number, name in enumerate(US_FILLERS, start=9001):
        entries.append(
            f"""  <sdnEntry><uid>{number}</uid><lastName>{name}</lastName><sdnType>Entity</sdnType>
    <programList><program>SDGT</program></programList></sdnEntry>"""
        )
    return (
        '<?xml version="1.0" standalone="yes"?>\n'
        '<sdnList xmlns="https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/'
        'exports/XML">\n'
        f"  <publshInformation><Publish_Date>{published:%m/%d/%Y}</Publish_Date>"
        f"<Record_Count>{len(entries)}</Record_Count></publshInformation>\n"
        + "\n".join(entries)
        + "\n</sdnList>\n"
    ).encode()


NULL = "-0- "  # OFAC's null cell, trailing space included
REMARKS_CELL = 1000  # SDN.CSV cuts longer remarks there, mid-word; SDN_COMMENTS.CSV continues


def _ofac_csv(rows: list[list[str | int | None]]) -> bytes:
    """One file of OFAC's CSV set as published: no header, numbers bare and text quoted,
    `-0- ` for null, CRLF, a lone 0x1A at the end."""

    def cell(value: str | int | None) -> str:
        if value is None:
            return NULL
        return str(value) if isinstance(value, int) else f'"{value}"'

    lines = [",".join(cell(value) for value in row) + "\r\n" for row in rows]
    return ("".join(lines) + "\x1a").encode("latin-1")


def us_remarks(person: Person) -> str:
    """What OFAC writes in a person's Remarks: birth date, nationality and gender, and for one
    person links and passports long enough to continue in SDN_COMMENTS.CSV (the continuation
    holds passports: facts read from the remarks)."""
    items = [f"DOB {person.born:%d %b %Y}", f"nationality {person.country}", "Gender Male"]
    if person.key == 3:
        items[2] = "Gender Female"
        items += [f"Linked To: {name}" for name in US_FILLERS]
        items += [
            f"{'alt. ' if n else ''}Passport B{n:07d}{person.key} (Bolivia) issued 0{n % 9 + 1} "
            f"Jan 2010 expires 0{n % 9 + 1} Jan 2020"
            for n in range(14)
        ]
    return "; ".join(items) + "."


def filler_remarks(number: int) -> str | None:
    """The first US filler's Remarks: links and registration numbers long enough to continue
    in SDN_COMMENTS.CSV, so that the file is never empty, as OFAC's never is."""
    if number != 9001:
        return None
    items = [f"Linked To: {name}" for name in US_FILLERS[1:]]
    items += [f"Registration Number {number}{n:05d} (United Arab Emirates)" for n in range(24)]
    return "; ".join(items) + "."


def sdn_csv_set(published: date, listings: list[Listing]) -> dict[str, bytes]:
    """OFAC's legacy CSV set (SDN.CSV, ALT.CSV, ADD.CSV, SDN_COMMENTS.CSV) holding the people
    and the US fillers: birth dates live in the remarks, aliases and addresses in the companion
    files. The set carries no date (`published` is only in the file names)."""
    sdn, alt, add, comments = [], [], [], []
    for listing in listings:
        person = listing.person
        number = 1000 + person.key
        programme = US_PROGRAMMES[listing.programme]
        remarks = us_remarks(person)
        if len(remarks) > REMARKS_CELL:
            comments.append([number, remarks[REMARKS_CELL:]])
        sdn.append(
            [number, f"{person.family}, {person.given}", "individual", programme, listing.title]
            + [None] * 6
            + [remarks[:REMARKS_CELL]]
        )
        alt.append([number, 5000 + person.key, "aka", person.alias, None])
        add.append([number, 6000 + person.key, None, person.city, person.country, None])
    for number, name in enumerate(US_FILLERS, start=9001):
        remarks = filler_remarks(number)
        if remarks and len(remarks) > REMARKS_CELL:
            comments.append([number, remarks[REMARKS_CELL:]])
        sdn.append(
            [number, name, None, "SDGT", None]
            + [None] * 6
            + [remarks[:REMARKS_CELL] if remarks else None]
        )
        alt.append([number, number - 1000, "aka", f"{name} LLC", None])
        add.append([number, number - 2000, None, "Dubai", "United Arab Emirates", None])
    return {
        "SDN.CSV": _ofac_csv(sdn),
        "ALT.CSV": _ofac_csv(alt),
        "ADD.CSV": _ofac_csv(add),
        "SDN_COMMENTS.CSV": _ofac_csv(comments),
    }


CONLIST_HEADER = [
    "Name 6",
    "Name 1",
    "Name 2",
    "Name 3",
    "Name 4",
    "Name 5",
    "Title",
    "Name Non-Latin Script",
    "Non-Latin Script Type",
    "Non-Latin Script Language",
    "DOB",
    "Town of Birth",
    "Country of Birth",
    "Nationality",
    "Passport Number",
    "Passport Details",
    "National Identification Number",
    "National Identification Details",
    "Position",
    "Address 1",
    "Address 2",
    "Address 3",
    "Address 4",
    "Address 5",
    "Address 6",
    "Post/Zip Code",
    "Country",
    "Other Information",
    "Group Type",
    "Alias Type",
    "Alias Quality",
    "Regime",
    "Listed On",
    "UK Sanctions List Date Designated",
    "Last Updated",
    "Group ID",
]


def conlist_csv(published: date, listings: list[Listing]) -> bytes:
    """An OFSI ConList.csv (2022 layout) holding the people and the UK fillers."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Last Updated", f"{published:%d/%m/%Y}"])
    writer.writerow(CONLIST_HEADER)

    def row(**cells) -> list[str]:
        return [cells.get(column, "") for column in CONLIST_HEADER]

    for listing in listings:
        person = listing.person
        writer.writerow(
            row(
                **{
                    "Name 6": person.family,
                    "Name 1": person.given,
                    "DOB": f"{person.born:%d/%m/%Y}",
                    "Position": listing.title,
                    "Group Type": "Individual",
                    "Alias Type": "Primary name",
                    "Regime": UK_REGIMES[listing.programme],
                    "Group ID": str(20000 + person.key),
                }
            )
        )
    for number, name in enumerate(UK_FILLERS, start=29001):
        writer.writerow(
            row(
                **{
                    "Name 6": name,
                    "Group Type": "Entity",
                    "Alias Type": "Primary name",
                    "Regime": "Russia",
                    "Group ID": str(number),
                }
            )
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


WRITERS = {"us_ofac": ("SDN.XML", sdn_xml), "uk_fcdo": ("ConList.csv", conlist_csv)}


def write_snapshot(
    folder: Path, source_id: str, published: date, listings: list[Listing], dated: bool = False
) -> Path:
    """Write one snapshot of `source_id` under `folder` (official name, or dated for a replay)."""
    name, writer = WRITERS[source_id]
    folder.mkdir(parents=True, exist_ok=True)
    stem, _, ext = name.partition(".")
    path = folder / (f"{stem}_{published:%Y-%m-%d}.{ext}" if dated else name)
    path.write_bytes(writer(published, listings))
    return path


def write_csv_set(
    folder: Path,
    published: date,
    listings: list[Listing],
    dated: bool = True,
    absent: tuple[str, ...] = (),
) -> Path:
    """Write OFAC's CSV set under `folder`, less the companion files named in `absent`;
    returns SDN.CSV's path."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in sdn_csv_set(published, listings).items():
        if name not in absent:
            stem, _, ext = name.partition(".")
            (folder / (f"{stem}_{published:%Y-%m-%d}.{ext}" if dated else name)).write_bytes(
                content
            )
    return folder / (f"SDN_{published:%Y-%m-%d}.CSV" if dated else "SDN.CSV")
