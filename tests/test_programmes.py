"""The programme taxonomy: normalisation, classification, unclassified keys, reloading, and
every regime string of every real snapshot classified."""

import csv
import os
import re
import shutil
from collections import defaultdict

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from python_calamine import CalamineWorkbook

from sanctions.model import Programme
from sanctions.parsers import (
    ca_sema_xml,
    eu_fsf_xml,
    ofac_advanced_xml,
    ofac_csv,
    uk_fcdo_xml,
    uk_ofsi_csv,
)
from sanctions.parsers.common import programme_key
from sanctions.programmes import (
    PROGRAMMES_CSV,
    classify,
    named_country,
    normalise_programme,
    taxonomy,
    unclassified_key,
)
from tests.conftest import real_data_dir

JVCFOR_2020 = (
    "Justice for Victims of Corrupt Foreign Officials Regulations\u00a0(JVCFOR) / Règlement "
    "relatif à la justice pour les victimes de dirigeants étrangers corrompus (RJVDEC)"
)


def key(jurisdiction, raw, **where):
    info = classify(jurisdiction, raw, **where)
    return info.key if info else None


# -------------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    ("published", "normal"),
    [
        ("Global\u00a0Human  Rights", "global human rights"),  # NBSP and a double space
        ("\tVenezuela \u00a0", "venezuela"),  # Canada's trailing spaces
        (
            "Autonomous (Thematic \u2013 Corruption)",
            "autonomous (thematic - corruption)",
        ),  # en dash
        ("Autonomous (Thematic \u2014 Cyber)", "autonomous (thematic - cyber)"),  # em dash
        ("CAATSA \u2212 RUSSIA", "caatsa - russia"),  # minus sign
        ("Guinea\u2011Bissau", "guinea-bissau"),  # non-breaking hyphen
        ("GLOMAG", "glomag"),
        ("ISIL (DA\u2019ESH) AND AL-QAIDA", "isil (da'esh) and al-qaida"),  # curly apostrophe
        ("Russia / Russie", "russia"),
        ("Myanmar (Burma) / Myanmar (Birmanie)", "myanmar (burma)"),
        (JVCFOR_2020, "justice for victims of corrupt foreign officials regulations (jvcfor)"),
        ("Iran.", "iran"),
        ("Iran (Nuclear) ;", "iran (nuclear)"),  # the closing bracket is not trailing noise
        ("HRIT-IR/SY", "hrit-ir/sy"),  # a slash without spaces is not a bilingual separator
        ("\uff27\uff2c\uff2f\uff2d\uff21\uff27", "glomag"),  # full-width letters (NFKC)
    ],
)
def test_normalise_programme(published, normal):
    assert normalise_programme(published) == normal


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéABCXYZÉ0123456789()'.", min_size=1)
_SPACES = st.sampled_from([" ", "  ", "\u00a0", "\t", "\u2009", "\u3000", " \u00a0"])
_DASHES = st.sampled_from(["\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212", "\uff0d"])


@st.composite
def cosmetic_variants(draw):
    """A regime string and the same string with other case, spaces, dashes, trailing
    punctuation and a French half, as publishers rewrite them."""
    words = draw(st.lists(_WORD, min_size=1, max_size=6))
    joins = [draw(st.sampled_from([" ", "-", " - "])) for _ in words[1:]]
    base = words[0] + "".join(join + word for join, word in zip(joins, words[1:], strict=True))
    variant = ""
    for char in base:
        if char == " ":
            variant += draw(_SPACES)
        elif char == "-":
            variant += draw(_DASHES)
        else:
            variant += draw(st.sampled_from([char, char.upper(), char.lower()]))
    variant += draw(st.sampled_from(["", " ", ".", " ;", "\u00a0", " / version française"]))
    return base, draw(st.sampled_from(["", " ", "\u00a0\t"])) + variant


@given(st.text())
def test_normalise_programme_is_idempotent(text):
    once = normalise_programme(text)
    assert normalise_programme(once) == once


@given(cosmetic_variants())
def test_normalise_programme_ignores_case_spaces_and_dashes(pair):
    base, variant = pair
    assert normalise_programme(variant) == normalise_programme(base)


