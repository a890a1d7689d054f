"""The `sanctions` command as a user meets it: bad input stops early with one line and exit
code 2, a partial mirror skips what it lacks, failures are one line each, and `sanctions sql`
reads the published copy."""

import os
import socket
import subprocess
import sys

import pytest

from pipelines.cli import main
from sanctions.fetch import MIRROR_HINT
from tests.conftest import FIXTURES, make_mirror

SMALL_LISTS = {"SANCTIONS_MIN_RECORDS_US_OFAC": "1", "SANCTIONS_MIN_RECORDS_EU_FSF": "1"}


def sanctions(*args, cwd, env=None, stdin=None) -> subprocess.CompletedProcess:
    """Run the installed command as a user would, in a clean environment of its own."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("SANCTIONS_", "DAGSTER"))}
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        cwd=cwd,
        env={**environ, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """In-process runs: no .env, no inherited settings, and a data directory under tmp_path."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("SANCTIONS_", "DAGSTER_HOME")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SANCTIONS_DATA_DIR", str(tmp_path / "data"))
    return monkeypatch


def only_error_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.out + captured.err
    return lines[0]


def test_a_typo_in_a_source_id_names_the_value_and_the_choices(clean_env, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["run", "--source", "us_ofca"])
    assert stopped.value.code == 2
    line = only_error_line(capsys)
    assert "'us_ofca'" in line and "us_ofac" in line and "eu_fsf" in line


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("SANCTIONS_HTTP_CONNECT_TIMEOUT", "ten", "expected a number of seconds"),
        ("SANCTIONS_HTTP_READ_TIMEOUT", "-5", "expected a number of seconds (0 or more)"),
        ("SANCTIONS_HTTP_RETRIES", "2.5", "a whole number"),
        ("SANCTIONS_MAX_RECORDS_UK_FCDO", "lots", "a whole number"),
        ("SANCTIONS_ALERT_WEBHOOK_FORMAT", "xml", "expected one of json, slack"),
        ("SANCTIONS_ALERT_BASELINE", "maybe", "expected one of 1, true, yes, on, 0, false"),
    ],
)
def test_a_broken_setting_stops_before_any_fetch(
    clean_env, tmp_path, capsys, name, value, expected
):
    clean_env.setenv(name, value)
    assert main(["run"]) == 2
    line = only_error_line(capsys)
    assert line.startswith(f"sanctions: setting {name}={value!r}: ") and expected in line
    assert not (tmp_path / "data").exists(), "nothing may be fetched or created"


def test_a_mirror_that_does_not_exist(clean_env, tmp_path, capsys):
    clean_env.setenv("SANCTIONS_MIRROR", str(tmp_path / "no-such-mirror"))
    assert main(["run"]) == 2
    line = only_error_line(capsys)
    assert f"SANCTIONS_MIRROR='{tmp_path / 'no-such-mirror'}'" in line
    assert "an existing directory" in line and "<mirror>/<source id>/" in line


def test_a_data_directory_that_cannot_be_created(clean_env, tmp_path, capsys):
    (tmp_path / "a-file").write_text("not a directory")
    clean_env.setenv("SANCTIONS_DATA_DIR", str(tmp_path / "a-file" / "data"))
    assert main(["run"]) == 2
    line = only_error_line(capsys)
    assert "SANCTIONS_DATA_DIR=" in line and "can create and write (Not a directory)" in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only directories")
