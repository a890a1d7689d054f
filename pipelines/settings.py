"""Settings from environment variables (and a `.env` file in the working directory).

Every variable is listed, with its default, in `.env.example` and the README.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sanctions.alerts import (
    DEFAULT_MAX_AGE_DAYS,
    DEFAULT_MAX_WAIT_DAYS,
    JsonLinesSink,
    Subscriber,
    WebhookSink,
)
from sanctions.allies import allies_path, read_allies
from sanctions.errors import SettingsError
from sanctions.fetch import HttpOptions
from sanctions.locations import is_url
from sanctions.scopes import Scope, load_scopes
from sanctions.sources import SOURCES, Source, freshness_hours, record_bounds
from sanctions.subscriptions import load_subscriptions

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")
WEBHOOK_FORMATS = ("json", "slack")


def _value(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name)
    return None if value is None or value.strip() == "" else value.strip()


def _number(
    environ: Mapping[str, str], name: str, default: float, expected: str = "a number of seconds"
) -> float:
    value = _value(environ, name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number >= 0 or number == float("inf"):
        raise SettingsError(name, value, f"{expected} (0 or more), e.g. {default:g}")
    return number


def _whole(environ: Mapping[str, str], name: str, default: int, expected: str) -> int:
    value = _value(environ, name)
    if value is None:
        return default
    if not value.replace("_", "").isdigit():
        raise SettingsError(name, value, f"{expected} (a whole number, 0 or more), e.g. {default}")
    return int(value)


def _choice(environ: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    value = _value(environ, name)
    if value is None:
        return default
    if value.lower() not in choices:
        raise SettingsError(name, value, "one of " + ", ".join(choices))
    return value.lower()


def _flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    value = _choice(environ, name, TRUE_WORDS + FALSE_WORDS, "true" if default else "false")
    return value in TRUE_WORDS


def _check_allies(environ: Mapping[str, str]) -> None:
    """The allies file in use (schemas/allies.csv or SANCTIONS_ALLIES) is checked before any
    fetch: an unknown jurisdiction or country code names the file and the line."""
    path = allies_path(environ)
    try:
        read_allies(path)
    except ValueError as exc:
        raise SettingsError("SANCTIONS_ALLIES", str(path), f"a valid allies file ({exc})") from exc


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    mirror: str | None = None
    url_overrides: dict[str, str] = field(default_factory=dict)
    http: HttpOptions = field(default_factory=HttpOptions)
    record_bounds: dict[str, tuple[int, int]] = field(default_factory=dict)
    alert_baseline: bool = True  # a source's first snapshot sets a baseline, no alerts
    alert_jsonl: Path | None = None
    alert_webhook: str | None = None
    alert_webhook_format: str = "json"
    annotations_file: Path | None = None
    scopes: tuple[Scope, ...] = ()  # checked on reading; empty: schemas/scopes.csv
    # alerts: how long an event waits for the other lists, the age past which it is history,
    # and who receives what (SANCTIONS_SUBSCRIPTIONS; None: every alert to the default sinks)
    alert_max_wait_days: int = DEFAULT_MAX_WAIT_DAYS
    alert_max_age_days: int = DEFAULT_MAX_AGE_DAYS
    subscriptions: tuple[Subscriber, ...] | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> Settings:
        """Read and check every variable, so a typo stops a run before anything is fetched."""
        env = os.environ if environ is None else environ
        defaults = HttpOptions()
        http = HttpOptions(
            connect_timeout=_number(
                env, "SANCTIONS_HTTP_CONNECT_TIMEOUT", defaults.connect_timeout
            ),
            read_timeout=_number(env, "SANCTIONS_HTTP_READ_TIMEOUT", defaults.read_timeout),
            retries=_whole(env, "SANCTIONS_HTTP_RETRIES", defaults.retries, "a count of retries"),
            backoff_seconds=_number(env, "SANCTIONS_HTTP_BACKOFF", defaults.backoff_seconds),
            max_backoff_seconds=_number(
                env, "SANCTIONS_HTTP_MAX_BACKOFF", defaults.max_backoff_seconds
            ),
            max_bytes=_whole(env, "SANCTIONS_HTTP_MAX_BYTES", defaults.max_bytes, "bytes"),
            user_agent=_value(env, "SANCTIONS_HTTP_USER_AGENT"),
        )
        url_overrides, bounds = {}, {}
        for source in SOURCES.values():
            suffix = source.id.upper()
            if override := _value(env, f"SANCTIONS_URL_{suffix}"):
                url_overrides[source.id] = override
            bounds[source.id] = record_bounds(source, env)
            freshness_hours(source, env)  # checked here, before any fetch
        _check_allies(env)
        jsonl = _value(env, "SANCTIONS_ALERT_JSONL")
        annotations = _value(env, "SANCTIONS_ANNOTATIONS")
        scopes_file = _value(env, "SANCTIONS_SCOPES")
        values = {
            "data_dir": Path(_value(env, "SANCTIONS_DATA_DIR") or "data"),
            "mirror": _value(env, "SANCTIONS_MIRROR"),
            "url_overrides": url_overrides,
            "http": http,
            "record_bounds": bounds,
            "alert_baseline": _flag(env, "SANCTIONS_ALERT_BASELINE", True),
            "alert_jsonl": Path(jsonl) if jsonl else None,
            "alert_webhook": _value(env, "SANCTIONS_ALERT_WEBHOOK"),
            "alert_webhook_format": _choice(
                env, "SANCTIONS_ALERT_WEBHOOK_FORMAT", WEBHOOK_FORMATS, "json"
            ),
            "annotations_file": Path(annotations) if annotations else None,
            # validated here, before any fetch: a bad file stops the run naming its line
            "scopes": load_scopes(Path(scopes_file) if scopes_file else None),
            "alert_max_wait_days": _whole(
                env, "SANCTIONS_ALERT_MAX_WAIT_DAYS", DEFAULT_MAX_WAIT_DAYS, "a number of days"
            ),
            "alert_max_age_days": _whole(
                env, "SANCTIONS_ALERT_MAX_AGE_DAYS", DEFAULT_MAX_AGE_DAYS, "a number of days"
            ),
        }
        if subscriptions := _value(env, "SANCTIONS_SUBSCRIPTIONS"):
            values["subscriptions"] = load_subscriptions(
                Path(subscriptions).resolve(), values["scopes"]
            )
        values.update({key: value for key, value in overrides.items() if value is not None})
        values["data_dir"] = Path(values["data_dir"]).resolve()
        return cls(**values)

    def check_paths(self) -> None:
        """Before a run writes anything: the mirror exists and the data directory is writable."""
        if self.mirror and not is_url(self.mirror) and not Path(self.mirror).is_dir():
            raise SettingsError(
                "SANCTIONS_MIRROR",
                self.mirror,
                "an existing directory (or an http(s):// base URL) laid out as "
                "<mirror>/<source id>/<official file name>",
            )
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.data_dir):
                pass
        except OSError as exc:
            raise SettingsError(
                "SANCTIONS_DATA_DIR",
                str(self.data_dir),
                f"a directory this user can create and write ({exc.strerror})",
            ) from exc

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    def subscribers(self) -> list[Subscriber]:
        """The subscriptions file's subscribers; without one, every alert to the JSON-lines
        file (always) and to the webhook (when SANCTIONS_ALERT_WEBHOOK is set)."""
        if self.subscriptions is not None:
            return list(self.subscriptions)
        jsonl = JsonLinesSink(self.alert_jsonl or self.data_dir / "alerts.jsonl")
        chosen = [Subscriber(jsonl.name, jsonl)]
        if self.alert_webhook:
            webhook = WebhookSink(self.alert_webhook, slack=self.alert_webhook_format == "slack")
            chosen.append(Subscriber(webhook.name, webhook))
        return chosen

    def alert_sinks(self) -> list:
        """Every sink in use, once each (run-failure notices go to all of them)."""
        return list(dict.fromkeys(subscriber.sink for subscriber in self.subscribers()))

    @property
    def annotations_path(self) -> Path:
        """The analysts' annotations CSV (SANCTIONS_ANNOTATIONS, default <data>/annotations.csv)."""
        return self.annotations_file or self.data_dir / "annotations.csv"

    @property
    def published_path(self) -> Path:
        """The analysts' read-only copy, replaced atomically after each successful run."""
        return self.data_dir / "published" / "warehouse.duckdb"

    @property
    def archive_root(self) -> Path:
        return self.data_dir / "raw"

    @property
    def dagster_home(self) -> Path:
        return self.data_dir / "dagster_home"

    def reference_files(self) -> dict[str, Path]:
        """The taxonomy in use (SANCTIONS_PROGRAMMES or schemas/programmes.csv) and every
        reference CSV: inputs of every derived table, checked before any fetch."""
        from sanctions import programmes, reference

        files = reference.reference_files(programmes.taxonomy_path())
        files["allies.csv"] = allies_path(os.environ)  # SANCTIONS_ALLIES names another copy
        return files

    def check_reference_files(self) -> None:
        """Raise ReferenceFileError naming the file, the line and the problem."""
        from sanctions import reference

        reference.check_reference_files(self.reference_files())

    def bounds_for(self, source: Source) -> tuple[int, int]:
        return self.record_bounds.get(source.id, (source.min_records, source.max_records))


DAGSTER_INSTANCE_YAML = """\
# Written by the sanctions pipeline. Telemetry off; one run at a time (DuckDB has one writer).
telemetry:
  enabled: false
concurrency:
  runs:
    max_concurrent_runs: 1
"""


def prepare_dagster_home(settings: Settings, environ=os.environ) -> Path:
    """Default DAGSTER_HOME to <data>/dagster_home and write its dagster.yaml if missing."""
    home = Path(environ.get("DAGSTER_HOME") or settings.dagster_home)
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_INSTANCE_YAML, encoding="utf-8")
    environ["DAGSTER_HOME"] = str(home)
    environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    return home


if __name__ == "__main__":
    # `make install`: create the persistent Dagster home that `dg dev` / `dagster dev` use
    from dotenv import load_dotenv

    load_dotenv(".env")
    try:
        print(f"Dagster home: {prepare_dagster_home(Settings.from_env())}")
    except SettingsError as exc:
        raise SystemExit(f"sanctions: {exc}") from None