# ----------------------------------------------------------------------------------- classify


@pytest.mark.parametrize(
    ("jurisdiction", "published", "expected"),
    [
        ("UK", "GLOBAL HUMAN RIGHTS", "UK-GHR"),
        ("UK", "Global\u00a0Anti\u2013Corruption.", "UK-GAC"),
        ("US", "caatsa \u2013 russia", "US-CAATSA-RUSSIA"),
        ("CA", JVCFOR_2020, "CA-JVCFOA"),
        (
            "CA",
            "Extremist Settler Violence / Violence extrémiste des colons ",
            "CA-SEMA-EXTREMIST-SETTLER-VIOLENCE",
        ),
        ("AU", "Autonomous (Thematic - Corruption)", "AU-THEMATIC-CORRUPTION"),  # CSV: en dash
        ("AU", "AUTONOMOUS (THEMATIC \u2014 HUMAN RIGHTS) ", "AU-THEMATIC-HR"),
        ("AU", "1533 (Democratic People's Republic of the Congo)", "AU-UN-1533-DRC"),
    ],
)
def test_classify_cosmetic_renamings(jurisdiction, published, expected):
    assert key(jurisdiction, published) == expected


def test_classify_keeps_the_key_and_category():
    corruption = classify("AU", "Autonomous (Thematic \u2013 Corruption)")
    assert (corruption.key, corruption.category) == ("AU-THEMATIC-CORRUPTION", "corruption")
    cyber = classify("AU", "Autonomous (Thematic - Cyber)")
    assert (cyber.key, cyber.category) == ("AU-THEMATIC-CYBER", "cyber")


def test_a_regime_named_after_a_country_resolves_through_the_country_library():
    assert ("CA", "myanmar (burma)") not in taxonomy().by_code  # no row: the library decides
    assert named_country("myanmar (burma)") == "MM"
    assert key("CA", "Myanmar (Burma) / Myanmar (Birmanie)") == "CA-SEMA-BURMA"
    assert key("UK", "Burma") == "UK-MYANMAR"
    assert key("UK", "Russian Federation") == "UK-RUSSIA"
    assert key("EU", "Syrian Arab Republic") == "EU-SYR"
    assert key("US", "Republic of Cuba") == "US-CUBA"


def test_a_country_with_a_thematic_qualifier_is_not_the_country_regime(tmp_path):
    assert named_country("iran (human rights)") is None
    assert named_country("iran (nuclear)") is None
    assert key("UK", "Iran (Human Rights)") == "UK-IRAN-HR"  # the 2019 regime, own row
    assert key("UK", "Iran (Nuclear)") == "UK-IRAN-NUCLEAR"
    without = tmp_path / "programmes.csv"
    without.write_text(
        "".join(
            line
            for line in PROGRAMMES_CSV.read_text(encoding="utf-8").splitlines(keepends=True)
            if not line.startswith("UK,Iran (Human Rights),")
        ),
        encoding="utf-8",
    )
    assert key("UK", "Iran (Human Rights)", path=without) is None  # never UK-IRAN


def test_codes_that_look_like_country_codes_stay_programmes():
    assert key("EU", "HR") == "EU-HR"
    assert key("EU", "Croatia") is None  # "HR" is the EU human-rights regime, not Croatia
    assert key("UN", "GB") == "UN-2048-GUINEA-BISSAU"
    assert key("UN", "United Kingdom") is None
    # a corruption regime about one country is not that country's regime
    assert key("EU", "Ukraine") is None


def test_unknown_regimes_and_other_jurisdictions_are_not_classified():
    assert key("US", "NEW-PROGRAM-EO99999") is None
    assert key("CA", "Global Human Rights") is None
    assert key("UK", "Atlantis") is None


def test_programme_key_delegates_to_classify():
    assert programme_key("CA", "Myanmar (Burma)") == "CA-SEMA-BURMA"
    assert programme_key("UK", " global  human rights ") == "UK-GHR"
    assert programme_key("US", "NOT-A-PROGRAM") is None


# ------------------------------------------------------------------- the UK's published forms


