"""The input fingerprint decides when matching, marts, the published copy and alerts run:
a taxonomy fix, a deleted annotations file and a second data directory sharing one Dagster
home each derive and publish; a broken taxonomy or reference CSV stops a run before any fetch.
(The real-file paths, backfill included, are in tests/test_differential.py.)"""

import os
import subprocess
import sys

import dagster as dg
import duckdb
import pytest

from pipelines.cli import main
from pipelines.definitions import defs
from tests.conftest import FIXTURES, REPO, make_mirror

TAXONOMY = REPO / "schemas" / "programmes.csv"


@pytest.fixture
def environment(monkeypatch, tmp_path):
    """A data directory and a mirror of the US fixture, no inherited settings but the
    fixtures' record-count minimum (conftest)."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("SANCTIONS_", "DAGSTER_HOME")) and "_MIN_RECORDS_" not in name:
            monkeypatch.delenv(name)
    mirror = make_mirror(tmp_path / "mirror", {"SDN.CSV": FIXTURES / "us_ofac_csv" / "SDN.CSV"})
    monkeypatch.setenv("SANCTIONS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SANCTIONS_MIRROR", str(mirror))
    monkeypatch.setenv("SANCTIONS_ALERT_JSONL", str(tmp_path / "alerts.jsonl"))
    return tmp_path


def published(data_dir, sql: str) -> list[tuple]:
    with duckdb.connect(str(data_dir / "published" / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_a_taxonomy_fix_rebuilds_and_publishes(environment, monkeypatch, capsys):
    lacking = environment / "programmes.csv"
    rows = TAXONOMY.read_text(encoding="utf-8").splitlines(keepends=True)
    lacking.write_text("".join(r for r in rows if not r.startswith("US,GLOMAG,")), "utf-8")
    monkeypatch.setenv("SANCTIONS_PROGRAMMES", str(lacking))
    assert main(["run"]) == 0
    capsys.readouterr()
    keys = "SELECT DISTINCT programme_key FROM alignment.listings WHERE record_id = 'US:1001'"
    assert published(environment / "data", keys) == [("US-UNCLASSIFIED-GLOMAG",)]
    copy = (environment / "data" / "published" / "warehouse.duckdb").read_bytes()

    lacking.write_text("jurisdiction,programme_code\nUS,GLOMAG,US-GLOMAG\n", "utf-8")
    assert main(["run"]) == 2  # a broken taxonomy: nothing fetched, nothing published changes
    assert f"reference file {lacking}: line 2: 3 fields, expected 2" in capsys.readouterr().err
    assert (environment / "data" / "published" / "warehouse.duckdb").read_bytes() == copy

    lacking.write_text("".join(rows), "utf-8")  # the analyst adds the row back
    assert main(["run"]) == 0
    out = capsys.readouterr().out
    # the history is re-hashed under the fixed taxonomy (its programme part hashes keys)
    assert "match_all: inputs changed: history/us_ofac, reference/taxonomy" in out, out
    assert "match_all: run succeeded" in out
    assert published(environment / "data", keys) == [("US-GLOMAG",)]
    derivations = published(
        environment / "data", "SELECT changed FROM meta.derivations ORDER BY started_at"
    )
    assert derivations == [(["never derived"],), (["history/us_ofac", "reference/taxonomy"],)]


def test_deleting_the_annotations_file_rebuilds_and_drops_them(environment, capsys):
    data = environment / "data"
    data.mkdir()
    (data / "annotations.csv").write_text(
        "id,field,value,source,note\nUS:1001,victim_group,journalists,NGO report,\n", "utf-8"
    )
    assert main(["run"]) == 0
    capsys.readouterr()
    assert published(data, "SELECT count(*) FROM alignment.annotations") == [(1,)]
    (data / "annotations.csv").unlink()
    assert main(["run"]) == 0
    out = capsys.readouterr().out
    assert "match_all: inputs changed: annotations" in out, out
    assert published(data, "SELECT count(*) FROM alignment.annotations") == [(0,)]
    assert main(["run"]) == 0  # absent twice is no change
    assert "match_all: skipped, no input changed" in capsys.readouterr().out

    # a Dagster run of match_all (the UI, the sensor) decides the same way, from the warehouse
    with dg.DagsterInstance.get() as instance:
        job = defs.resolve_job_def("match_all")
        unchanged = job.execute_in_process(instance=instance)
        assert unchanged.success and not unchanged.get_asset_materialization_events()
        (data / "annotations.csv").write_text("id,field,value,source,note\n", "utf-8")
        changed = job.execute_in_process(instance=instance)
        materialised = {
            e.asset_key.to_user_string() for e in changed.get_asset_materialization_events()
        }
        assert {"matching/links", "alignment/marts", "published/warehouse"} <= materialised


def test_two_data_directories_with_one_dagster_home_each_match_and_publish(environment):
    """`make run` from one checkout (whose .env pins DAGSTER_HOME) on two data directories fed
    the same files: the second one's first run must not be skipped for the first's sake."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SANCTIONS_", "DAGSTER_HOME"))
    }
    env |= {
        "SANCTIONS_MIRROR": str(environment / "mirror"),
        "SANCTIONS_MIN_RECORDS_US_OFAC": "1",
        "DAGSTER_HOME": str(environment / "one_dagster_home"),
    }
    for name in ("first", "second"):
        data = environment / name
        result = subprocess.run(
            ["make", "--no-print-directory", "-C", str(REPO), "run"],
            env=env | {"SANCTIONS_DATA_DIR": str(data)},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "match_all: never derived" in result.stdout, result.stdout
        assert "match_all: run succeeded" in result.stdout
        assert published(data, "SELECT count(*) FROM matching.clusters") == [(5,)]


@pytest.mark.parametrize(
    ("file", "content", "message"),
    [
        (
            "taxonomy",
            "jurisdiction,programme_code,programme_key,title,category\n"
            "US,GLOMAG,,Global Magnitsky,human_rights\n",
            "line 2: empty jurisdiction, code or key",
        ),
        (
            "taxonomy",
            "jurisdiction,programme_code,programme_key\nUS,GLOMAG,US-GLOMAG\n",
            "line 1: columns missing: title, category",
        ),
        ("taxonomy", "jurisdiction,programme_code\nUS,GLOMAG,extra\n", "line 2: 3 fields"),
    ],
)
def test_a_broken_taxonomy_stops_the_run_before_any_fetch(
    environment, monkeypatch, capsys, file, content, message
):
    broken = environment / "broken.csv"
    broken.write_text(content, "utf-8")
    monkeypatch.setenv("SANCTIONS_PROGRAMMES", str(broken))
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert f"reference file {broken}: {message}" in err, err
    assert not (environment / "data" / "raw").exists()  # nothing fetched
    assert not (environment / "data" / "warehouse.duckdb").exists()


def test_every_reference_csv_in_use_is_checked_naming_the_line(tmp_path):
    from sanctions.errors import ReferenceFileError
    from sanctions.reference import check_reference_files, reference_files

    files = reference_files(TAXONOMY)
    assert {"taxonomy", "countries.csv", "regions.csv", "allies.csv"} <= set(files)
    check_reference_files(files)  # the shipped files pass
    countries = tmp_path / "countries.csv"
    countries.write_text("country_code,name,aliases\nAD,Andorra,AND\n,Nowhere,\n", "utf-8")
    with pytest.raises(ReferenceFileError, match=r"countries.csv: line 3: empty country_code"):
        check_reference_files({**files, "countries.csv": countries})


HOLD_WAREHOUSE = (
    "import sys, time, duckdb; con = duckdb.connect(sys.argv[1]); print('holding', flush=True); "
    "time.sleep(120)"
)


def test_the_sensor_derives_again_when_an_analyst_changes_an_input(environment, monkeypatch):
    """Under the Dagster daemon alone (no `sanctions run`), an annotation added after the last
    derivation requests match_all at the next tick, a reference file edit requests refresh_all
    (core is re-keyed first), and a warehouse being written is looked at again later."""
    from pipelines.sensors import derive_on_analyst_inputs

    def tick():
        return derive_on_analyst_inputs(dg.build_sensor_context())

    data = environment / "data"
    assert "no warehouse" in tick().skip_message
    assert main(["run"]) == 0
    assert "as last derived" in tick().skip_message

    (data / "annotations.csv").write_text(
        "id,field,value,source,note\nUS:1001,victim_group,journalists,NGO report,\n", "utf-8"
    )
    request = tick()
    assert request.job_name == "match_all"
    assert request.tags["sanctions/changed"] == "annotations"
    assert tick().run_key == request.run_key  # the same change is requested once

    writer = subprocess.Popen(  # another process holds the file, as a run worker does
        [sys.executable, "-c", HOLD_WAREHOUSE, str(data / "warehouse.duckdb")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline() == "holding\n"
        assert "being written" in tick().skip_message
    finally:
        writer.kill()
        writer.wait()

    taxonomy = environment / "programmes.csv"
    taxonomy.write_text(TAXONOMY.read_text(encoding="utf-8") + "US,NEWTAG,US-NEWTAG,New,other\n")
    monkeypatch.setenv("SANCTIONS_PROGRAMMES", str(taxonomy))
    request = tick()
    assert request.job_name == "refresh_all"
    assert request.tags["sanctions/changed"] == "annotations, reference/taxonomy"

    assert main(["run"]) == 0
    assert "as last derived" in tick().skip_message
