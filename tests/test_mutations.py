"""Mutation tests on the real files: each enumerated value the parsers' tables know replaced,
each published column or record element renamed or removed, one at a time. Every mutation
either fails naming the value or column, or publishes with a failed check naming it (against
the unmutated file published before it); none changes the published data silently.

The mutations are enumerated, not written: values from every `Enumeration` of the parsers that
occurs in the file, names from the columns and elements the parser counted in the file. The
default run takes a fixed sample of each kind from the smaller files; `-m slow` runs them all.
"""

from __future__ import annotations

import csv
import io
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from sanctions import quality, warehouse
from sanctions.errors import ParseError
from sanctions.model import Attribute, FieldCount
from sanctions.parsers import PARSERS
from sanctions.parsers.common import UNREAD, Enumeration, decode_text, local_name
from tests.test_au_dfat import sheet_rows, workbook_of_rows

pytestmark = pytest.mark.integration
SAMPLE = 2  # mutations of each kind per file in the default run
MUTATED = "-MUTATED"


@dataclass(frozen=True)
class Case:
    source_id: str
    format: str
    files: tuple[tuple[str, str], ...]  # (official name, path under the real data folder)
    slow: bool = False

    @property
    def id(self) -> str:
        return Path(self.files[0][1]).name


CASES = (
    Case("un_sc", "un_sc_xml", (("CONSOLIDATED.XML", "un/un_consolidated_2025-04-19.xml"),)),
    Case("ca_sema", "ca_sema_xml", (("SEMA-LMES.XML", "ca/sema-lmes_2020-04-15.xml"),)),
    Case("ca_sema", "ca_sema_xml", (("SEMA-LMES.XML", "ca/sema-lmes_2025-05-25.xml"),), True),
    Case("eu_fsf", "eu_fsf_xml", (("FSF.XML", "eu/fsf_2026-08-05_excerpt.xml"),)),
    Case("eu_fsf", "eu_fsf_xml", (("FSF.XML", "eu/fsf_reconstructed_2026-08-22.xml"),), True),
    Case(
        "uk_fcdo",
        "uk_fcdo_xml",
        (("UK-SANCTIONS-LIST.XML", "uk/UK-Sanctions-List_2026-09-10_sample_EDITED.xml"),),
    ),
    Case("uk_fcdo", "uk_ofsi_csv", (("CONLIST.CSV", "uk/ConList_2025-04-10.csv"),), True),
    Case("us_ofac", "ofac_sdn_xml", (("SDN.XML", "us_ofac/CONS_SDNXML_2025-03-28.XML"),)),
    Case(
        "us_ofac",
        "ofac_advanced_xml",
        (("SDN_ADVANCED.XML", "us_ofac/advanced_xml/CONS_ADVANCED_2020-03-17.XML"),),
    ),
    Case(
        "us_ofac",
        "ofac_csv",
        tuple((name, f"us_ofac/csv_2021-07-07/{name}") for name in ("SDN.CSV", "ALT.CSV")),
        True,
    ),
    Case(
        "au_dfat",
        "au_dfat_xlsx",
        (("REGULATION8_CONSOLIDATED.XLSX", "au/regulation8_consolidated_2026-07-23.xlsx"),),
    ),
)


@dataclass(frozen=True)
class Mutation:
    kind: str  # value, rename, remove
    name: str  # the value, column or element as published
    field: str = ""  # the enumeration's field, for values

    @property
    def new(self) -> str:
        if self.kind == "value":
            return f"{self.name}{MUTATED}"
        return f"{self.name} renamed" if " " in self.name else f"{self.name}_RENAMED"

    def __str__(self) -> str:
        return f"{self.kind} {self.field} {self.name!r}".replace("  ", " ")


# ------------------------------------------------------------------------------ the file kinds


