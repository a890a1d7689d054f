"""Failure notices: a failed run, wherever it was launched, reaches the alert sinks (the
JSON-lines file, the webhook). The daemon's run-failure sensor sends those of Dagster runs;
`sanctions run` (cron) sends its own, since sensors never see in-process runs."""

from pipelines.settings import Settings


def failure_notice(job: str, run_id: str, problems: list[str]) -> dict:
    return {
        "kind": "run_failure",
        "job": job,
        "run_id": run_id,
        "message": f"run {run_id[:8]} of {job} failed: " + "; ".join(problems),
    }


def send_notice(settings: Settings, notice: dict) -> list[str]:
    """Send to every sink; a sink that fails does not stop the others. Returns its errors."""
    from sanctions.alerts import DeliveryError

    errors = []
    for sink in settings.alert_sinks():
        try:
            sink.send(notice)
        except DeliveryError as exc:
            errors.append(f"{sink.name}: {exc}")
    return errors