def test_a_data_directory_that_is_not_writable(clean_env, tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    clean_env.setenv("SANCTIONS_DATA_DIR", str(locked))
    assert main(["replay", "us_ofac", str(tmp_path)]) == 2
    assert "(Permission denied)" in only_error_line(capsys)


@pytest.fixture(scope="module")
def partial_run(tmp_path_factory):
    """A mirror holding the US and EU only (hand-written files): the others are skipped."""
    root = tmp_path_factory.mktemp("partial")
    mirror = make_mirror(root / "mirror", {p.name: p for p in (FIXTURES / "us_ofac_csv").iterdir()})
    make_mirror(mirror, {"fsf.xml": FIXTURES / "eu_fsf" / "fsf.xml"}, "eu_fsf")
    env = {"SANCTIONS_MIRROR": str(mirror), "SANCTIONS_DATA_DIR": str(root / "data"), **SMALL_LISTS}
    return sanctions("run", cwd=root, env=env), root / "data"


def test_a_partial_mirror_skips_what_it_lacks_and_succeeds(partial_run):
    done, _ = partial_run
    assert done.returncode == 0, done.stdout + done.stderr
    for source_id in ("ca_sema", "uk_fcdo"):
        assert f"{source_id}: not in the mirror, skipped; last good snapshot kept\n" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr and done.stderr == ""
    assert "core/us_ofac        published    5" in done.stdout
    assert "match_all: run succeeded" in done.stdout


def test_the_summary_states_the_feed_and_each_publication_date(partial_run):
    done, _ = partial_run
    lines = done.stdout.splitlines()
    us_feed = lines[lines.index(next(x for x in lines if x.startswith("raw/us_ofac"))) + 1]
    eu_feed = lines[lines.index(next(x for x in lines if x.startswith("raw/eu_fsf"))) + 1]
    assert us_feed.startswith("    mirror ") and us_feed.split(";")[0].endswith("/us_ofac")
    # the OFAC CSV states no date: the fetch date is given as such, never as a publication date
    assert "; fetched on 20" in us_feed and "(the file states no publication date)" in us_feed
    assert eu_feed.endswith("/eu_fsf; published 2026-11-20 (as the file states)")


def test_a_bad_file_in_a_mirror_folder_fails_the_run_in_one_line(tmp_path):
    mirror = make_mirror(
        tmp_path / "mirror", {"fsf.xml": b"<html><body>Service unavailable"}, "eu_fsf"
    )
    env = {"SANCTIONS_MIRROR": str(mirror), "SANCTIONS_DATA_DIR": str(tmp_path / "data")}
    done = sanctions("run", "--source", "eu_fsf", cwd=tmp_path, env=env)
    assert done.returncode == 1
    failures = [line for line in done.stdout.splitlines() if "FAILED" in line]
    assert failures == [
        "FAILED raw__eu_fsf: eu_fsf: xmlFullSanctionsList_1_1.xml: an HTML page was served "
        "instead of the list (starts with '<html><body>service unavailable')",
        "refresh_all: run FAILED",
    ]
    assert "Traceback" not in done.stdout + done.stderr and "Stack Trace" not in done.stdout

    debug = sanctions("run", "--source", "eu_fsf", "--debug", cwd=tmp_path, env=env)
    assert debug.returncode == 1 and "Stack Trace" in debug.stdout + debug.stderr


def test_a_network_failure_is_one_line_with_the_retries_summarised(tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        mirror = f"http://127.0.0.1:{probe.getsockname()[1]}"
    env = {
        "SANCTIONS_MIRROR": mirror,
        "SANCTIONS_DATA_DIR": str(tmp_path / "data"),
        "SANCTIONS_HTTP_RETRIES": "2",
        "SANCTIONS_HTTP_BACKOFF": "0.01",
    }
    done = sanctions("run", "--source", "uk_fcdo", cwd=tmp_path, env=env)
    assert done.returncode == 1
    failures = [line for line in done.stdout.splitlines() if line.startswith("FAILED")]
    assert len(failures) == 1, done.stdout
    assert failures[0].startswith(
        f"FAILED raw__uk_fcdo: uk_fcdo: UK-Sanctions-List.xml: gave up on "
        f"{mirror}/uk_fcdo/UK-Sanctions-List.xml: 2 attempts over "
    )  # a mirror on this machine that refuses: one retry only, and a hint
    assert failures[0].endswith(f"[Errno 111] Connection refused (2 times); {MIRROR_HINT}")
    assert failures[0].count("connection failed: NewConnectionError") == 1
    assert "Traceback" not in done.stdout + done.stderr and "retrying" not in done.stdout


def test_sql_prints_a_table_from_the_published_copy(partial_run):
    _, data = partial_run
    env = {"SANCTIONS_DATA_DIR": str(data)}
    query = "SELECT source_id, count(*) AS records FROM core.records GROUP BY 1 ORDER BY 1"
    shown = sanctions("sql", query, cwd=data.parent, env=env)
    assert shown.returncode == 0, shown.stderr
    rows = [line for line in shown.stdout.splitlines() if "│" in line]
    assert [cell.split() for cell in rows[2:]] == [
        ["│", "eu_fsf", "│", "2", "│"],
        ["│", "us_ofac", "│", "5", "│"],
    ]


def test_sql_is_read_only_and_reports_errors_in_one_line(partial_run):
    _, data = partial_run
    env = {"SANCTIONS_DATA_DIR": str(data)}
    refused = sanctions("sql", "DELETE FROM core.records", cwd=data.parent, env=env)
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: ") and "read-only" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


def test_sql_interactive_reads_statements_over_several_lines(partial_run):
    _, data = partial_run
    session = "SELECT count(*)\n  AS records FROM core.records;\nSELECT nope;\n.quit\n"
    shown = sanctions("sql", cwd=data.parent, env={"SANCTIONS_DATA_DIR": str(data)}, stdin=session)
    assert shown.returncode == 0
    assert "records" in shown.stdout and "│       7 │" in shown.stdout
    assert shown.stderr.startswith('error: Binder Error: Referenced column "nope" was not found')


def test_sql_without_a_published_copy_says_what_to_run(tmp_path):
    done = sanctions("sql", "SELECT 1", cwd=tmp_path, env={"SANCTIONS_DATA_DIR": str(tmp_path)})
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"no published copy at {tmp_path}/published/warehouse.duckdb: run `sanctions run` first"
    )
