"""Differential test on the real files: every path to the same files gives the same published
figures, history, retired records and targets.

The paths, each with only the commands the README documents for it, in a data directory of
its own:
- replay: `sanctions replay us_ofac` into an empty warehouse, then `sanctions run` live (US,
  Canada 2025, UK 2025-04-10), then `sanctions run` with the UK 2025-04-14 file (the reference);
- backfill: the two live runs first, then the same `sanctions replay` (a backfill);
- taxonomy: the reference path under a taxonomy lacking the GLOMAG row, fixed before the last run;
- split: the US files replayed in two commands instead of one;
- republication: the reference path with an earlier edition of the UK 2025-04-10 file (one
  Global Human Rights record under Russia, the same "Last Updated" date) run before the real one.

The US history is a representative subset of `us_ofac/sdn_history` (2022-11-30, 2023-09-28,
2024-05-03: a year-end before the first, programme changes, and the newest file, which is also
the live one): the twelve files take several minutes per path on a shared machine. Compared
in the published copy: `alignment.report_figures`, `alignment.as_of(D)` for every snapshot
date D (targets named by their smallest record id, since ids are minted by history), the
history's versions and events, and `retired.*`.
"""

import csv
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main
from tests.conftest import REPO, real_data_dir

pytestmark = pytest.mark.slow

US_FILES = ("SDN_2022-11-30.CSV", "SDN_2023-09-28.CSV", "SDN_2024-05-03.CSV")
UK_FIRST, UK_SECOND = "ConList_2025-04-10.csv", "ConList_2025-04-14.csv"
CANADA = "sema-lmes_2025-05-25.xml"


@pytest.fixture(scope="module")
def real():
    data = real_data_dir()
    if not (data / "us_ofac" / "sdn_history").is_dir():
        pytest.skip(f"real snapshots not found at {data} (set SANCTIONS_REAL_DATA)")
    return data


class Path_:
    """One path's data directory, mirror and history folders, and its commands."""

    def __init__(self, root, real, monkeypatch):
        self.root, self.real, self.monkeypatch = root, real, monkeypatch
        (root / "mirror").mkdir(parents=True)
        monkeypatch.chdir(root)
        for name in list(os.environ):
            if name.startswith(("SANCTIONS_", "DAGSTER_HOME")) and "_MIN_RECORDS_" not in name:
                monkeypatch.delenv(name)
        monkeypatch.setenv("SANCTIONS_DATA_DIR", str(root / "data"))
        monkeypatch.setenv("SANCTIONS_MIRROR", str(root / "mirror"))
        monkeypatch.setenv("DAGSTER_HOME", str(root / "dagster_home"))

    def history_folder(self, name: str, files) -> str:
        folder = self.root / name
        folder.mkdir()
        for file in files:
            (folder / file).symlink_to(self.real / "us_ofac" / "sdn_history" / file)
        return str(folder)

    def live(self, uk_file: str | Path) -> None:
        """The mirror holds the newest US file, Canada 2025 and one UK file (a real one by
        name, or a file written by the test)."""
        mirror = self.root / "mirror"
        shutil.rmtree(mirror)
        for source, name, path in (
            ("us_ofac", "SDN.CSV", self.real / "us_ofac" / "sdn_history" / US_FILES[-1]),
            ("ca_sema", "sema-lmes.xml", self.real / "ca" / CANADA),
            ("uk_fcdo", "ConList.csv", self.real / "uk" / uk_file),
        ):
            (mirror / source).mkdir(parents=True)
            (mirror / source / name).symlink_to(path)

    def run(self, *args: str) -> None:
        assert main(list(args)) == 0, args

    def view(self) -> dict:
        """What analysts read, in the published copy, with path-independent target names."""
        published = self.root / "data" / "published" / "warehouse.duckdb"
        with duckdb.connect(str(published), read_only=True) as con:
            dates = [
                row[0]
                for row in con.execute(
                    "SELECT DISTINCT as_of::DATE FROM history.snapshots ORDER BY 1"
                ).fetchall()
            ]
            con.execute(
                """CREATE TEMP TABLE canonical AS SELECT target_id, min(record_id) AS target
                   FROM matching.record_targets GROUP BY target_id"""
            )
            as_of = {
                day: con.execute(
                    f"""SELECT coalesce(c.target, a.target_id) AS target, a.* EXCLUDE (target_id)
                        FROM alignment.as_of(DATE '{day}') a LEFT JOIN canonical c USING
                        (target_id) ORDER BY ALL"""
                ).fetchall()
                for day in dates
            }
            return {
                "dates": dates,
                "as_of": as_of,
                "report_figures": con.execute(
                    "FROM alignment.report_figures ORDER BY ALL"
                ).fetchall(),
                "versions": con.execute(
                    """SELECT source_id, record_id, content_hash, valid_from::DATE, valid_to::DATE
                       FROM history.record_versions ORDER BY ALL"""
                ).fetchall(),
                "events": con.execute(
                    """SELECT source_id, record_id, event, event_date::DATE, changed_fields,
                              programme_keys FROM history.events ORDER BY ALL"""
                ).fetchall(),
                "retired": con.execute(
                    "SELECT source_id, record_id, name FROM retired.records ORDER BY ALL"
                ).fetchall(),
                "targets": con.execute(
                    """SELECT c.target, list(r.record_id ORDER BY r.record_id)
                       FROM matching.record_targets r JOIN canonical c USING (target_id)
                       GROUP BY ALL ORDER BY ALL"""
                ).fetchall(),
            }


