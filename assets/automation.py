"""What keeps the downstream assets fresh without any sensor to switch on, and the versions that
tell Dagster when nothing changed.

The daily schedule (or a run launched by hand) refreshes `core/<source>`; each core asset
records as its data version the input fingerprint (sanctions/fingerprint.py) less the other
sources' parts. Matching is requested when a core data version changed (not on every refresh:
an unchanged list and unchanged inputs are no new data downstream), when its own code changed,
or when it was never built; it then compares the whole fingerprint with the last complete
derivation kept in the warehouse and does nothing when no input changed. Everything after
matching follows it eagerly. The automation sensor that evaluates these conditions starts
running with the code location.
"""

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
