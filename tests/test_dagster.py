"""Dagster as a data engineer meets it: switching on the one daily schedule keeps every asset
fresh (the sensors already run), an unchanged refresh is no new data downstream, and a failed
`sanctions run` sends a failure notice to the alert sinks."""

import json

import dagster as dg
import pytest

from assets.matching import LINKS
from pipelines.cli import main
from pipelines.definitions import defs
from tests.conftest import FIXTURES, make_mirror

DOWNSTREAM = {
    dg.AssetKey(path)
    for path in (
        ["matching", "links"],
        ["matching", "clusters"],
        ["alignment", "marts"],
        ["published", "warehouse"],
        ["alerts", "alerts"],
        ["alerts", "deliveries"],
    )
}


@pytest.fixture
def mirror(environment):
    """The shared environment's mirror (conftest) of the US fixture, with the UK's beside it."""
    return make_mirror(
        environment / "mirror", {"ConList.csv": FIXTURES / "uk" / "ConList.csv"}, "uk_fcdo"
    )


def requested(result) -> set[dg.AssetKey]:
    return {key for key in DOWNSTREAM if result.get_num_requested(key)}


def loaded_cores(result) -> bool:
    cores = {
        event.asset_key.path[-1]
        for event in result.get_asset_materialization_events()
        if event.asset_key.path[0] == "core"
    }
    return cores == {"us_ofac", "uk_fcdo"}


def test_the_daily_schedule_alone_keeps_every_downstream_asset_fresh(mirror):
    schedules = list(defs.schedules)
    assert [s.name for s in schedules] == ["daily_refresh"]
    assert all(
        sensor.default_status == dg.DefaultSensorStatus.RUNNING for sensor in defs.sensors
    ), "every sensor must run without being switched on"
    with dg.instance_for_test() as instance:
        tick = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        assert requested(tick) == set()  # nothing loaded yet: nothing to match

        # the schedule's tick asks for refresh_all; run it as the daemon would. The mirror
        # holds two of the six sources: the others fail, and matching still follows
        request = schedules[0].evaluate_tick(dg.build_schedule_context(instance=instance))
        assert request.run_requests and schedules[0].job_name == "refresh_all"
        refresh = defs.resolve_job_def("refresh_all")
        assert loaded_cores(refresh.execute_in_process(instance=instance, raise_on_error=False))

        tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
        assert requested(tick) == DOWNSTREAM  # one tick: matching and everything after it
        downstream = defs.resolve_implicit_global_asset_job_def()
        assert downstream.execute_in_process(
            instance=instance, asset_selection=sorted(DOWNSTREAM, key=str)
        ).success
        tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
        assert requested(tick) == set()

        # the next day's refresh finds the same files: core materialises "unchanged" with the
        # same data version, so nothing downstream is requested
        assert loaded_cores(refresh.execute_in_process(instance=instance, raise_on_error=False))
        tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
        assert requested(tick) == set()

        # a new US file: a new snapshot id, matching and everything after it again
        changed = (FIXTURES / "us_ofac_csv" / "SDN.CSV").read_bytes().replace(b"PETROV", b"PETROW")
        (mirror / "us_ofac" / "SDN.CSV").write_bytes(changed)
        assert loaded_cores(refresh.execute_in_process(instance=instance, raise_on_error=False))
        tick = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=tick.cursor)
        assert requested(tick) == DOWNSTREAM


def test_core_assets_carry_a_freshness_policy_and_versions():
    graph = defs.resolve_asset_graph()
    for source_id in ("us_ofac", "uk_fcdo", "eu_fsf"):
        node = graph.get(dg.AssetKey(["core", source_id]))
        assert node.freshness_policy is not None
        assert graph.get(dg.AssetKey(["staging", source_id])).code_version
    assert graph.get(LINKS).code_version.startswith("rules-")


def test_an_unchanged_sanctions_run_skips_matching_until_judgements_annotations_or_matcher_change(
    mirror, capsys, monkeypatch
):
    assert main(["run"]) == 0
    first = capsys.readouterr().out
    assert "match_all: never derived" in first and "match_all: run succeeded" in first
    assert main(["run"]) == 0
    assert "match_all: skipped, no input changed since the last derivation" in (
        capsys.readouterr().out
    )
    assert main(["judge", "US:1001", "UK:90001", "different", "--author", "test"]) == 0
    capsys.readouterr()
    assert main(["run"]) == 0
    again = capsys.readouterr().out
    assert "match_all: inputs changed: judgements" in again and "run succeeded" in again
    (mirror.parent / "data" / "annotations.csv").write_text("id,field,value,source,note\n")
    assert main(["run"]) == 0
    assert "match_all: inputs changed: annotations" in capsys.readouterr().out
    monkeypatch.setattr("sanctions.fingerprint.MATCHER_CODE_VERSION", "rules-1-edited")
    assert main(["run"]) == 0
    assert "match_all: inputs changed: code/matcher" in capsys.readouterr().out


def test_a_failed_sanctions_run_sends_a_failure_notice_to_the_jsonl_sink(mirror, tmp_path, capsys):
    (mirror / "us_ofac" / "SDN.CSV").write_bytes(b"<html>Service unavailable</html>")
    assert main(["run"]) == 1
    assert "FAILED" in capsys.readouterr().out
    notices = [
        json.loads(line)
        for line in (tmp_path / "alerts.jsonl").read_text().splitlines()
        if json.loads(line).get("kind") == "run_failure"
    ]
    assert len(notices) == 1
    notice = notices[0]
    assert notice["job"] == "sanctions run" and notice["run_id"]
    assert "us_ofac" in notice["message"] and "SDN.CSV" in notice["message"]