@pytest.fixture(scope="module")
def paths(tmp_path_factory, real):
    """Runs the paths lazily, once each; a path's view is computed when first asked for."""
    views: dict[str, dict] = {}

    def replay(path):
        path.run("replay", "us_ofac", path.history_folder("history", US_FILES))
        path.live(UK_FIRST)
        path.run("run")
        path.live(UK_SECOND)
        path.run("run")

    def backfill(path):
        path.live(UK_FIRST)
        path.run("run")
        path.live(UK_SECOND)
        path.run("run")
        path.run("replay", "us_ofac", path.history_folder("history", US_FILES))

    def taxonomy(path):
        lacking = path.root / "programmes.csv"
        rows = (REPO / "schemas" / "programmes.csv").read_text("utf-8").splitlines(True)
        lacking.write_text("".join(r for r in rows if not r.startswith("US,GLOMAG,")), "utf-8")
        path.monkeypatch.setenv("SANCTIONS_PROGRAMMES", str(lacking))
        path.run("replay", "us_ofac", path.history_folder("history", US_FILES))
        path.live(UK_FIRST)
        path.run("run")
        lacking.write_text("".join(rows), "utf-8")  # the analyst adds the row back
        path.live(UK_SECOND)
        path.run("run")

    def split(path):
        path.run("replay", "us_ofac", path.history_folder("older", US_FILES[:1]))
        path.run("replay", "us_ofac", path.history_folder("newer", US_FILES[1:]))
        path.live(UK_FIRST)
        path.run("run")
        path.live(UK_SECOND)
        path.run("run")

    def republication(path):
        path.run("replay", "us_ofac", path.history_folder("history", US_FILES))
        path.live(earlier_edition(path.real / "uk" / UK_FIRST, path.root / "ConList.csv"))
        path.run("run")
        path.live(UK_FIRST)  # the same date again, the record now under Global Human Rights
        path.run("run")
        path.live(UK_SECOND)
        path.run("run")

    plans = {
        "replay": replay,
        "backfill": backfill,
        "taxonomy": taxonomy,
        "split": split,
        "republication": republication,
    }

    def view(name: str) -> dict:
        if name not in views:
            with pytest.MonkeyPatch.context() as monkeypatch:
                path = Path_(tmp_path_factory.mktemp("paths") / name, real, monkeypatch)
                plans[name](path)
                views[name] = path.view()
        return views[name]

    return view


def earlier_edition(real_file: Path, out: Path) -> Path:
    """The ConList file with its first Global Human Rights group under the Russia regime, as an
    edition published earlier the same day and corrected later (issue 18, item 5)."""
    with real_file.open(encoding="utf-8", newline="") as handle:
        first_line = handle.readline()
        rows = list(csv.reader(handle))
    header = rows[0]
    regime, group = header.index("Regime"), header.index("Group ID")
    moved = next(row[group] for row in rows[1:] if row[regime] == "Global Human Rights")
    for row in rows[1:]:
        if row[group] == moved:
            row[regime] = "Russia"
    with out.open("w", encoding="utf-8", newline="") as handle:
        handle.write(first_line)
        csv.writer(handle, lineterminator="\r\n").writerows(rows)
    return out


def assert_same(view: dict, reference: dict) -> None:
    assert set(view["dates"]) >= set(reference["dates"])
    for key in ("report_figures", "versions", "events", "retired", "targets"):
        assert view[key] == reference[key], f"{key} differ"
    for day in reference["dates"]:
        assert view["as_of"][day] == reference["as_of"][day], f"as_of({day}) differs"


def test_the_reference_path_holds_every_us_snapshot_in_the_published_copy(paths):
    reference = paths("replay")
    assert len(reference["dates"]) >= len(US_FILES)
    assert any(source == "us_ofac" for source, *_ in reference["retired"])


def test_a_backfill_equals_a_replay_into_an_empty_warehouse(paths):
    assert_same(paths("backfill"), paths("replay"))


def test_a_taxonomy_fixed_between_runs_equals_the_fixed_taxonomy_throughout(paths):
    assert_same(paths("taxonomy"), paths("replay"))


def test_the_same_files_split_into_other_runs_give_the_same_figures(paths):
    assert_same(paths("split"), paths("replay"))


def test_a_same_day_republication_shows_only_the_later_edition(paths):
    """Two editions of one date: the figures and every date's as_of are the reference's; the
    history holds both editions (the record listed under Russia, then changed that day)."""
    view, reference = paths("republication"), paths("replay")
    for key in ("report_figures", "retired", "targets"):
        assert view[key] == reference[key], f"{key} differ"
    for day in reference["dates"]:
        assert view["as_of"][day] == reference["as_of"][day], f"as_of({day}) differs"
    extra = [event for event in view["events"] if event not in reference["events"]]
    assert sorted((event[2], event[3].isoformat(), event[5]) for event in extra) == [
        ("changed", "2025-04-10", ["UK-GHR"]),
        ("listed", "2025-04-10", ["UK-RUSSIA"]),
    ]
