"""The registry of sources: who publishes what, where, and how to tell its formats apart."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatch

from sanctions.errors import FormatNotRecognised, SettingsError


@dataclass(frozen=True)
class FileFormat:
    """One format a source publishes: the main file and optional companion files."""

    name: str
    main_file: str  # the official name; parsers find the main file under it
    companions: tuple[str, ...] = ()
    pattern: str | None = None  # where the publisher's file name varies, e.g. "*.xml"
    official_path: str | None = None  # path under the official base URL, if not main_file

    def matches(self, file_name: str) -> bool:
        return fnmatch(file_name.upper(), (self.pattern or self.main_file).upper())


@dataclass(frozen=True)
class Source:
    id: str
    jurisdiction: str
    title: str
    official_base_url: str
    formats: tuple[FileFormat, ...]
    # Record-count bounds for the blocking count check (settings may override them).
    min_records: int = 1
    max_records: int = 1_000_000
    # Some publishers refuse non-browser clients (OFAC since 2026-07).
    needs_browser_user_agent: bool = False
    # Retries at least this many times, whatever the setting (the EU server fails in bursts).
    min_retries: int = 0
    publisher_notes: str = ""
    # A reference list (the UN's) tells which national listings implement a UN listing; it is
    # loaded like the others but is not one of the jurisdictions whose alignment is measured.
    reference: bool = False
    # How old the last good snapshot may grow before the source shows as stale: daily
    # publishers a day, the others a week (SANCTIONS_FRESHNESS_HOURS_<SOURCE> overrides it).
    freshness_hours: float = 24
    # First-load floors of the coverage checks (sanctions.quality.coverage): the least share of
    # records a field must reach when no published snapshot exists to compare with. About half
    # the share measured on real files, for the fields every layout of the source carries.
    coverage_floors: tuple[tuple[str, float], ...] = ()

    @property
    def default_format(self) -> FileFormat:
        return self.formats[0]

    def format_for(self, file_names: list[str]) -> tuple[FileFormat, str]:
        """The format whose main file is among `file_names` (case-insensitive), and that file."""
        listed = ", ".join(sorted(file_names)) or "(no files)"
        for fmt in self.formats:
            matching = [name for name in file_names if fmt.matches(name)]
            if len(matching) > 1:
                raise FormatNotRecognised(
                    self.id, listed, f"more than one file matches {fmt.pattern}: keep one"
                )
            if matching:
                return fmt, matching[0]
        expected = " or ".join(fmt.pattern or fmt.main_file for fmt in self.formats)
        raise FormatNotRecognised(self.id, listed, f"expected {expected}")


DAY_HOURS = 24
WEEK_HOURS = 7 * 24

OFAC_ADVANCED_XML = FileFormat("ofac_advanced_xml", "SDN_ADVANCED.XML")
OFAC_SDN_XML = FileFormat("ofac_sdn_xml", "SDN.XML")
OFAC_CSV = FileFormat("ofac_csv", "SDN.CSV", ("ALT.CSV", "ADD.CSV", "SDN_COMMENTS.CSV"))

US_OFAC = Source(
    id="us_ofac",
    jurisdiction="US",
    title="OFAC Specially Designated Nationals and Blocked Persons List",
    official_base_url=(
        "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/"
    ),
    formats=(OFAC_ADVANCED_XML, OFAC_SDN_XML, OFAC_CSV),
    min_records=5_000,
    max_records=60_000,
    needs_browser_user_agent=True,
    freshness_hours=DAY_HOURS,
    publisher_notes="Updated irregularly, often several times a week, usually US business hours.",
    coverage_floors=(
        ("entity type person", 0.09),
        ("entity type organization", 0.2),
        ("birth dates", 0.08),
        ("addresses", 0.3),
    ),
)

CA_SEMA = Source(
    id="ca_sema",
    jurisdiction="CA",
    title="Consolidated Canadian Autonomous Sanctions List (SEMA and JVCFOA)",
    official_base_url=(
        "https://www.international.gc.ca/world-monde/assets/office_docs/"
        "international_relations-relations_internationales/sanctions/"
    ),
    formats=(FileFormat("ca_sema_xml", "sema-lmes.xml"),),
    min_records=1_000,
    max_records=20_000,
    freshness_hours=WEEK_HOURS,
    publisher_notes="Updated when regulations change, without notice of format changes.",
    coverage_floors=(
        ("entity type person", 0.35),
        ("entity type organization", 0.1),
        ("birth dates", 0.07),
        ("aliases", 0.03),
    ),
)

UK_FCDO = Source(
    id="uk_fcdo",
    jurisdiction="UK",
    title="UK Sanctions List (FCDO; OFSI Consolidated List until 2026-01-28)",
    official_base_url="https://sanctionslist.fcdo.gov.uk/docs/",
    formats=(
        FileFormat("uk_fcdo_xml", "UK-Sanctions-List.xml"),
        FileFormat("uk_ofsi_csv", "ConList.csv"),
    ),
    min_records=2_000,
    max_records=30_000,
    freshness_hours=DAY_HOURS,
    publisher_notes="Updated on each designation, usually UK working days.",
    coverage_floors=(
        ("entity type person", 0.35),
        ("entity type organization", 0.1),
        ("identifier Passport", 0.05),
        ("birth dates", 0.3),
        ("aliases", 0.4),
        ("weak aliases", 0.02),
        ("countries (nationality)", 0.25),
        ("listing dates", 0.5),
    ),
)

EU_FSF = Source(
    id="eu_fsf",
    jurisdiction="EU",
    title="EU Financial Sanctions Files (consolidated list)",
    official_base_url="https://webgate.ec.europa.eu/fsd/fsf/public/files/",
    formats=(
        FileFormat(
            "eu_fsf_xml",
            "xmlFullSanctionsList_1_1.xml",
            pattern="*.xml",
            official_path="xmlFullSanctionsList_1_1/content?token=dG9rZW4tMjAxNw",
        ),
    ),
    min_records=2_000,
    max_records=30_000,
    min_retries=8,
    freshness_hours=WEEK_HOURS,
    publisher_notes="Updated on each Council act; the server answers with bursts of 500 errors.",
    coverage_floors=(
        ("entity type person", 0.35),
        ("entity type organization", 0.1),
        ("birth dates", 0.3),
        ("aliases", 0.4),
        ("countries (citizenship)", 0.2),
        ("listing dates", 0.5),
    ),
)

AU_DFAT = Source(
    id="au_dfat",
    jurisdiction="AU",
    title="Australian Consolidated List (DFAT: autonomous and UN sanctions)",
    official_base_url="https://www.dfat.gov.au/sites/default/files/",
    formats=(FileFormat("au_dfat_xlsx", "regulation8_consolidated.xlsx"),),
    min_records=1_500,
    max_records=15_000,
    freshness_hours=WEEK_HOURS,
    publisher_notes="Updated on each designation; the spreadsheet is DFAT's only machine-readable "
    "format and carries no publication date.",
    coverage_floors=(
        ("entity type person", 0.3),
        ("entity type organization", 0.1),
        ("birth dates", 0.3),
        ("aliases", 0.3),
        ("countries (citizenship)", 0.25),
        ("listing dates", 0.5),
    ),
)

UN_SC = Source(
    id="un_sc",
    jurisdiction="UN",
    title="UN Security Council Consolidated List (reference)",
    official_base_url="https://scsanctions.un.org/resources/xml/en/",
    formats=(FileFormat("un_sc_xml", "consolidated.xml"),),
    min_records=400,
    max_records=5_000,
    reference=True,
    freshness_hours=WEEK_HOURS,
    publisher_notes="Updated on each Committee decision; national lists implement its listings.",
    coverage_floors=(
        ("entity type person", 0.4),
        ("entity type organization", 0.1),
        ("identifier Passport", 0.1),
        ("birth dates", 0.35),
        ("aliases", 0.4),
        ("weak aliases", 0.1),
        ("countries (nationality)", 0.3),
        ("listing dates", 0.5),
    ),
)

SOURCES: dict[str, Source] = {
    source.id: source for source in (US_OFAC, CA_SEMA, UK_FCDO, EU_FSF, AU_DFAT, UN_SC)
}


def bound_setting(source_id: str, side: str) -> str:
    """The setting that moves one bound ("MIN" or "MAX") of a source's record-count check."""
    return f"SANCTIONS_{side}_RECORDS_{source_id.upper()}"


