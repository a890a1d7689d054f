"""Small lists written in the official formats, for tests that generate whole histories:
OFAC's legacy SDN.XML (dated by Publish_Date) and OFSI's ConList.csv (dated by its first row).

A person listed by both has the same name and birth date in each, so the matcher links them;
filler organisations (distinct names in each list) keep the record counts realistic enough
for the drop check when a few people are delisted.
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


PEOPLE = (
    Person(1, "KOVALENKO", "Borys", date(1961, 2, 12)),
    Person(2, "ABDULLAEV", "Rustam", date(1970, 7, 3)),
    Person(3, "MENDOZA QUIROGA", "Lucia", date(1958, 11, 21)),
    Person(4, "TAKAHASHI", "Kenji", date(1982, 5, 9)),
    Person(5, "OKONKWO", "Chidi", date(1966, 1, 30)),
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
