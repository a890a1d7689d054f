"""The history of each list: record versions (SCD2) and events, applied with every publish.

A record's content is hashed part by part (details, names, programmes, identifiers, dates,
countries, addresses) so that a "changed" event says which parts changed. Applying the same
snapshot twice adds nothing; a snapshot older than the newest applied one is refused, so the
history already built is never rewritten.
"""

from __future__ import annotations

from datetime import UTC, datetime

PARTS = {
    "details": """SELECT record_id, md5(concat_ws('|', entity_type, name, title, gender, remarks))
                  AS h FROM core.records WHERE source_id = $source""",
    "names": """SELECT record_id, md5(string_agg(concat_ws(':', name, kind, is_weak, script), ';'
                ORDER BY name, kind, script)) AS h FROM core.names WHERE source_id = $source
                GROUP BY record_id""",
    "programmes": """SELECT record_id, md5(string_agg(concat_ws(':', programme_raw, list_name),
                     ';' ORDER BY programme_raw, list_name)) AS h FROM core.programmes
                     WHERE source_id = $source GROUP BY record_id""",
    "identifiers": """SELECT record_id, md5(string_agg(concat_ws(':', id_type, value, country_name),
                      ';' ORDER BY id_type, value)) AS h FROM core.identifiers
                      WHERE source_id = $source GROUP BY record_id""",
    "dates": """SELECT record_id, md5(string_agg(raw, ';' ORDER BY raw)) AS h
                FROM core.birth_dates WHERE source_id = $source GROUP BY record_id""",
    "countries": """SELECT record_id, md5(string_agg(concat_ws(':', relation, country_name), ';'
                    ORDER BY relation, country_name)) AS h FROM core.countries
                    WHERE source_id = $source GROUP BY record_id""",
    "addresses": """SELECT record_id, md5(string_agg(full_address, ';' ORDER BY full_address)) AS h
                    FROM core.addresses WHERE source_id = $source GROUP BY record_id""",
}


class HistoryOrderError(ValueError):
    """A snapshot dated before the newest one already in the history."""


def latest_as_of(con, source_id: str) -> datetime | None:
    return con.execute(
        "SELECT max(as_of) FROM history.snapshots WHERE source_id = ?", [source_id]
    ).fetchall()[0][0]


def applied(con, source_id: str, snapshot_id: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM history.snapshots WHERE source_id = ? AND snapshot_id = ?",
            [source_id, snapshot_id],
        ).fetchall()[0][0]
    )


def apply_snapshot(con, source_id: str, snapshot_id: str, as_of: datetime) -> int:
    """Record the versions and events that core's rows for `source_id` imply; return the
    number of events. Runs inside the caller's transaction (the publish)."""
    if applied(con, source_id, snapshot_id):
        return 0
    newest = latest_as_of(con, source_id)
    if newest is not None and as_of < newest:
        raise HistoryOrderError(
            f"{source_id}: snapshot {snapshot_id[:12]} is dated {as_of:%Y-%m-%d}, before the "
            f"newest snapshot in the history ({newest:%Y-%m-%d}); replay files in date order"
        )
    parts = ",\n".join(f"{name} AS ({sql})" for name, sql in PARTS.items())
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE h_now AS
        WITH {parts}
        SELECT details.record_id,
               {", ".join(f"coalesce({name}.h, '')" + f" AS h_{name}" for name in PARTS)},
               md5(concat_ws('|', {", ".join(f"coalesce({name}.h, '')" for name in PARTS)}))
                   AS content_hash,
               (SELECT list(DISTINCT p.programme_key ORDER BY p.programme_key)
                FROM core.programmes p WHERE p.source_id = $source
                  AND p.record_id = details.record_id) AS programme_keys
        FROM details {
            " ".join(f"LEFT JOIN {name} USING (record_id)" for name in PARTS if name != "details")
        }""",
        {"source": source_id},
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE h_open AS
           SELECT v.*, e.programme_keys AS last_programmes
           FROM history.record_versions v
           LEFT JOIN (SELECT record_id, arg_max(programme_keys, event_date) AS programme_keys
                      FROM history.events WHERE source_id = ? GROUP BY record_id) e
                  USING (record_id)
           WHERE v.source_id = ? AND v.valid_to IS NULL""",
        [source_id, source_id],
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE h_parts_before AS
           SELECT record_id, parts FROM history.part_hashes WHERE source_id = ?""",
        [source_id],
    )
    events = con.execute(
        f"""INSERT INTO history.events
        SELECT $source, n.record_id,
               CASE WHEN EXISTS (SELECT 1 FROM history.record_versions v
                                 WHERE v.source_id = $source AND v.record_id = n.record_id)
                    THEN 'relisted' ELSE 'listed' END,
               $as_of, NULL, n.programme_keys, $snapshot
        FROM h_now n WHERE n.record_id NOT IN (SELECT record_id FROM h_open)
        UNION ALL
        SELECT $source, n.record_id, 'changed', $as_of,
               list_filter([{
            ", ".join(
                f"CASE WHEN n.h_{name} <> b.parts['{name}'] THEN '{name}' END" for name in PARTS
            )
        }], lambda x: x IS NOT NULL),
               n.programme_keys, $snapshot
        FROM h_now n JOIN h_open o USING (record_id) LEFT JOIN h_parts_before b USING (record_id)
        WHERE n.content_hash <> o.content_hash
        UNION ALL
        SELECT $source, o.record_id, 'delisted', $as_of, NULL, o.last_programmes, $snapshot
        FROM h_open o WHERE o.record_id NOT IN (SELECT record_id FROM h_now)""",
        {"source": source_id, "as_of": as_of, "snapshot": snapshot_id},
    ).fetchall()[0][0]
    con.execute(
        """UPDATE history.record_versions v SET valid_to = $as_of
           WHERE v.source_id = $source AND v.valid_to IS NULL AND NOT EXISTS (
               SELECT 1 FROM h_now n WHERE n.record_id = v.record_id
                 AND n.content_hash = v.content_hash)""",
        {"source": source_id, "as_of": as_of},
    )
    con.execute(
        """INSERT INTO history.record_versions
           SELECT $source, n.record_id, n.content_hash, $as_of, NULL, $snapshot FROM h_now n
           WHERE NOT EXISTS (SELECT 1 FROM history.record_versions v
                             WHERE v.source_id = $source AND v.record_id = n.record_id
                               AND v.valid_to IS NULL)""",
        {"source": source_id, "as_of": as_of, "snapshot": snapshot_id},
    )
    con.execute("DELETE FROM history.part_hashes WHERE source_id = ?", [source_id])
    con.execute(
        f"""INSERT INTO history.part_hashes
            SELECT ?, record_id, MAP {{{", ".join(f"'{name}': h_{name}" for name in PARTS)}}}
            FROM h_now""",
        [source_id],
    )
    records = con.execute("SELECT count(*) FROM h_now").fetchall()[0][0]
    con.execute(
        "INSERT INTO history.snapshots VALUES (?, ?, ?, ?, ?, ?)",
        [source_id, snapshot_id, as_of, datetime.now(UTC), records, events],
    )
    return events