class XmlFile:
    """An XML file as a tree: values are element texts and attribute values, names are element
    local names."""

    def __init__(self, path: Path):
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
        self.tree = etree.parse(str(path), parser)

    def values(self) -> Counter:
        """Texts, attribute values and element names (the UN's record elements are a table)."""
        found: Counter = Counter()
        for element in self.tree.iter():
            if isinstance(element.tag, str):
                texts = [(element.text or "").strip(), *element.attrib.values()]
                found.update([*texts, local_name(element)])
        return found

    def write(self, folder: Path, name: str, mutation: Mutation | None) -> Path:
        tree = etree.ElementTree(etree.fromstring(etree.tostring(self.tree)))
        if mutation:
            for element in list(tree.iter()):
                if not isinstance(element.tag, str):
                    continue
                named = local_name(element) == mutation.name
                if mutation.kind == "value":
                    if (element.text or "").strip() == mutation.name:
                        element.text = mutation.new
                    for key, value in element.attrib.items():
                        if value == mutation.name:
                            element.set(key, mutation.new)
                if named and mutation.kind in ("value", "rename"):
                    new = mutation.new.replace(" ", "_")
                    element.tag = etree.QName(etree.QName(element).namespace, new).text
                elif named and mutation.kind == "remove":
                    element.getparent().remove(element)
        path = folder / name
        tree.write(str(path), xml_declaration=True, encoding="utf-8")
        return path


class TableFile:
    """A CSV or xlsx list as rows of cells: values are cells, names are header cells."""

    def __init__(self, path: Path, header_row: int | None):
        self.suffix = path.suffix.lower()
        if self.suffix == ".xlsx":
            self.rows = sheet_rows(path)
        else:
            text = decode_text(path).replace("\x1a", "")
            self.rows = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
        self.header_row = header_row

    def values(self) -> Counter:
        start = 0 if self.header_row is None else self.header_row + 1
        return Counter(str(cell) for row in self.rows[start:] for cell in row)

    def write(self, folder: Path, name: str, mutation: Mutation | None) -> Path:
        rows = [list(row) for row in self.rows]
        at = self.header_row
        if mutation and mutation.kind == "value":
            start = 0 if at is None else at + 1
            rows[start:] = [
                [mutation.new if str(cell) == mutation.name else cell for cell in row]
                for row in rows[start:]
            ]
        elif mutation and at is not None:
            column = rows[at].index(mutation.name)
            if mutation.kind == "rename":
                rows[at][column] = mutation.new
            else:
                rows[at:] = [row[:column] + row[column + 1 :] for row in rows[at:]]
        path = folder / name
        if self.suffix == ".xlsx":
            return workbook_of_rows(path, rows)
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator="\r\n").writerows(rows)
        return path


def _file(case: Case, path: Path):
    if case.format.endswith("_xml"):
        return XmlFile(path)
    return TableFile(path, {"uk_ofsi_csv": 1, "au_dfat_xlsx": 0}.get(case.format))


# ---------------------------------------------------------------------------- the mutations


def _enumerations(parser) -> list[Enumeration]:
    """The tables of a parser module and of the parser modules it imports from."""
    modules = {parser.__name__} | {
        getattr(value, "__module__", None) or ""
        for value in vars(parser).values()
        if callable(value) or isinstance(value, Enumeration)
    }
    found = {
        id(value): value
        for name in modules
        if name.startswith("sanctions.parsers")
        for value in vars(sys.modules[name]).values()
        if isinstance(value, Enumeration)
    }
    return list(found.values())


def mutations(case: Case, files: dict, baseline: list) -> list[Mutation]:
    present = Counter()
    for file in files.values():
        present.update(file.values())
    values = {  # one mutation per published value, whichever tables hold it
        value: Mutation("value", value, enumeration.field)
        for enumeration in _enumerations(PARSERS[case.format])
        for value in enumeration.published
        if present[value]
    }
    found = set(values.values())
    counts = {row.field: row.records for row in baseline if type(row) is FieldCount}
    for field, records in counts.items():
        name = field.partition(" ")[2].strip("'<>")
        found.add(Mutation("rename", name))
        if records >= quality.MIN_FIELD_RECORDS:  # smaller fields are within ordinary churn
            found.add(Mutation("remove", name))
    return sorted(found, key=lambda m: (m.kind, m.field, m.name))


