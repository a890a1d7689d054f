"""What keeps the downstream assets fresh without any sensor to switch on, and the versions that
tell Dagster when nothing changed.

The daily schedule (or a run launched by hand) refreshes `core/<source>`; each core asset
records the snapshot id as its data version. Matching runs when a core data version changed
(not on every refresh: an unchanged list is no new materialisation downstream), when its own
code changed, or when it was never built; everything after matching follows it eagerly. The
automation sensor that evaluates these conditions starts running with the code location.
"""

import hashlib
import inspect
from types import ModuleType

import dagster as dg

AC = dg.AutomationCondition

ON_NEW_SNAPSHOT = (
    (
        AC.newly_missing()
        | AC.code_version_changed()
        | AC.any_deps_match(AC.data_version_changed() | AC.will_be_requested())
    ).since_last_handled()
    # match on what core holds even when a source has never loaded (unlike eager())
    & ~AC.all_deps_match(AC.missing())
    & ~AC.any_deps_in_progress()
    & ~AC.in_progress()
).with_label("on_new_snapshot")

AFTER_UPSTREAM = AC.eager()

automation_sensor = dg.AutomationConditionSensorDefinition(
    "keep_downstream_fresh",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Matches, rebuilds the marts, publishes the copy and alerts after a refresh "
    "that brought a new snapshot; runs from the start (no switch to turn on).",
)


def code_version(*modules: ModuleType) -> str:
    """A hash of the modules' source: changes exactly when their code does, no number to bump.
    A module built at run time (no source file) is hashed by its functions' byte code."""
    digest = hashlib.sha256()
    for module in modules:
        try:
            digest.update(inspect.getsource(module).encode())
        except (OSError, TypeError):
            for name, value in sorted(vars(module).items()):
                if inspect.isfunction(value):
                    digest.update(name.encode() + value.__code__.co_code)
    return digest.hexdigest()[:12]