def _uk_title_forms(title: str) -> set[str]:
    """A statutory title as the UK Sanctions List writes it, and without "The", "(EU Exit)" or
    the year, alone and together."""
    forms = {title}
    for drop in (r"^The ", r" \(EU Exit\)", r" \d{4}$"):
        forms |= {re.sub(drop, "", form) for form in forms}
    return forms


def _uk_regimes() -> dict[str, list[tuple[str, str]]]:
    """{UK key: [(form, how it is published)]} from every UK row of the taxonomy."""
    regimes = defaultdict(list)
    with PROGRAMMES_CSV.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["jurisdiction"] != "UK":
                continue
            code, found = row["programme_code"], regimes[row["programme_key"]]
            if re.fullmatch(r"[A-Z]{3}", code):
                found += [(code, "reference prefix"), (f"{code}0190", "reference")]
            else:
                found.append((code, "published name"))
            found += [(form, "statutory title") for form in _uk_title_forms(row["title"])]
    return regimes


@pytest.mark.parametrize("uk_key", sorted(_uk_regimes()))
def test_every_uk_regime_classifies_to_one_key_in_every_published_form(uk_key):
    forms = _uk_regimes()[uk_key]
    assert any(how == "statutory title" for _, how in forms)
    assert {(form, how): key("UK", form) for form, how in forms} == {
        (form, how): uk_key for form, how in forms
    }


def test_the_statutory_title_of_a_country_regime_resolves_like_the_country():
    """No row spells "Union of Myanmar", "Russian Federation" or Burma as a statutory title:
    the country library resolves the country inside the title."""
    assert key("UK", "The Russian Federation (Sanctions) (EU Exit) Regulations 2019") == (
        "UK-RUSSIA"
    )
    assert key("UK", "The Burma (Sanctions) Regulations 2021") == "UK-MYANMAR"
    assert key("UK", "The Syrian Arab Republic (Sanctions) Regulations") == "UK-SYRIA"
    # a thematic regime about a country is not the country's regime
    assert key("UK", "The Iran (Sanctions) (Nuclear) (EU Exit) Regulations 2019") == (
        "UK-IRAN-NUCLEAR"
    )
    assert key("UK", "The Atlantis (Sanctions) Regulations 2026") is None


def test_reference_prefixes_are_not_read_as_country_codes():
    """BEL is Belarus's prefix and Belgium's ISO code: Belgium stays unclassified."""
    assert key("UK", "BEL0045") == "UK-BELARUS"
    assert key("UK", "The Belgium (Sanctions) Regulations 2026") is None
    assert key("UK", "Belarus") == "UK-BELARUS"


def test_a_short_form_keyed_apart_from_its_long_form_is_refused(taxonomy_copy):
    with taxonomy_copy.open("a", encoding="utf-8") as handle:
        handle.write("UK,The Russia (Sanctions) Regulations,UK-OTHER,Other,country,false,false\n")
    with pytest.raises(ValueError, match="short form 'russia' is UK-RUSSIA"):
        taxonomy(taxonomy_copy)


# ---------------------------------------------------------------------------- unclassified key


def test_unclassified_key_is_stable_and_ignores_cosmetics():
    assert unclassified_key("UK", "Iran (Human Rights)") == "UK-UNCLASSIFIED-IRAN-HUMAN-RIGHTS"
    assert unclassified_key("uk", "IRAN\u00a0(HUMAN RIGHTS). ") == (
        "UK-UNCLASSIFIED-IRAN-HUMAN-RIGHTS"
    )
    assert unclassified_key("CA", "Mali / Mali") == "CA-UNCLASSIFIED-MALI"
    assert unclassified_key("AU", "Autonomous (Thematic \u2013 Slavery)") == (
        "AU-UNCLASSIFIED-AUTONOMOUS-THEMATIC-SLAVERY"
    )
    assert unclassified_key("EU", "Беларусь") == "EU-UNCLASSIFIED-BELARUS"  # transliterated


def test_unclassified_key_keeps_distinct_strings_apart():
    assert unclassified_key("UK", "***") != unclassified_key("UK", "+++")
    assert unclassified_key("UK", "***").startswith("UK-UNCLASSIFIED-")
    long_a, long_b = "Regulations " * 10 + "A", "Regulations " * 10 + "B"
    assert unclassified_key("UK", long_a) != unclassified_key("UK", long_b)
    assert len(unclassified_key("UK", long_a)) <= len("UK-UNCLASSIFIED-") + 60


