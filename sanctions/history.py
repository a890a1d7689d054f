"""The history of each list: record versions (SCD2) and events, applied with every publish.

A record's content is hashed part by part (details, names, programmes, identifiers, dates,
countries, addresses) so that a "changed" event says which parts changed. A version is the
content as published (its programme strings, not their keys: versions depend on the files
alone); an event needs a part to differ, and the programmes part compares keys, so a change of
feed or spelling that keeps every key is a new version without an event, and a taxonomy edit
only re-derives the programmes part and the events (`key_programmes`).

The history follows the sequence of published snapshots, not their identities: A, B, then A
again gives listed, delisted and relisted events (a publisher re-issuing an older file is a
change). Publishing the snapshot the history already ends with adds nothing. Invariant: after
any publish, the versions open in the history are exactly the records core holds, with the
same content hashes.

Files older than the whole history (a backfill) are applied to a scratch copy in date order and
then spliced in before it (`splice_backfill`), so the events of the older dates are the same
as a replay into an empty warehouse would give, and core is not touched.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sanctions import programmes as taxonomy
from sanctions.companions import COMPANION_PARTS, CONTINUED_AFTER

# The programmes part: keys (with the publisher's list), so a new spelling of one key is no
# change; re-derived from the strings when the taxonomy changes (_rehash_programmes).
PROGRAMMES_HASH = """md5(string_agg(concat_ws(':', programme_key, list_name), ';'
                                     ORDER BY programme_key, list_name))"""

PARTS = {
    "details": """SELECT record_id, md5(concat_ws('|', entity_type, name, title, gender, remarks))
                  AS h FROM {content}.records WHERE source_id = $source""",
    "names": """SELECT record_id, md5(string_agg(concat_ws(':', name, kind, is_weak, script), ';'
                ORDER BY name, kind, script)) AS h FROM {content}.names WHERE source_id = $source
                GROUP BY record_id""",
    # the key, not the string: the UK writes "Russia" in ConList and its statutory title in the
    # UK Sanctions List, and a change of feed is no change of the records
    "programmes": f"""SELECT record_id, {PROGRAMMES_HASH} AS h FROM {{content}}.programmes
                      WHERE source_id = $source GROUP BY record_id""",
    "identifiers": """SELECT record_id, md5(string_agg(concat_ws(':', id_type, value, country_name),
                      ';' ORDER BY id_type, value)) AS h FROM {content}.identifiers
                      WHERE source_id = $source GROUP BY record_id""",
    "dates": """SELECT record_id, md5(string_agg(raw, ';' ORDER BY raw)) AS h
                FROM {content}.birth_dates WHERE source_id = $source GROUP BY record_id""",
    "countries": """SELECT record_id, md5(string_agg(concat_ws(':', relation, country_name), ';'
                    ORDER BY relation, country_name)) AS h FROM {content}.countries
                    WHERE source_id = $source GROUP BY record_id""",
    "addresses": """SELECT record_id, md5(string_agg(full_address, ';' ORDER BY full_address)) AS h
                    FROM {content}.addresses WHERE source_id = $source GROUP BY record_id""",
}


# What tells versions apart in place of the keyed programmes part: the strings as published.
PROGRAMME_STRINGS = """SELECT record_id, md5(string_agg(concat_ws(':', programme_raw, list_name),
                       ';' ORDER BY programme_raw, list_name)) AS h FROM {content}.programmes
                       WHERE source_id = $source GROUP BY record_id"""


def _content_hash(part: str) -> str:
    """The version identity over the part hashes `part.format(name)` names (SQL)."""
    names = ["strings" if name == "programmes" else name for name in PARTS]
    return f"md5(concat_ws('|', {', '.join(part.format(name) for name in names)}))"


HISTORY_TABLES = ("snapshots", "record_versions", "events", "part_hashes", "programme_keys")


class HistoryOrderError(ValueError):
    """A snapshot dated before the newest one already in the history."""


def latest_as_of(con, source_id: str, hist: str = "history") -> datetime | None:
    return con.execute(
        f"SELECT max(as_of) FROM {hist}.snapshots WHERE source_id = ?", [source_id]
    ).fetchall()[0][0]


def first_as_of(con, source_id: str) -> datetime | None:
    return con.execute(
        "SELECT min(as_of) FROM history.snapshots WHERE source_id = ?", [source_id]
    ).fetchall()[0][0]


def last_applied(con, source_id: str, hist: str = "history") -> str | None:
    """The snapshot the history of the source ends with."""
    row = con.execute(
        f"""SELECT snapshot_id FROM {hist}.snapshots WHERE source_id = ?
            ORDER BY as_of DESC, seq DESC LIMIT 1""",
        [source_id],
    ).fetchall()
    return row[0][0] if row else None


def apply_snapshot(
    con,
    source_id: str,
    snapshot_id: str,
    as_of: datetime,
    origin: str = "live",
    content: str = "core",
    hist: str = "history",
) -> int:
    """Record the versions and events that the `content` schema's rows for `source_id` imply,
    in the `hist` schema; return the number of events. Runs inside the caller's transaction.
    `origin`: live (a fetch), replay (a dated file), backfill (spliced before the history)."""
    if last_applied(con, source_id, hist) == snapshot_id:
        return 0
    newest = latest_as_of(con, source_id, hist)
    if newest is not None and as_of < newest:
        raise HistoryOrderError(
            f"{source_id}: snapshot {snapshot_id[:12]} is dated {as_of:%Y-%m-%d}, before the "
            f"newest snapshot in the history ({newest:%Y-%m-%d}); replay files in date order"
        )
    # under a taxonomy edited since the last write, the history is re-hashed first
    key_programmes(con, hist, content, source_id)
    parts = ",\n".join(
        f"{name} AS ({sql.format(content=content)})"
        for name, sql in {**PARTS, "strings": PROGRAMME_STRINGS}.items()
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE h_now AS
        WITH {parts}
        SELECT details.record_id,
               {", ".join(f"coalesce({name}.h, '')" + f" AS h_{name}" for name in PARTS)},
               {_content_hash("coalesce({}.h, '')")} AS content_hash,
               -- the identity versions had before the strings told them apart (keys instead)
               md5(concat_ws('|', {", ".join(f"coalesce({name}.h, '')" for name in PARTS)}))
                   AS keyed_hash,
               (SELECT list(DISTINCT p.programme_key ORDER BY p.programme_key)
                FROM {content}.programmes p WHERE p.source_id = $source
                  AND p.record_id = details.record_id) AS programme_keys,
               coalesce((SELECT list(DISTINCT p.programme_raw ORDER BY p.programme_raw)
                         FROM {content}.programmes p WHERE p.source_id = $source
                           AND p.record_id = details.record_id), []) AS programmes,
               coalesce((SELECT list({{'programme_raw': p.programme_raw,
                                       'list_name': p.list_name}}
                                     ORDER BY p.programme_raw, p.list_name)
                         FROM {content}.programmes p WHERE p.source_id = $source
                           AND p.record_id = details.record_id), []) AS programme_entries
        FROM details {
            " ".join(
                f"LEFT JOIN {name} USING (record_id)"
                for name in (*PARTS, "strings")
                if name != "details"
            )
        }""",
        {"source": source_id},
    )
    # open versions written when keys told versions apart take the identity of today's content
    con.execute(
        f"""UPDATE {hist}.record_versions v SET content_hash = n.content_hash
            FROM h_now n
            WHERE v.source_id = $source AND v.valid_to IS NULL AND v.record_id = n.record_id
              AND v.content_hash = n.keyed_hash AND v.content_hash <> n.content_hash""",
        {"source": source_id},
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE h_open AS
           SELECT v.*, e.programme_keys AS last_keys
           FROM {hist}.record_versions v
           LEFT JOIN (SELECT record_id, arg_max(programme_keys, seq) AS programme_keys
                      FROM {hist}.events WHERE source_id = ? GROUP BY record_id) e
                  USING (record_id)
           WHERE v.source_id = ? AND v.valid_to IS NULL""",
        [source_id, source_id],
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE h_parts_before AS
           SELECT record_id, parts, coalesce(unknown_files, []) AS unknown_files
           FROM {hist}.part_hashes WHERE source_id = ?""",
        [source_id],
    )
    absent = _absent_files(con, source_id, snapshot_id, content)
    params = {"source": source_id, "as_of": as_of, "snapshot": snapshot_id, "origin": origin}
    # What an absent file holds stays unknown for a record no file carrying it has shown (a
    # record never seen, or seen only without that file); the parts of a file that becomes
    # known for the record are no change (of remarks' facts, only if they were continued).
    continued = {name: f"AND length(r.remarks) > {size}" for name, size in CONTINUED_AFTER.items()}
    becoming_known = _parts_of(
        "list_contains(b.unknown_files, '{name}') AND NOT list_contains($absent, '{name}') "
        + "{continued}",
        continued,
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE h_unknown AS
           SELECT n.record_id,
                  list_filter($absent, lambda name: b.record_id IS NULL
                                                    OR list_contains(b.unknown_files, name))
                      AS unknown_files,
                  {becoming_known} AS becoming_known
           FROM h_now n LEFT JOIN h_parts_before b USING (record_id)
           LEFT JOIN {content}.records r ON r.source_id = $source AND r.record_id = n.record_id""",
        {"absent": absent, "source": source_id},
    )
    differing = ", ".join(
        f"CASE WHEN n.h_{name} <> b.parts['{name}'] THEN '{name}' END" for name in PARTS
    )
    changed = (
        f"list_filter([{differing}], lambda x: x IS NOT NULL "
        "AND NOT list_contains(u.becoming_known, x))"
    )
    events = con.execute(
        f"""INSERT INTO {hist}.events
        SELECT $source, record_id, event, $as_of, changed_fields, programme_keys, $snapshot,
               nextval('history.event_seq'), $origin, programmes
        FROM (
            SELECT n.record_id,
                   CASE WHEN EXISTS (SELECT 1 FROM {hist}.record_versions v
                                     WHERE v.source_id = $source AND v.record_id = n.record_id)
                        THEN 'relisted' ELSE 'listed' END AS event,
                   NULL::VARCHAR[] AS changed_fields, n.programme_keys, n.programmes
            FROM h_now n WHERE n.record_id NOT IN (SELECT record_id FROM h_open)
            UNION ALL
            SELECT n.record_id, 'changed', {changed}, n.programme_keys, n.programmes
            FROM h_now n JOIN h_open o USING (record_id) JOIN h_unknown u USING (record_id)
            LEFT JOIN h_parts_before b USING (record_id)
            WHERE n.content_hash <> o.content_hash
              -- a change needs a part to differ: not programme strings of the same keys, nor
              -- what a companion file first gives a record
              AND (len({changed}) > 0 OR b.record_id IS NULL)
            UNION ALL
            SELECT o.record_id, 'delisted', NULL, o.last_keys, o.programmes
            FROM h_open o WHERE o.record_id NOT IN (SELECT record_id FROM h_now)
            ORDER BY record_id
        )""",
        params,
    ).fetchall()[0][0]
    con.execute(
        f"""UPDATE {hist}.record_versions v SET valid_to = $as_of
           WHERE v.source_id = $source AND v.valid_to IS NULL AND NOT EXISTS (
               SELECT 1 FROM h_now n WHERE n.record_id = v.record_id
                 AND n.content_hash = v.content_hash)""",
        {"source": source_id, "as_of": as_of},
    )
    con.execute(
        f"""INSERT INTO {hist}.record_versions
           SELECT $source, n.record_id, n.content_hash, $as_of, NULL, $snapshot, n.programmes,
                  MAP {{{", ".join(f"'{name}': n.h_{name}" for name in PARTS)}}},
                  n.programme_entries
           FROM h_now n
           WHERE NOT EXISTS (SELECT 1 FROM {hist}.record_versions v
                             WHERE v.source_id = $source AND v.record_id = n.record_id
                               AND v.valid_to IS NULL)""",
        {"source": source_id, "as_of": as_of, "snapshot": snapshot_id},
    )
    # a delisted record keeps its row: relisted, it carries forward what it had, known or not
    con.execute(
        f"""DELETE FROM {hist}.part_hashes
            WHERE source_id = ? AND record_id IN (SELECT record_id FROM h_now)""",
        [source_id],
    )
    con.execute(
        f"""INSERT INTO {hist}.part_hashes (source_id, record_id, parts, unknown_files)
            SELECT ?, record_id, MAP {{{", ".join(f"'{name}': h_{name}" for name in PARTS)}}},
                   unknown_files
            FROM h_now JOIN h_unknown USING (record_id)""",
        [source_id],
    )
    records = con.execute("SELECT count(*) FROM h_now").fetchall()[0][0]
    first = newest is None
    con.execute(
        f"""INSERT INTO {hist}.snapshots
            VALUES (?, ?, ?, ?, ?, ?, nextval('history.snapshot_seq'), ?, ?, ?)""",
        [source_id, snapshot_id, as_of, datetime.now(UTC), records, events, origin, first, absent],
    )
    return events


def _parts_of(condition: str, extra: dict[str, str] | None = None) -> str:
    """SQL of the parts filled by the companion files for which `condition` holds (a format
    string of `name`, the file, and `continued`, from `extra`)."""
    return " || ".join(
        f"""CASE WHEN {condition.format(name=name, continued=(extra or {}).get(name, ""))}
                 THEN {list(parts)}::VARCHAR[] ELSE []::VARCHAR[] END"""
        for name, parts in COMPANION_PARTS.items()
    )


def _absent_files(con, source_id: str, snapshot_id: str, content: str) -> list[str]:
    """The companion files the snapshot lacks (sanctions.companions)."""
    row = con.execute(
        f"""SELECT any_value(absent_files) FROM {content}.snapshots
            WHERE source_id = ? AND snapshot_id = ?""",
        [source_id, snapshot_id],
    ).fetchall()
    return (row[0][0] if row else None) or []


def key_programmes(
    con, hist: str = "history", content: str | None = None, source_id: str | None = None
) -> int:
    """Key every programme string the history holds (and `content` holds for `source_id`, about
    to be applied), as published, through the taxonomy in use (`{hist}.programme_keys`).

    When the taxonomy keys a string differently from the last time, the history is brought to
    what a replay under the taxonomy in use gives: programme part hashes and the changes between
    versions re-derived, events re-keyed. Returns how many versions' programmes part changed."""
    sources = [
        f"SELECT record_id, unnest(programmes) AS programme_raw FROM {hist}.record_versions",
        f"SELECT record_id, unnest(programmes) FROM {hist}.events",
    ]
    params = []
    if content is not None:
        sources.append(
            f"SELECT record_id, programme_raw FROM {content}.programmes WHERE source_id = ?"
        )
        params.append(source_id)
    strings = con.execute(
        f"""SELECT DISTINCT split_part(record_id, ':', 1), programme_raw
            FROM ({" UNION ALL ".join(sources)})""",
        params,
    ).fetchall()
    keyed = {
        (jurisdiction, raw): taxonomy.key_for(jurisdiction, raw) for jurisdiction, raw in strings
    }
    before = {
        (jurisdiction, raw): key
        for jurisdiction, raw, key in con.execute(f"FROM {hist}.programme_keys").fetchall()
    }
    if keyed == before:
        return 0
    con.execute(f"DELETE FROM {hist}.programme_keys")
    con.execute(
        f"""INSERT INTO {hist}.programme_keys
            SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[])""",
        [[j for j, _ in keyed], [raw for _, raw in keyed], list(keyed.values())],
    )
    if before and all(keyed.get(string, key) == key for string, key in before.items()):
        return 0  # new strings only: what is written was keyed by the taxonomy in use
    changed = _rehash_programmes(con, hist)
    con.execute(
        f"""UPDATE {hist}.events e SET programme_keys = k.programme_keys
            FROM (SELECT e.seq, list(DISTINCT k.programme_key ORDER BY k.programme_key)
                             AS programme_keys
                  FROM (SELECT seq, record_id, unnest(programmes) AS programme_raw
                        FROM {hist}.events) e
                  JOIN {hist}.programme_keys k
                    ON k.jurisdiction = split_part(e.record_id, ':', 1)
                   AND k.programme_raw = e.programme_raw
                  GROUP BY e.seq) k
            WHERE e.seq = k.seq AND e.programme_keys IS DISTINCT FROM k.programme_keys"""
    )
    return changed


def _rehash_programmes(con, hist: str) -> int:
    """Re-derive the programmes part of every version from its programme rows as published and
    the keys in use (PROGRAMMES_HASH), then the events between consecutive
    versions: a change keeps or loses "programmes" in its fields, one left with none goes, and
    where only the strings changed before, a change of keys now is a "changed" event. Versions
    (the content as published) stay. Versions closed before their rows were kept
    (programme_entries NULL) keep their part."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE h_rehash AS
        WITH entries AS (
            SELECT v.rowid AS version, split_part(v.record_id, ':', 1) AS jurisdiction,
                   unnest(v.programme_entries, recursive := true)
            FROM {hist}.record_versions v
            WHERE v.programme_entries IS NOT NULL AND v.parts IS NOT NULL),
        hashed AS (
            SELECT e.version, {PROGRAMMES_HASH} AS h
            FROM entries e JOIN {hist}.programme_keys k USING (jurisdiction, programme_raw)
            GROUP BY e.version)
        SELECT v.rowid AS version, coalesce(h.h, '') AS h
        FROM {hist}.record_versions v LEFT JOIN hashed h ON h.version = v.rowid
        WHERE v.programme_entries IS NOT NULL AND v.parts IS NOT NULL
          AND coalesce(h.h, '') IS DISTINCT FROM v.parts['programmes']"""
    )
    changed = con.execute("SELECT count(*) FROM h_rehash").fetchall()[0][0]
    if not changed:
        return 0
    parts = ", ".join(
        f"'{name}': " + ("r.h" if name == "programmes" else f"v.parts['{name}']") for name in PARTS
    )
    con.execute(
        f"""UPDATE {hist}.record_versions v SET parts = MAP {{{parts}}}
            FROM h_rehash r WHERE v.rowid = r.version"""
    )
    con.execute(
        f"""UPDATE {hist}.part_hashes p SET parts = v.parts
            FROM (SELECT source_id, record_id,
                         arg_max(parts, (valid_from, coalesce(valid_to, 'infinity'::TIMESTAMPTZ)))
                             AS parts
                  FROM {hist}.record_versions WHERE parts IS NOT NULL
                  GROUP BY source_id, record_id) v  -- a delisted record's row: its last version
            WHERE v.source_id = p.source_id AND v.record_id = p.record_id"""
    )
    # each version that continues the one before it (no delisting between), with its event
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE h_chain AS
        SELECT * FROM (
            SELECT *, lag(valid_to) OVER w AS previous_to, lag(parts) OVER w AS previous_parts
            FROM (SELECT v.source_id, v.record_id, v.snapshot_id, v.valid_from, v.parts,
                         v.programmes, s.seq AS snapshot_seq, s.origin,
                         (SELECT any_value(e.event) FROM {hist}.events e
                          WHERE e.source_id = v.source_id AND e.record_id = v.record_id
                            AND e.snapshot_id = v.snapshot_id AND e.event_date = v.valid_from
                            AND e.event <> 'delisted') AS opened_by, v.valid_to
                  FROM {hist}.record_versions v
                  LEFT JOIN {hist}.snapshots s
                    ON s.source_id = v.source_id AND s.snapshot_id = v.snapshot_id
                   AND s.as_of = v.valid_from)
            WINDOW w AS (PARTITION BY source_id, record_id ORDER BY valid_from, snapshot_seq))
        WHERE previous_to = valid_from AND previous_parts IS NOT NULL AND parts IS NOT NULL
          AND coalesce(opened_by, 'changed') = 'changed'"""
    )
    programmes_differ = "c.parts['programmes'] IS DISTINCT FROM c.previous_parts['programmes']"
    con.execute(
        f"""UPDATE {hist}.events e
            SET changed_fields = list_filter(
                    {list(PARTS)}::VARCHAR[],
                    lambda part: CASE WHEN part = 'programmes' THEN {programmes_differ}
                                      ELSE list_contains(e.changed_fields, part) END)
            FROM h_chain c
            WHERE e.event = 'changed' AND e.source_id = c.source_id
              AND e.record_id = c.record_id AND e.snapshot_id = c.snapshot_id
              AND e.event_date = c.valid_from"""
    )
    con.execute(
        f"""DELETE FROM {hist}.events e USING h_chain c
            WHERE e.event = 'changed' AND e.changed_fields = [] AND e.source_id = c.source_id
              AND e.record_id = c.record_id AND e.snapshot_id = c.snapshot_id
              AND e.event_date = c.valid_from"""
    )
    con.execute(
        f"""INSERT INTO {hist}.events
            SELECT c.source_id, c.record_id, 'changed', c.valid_from, ['programmes'], NULL,
                   c.snapshot_id, nextval('history.event_seq'), c.origin, c.programmes
            FROM h_chain c
            WHERE c.opened_by IS NULL AND {programmes_differ}
            ORDER BY c.valid_from, c.record_id"""
    )
    return changed


def create_scratch(con, scratch: str = "history_backfill") -> str:
    """An empty schema shaped like `history`, where older files are replayed before splicing."""
    con.execute(f"DROP SCHEMA IF EXISTS {scratch} CASCADE")
    con.execute(f"CREATE SCHEMA {scratch}")
    for table in HISTORY_TABLES:
        con.execute(f"CREATE TABLE {scratch}.{table} AS FROM history.{table} LIMIT 0")
    return scratch


def splice_backfill(con, source_id: str, scratch: str = "history_backfill") -> int:
    """Insert the scratch history of older files before the live history of `source_id`.

    At the live history's first snapshot F every record was 'listed' (nothing was known before
    it). Against the state the older files end with, those events become what really happened
    at F: nothing (same content: the older version simply continues), changed, relisted, or a
    delisting of a record F no longer had. Returns the number of events added or rewritten."""
    first = con.execute(
        "SELECT min(as_of), arg_min(snapshot_id, as_of) FROM history.snapshots WHERE source_id = ?",
        [source_id],
    ).fetchall()[0]
    started, first_snapshot = first
    if started is None:
        raise HistoryOrderError(f"{source_id}: no live history to splice the backfill into")
    last = latest_as_of(con, source_id, scratch)
    if last is None:
        return 0
    if last >= started:
        raise HistoryOrderError(
            f"{source_id}: the backfill reaches {last:%Y-%m-%d}, not before the history's "
            f"first snapshot ({started:%Y-%m-%d})"
        )
    key_programmes(con)  # the live history under the taxonomy the older files were keyed by
    params = {"source": source_id, "started": started, "first": first_snapshot}
    absent_at_first = con.execute(
        """SELECT coalesce(any_value(absent_files), []) FROM history.snapshots
           WHERE source_id = ? AND snapshot_id = ? AND as_of = ?""",
        [source_id, first_snapshot, started],
    ).fetchall()[0][0]
    # what F lacked was unknown when it was loaded (nothing came before it): no change there
    unknown = [part for name in absent_at_first for part in COMPANION_PARTS.get(name, ())]
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE h_splice AS
        SELECT coalesce(o.record_id, f.record_id) AS record_id, o.content_hash AS old_hash,
               f.content_hash AS first_hash, f.valid_to AS first_valid_to,
               (SELECT arg_max(programme_keys, seq) FROM {scratch}.events e
                WHERE e.record_id = coalesce(o.record_id, f.record_id)) AS old_keys,
               o.programmes AS old_programmes,
               -- the parts F shows that differ, leaving out those F did not carry and those
               -- the older files left unknown for the record
               list_filter(map_keys(f.parts), lambda k: f.parts[k] IS DISTINCT FROM o.parts[k]
                                                         AND NOT list_contains($unknown, k)
                                                         AND NOT list_contains(u.unknown, k))
                   AS changed_parts,
               EXISTS (SELECT 1 FROM {scratch}.record_versions v
                       WHERE v.record_id = coalesce(o.record_id, f.record_id)) AS known_before
        FROM (SELECT * FROM {scratch}.record_versions
              WHERE source_id = $source AND valid_to IS NULL) o
        FULL JOIN (SELECT * FROM history.record_versions
                   WHERE source_id = $source AND valid_from = $started) f USING (record_id)
        LEFT JOIN (SELECT record_id,
                          {_parts_of("list_contains(unknown_files, '{name}')")} AS unknown
                   FROM {scratch}.part_hashes WHERE source_id = $source) u USING (record_id)""",
        {"source": source_id, "started": started, "unknown": unknown},
    )
    # The older version continues through F when F showed the same content.
    con.execute(
        f"""UPDATE {scratch}.record_versions v
            SET valid_to = CASE WHEN s.old_hash = s.first_hash THEN s.first_valid_to
                                ELSE $started END
            FROM h_splice s
            WHERE v.source_id = $source AND v.valid_to IS NULL AND v.record_id = s.record_id""",
        {"source": source_id, "started": started},
    )
    con.execute(
        """DELETE FROM history.record_versions v USING h_splice s
           WHERE v.source_id = $source AND v.valid_from = $started
             AND v.record_id = s.record_id AND s.old_hash = s.first_hash""",
        {"source": source_id, "started": started},
    )
    rewritten = con.execute(
        """DELETE FROM history.events e USING h_splice s
           WHERE e.source_id = $source AND e.snapshot_id = $first AND e.event = 'listed'
             AND e.record_id = s.record_id
             AND (s.old_hash = s.first_hash OR len(s.changed_parts) = 0)""",
        {"source": source_id, "first": first_snapshot},
    ).fetchall()[0][0]
    rewritten += con.execute(
        """UPDATE history.events e
           SET event = CASE WHEN s.old_hash IS NOT NULL THEN 'changed' ELSE 'relisted' END,
               changed_fields = CASE WHEN s.old_hash IS NOT NULL THEN s.changed_parts END,
               origin = 'backfill'
           FROM h_splice s
           WHERE e.source_id = $source AND e.snapshot_id = $first AND e.event = 'listed'
             AND e.record_id = s.record_id AND s.first_hash IS NOT NULL
             AND (s.old_hash <> s.first_hash OR (s.old_hash IS NULL AND s.known_before))""",
        {"source": source_id, "first": first_snapshot},
    ).fetchall()[0][0]
    rewritten += con.execute(
        """INSERT INTO history.events
           SELECT $source, record_id, 'delisted', $started, NULL, old_keys, $first,
                  nextval('history.event_seq'), 'backfill', old_programmes
           FROM h_splice WHERE first_hash IS NULL ORDER BY record_id""",
        params,
    ).fetchall()[0][0]
    added = 0
    for table in ("record_versions", "events", "snapshots"):
        added += con.execute(
            f"INSERT INTO history.{table} SELECT * FROM {scratch}.{table} WHERE source_id = ?",
            [source_id],
        ).fetchall()[0][0] * (table == "events")
    con.execute(
        "UPDATE history.snapshots SET is_first = (as_of = (SELECT min(as_of) FROM "
        "history.snapshots WHERE source_id = $source)) WHERE source_id = $source",
        {"source": source_id},
    )
    con.execute(f"DROP SCHEMA {scratch} CASCADE")
    key_programmes(con)
    return added + rewritten


def current_matches_core(con, source_id: str) -> bool:
    """The history invariant: open versions are exactly core's records with their hashes."""
    con.execute("BEGIN TRANSACTION")
    try:
        apply_snapshot(con, source_id, "check", datetime.max.replace(tzinfo=UTC), hist="history")
        changed = con.execute(
            """SELECT (SELECT count(*) FROM history.events WHERE snapshot_id = 'check')
                    + (SELECT count(*) FROM history.record_versions WHERE snapshot_id = 'check')"""
        ).fetchall()[0][0]
    finally:
        con.execute("ROLLBACK")
    return changed == 0
