"""The subscriptions file and the alert settings are checked before any fetch: a bad one stops
`sanctions run` in one line naming the file, the subscriber and the problem."""

import os

import pytest

from pipelines.cli import main
from pipelines.settings import Settings
from sanctions.alerts import JsonLinesSink, WebhookSink
from sanctions.scopes import SCOPES_CSV
from sanctions.subscriptions import SubscriptionError

GOOD = """
[[subscriber]]
name = "uk-desk"
sink = "alerts/uk.jsonl"
jurisdictions = ["UK"]
scopes = ["strict"]

[[subscriber]]
name = "analysts"
sink = "slack+https://hooks.example.org/T000/B000"
kinds = ["follow_on", "divergence"]
countries = ["RU", "ZW"]
programmes = ["US-GLOMAG", "UK-GHR"]
target_types = ["person"]

[[subscriber]]
name = "archive"
sink = "https://archive.example.org/alerts"
"""


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("SANCTIONS_", "DAGSTER_HOME")) and "_MIN_RECORDS_" not in name:
            monkeypatch.delenv(name)
    monkeypatch.setenv("SANCTIONS_DATA_DIR", str(tmp_path / "data"))
    return monkeypatch


def test_a_subscriptions_file_gives_each_subscriber_its_sink_and_filters(tmp_path):
    path = tmp_path / "conf" / "subscriptions.toml"
    path.parent.mkdir()
    path.write_text(GOOD, encoding="utf-8")
    desk, analysts, archive = Settings.from_env(
        {"SANCTIONS_SUBSCRIPTIONS": str(path)}
    ).subscribers()
    assert desk.sink == JsonLinesSink(path.parent / "alerts/uk.jsonl", name="uk-desk")
    assert (desk.jurisdictions, desk.scopes, desk.kinds) == (("UK",), ("strict",), None)
    assert analysts.sink == WebhookSink(
        "https://hooks.example.org/T000/B000", True, name="analysts"
    )
    assert analysts.countries == ("RU", "ZW") and analysts.target_types == ("person",)
    assert archive.sink == WebhookSink("https://archive.example.org/alerts", name="archive")


def test_without_a_subscriptions_file_every_alert_goes_to_the_default_sinks(tmp_path):
    settings = Settings.from_env(
        {"SANCTIONS_DATA_DIR": str(tmp_path), "SANCTIONS_ALERT_WEBHOOK": "https://h.example/x"}
    )
    names = [(s.name, type(s.sink).__name__, s.filters()) for s in settings.subscribers()]
    everything = dict.fromkeys(
        ("jurisdictions", "kinds", "scopes", "countries", "programmes", "target_types")
    )
    assert names == [
        ("jsonl", "JsonLinesSink", everything),
        ("webhook", "WebhookSink", everything),
    ]


def test_a_scope_of_the_scopes_file_in_use_is_accepted_and_an_unknown_one_refused(tmp_path):
    subscriptions = tmp_path / "subscriptions.toml"
    subscriptions.write_text(GOOD.replace('["strict"]', '["us_glomag"]'), encoding="utf-8")
    scopes = tmp_path / "scopes.csv"
    scopes.write_text(
        SCOPES_CSV.read_text(encoding="utf-8") + "us_glomag,US-GLOMAG,US Global Magnitsky\n",
        encoding="utf-8",
    )
    env = {"SANCTIONS_SUBSCRIPTIONS": str(subscriptions), "SANCTIONS_SCOPES": str(scopes)}
    desk = Settings.from_env(env).subscribers()[0]
    assert desk.scopes == ("us_glomag",)
    with pytest.raises(SubscriptionError) as shipped:
        Settings.from_env({"SANCTIONS_SUBSCRIPTIONS": str(subscriptions)})
    assert "unknown scope 'us_glomag' (one of: all, broad, strict)" in str(shipped.value)
    # the autonomous rule is no alert scope: alerts follow the file's rows
    subscriptions.write_text(GOOD.replace('["strict"]', '["autonomous"]'), encoding="utf-8")
    with pytest.raises(SubscriptionError, match="unknown scope 'autonomous'"):
        Settings.from_env(env)