# ------------------------------------------------------------------------------------- reload


@pytest.fixture
def taxonomy_copy(tmp_path):
    path = tmp_path / "programmes.csv"
    shutil.copyfile(PROGRAMMES_CSV, path)
    return path


def test_taxonomy_notices_a_row_added_while_running(taxonomy_copy):
    assert taxonomy(taxonomy_copy) is taxonomy(taxonomy_copy)  # unchanged file: cached
    assert key("UK", "Global Slavery", path=taxonomy_copy) is None
    with taxonomy_copy.open("a", encoding="utf-8") as csv_file:
        csv_file.write('UK,Global Slavery,UK-SLAVERY,"A future regime",human_rights\n')
    assert key("UK", "GLOBAL  SLAVERY", path=taxonomy_copy) == "UK-SLAVERY"


def test_taxonomy_notices_an_edit_of_the_same_size(taxonomy_copy):
    before = taxonomy_copy.stat()
    text = taxonomy_copy.read_text(encoding="utf-8")
    edited = text.replace(',UK-CYBER,"The Cyber', ',UK-CYBRE,"The Cyber')
    assert len(edited) == len(text) and edited != text
    taxonomy_copy.write_text(edited, encoding="utf-8")
    # an analyst saving a second later (some file systems keep mtimes in whole seconds)
    os.utime(taxonomy_copy, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
    assert key("UK", "Cyber", path=taxonomy_copy) == "UK-CYBRE"


def test_taxonomy_errors_name_the_file_and_the_line(taxonomy_copy):
    lines = taxonomy_copy.read_text(encoding="utf-8").splitlines(keepends=True)
    with taxonomy_copy.open("a", encoding="utf-8") as csv_file:
        csv_file.write('UK,GLOBAL HUMAN RIGHTS ,UK-OTHER,"Clash",human_rights\n')
    with pytest.raises(ValueError, match=rf"{taxonomy_copy}: line {len(lines) + 1}: .*UK-GHR"):
        taxonomy(taxonomy_copy)
    taxonomy_copy.write_text("".join(lines) + "UK,X,,x,other\n", encoding="utf-8")
    with pytest.raises(ValueError, match=rf"line {len(lines) + 1}: empty jurisdiction"):
        taxonomy(taxonomy_copy)


def test_a_country_with_two_regimes_resolves_to_neither(taxonomy_copy, caplog):
    assert key("CA", "Russia (Russian Federation)", path=taxonomy_copy) == "CA-SEMA-RUSSIA"
    with taxonomy_copy.open("a", encoding="utf-8") as csv_file:
        csv_file.write('CA,Russian Federation,CA-SEMA-RUSSIA-2,"A second one",country\n')
    assert key("CA", "Russia (Russian Federation)", path=taxonomy_copy) is None
    assert "CA has two regimes for country RU" in caplog.text
    assert key("CA", "Russia / Russie", path=taxonomy_copy) == "CA-SEMA-RUSSIA"  # own row


def test_every_key_has_one_title_and_category():
    """Rows that share a key must agree, or the warehouse would count a programme twice."""
    seen = {}
    for info in taxonomy().by_code.values():
        seen.setdefault(info.key, set()).add(info[2:])
    assert {name: flags for name, flags in seen.items() if len(flags) > 1} == {}


def test_the_shipped_taxonomy_uses_the_documented_jurisdictions_and_categories():
    infos = taxonomy().by_code
    assert {jurisdiction for jurisdiction, _ in infos} == {"US", "CA", "UK", "EU", "AU", "UN"}
    assert {info.category for info in infos.values()} <= {
        "human_rights",
        "human_rights_and_corruption",
        "corruption",
        "country",
        "terrorism",
        "proliferation",
        "narcotics",
        "cyber",
        "organized_crime",
        "election_interference",
        "hostage_taking",
        "chemical_weapons",
        "migration",
        "other",
    }


# ----------------------------------------------------------------------- the real snapshots


NO_PARSER = "read directly"  # formats whose parsers are being written elsewhere


def _parsed(module, file_name):
    """(string as published, key the project's parser gave it)."""

    def strings(path):
        rows = module.parse({file_name: path})
        return {(row.programme_raw, row.programme_key) for row in rows if type(row) is Programme}

    return strings


def _xml_texts(tag):
    def strings(path):
        tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
        return {(element.text, NO_PARSER) for element in tree.iterfind(f".//{{*}}{tag}")}

    return strings


def _australian_committees(path):
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    column = rows[0].index("Committees")
    return {(row[column], NO_PARSER) for row in rows[1:] if row[column]}


REAL_FILES = [
    ("US", "us_ofac/sdn_history/*.CSV", _parsed(ofac_csv, "SDN.CSV")),
    ("US", "us_ofac/legacy_csv/*/SDN.CSV", _parsed(ofac_csv, "SDN.CSV")),
    ("US", "us_ofac/csv_2021-07-07/SDN.CSV", _parsed(ofac_csv, "SDN.CSV")),
    ("US", "us_ofac/advanced_xml/*.XML", _parsed(ofac_advanced_xml, "SDN_ADVANCED.XML")),
    ("US", "us_ofac/CONS_SDNXML_*.XML", _xml_texts("program")),
    ("CA", "ca/sema-lmes_*.xml", _parsed(ca_sema_xml, "sema-lmes.xml")),
    ("UK", "uk/ConList_*.csv", _parsed(uk_ofsi_csv, "ConList.csv")),
    ("UK", "uk/UK-Sanctions-List_*.xml", _parsed(uk_fcdo_xml, "UK-Sanctions-List.xml")),
    ("EU", "eu/fsf_*.xml", _parsed(eu_fsf_xml, "fsf.xml")),
    ("AU", "au/regulation8_consolidated_*.xlsx", _australian_committees),
    ("UN", "un/un_consolidated_*.xml", _xml_texts("UN_LIST_TYPE")),
]


@pytest.fixture(scope="module")
def real_strings():
    """{(jurisdiction, string as published): {(file, key its parser gave, or NO_PARSER)}}."""
    folder = real_data_dir()
    if not (folder / "us_ofac").is_dir():
        pytest.skip(f"real snapshots not found at {folder} (set SANCTIONS_REAL_DATA)")
    found = defaultdict(set)
    for jurisdiction, pattern, read in REAL_FILES:
        paths = sorted(folder.glob(pattern))
        assert paths, f"no real file matches {pattern}"
        for path in paths:
            strings = read(path)
            assert strings, f"no programme string in {path}"
            for raw, parser_key in strings:
                found[(jurisdiction, raw)].add((path.name, parser_key))
    return found


@pytest.mark.integration
def test_every_programme_string_of_every_real_file_classifies(real_strings):
    unclassified = sorted(where for where in real_strings if classify(*where) is None)
    assert unclassified == []
    disagreeing = {
        where: seen
        for where, seen in real_strings.items()
        if any(parsed not in (NO_PARSER, classify(*where).key) for _, parsed in seen)
    }
    assert disagreeing == {}, "every parser gives the key classify gives"
    per_jurisdiction = defaultdict(int)
    for jurisdiction, _ in real_strings:
        per_jurisdiction[jurisdiction] += 1
    assert per_jurisdiction == {"US": 90, "CA": 20, "UK": 35, "EU": 33, "AU": 29, "UN": 13}


@pytest.mark.integration
@pytest.mark.parametrize(
    ("jurisdiction", "published", "expected"),
    [
        ("CA", "Myanmar (Burma) / Myanmar (Birmanie)", "CA-SEMA-BURMA"),
        ("US", "CMIC-EO13959", "US-CMIC-EO13959"),
        ("US", "EO13645", "US-EO13645"),
        ("AU", "Autonomous (Thematic \u2013 Corruption)", "AU-THEMATIC-CORRUPTION"),
        ("AU", "Autonomous (Thematic - Human Rights)", "AU-THEMATIC-HR"),
        ("UN", "Al-Qaida", "UN-1267-ISIL-AQ"),
    ],
)
def test_real_strings_get_their_regime(real_strings, jurisdiction, published, expected):
    assert (jurisdiction, published) in real_strings
    assert key(jurisdiction, published) == expected