def record_bounds(source: Source, environ: Mapping[str, str] = os.environ) -> tuple[int, int]:
    """Bounds of the record-count check: the source's, unless SANCTIONS_MIN_RECORDS_<SOURCE> or
    SANCTIONS_MAX_RECORDS_<SOURCE> say otherwise."""
    bounds = []
    for side, default in (("MIN", source.min_records), ("MAX", source.max_records)):
        name = bound_setting(source.id, side)
        value = (environ.get(name) or "").strip()
        if value and not value.replace("_", "").isdigit():
            raise SettingsError(name, value, f"records (a whole number, 0 or more), e.g. {default}")
        bounds.append(int(value) if value else default)
    return bounds[0], bounds[1]


def freshness_hours(source: Source, environ: Mapping[str, str] = os.environ) -> float:
    """Hours the source's last good snapshot may age: its own expectation, unless
    SANCTIONS_FRESHNESS_HOURS_<SOURCE> says otherwise."""
    name = f"SANCTIONS_FRESHNESS_HOURS_{source.id.upper()}"
    value = (environ.get(name) or "").strip()
    if not value:
        return source.freshness_hours
    try:
        hours = float(value)
    except ValueError:
        hours = -1.0
    if not hours > 0:
        raise SettingsError(name, value, "a number of hours above 0, e.g. 24")
    return hours