@pytest.mark.parametrize(
    ("text", "subscriber", "problem"),
    [
        (GOOD.replace("scopes =", "scope ="), "uk-desk", "unknown key 'scope'"),
        (GOOD.replace('"alerts/uk.jsonl"', '"ftp://files.example/uk"'), "uk-desk", "ftp://"),
        (GOOD.replace('["UK"]', '["GB"]'), "uk-desk", "unknown jurisdiction 'GB'"),
        (GOOD.replace('["strict"]', '["magnitsky"]'), "uk-desk", "unknown scope 'magnitsky'"),
        (GOOD.replace('"follow_on"', '"followon"'), "analysts", "unknown kind 'followon'"),
        (GOOD.replace('"ZW"', '"Zimbabwe"'), "analysts", "unknown country 'Zimbabwe'"),
        (GOOD.replace('"US-GLOMAG"', '"GLOMAG"'), "analysts", "unknown programme 'GLOMAG'"),
        (GOOD.replace('["person"]', '["ship"]'), "analysts", "unknown target type 'ship'"),
        (GOOD.replace('"archive"', '"analysts"'), "analysts", "a second subscriber"),
        (GOOD.replace('sink = "https://archive.example.org/alerts"', ""), "archive", "sink is"),
        (GOOD.replace('["UK"]', '"UK"'), "uk-desk", "jurisdictions must be a list"),
        (GOOD + "\nsend_to = 1\n", "archive", "unknown key 'send_to'"),
        ("[[subscriber]]\nname = 'x'\nsink = \n", None, "not valid TOML"),
        ("[subscribers]\n", None, "unknown key 'subscribers'"),
    ],
)
def test_a_bad_subscriptions_file_stops_the_run_before_any_fetch(
    clean_env, tmp_path, capsys, text, subscriber, problem
):
    path = tmp_path / "subscriptions.toml"
    path.write_text(text, encoding="utf-8")
    clean_env.setenv("SANCTIONS_SUBSCRIPTIONS", str(path))
    assert main(["run"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.out + captured.err
    assert lines[0].startswith(f"sanctions: subscriptions file {path}: ")
    assert problem in lines[0]
    if subscriber:
        assert f"subscriber {subscriber!r}: " in lines[0]
    assert not (tmp_path / "data").exists(), "nothing may be fetched or created"


def test_a_missing_subscriptions_file_is_named(clean_env, tmp_path, capsys):
    clean_env.setenv("SANCTIONS_SUBSCRIPTIONS", str(tmp_path / "nowhere.toml"))
    assert main(["run"]) == 2
    line = capsys.readouterr().err.strip()
    assert f"subscriptions file {tmp_path / 'nowhere.toml'}: cannot be read" in line


@pytest.mark.parametrize("name", ["SANCTIONS_ALERT_MAX_WAIT_DAYS", "SANCTIONS_ALERT_MAX_AGE_DAYS"])
@pytest.mark.parametrize("value", ["inf", "7d", "2.5", "-1"])
def test_a_maximum_wait_or_age_that_is_not_whole_days_stops_before_any_fetch(
    clean_env, tmp_path, capsys, name, value
):
    clean_env.setenv(name, value)
    assert main(["run"]) == 2
    line = capsys.readouterr().err.strip()
    assert line.startswith(f"sanctions: setting {name}={value!r}: expected a number of days")
    assert "a whole number" in line
    assert not (tmp_path / "data").exists()


def test_whole_days_are_read():
    settings = Settings.from_env(
        {"SANCTIONS_ALERT_MAX_WAIT_DAYS": "0", "SANCTIONS_ALERT_MAX_AGE_DAYS": "3650"}
    )
    assert (settings.alert_max_wait_days, settings.alert_max_age_days) == (0, 3650)
