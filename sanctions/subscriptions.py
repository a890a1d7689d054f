"""The subscriptions file (TOML, one [[subscriber]] table each): who receives which alerts,
where. Read and checked in full before any fetch, so a typo stops a run, never a delivery."""

from __future__ import annotations

import csv
import re
import tomllib
from pathlib import Path

from sanctions.alerts import KINDS, JsonLinesSink, Subscriber, WebhookSink, alert_scopes
from sanctions.errors import SettingsError
from sanctions.model import ENTITY_TYPES
from sanctions.programmes import taxonomy
from sanctions.scopes import Scope, load_scopes
from sanctions.sources import SOURCES
from schemas import SCHEMA_FILES

FILTERS = {  # filter -> what one of its values is
    "jurisdictions": "jurisdiction",
    "kinds": "kind",
    "scopes": "scope",
    "countries": "country (an ISO 3166 code of schemas/countries.csv)",
    "programmes": "programme (a programme_key of the taxonomy)",
    "target_types": "target type",
}
KEYS = ("name", "sink", *FILTERS)
URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
WEBHOOK_SCHEMES = {"https": False, "http": False, "slack+https": True, "slack+http": True}


class SubscriptionError(SettingsError):
    """A subscriptions file that cannot be used: names the file, the subscriber, the problem."""

    def __init__(self, path: Path, subscriber: str | None, problem: str):
        where = f"subscriber {subscriber!r}: " if subscriber else ""
        ValueError.__init__(self, f"subscriptions file {path}: {where}{problem}")


def _allowed(in_use: tuple[Scope, ...]) -> dict[str, tuple[str, ...]]:
    """The values each filter accepts; a scope is one alerts follow in `in_use`."""
    with (SCHEMA_FILES / "countries.csv").open(encoding="utf-8", newline="") as handle:
        countries = tuple(row["country_code"] for row in csv.DictReader(handle))
    return {
        "jurisdictions": tuple(s.jurisdiction for s in SOURCES.values() if not s.reference),
        "kinds": KINDS,
        "scopes": alert_scopes(in_use),
        "countries": countries,
        "programmes": tuple(sorted({info.key for info in taxonomy().by_code.values()})),
        "target_types": ENTITY_TYPES,
    }


def sink_of(path: Path, name: str, value: object) -> JsonLinesSink | WebhookSink:
    """A JSON-lines file (relative paths from the subscriptions file's folder), an http(s)
    webhook, or a Slack webhook (slack+https://...)."""
    if not isinstance(value, str) or not value.strip():
        raise SubscriptionError(path, name, "sink must be a file path or an http(s) URL")
    scheme = URL_SCHEME.match(value)
    if scheme is None:
        return JsonLinesSink(path.parent / value, name=name)
    slack = WEBHOOK_SCHEMES.get(scheme.group(1).lower())
    if slack is None:
        raise SubscriptionError(
            path,
            name,
            f"sink {scheme.group(0)}... is neither a file path nor an http(s) URL "
            "(https://..., or slack+https://... for Slack)",
        )
    return WebhookSink(value.removeprefix("slack+"), slack=slack, name=name)


def load_subscriptions(
    path: Path, scopes_in_use: tuple[Scope, ...] | None = None
) -> tuple[Subscriber, ...]:
    """Every subscriber of the file, checked: known keys and values, unique names; a scope
    must be one of `scopes_in_use` (the SANCTIONS_SCOPES file's, default schemas/scopes.csv)
    that alerts follow."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SubscriptionError(path, None, f"cannot be read ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SubscriptionError(path, None, f"not valid TOML ({exc})") from None
    for key in document:
        if key != "subscriber":
            raise SubscriptionError(path, None, f"unknown key {key!r} (expected [[subscriber]])")
    tables = document.get("subscriber")
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise SubscriptionError(path, None, "no [[subscriber]] table")
    allowed = _allowed(scopes_in_use or load_scopes())
    subscribers: list[Subscriber] = []
    for number, table in enumerate(tables, start=1):
        name = table.get("name")
        label = name if isinstance(name, str) and name.strip() else f"#{number}"
        for key in table:
            if key not in KEYS:
                raise SubscriptionError(
                    path, label, f"unknown key {key!r} (expected {', '.join(KEYS)})"
                )
        if label == f"#{number}":
            raise SubscriptionError(path, label, "name is missing or empty")
        if name in {s.name for s in subscribers}:
            raise SubscriptionError(path, name, "a second subscriber has this name")
        if "sink" not in table:
            raise SubscriptionError(path, name, "sink is missing")
        filters = {}
        for key in FILTERS:
            if key in table:
                filters[key] = _values(path, name, key, table[key], allowed[key])
        subscribers.append(Subscriber(name, sink_of(path, name, table["sink"]), **filters))
    return tuple(subscribers)


def _values(path: Path, name: str, key: str, values, allowed: tuple[str, ...]) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise SubscriptionError(path, name, f"{key} must be a list of strings")
    for value in values:
        if value not in allowed:
            what, _, hint = FILTERS[key].partition(" (")
            shown = f"({hint}" if hint else f"(one of: {', '.join(allowed)})"
            raise SubscriptionError(path, name, f"unknown {what} {value!r} {shown}")
    return tuple(values)
