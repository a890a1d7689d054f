"""Settings from environment variables (and a `.env` file in the working directory).

Every variable is listed, with its default, in `.env.example` and the README.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sanctions.fetch import HttpOptions
from sanctions.sources import SOURCES, Source


def _number(environ: Mapping[str, str], name: str, default: float) -> float:
    value = environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ValueError(f"setting {name}={value!r} is not a number") from exc


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    mirror: str | None = None
    url_overrides: dict[str, str] = field(default_factory=dict)
    http: HttpOptions = field(default_factory=HttpOptions)
    record_bounds: dict[str, tuple[int, int]] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> Settings:
        env = os.environ if environ is None else environ
        defaults = HttpOptions()
        http = HttpOptions(
            connect_timeout=_number(
                env, "SANCTIONS_HTTP_CONNECT_TIMEOUT", defaults.connect_timeout
            ),
            read_timeout=_number(env, "SANCTIONS_HTTP_READ_TIMEOUT", defaults.read_timeout),
            retries=int(_number(env, "SANCTIONS_HTTP_RETRIES", defaults.retries)),
            backoff_seconds=_number(env, "SANCTIONS_HTTP_BACKOFF", defaults.backoff_seconds),
            max_backoff_seconds=_number(
                env, "SANCTIONS_HTTP_MAX_BACKOFF", defaults.max_backoff_seconds
            ),
            max_bytes=int(_number(env, "SANCTIONS_HTTP_MAX_BYTES", defaults.max_bytes)),
            user_agent=env.get("SANCTIONS_HTTP_USER_AGENT") or None,
        )
        url_overrides, bounds = {}, {}
        for source in SOURCES.values():
            suffix = source.id.upper()
            if env.get(f"SANCTIONS_URL_{suffix}"):
                url_overrides[source.id] = env[f"SANCTIONS_URL_{suffix}"]
            bounds[source.id] = (
                int(_number(env, f"SANCTIONS_MIN_RECORDS_{suffix}", source.min_records)),
                int(_number(env, f"SANCTIONS_MAX_RECORDS_{suffix}", source.max_records)),
            )
        values = {
            "data_dir": Path(env.get("SANCTIONS_DATA_DIR") or "data").resolve(),
            "mirror": env.get("SANCTIONS_MIRROR") or None,
            "url_overrides": url_overrides,
            "http": http,
            "record_bounds": bounds,
        }
        values.update({key: value for key, value in overrides.items() if value is not None})
        values["data_dir"] = Path(values["data_dir"]).resolve()
        return cls(**values)

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def alert_baseline(self) -> bool:
        """Whether a source's first snapshot sets a baseline instead of alerting on everything."""
        return os.environ.get("SANCTIONS_ALERT_BASELINE", "true").lower() not in (
            "0",
            "false",
            "no",
        )

    def alert_sinks(self) -> list:
        """The JSON-lines file (always) and the webhook (when SANCTIONS_ALERT_WEBHOOK is set)."""
        from sanctions.alerts import JsonLinesSink, WebhookSink

        jsonl = os.environ.get("SANCTIONS_ALERT_JSONL")
        sinks: list = [JsonLinesSink(Path(jsonl) if jsonl else self.data_dir / "alerts.jsonl")]
        if url := os.environ.get("SANCTIONS_ALERT_WEBHOOK"):
            slack = os.environ.get("SANCTIONS_ALERT_WEBHOOK_FORMAT", "json").lower() == "slack"
            sinks.append(WebhookSink(url, slack=slack))
        return sinks

    @property
    def annotations_path(self) -> Path:
        """The analysts' annotations CSV (SANCTIONS_ANNOTATIONS, default <data>/annotations.csv)."""
        configured = os.environ.get("SANCTIONS_ANNOTATIONS")
        return Path(configured) if configured else self.data_dir / "annotations.csv"

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
