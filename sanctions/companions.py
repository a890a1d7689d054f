"""Absent is unknown, not empty: a snapshot without an optional companion file says nothing
about the facts that file holds.

Every dated OFAC file of the past is a lone SDN.CSV: read as it is, its records would lose
their aliases (ALT.CSV), addresses (ADD.CSV) and the end of long remarks (SDN_COMMENTS.CSV),
and the history would record thousands of changes that never happened. Instead the staged
records keep their last known values for those facts (from core, or retired for a record
listed again), and the snapshot names the files it lacked (`snapshots.absent_files`), so
matching and figures use them marked as carried forward and the history sees no change.

"Last known" follows the order of the files, not of the runs: a file newer than what core
holds carries core's values forward (retired's for a record listed again); a file older than
core (a backfill, replayed oldest first) carries the values of the file staged before it, when
that one is older still; the oldest file of a backfill has nothing to carry.
"""

from __future__ import annotations

from sanctions.parsers.ofac_csv import VESSEL_COLUMNS

# Per format: the companion file, and the rows of each table that only it gives.
COMPANION_FACTS: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {
    "ofac_csv": {
        "ALT.CSV": (("names", "kind <> 'primary'"),),
        "ADD.CSV": (("addresses", "true"), ("countries", "relation = 'address'")),
        "SDN_COMMENTS.CSV": (),  # continues records.remarks: see CONTINUED_REMARKS
    },
}
# The history's parts (sanctions.history.PARTS) a companion file fills. Where a record's part
# was unknown (no file carrying it had shown the record), the first file that does, and the
# first live snapshot a backfill is spliced before, report no change in it.
COMPANION_PARTS = {
    "ALT.CSV": ("names",),
    "ADD.CSV": ("addresses", "countries"),
    "SDN_COMMENTS.CSV": ("details", "identifiers", "dates", "countries"),  # remarks' facts
}
# A record's remarks longer than OFAC's 1,000-character SDN.CSV cell were continued in
# SDN_COMMENTS.CSV: only then can the file's return change the facts of a record it was unknown
# for (a change of a shorter record is a change).
CONTINUED_AFTER = {"SDN_COMMENTS.CSV": 1000}
# The coverage fields (sanctions.quality) only a companion file fills: a snapshot without the
# file says nothing of them, so they are not judged, neither against floors nor against the
# published snapshot.
COVERAGE_FIELDS = {
    "ALT.CSV": ("aliases", "weak aliases"),
    "ADD.CSV": ("addresses", "countries (address)"),
    "SDN_COMMENTS.CSV": (),  # only continues remarks SDN.CSV gives
}
# Formats whose long remarks continue in a companion file: without it, the SDN.CSV cell is
# the start of the remarks last known, and the known whole is kept.
CONTINUED_REMARKS = {"ofac_csv": "SDN_COMMENTS.CSV"}
# Per format: the rows of each table read from the remarks (the parser's remark facts, gender
# aside). Where the known whole of the remarks is kept, so are the facts read from it: the cut
# cell would lose those of the continuation and read its last item half. Vessel flags are read
# from both a column and the remarks ("Other Vessel Flag"): the column's are kept.
REMARK_FACTS = {
    "ofac_csv": (
        ("identifiers", "true"),
        ("birth_dates", "true"),
        ("attributes", f"attribute NOT IN {tuple(name for _, name in VESSEL_COLUMNS)}"),
        ("countries", "relation NOT IN ('address', 'flag')"),
    ),
}

PUBLISHED = """(SELECT * FROM core.{table} WHERE source_id = $source
                UNION ALL BY NAME
                SELECT * FROM retired.{table} WHERE source_id = $source)"""
PREVIOUSLY_STAGED = "(SELECT * FROM c_previous_{table} WHERE source_id = $source)"
TABLES = ("records", "names", "addresses", "countries", "identifiers", "birth_dates", "attributes")
SNAPSHOT_DATE = "coalesce(published_on::TIMESTAMPTZ, fetched_at)"


def keep_previous(con, source_id: str) -> None:
    """Before staging a snapshot, keep the source's staged rows that a later file may carry
    forward (temp tables c_previous_*), with the staged snapshot's date."""
    for table in (*TABLES, "snapshots"):
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE c_previous_{table} AS
                SELECT * FROM staging.{table} WHERE source_id = ?""",
            [source_id],
        )


def _last_known(con, source_id: str) -> str | None:
    """Where the staged snapshot's last known values are (see the module docstring)."""
    staged, published, previous = con.execute(
        f"""SELECT (SELECT {SNAPSHOT_DATE} FROM staging.snapshots WHERE source_id = $source),
                   (SELECT max({SNAPSHOT_DATE}) FROM core.snapshots WHERE source_id = $source),
                   (SELECT {SNAPSHOT_DATE} FROM c_previous_snapshots)""",
        {"source": source_id},
    ).fetchall()[0]
    if published is None or published <= staged:
        return PUBLISHED
    if previous is not None and previous <= staged:
        return PREVIOUSLY_STAGED
    return None


def absent_companions(format_name: str, file_names: list[str]) -> list[str]:
    """The optional companion files of the format that the snapshot does not have."""
    present = {name.upper() for name in file_names}
    return [name for name in COMPANION_FACTS.get(format_name, {}) if name not in present]


def carry_forward(con, source_id: str, format_name: str, file_names: list[str]) -> list[str]:
    """Give the staged records of `source_id` their last known facts for every companion file
    the snapshot lacks; record and return the names of those files. Runs inside the caller's
    transaction, after the parsed rows are staged."""
    absent = absent_companions(format_name, file_names)
    last_known = _last_known(con, source_id) if absent else None
    params = {"source": source_id}
    staged = "SELECT record_id FROM staging.records WHERE source_id = $source"
    for file_name in absent if last_known else ():
        for table, rows in COMPANION_FACTS[format_name][file_name]:
            con.execute(
                f"""INSERT INTO staging.{table} BY NAME
                    SELECT * FROM {last_known.format(table=table)}
                    WHERE {rows} AND record_id IN ({staged})""",
                params,
            )
        if CONTINUED_REMARKS.get(format_name) == file_name:
            _keep_whole_remarks(con, format_name, last_known, params)
    con.execute(
        "UPDATE staging.snapshots SET absent_files = $absent WHERE source_id = $source",
        {"source": source_id, "absent": absent},
    )
    return absent


def _keep_whole_remarks(con, format_name: str, last_known: str, params: dict) -> None:
    """Where the staged remarks are the start of the last known ones, keep the known whole,
    and the gender and facts read from it (REMARK_FACTS) instead of those of the cut."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE c_whole_remarks AS
            SELECT k.record_id, k.remarks, k.gender
            FROM staging.records r JOIN {last_known.format(table="records")} k
                 USING (record_id)
            WHERE r.source_id = $source AND length(k.remarks) > length(r.remarks)
              AND starts_with(k.remarks, r.remarks)""",
        params,
    )
    con.execute(
        """UPDATE staging.records r SET remarks = k.remarks, gender = k.gender
           FROM c_whole_remarks k
           WHERE r.source_id = $source AND r.record_id = k.record_id""",
        params,
    )
    whole = "SELECT record_id FROM c_whole_remarks"
    for table, rows in REMARK_FACTS[format_name]:
        con.execute(
            f"""DELETE FROM staging.{table}
                WHERE source_id = $source AND {rows} AND record_id IN ({whole})""",
            params,
        )
        con.execute(
            f"""INSERT INTO staging.{table} BY NAME
                SELECT * FROM {last_known.format(table=table)}
                WHERE {rows} AND record_id IN ({whole})""",
            params,
        )