def sample(found: list[Mutation]) -> list[Mutation]:
    """A fixed few of each kind, spread over the list."""
    chosen = []
    for kind in ("value", "rename", "remove"):
        of_kind = [m for m in found if m.kind == kind]
        step = max(len(of_kind) // SAMPLE, 1)
        chosen += of_kind[::step][:SAMPLE]
    return chosen


# ------------------------------------------------------------------------------- the verdict


def _published_data(rows: list) -> Counter:
    return Counter(
        row
        for row in rows
        if type(row) is not FieldCount and not (type(row) is Attribute and row.attribute == UNREAD)
    )


class Bench:
    """One real file: its unmutated copy published in a warehouse, and its mutations."""

    def __init__(self, case: Case, real_data: Path, folder: Path):
        self.case = case
        self.folder = folder
        self.sources = {name: _file(case, real_data / path) for name, path in case.files}
        files = self.write(folder / "baseline", None)
        self.baseline = list(PARSERS[case.format].parse(files, case.source_id))
        self.data = _published_data(self.baseline)
        with warehouse.connect(folder / "warehouse.duckdb") as con:
            self.stage(con, "baseline", files, self.baseline)
            warehouse.publish(con, case.source_id)
        self.mutations = mutations(case, self.sources, self.baseline)

    def write(self, folder: Path, mutation: Mutation | None) -> dict[str, Path]:
        folder.mkdir(parents=True, exist_ok=True)
        return {name: file.write(folder, name, mutation) for name, file in self.sources.items()}

    def stage(self, con, snapshot_id: str, files: dict, rows: list) -> None:
        snapshot = warehouse.Snapshot(
            self.case.source_id, snapshot_id, self.case.format, files, None, None
        )
        warehouse.stage(con, snapshot, rows)

    def judge(self, mutation: Mutation) -> str:
        """How the mutation was caught; fails the test when it was not."""
        files = self.write(self.folder / "mutated", mutation)
        names = (mutation.name, mutation.new)
        try:
            rows = list(PARSERS[self.case.format].parse(files, self.case.source_id))
        except ParseError as exc:
            assert any(name in str(exc) for name in names), f"{mutation}: {exc}"
            return "refused"
        if _published_data(rows) == self.data:
            return "nothing changed"
        with warehouse.connect(self.folder / "warehouse.duckdb") as con:
            self.stage(con, "mutated", files, rows)
            context = quality.Context(self.case.source_id, (1, 10**7), None, "mutated")
            failed = [r for r in quality.evaluate(con, context) if not r.outcome.passed]
        summaries = "\n".join(f"{r.check.name}: {r.outcome.summary}" for r in failed)
        assert failed, f"{mutation} changed the published data silently"
        named = mutation.new if mutation.kind != "remove" else mutation.name
        assert named in summaries, f"{mutation}: the failed checks do not name it:\n{summaries}"
        return "blocked" if any(r.check.blocking for r in failed) else "warned"


_BENCHES: dict[str, Bench] = {}


def bench(case: Case, real_data: Path, tmp_path_factory) -> Bench:
    if case.id not in _BENCHES:
        folder = tmp_path_factory.mktemp(case.id.replace(".", "_"))
        _BENCHES[case.id] = Bench(case, real_data, folder)
    return _BENCHES[case.id]


@pytest.mark.parametrize("case", [c for c in CASES if not c.slow], ids=lambda c: c.id)
def test_a_sample_of_mutations_never_publishes_silently(case, real_data, tmp_path_factory):
    found = bench(case, real_data, tmp_path_factory)
    verdicts = {str(m): found.judge(m) for m in sample(found.mutations)}
    assert verdicts


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_every_mutation_never_publishes_silently(case, real_data, tmp_path_factory):
    found = bench(case, real_data, tmp_path_factory)
    verdicts = Counter(found.judge(m) for m in found.mutations)
    assert sum(verdicts.values()) == len(found.mutations)
