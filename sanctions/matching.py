"""Find the records, across and within lists, that are the same party.

normalise  every name variant and identifier (sanctions.normalise)
block      in DuckDB: pairs sharing a rare name key or an exact identifier, same entity
           type, at most MAX_CANDIDATES per record - never all pairs
score      every name pair of every candidate in one rapidfuzz cpdist call, then the best
           pair per candidate; evidence from birth dates, identifiers, countries, gender
decide     accept / review / reject by the rules of docs/matching.md; judgements win
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cpdist

from sanctions.normalise import blocking_keys, normalise_identifier, normalise_name

MATCHER_VERSION = "rules-3"
ACCEPT = 90.0
REVIEW = 80.0
ID_NAME_FLOOR = 70.0
MAX_KEY_FREQUENCY = 300  # name keys shared by more records are too common to block on
# An organisation matched on aliases only must also resemble the other by its primary name: an
# alias can be shared by a network of fronts.
PRIMARY_FLOOR = 70.0
# An organisation's distinctive name of this many tokens, identical in both records, is enough.
SPECIFIC_ALIAS_TOKENS = 3
FORM_CONFLICT_PENALTY = 10.0  # "OOO X" against "OAO X": two companies of one group
MAX_CANDIDATES = 10  # per record and other list, the best by shared-key rarity
# A one-token name this short may be an acronym ("RIHS", "HUJI"), which names many things; its
# shape or its frequency says whether it is (HAMAS, ALROSA are names).
MAX_ACRONYM_LENGTH = 5
STRONG_ID_CLASSES = ("passport", "national_id", "imo", "un_reference", "lei", "swift", "mmsi")
# Identifiers that name one listing or one hull whatever the name: a vessel keeps its IMO number
# through every renaming, and national lists cite the UN listing they implement.
LISTING_ID_CLASSES = ("imo", "un_reference")


@dataclass
class MatchStats:
    records: int = 0
    records_without_name: int = 0
    names: int = 0
    identifiers: int = 0
    candidates: int = 0
    name_pairs: int = 0
    decisions: dict[str, int] = field(default_factory=dict)


def remember_names(con, source_id: str, content: str = "core") -> int:
    """Add the names of `source_id` in `content` (core after a publish, staging in a backfill)
    to matching.names_seen; returns how many were new."""
    return con.execute(
        f"""INSERT INTO matching.names_seen
            SELECT DISTINCT source_id, record_id, name, kind, coalesce(is_weak, false)
            FROM {content}.names n WHERE source_id = ?
              AND NOT EXISTS (SELECT 1 FROM matching.names_seen s
                              WHERE s.record_id = n.record_id AND s.name = n.name
                                AND s.kind = n.kind
                                AND s.is_weak = coalesce(n.is_weak, false))""",
        [source_id],
    ).fetchall()[0][0]


def build_candidates(con) -> MatchStats:
    """Normalise names and identifiers into temp tables and block them into `cand`. Reads
    matching_input.*: the records listed now and the delisted ones (retired.*), so a record
    listed and delisted between two runs still finds its target."""
    stats = MatchStats()
    records = con.execute(
        "SELECT record_id, source_id, jurisdiction, entity_type FROM matching_input.records"
    ).fetchall()
    stats.records = len(records)
    list_and_type = {record_id: (source, kind) for record_id, source, _, kind in records}
    # the names records carry now, and the ones they carried in earlier snapshots (as former
    # names: never primary)
    names = con.execute(
        """SELECT record_id, name, is_weak, kind FROM matching_input.names
           UNION ALL
           SELECT DISTINCT s.record_id, s.name, s.is_weak, 'former'
           FROM matching.names_seen s SEMI JOIN matching_input.records r USING (record_id)
           ANTI JOIN matching_input.names n USING (record_id, name)"""
    ).fetchall()
    name_rows: dict[tuple[str, str], list] = {}
    key_rows: set[tuple[str, str, str, str]] = set()
    initials: dict[str, set[str]] = defaultdict(set)
    for record_id, name, is_weak, kind in names:
        normal = normalise_name(name, list_and_type[record_id][1])
        if not normal.strong:
            continue
        text, primary = normal.text, kind == "primary"
        if len(normal.strong) >= 2:
            initials[record_id].add(normal.initials)
        existing = name_rows.get((record_id, text))
        if existing is None:
            existing = [
                len(name_rows),
                record_id,
                text,
                bool(is_weak),
                name,
                len(normal.strong),
                primary,
                normal.legal_form,
                normal.folded,
                normal.spelt_out,
                kind == "former",
                *list_and_type[record_id],
            ]
            name_rows[(record_id, text)] = existing
        if existing[3] and not is_weak:
            existing[3], existing[4] = False, name
        existing[6] = existing[6] or primary
        existing[10] = existing[10] and kind == "former"
        key_rows.update((record_id, *list_and_type[record_id], key) for key in blocking_keys(text))
    sources = sorted({source for source, _ in list_and_type.values()})
    for row, (ambiguous, acronym) in zip(
        name_rows.values(), name_ambiguity(list(name_rows.values()), sources, initials), strict=True
    ):
        row += [ambiguous, acronym, 1 << sources.index(row[-2])]
    named = {row[1] for row in name_rows.values()}
    stats.records_without_name = sum(1 for record in records if record[0] not in named)
    stats.names = len(name_rows)

    ids = set()
    for record_id, id_type, value in con.execute(
        "SELECT record_id, id_type, value FROM matching_input.identifiers"
    ).fetchall():
        normal_id = normalise_identifier(id_type or "", value or "")
        if normal_id:
            ids.add((record_id, *normal_id))
    stats.identifiers = len(ids)

    _temp_table(
        con,
        "m_records",
        ["record_id", "source_id", "jurisdiction", "entity_type"],
        ["VARCHAR"] * 4,
        records,
    )
    _temp_table(
        con,
        "m_names",
        [
            *("name_idx", "record_id", "text", "is_weak", "shown", "tokens", "is_primary"),
            *("legal_form", "folded", "spelt_out", "former", "source_id", "entity_type"),
            *("ambiguous_in", "acronym", "source_bit"),
        ],
        [
            *("INTEGER", "VARCHAR", "VARCHAR", "BOOLEAN", "VARCHAR", "INTEGER", "BOOLEAN"),
            *("VARCHAR", "VARCHAR", "BOOLEAN", "BOOLEAN", "VARCHAR", "VARCHAR"),
            *("BIGINT", "BOOLEAN", "BIGINT"),
        ],
        list(name_rows.values()),
    )
    _temp_table(
        con,
        "m_keys",
        ["record_id", "source_id", "entity_type", "key"],
        ["VARCHAR"] * 4,
        list(key_rows),
    )
    _temp_table(con, "m_ids", ["record_id", "id_class", "value"], ["VARCHAR"] * 3, list(ids))
    # Every join below has one equality that selects few rows (a key held by at most
    # MAX_KEY_FREQUENCY records, a name, an identifier), so no join order the optimiser picks
    # can multiply two large tables: inside the asset's transaction DuckDB has no statistics on
    # fresh temp tables and once joined every record of a list with every other on source_id.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE m_cand AS
        WITH rare_keys AS MATERIALIZED (
            SELECT * FROM (
                SELECT *, count(*) OVER (PARTITION BY entity_type, key) AS records FROM m_keys
            ) WHERE records BETWEEN 2 AND {MAX_KEY_FREQUENCY}
        ), by_name AS (  -- integer weights: the ranking does not depend on summation order
            SELECT a.record_id AS l, b.record_id AS r, sum(1000000 // a.records) AS weight
            FROM rare_keys a JOIN rare_keys b USING (entity_type, key)
            WHERE a.record_id < b.record_id AND a.source_id <> b.source_id GROUP BY ALL
        ), ranked AS (
            SELECT *, row_number() OVER (PARTITION BY l ORDER BY weight DESC, r) AS rank_l,
                      row_number() OVER (PARTITION BY r ORDER BY weight DESC, l) AS rank_r
            FROM by_name
        ), same_list AS (  -- within one list only exact repeats of a name are candidates
            SELECT DISTINCT a.record_id AS l, b.record_id AS r
            FROM m_names a JOIN m_names b USING (source_id, entity_type, text)
            WHERE a.record_id < b.record_id AND NOT a.is_weak AND NOT b.is_weak
              AND a.tokens >= 2
        ), same_primary AS (  -- identical primary names of organisations: always scored
            SELECT DISTINCT a.record_id AS l, b.record_id AS r
            FROM m_names a JOIN m_names b USING (entity_type, text)
            WHERE a.record_id < b.record_id AND a.source_id <> b.source_id
              AND a.is_primary AND b.is_primary AND entity_type = 'organization'
        ), by_id AS (
            SELECT DISTINCT a.record_id AS l, b.record_id AS r
            FROM m_ids a JOIN m_ids b USING (id_class, value)
            WHERE a.record_id < b.record_id
        )
        SELECT row_number() OVER (ORDER BY l, r) - 1 AS pid, l, r FROM (
            SELECT l, r FROM ranked
            WHERE rank_l <= {MAX_CANDIDATES} OR rank_r <= {MAX_CANDIDATES}
            UNION SELECT l, r FROM same_list
            UNION SELECT l, r FROM same_primary
            UNION SELECT l, r FROM by_id
        )"""
    )
    stats.candidates = con.execute("SELECT count(*) FROM m_cand").fetchall()[0][0]
    return stats


def name_ambiguity(
    name_rows: list[list], sources: list[str], initials: dict[str, set[str]]
) -> list[tuple[int, bool]]:
    """For each name (a row of m_names): the lists in which it fits several parties (a bit per
    list, in `sources` order), and whether it is an acronym.

    An organisation's name fits the records that carry it ("ANSAR AL-SHARIA": the Tunisian, the
    Benghazi and the Darnah groups), but not those with a longer name (the IRGC's air force does
    not make "Islamic Revolutionary Guard Corps" generic). A person's name fits every record
    carrying all its tokens ("KIM Chol" fits every "KIM Chol Nam"). Records carrying exactly the
    same names count once (one party listed under two regimes), and so does a record whose names
    are all names of another with the same primary name (Australia lists KHORASAN METALLURGY
    INDUSTRIES once with its aliases, once without). A name is judged per pair of
    lists: a name two parties of the US list share still singles out one party between the UK
    and Australian lists. This one test covers generic phrases, aliases shared by distinct
    organisations and common names.

    A one-token name of MAX_ACRONYM_LENGTH letters or fewer is an acronym by its shape (spelt
    letter by letter, no vowel, or the initials of another name of its record: HUJI, IRGC) or
    by its frequency (a word of several parties' names in one list: STC); HAMAS and ALROSA are
    neither."""
    names_of: dict[str, set[str]] = defaultdict(set)
    primary_of: dict[str, set[str]] = defaultdict(set)
    carriers: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    postings: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for _, record_id, text, _, _, _, primary, *_, source_id, entity_type in name_rows:
        names_of[record_id].add(text)
        if primary:
            primary_of[record_id].add(text)
        carriers[(source_id, entity_type, text)].add(record_id)
        for token in set(text.split()):
            postings[(source_id, entity_type, token)].add(record_id)
    identity = {record_id: frozenset(texts) for record_id, texts in names_of.items()}

    def parties(records: set[str]) -> int:
        """Distinct parties among records of one list: a record whose names are all names of
        another with the same primary name is that party listed again, more tersely."""
        kinds = {(identity[record_id], frozenset(primary_of[record_id])) for record_id in records}
        return sum(
            1
            for names, primary in kinds
            if not any(other_primary == primary and names < other for other, other_primary in kinds)
        )

    def fitting(source_id: str, entity_type: str, text: str) -> set[str]:
        if entity_type == "organization":
            return carriers.get((source_id, entity_type, text), set())
        holding = sorted(
            (postings.get((source_id, entity_type, token), set()) for token in text.split()),
            key=len,
        )
        if len(holding[0]) < 2:  # the rarest token alone already fits one record at most
            return holding[0]
        return holding[0].intersection(*holding[1:])

    @cache
    def ambiguous_in(entity_type: str, text: str) -> int:
        return sum(
            1 << index
            for index, source_id in enumerate(sources)
            if parties(fitting(source_id, entity_type, text)) > 1
        )

    @cache
    def frequent_word(entity_type: str, token: str) -> bool:
        return any(
            parties(postings.get((source_id, entity_type, token), set())) > 1
            for source_id in sources
        )

    def acronym(record_id: str, text: str, spelt_out: bool, entity_type: str) -> bool:
        if " " in text or len(text) > MAX_ACRONYM_LENGTH:
            return False
        return (
            spelt_out
            or not any(vowel in text for vowel in "aeiouy")
            or any(_is_subsequence(text, other) for other in initials.get(record_id, ()))
            or frequent_word(entity_type, text)
        )

    return [
        (ambiguous_in(entity_type, text), acronym(record_id, text, spelt_out, entity_type))
        for _, record_id, text, *_, spelt_out, _, _, entity_type in name_rows
    ]


def _is_subsequence(short: str, letters: str) -> bool:
    """Whether `short` reads in order within `letters`, from its first letter ("huji" in the
    initials "hujai" of HARKAT-UL-JIHAD-AL-ISLAMI)."""
    if not letters or short[0] != letters[0]:
        return False
    remaining = iter(letters)
    return all(letter in remaining for letter in short)


SCORE_COLUMNS = [
    "pid",
    "name_score",
    "strong_score",
    "left_name",
    "right_name",
    "min_tokens",
    "primary_score",
    "close_matches",
    "primary_resemblance",
    "distinctive_score",
    "distinctive_tokens",
    "same_primary",
    "primary_form_conflict",
    "primary_contained",
]
SCORE_TYPES = ["BIGINT", "DOUBLE", "DOUBLE", "VARCHAR", "VARCHAR", "INTEGER", "DOUBLE", "INTEGER"]
SCORE_TYPES += ["DOUBLE", "DOUBLE", "INTEGER", "BOOLEAN", "BOOLEAN", "BOOLEAN"]


def score_candidates(con, stats: MatchStats) -> None:
    """Best name score per candidate pair, in bulk: one cpdist over every name pair."""
    names = con.execute(
        """SELECT text, shown, is_weak, tokens, is_primary, legal_form, folded,
                  ambiguous_in, acronym, source_bit,
                  entity_type = 'organization' AS organisation
           FROM m_names ORDER BY name_idx"""
    ).fetchnumpy()
    pairs = con.execute(
        """SELECT c.pid, a.name_idx AS a, b.name_idx AS b
           FROM m_cand c JOIN m_names a ON a.record_id = c.l JOIN m_names b ON b.record_id = c.r
           ORDER BY c.pid"""
    ).fetchnumpy()
    stats.name_pairs = len(pairs["pid"])
    if not stats.name_pairs:
        _temp_table(con, "m_name_scores", SCORE_COLUMNS, SCORE_TYPES, [])
        return
    a, b = pairs["a"].astype(np.int64), pairs["b"].astype(np.int64)
    left, right = names["text"][a], names["text"][b]
    tokens_a, tokens_b = names["tokens"][a], names["tokens"][b]
    score = cpdist(left, right, scorer=fuzz.token_sort_ratio, workers=-1).astype(np.float64)
    # spacing folded: "AL-QAIDA" = "ALQAIDA", "BIN LADEN" = "BINLADEN"
    score[names["folded"][a] == names["folded"][b]] = 100.0
    # A name contained in the other ("Ivan Petrov" in "Ivan Sergeyevich Petrov") scores just
    # below an equal one; single tokens never win by containment.
    subset = (tokens_a >= 2) & (tokens_b >= 2) & (score < 100)
    if subset.any():
        contained = cpdist(left[subset], right[subset], scorer=fuzz.token_set_ratio, workers=-1)
        score[subset] = np.maximum(score[subset], contained - 6)
    primary_a, primary_b = names["is_primary"][a], names["is_primary"][b]
    # identical primary names of two organisations, whatever their legal forms
    same_primary = names["organisation"][a] & primary_a & primary_b & (score == 100)
    same_primary &= ~(names["is_weak"][a] & names["is_weak"][b])
    forms_a, forms_b = names["legal_form"][a], names["legal_form"][b]
    form_conflict = (forms_a != "") & (forms_b != "") & (forms_a != forms_b)
    score -= np.where(form_conflict, FORM_CONFLICT_PENALTY, 0.0)
    # weak evidence: a name its publishers flag weak on both sides, the primary name of neither
    weak = names["is_weak"][a] & names["is_weak"][b] & ~primary_a & ~primary_b
    non_weak = np.where(weak, 0.0, score)
    # fits several parties of one of the two lists of the pair
    lists = names["source_bit"][a] | names["source_bit"][b]
    ambiguous = ((names["ambiguous_in"][a] | names["ambiguous_in"][b]) & lists) != 0
    acronym = names["acronym"][a] | names["acronym"][b]
    distinctive = np.where(~ambiguous & ~acronym, non_weak, 0.0)
    both_primary = primary_a & primary_b
    # one primary name within the other ("Fulmen" / "FULMEN GROUP", "Taghtiran" / "TAGHTIRAN
    # KASHAN COMPANY"): supports an identical alias as an identical primary name would
    primary_contained = np.zeros(len(score), dtype=bool)
    check = both_primary & names["organisation"][a] & (non_weak > 0) & ~ambiguous
    if check.any():
        primary_contained[check] = (
            cpdist(left[check], right[check], scorer=fuzz.token_set_ratio, workers=-1) == 100
        )
    # identical primary names of two organisations are evidence unless the name fits several
    # parties of one of the two lists or the legal forms differ ("OOO X" / "JSC X": two
    # companies of one group); an acronym or not ("HAMAS", "ALROSA", "SBERBANK")
    distinctive = np.where(same_primary & ~ambiguous & ~form_conflict, non_weak, distinctive)
    # An organisation's name is evidence only when it is distinctive: an alias can be generic
    # or shared by a network of fronts. A person's common name still scores; the decision
    # sends a match on it alone to review.
    strong = np.where(names["organisation"][a], distinctive, non_weak)
    pid = pairs["pid"].astype(np.int64)
    starts = np.flatnonzero(np.r_[True, pid[1:] != pid[:-1]])
    # the name pair shown for each candidate: the best strong one when it reaches review, else
    # the best (a link resting on a weak or generic alias shows that alias)
    order = np.lexsort((-score, -np.where(strong >= REVIEW, strong, 0.0), pid))
    first = order[np.r_[True, pid[order][1:] != pid[order][:-1]]]
    min_tokens = np.minimum(tokens_a, tokens_b)
    arrays = {
        "pid": pid[starts],
        "name_score": np.maximum.reduceat(score, starts),
        "strong_score": np.maximum.reduceat(strong, starts),
        "left_name": names["shown"][a[first]],
        "right_name": names["shown"][b[first]],
        "min_tokens": min_tokens[first],
        "primary_score": np.maximum.reduceat(np.where(both_primary, strong, 0.0), starts),
        "close_matches": np.add.reduceat((strong >= 95).astype(np.int64), starts),
        "primary_resemblance": np.maximum.reduceat(np.where(both_primary, non_weak, 0), starts),
        "distinctive_score": np.maximum.reduceat(distinctive, starts),
        "distinctive_tokens": np.maximum.reduceat(
            np.where(distinctive == 100, min_tokens, 0), starts
        ),
        "same_primary": np.maximum.reduceat(same_primary, starts),
        "primary_form_conflict": np.maximum.reduceat(same_primary & form_conflict, starts),
        "primary_contained": np.maximum.reduceat(primary_contained, starts),
    }
    _table_from_arrays(con, "m_name_scores", SCORE_COLUMNS, SCORE_TYPES, arrays)


def _facts_per_side(name: str, columns: str, table: str, where: str) -> str:
    """Two materialised CTEs, `left_<name>` and `right_<name>`: the facts of each side of every
    candidate, keyed by pid. Joining them on pid costs the product of two records' facts; a
    join of the two fact tables on a shared column first (what the optimiser chose inside a
    transaction for identifiers, on id_class) cost the product of two whole tables."""
    return ",\n".join(
        f"""{side}_{name} AS MATERIALIZED (
            SELECT c.pid, {columns} FROM m_cand c JOIN {table} f ON f.record_id = c.{column}
            WHERE {where})"""
        for side, column in (("left", "l"), ("right", "r"))
    )


SIDE_FACTS = ",\n".join(
    (
        _facts_per_side(
            "births",
            "f.earliest, f.latest, f.precision",
            "matching_input.birth_dates",
            "f.earliest IS NOT NULL",
        ),
        _facts_per_side("ids", "f.id_class, f.value", "m_ids", "true"),
        _facts_per_side(
            "nationalities",
            "f.country_code",
            "matching_input.countries",
            "f.relation IN ('nationality', 'citizenship') AND f.country_code IS NOT NULL",
        ),
        _facts_per_side(
            "addresses",
            "f.country_code",
            "matching_input.countries",
            "f.relation = 'address' AND f.country_code IS NOT NULL",
        ),
    )
)
EVIDENCE_SQL = f"""
CREATE OR REPLACE TEMP TABLE m_evidence AS
WITH {SIDE_FACTS},
births AS (
    SELECT pid,
           bool_or(a.precision = 'day' AND b.precision = 'day'
                   AND a.earliest = b.earliest) AS same_day,
           bool_or(a.earliest <= b.latest AND b.earliest <= a.latest) AS overlap,
           bool_or(a.earliest - INTERVAL 366 DAY <= b.latest
                   AND b.earliest - INTERVAL 366 DAY <= a.latest) AS near
    FROM left_births a JOIN right_births b USING (pid)
    GROUP BY pid
), id_pairs AS (
    SELECT pid, id_class, bool_or(a.value = b.value) AS shared
    FROM left_ids a JOIN right_ids b USING (pid, id_class) GROUP BY ALL
), ids AS (
    SELECT pid,
           bool_or(shared AND id_class IN ({", ".join(f"'{c}'" for c in STRONG_ID_CLASSES)}))
               AS shared_strong_id,
           bool_or(shared) AS shared_id,
           bool_or(shared AND id_class IN ({", ".join(f"'{c}'" for c in LISTING_ID_CLASSES)}))
               AS shared_listing_id,
           bool_or(NOT shared AND id_class IN ('passport', 'imo')) AS id_conflict,
           bool_or(NOT shared AND id_class = 'imo') AS imo_conflict
    FROM id_pairs GROUP BY pid
), addresses AS (
    SELECT pid, NOT bool_or(a.country_code = b.country_code) AS conflict
    FROM left_addresses a JOIN right_addresses b USING (pid)
    GROUP BY pid
), left_source AS MATERIALIZED (  -- one join at a time: never ra with rb on source_id
    SELECT c.pid, c.l, c.r, ra.source_id FROM m_cand c JOIN m_records ra ON ra.record_id = c.l
), same_list AS MATERIALIZED (
    SELECT c.pid, c.l, c.r FROM left_source c
    JOIN m_records rb ON rb.record_id = c.r AND rb.source_id = c.source_id
), own_names AS (  -- same-list candidates: the current names of each side the other lacks
    SELECT c.pid, side, count(*) AS names
    FROM (SELECT pid, l AS record_id, r AS other, 'l' AS side FROM same_list
          UNION ALL SELECT pid, r, l, 'r' FROM same_list) c
    JOIN m_names n ON n.record_id = c.record_id AND NOT n.former
    WHERE NOT EXISTS (SELECT 1 FROM m_names o
                      WHERE o.record_id = c.other AND o.text = n.text AND NOT o.former)
    GROUP BY ALL
), nested AS (  -- one record's names all among the other's, which has more
    SELECT pid, count(*) = 1 AS nested FROM own_names GROUP BY pid
), nationality AS (
    SELECT pid, bool_or(a.country_code = b.country_code) AS shared,
           NOT bool_or(a.country_code = b.country_code) AS conflict
    FROM left_nationalities a JOIN right_nationalities b USING (pid)
    GROUP BY pid
)
SELECT c.pid, c.l, c.r, ra.source_id = rb.source_id AS same_source,
       ra.entity_type AS entity_type, ra.entity_type <> rb.entity_type AS type_conflict,
       coalesce(s.name_score, 0) AS name_score, coalesce(s.strong_score, 0) AS strong_score,
       s.left_name, s.right_name, coalesce(s.min_tokens, 0) AS min_tokens,
       coalesce(s.primary_score, 0) AS primary_score,
       coalesce(s.close_matches, 0) AS close_matches,
       coalesce(s.primary_resemblance, 0) AS primary_resemblance,
       coalesce(s.distinctive_score, 0) AS distinctive_score,
       coalesce(s.distinctive_tokens, 0) AS distinctive_tokens,
       coalesce(s.same_primary, false) AS same_primary,
       coalesce(s.primary_form_conflict, false) AS primary_form_conflict,
       coalesce(s.primary_contained, false) AS primary_contained,
       coalesce(bi.same_day, false) AS dob_same_day, coalesce(bi.overlap, false) AS dob_overlap,
       bi.pid IS NOT NULL AND NOT bi.near AS dob_disjoint,
       coalesce(i.shared_strong_id, false) AS shared_strong_id,
       coalesce(i.shared_id, false) AS shared_id,
       coalesce(i.shared_listing_id, false) AS shared_listing_id,
       coalesce(i.id_conflict, false) AND NOT coalesce(i.shared_strong_id, false) AS id_conflict,
       coalesce(i.imo_conflict, false) AND NOT coalesce(i.shared_strong_id, false) AS imo_conflict,
       coalesce(n.shared, false) AS country_shared, coalesce(n.conflict, false) AS country_conflict,
       coalesce(ad.conflict, false) AS address_conflict,
       coalesce(ne.nested, false) AND ra.source_id = rb.source_id AS names_nested,
       ga.gender IS NOT NULL AND gb.gender IS NOT NULL AND ga.gender <> gb.gender AS gender_conflict
FROM m_cand c
JOIN m_records ra ON ra.record_id = c.l JOIN m_records rb ON rb.record_id = c.r
JOIN matching_input.records ga ON ga.record_id = c.l
JOIN matching_input.records gb ON gb.record_id = c.r
LEFT JOIN m_name_scores s USING (pid)
LEFT JOIN births bi USING (pid) LEFT JOIN ids i USING (pid) LEFT JOIN nationality n USING (pid)
LEFT JOIN addresses ad USING (pid) LEFT JOIN nested ne USING (pid)
"""

DECISION_SQL = f"""
CREATE OR REPLACE TEMP TABLE m_decided AS
WITH scored AS (
    SELECT *,
        name_score
        + CASE WHEN shared_strong_id THEN 12 WHEN shared_id THEN 6 ELSE 0 END
        + CASE WHEN dob_same_day THEN 6 WHEN dob_overlap THEN 3 ELSE 0 END
        + CASE WHEN country_shared THEN 3 ELSE 0 END
        - CASE WHEN dob_disjoint THEN 30 ELSE 0 END
        - CASE WHEN country_conflict THEN 8 ELSE 0 END
        - CASE WHEN gender_conflict THEN 15 ELSE 0 END
        - CASE WHEN id_conflict THEN 10 ELSE 0 END
        - CASE WHEN imo_conflict THEN 40 ELSE 0 END AS score,
        shared_id OR dob_overlap OR country_shared AS evidence,
        dob_disjoint OR country_conflict OR gender_conflict OR id_conflict OR type_conflict
            AS conflict,
        country_conflict OR gender_conflict OR id_conflict OR type_conflict AS hard_conflict,
        strong_score < name_score AND strong_score < {REVIEW} AND NOT same_primary AS weak_only
    FROM m_evidence
)
SELECT *,
    CASE
        WHEN imo_conflict THEN 'reject:imo-conflict'
        WHEN same_source THEN CASE
            WHEN strong_score = 100 AND (dob_same_day OR shared_strong_id) AND NOT conflict
                THEN 'accept:same-list-duplicate'
            WHEN entity_type = 'person' AND primary_score = 100 AND min_tokens >= 3
                 AND NOT conflict THEN 'accept:same-list-full-name'
            -- one organisation listed again, more tersely: the same primary name, every name
            -- of one record among the other's, no conflict, no address in another country
            WHEN entity_type = 'organization' AND same_primary AND primary_score = 100
                 AND names_nested AND NOT conflict AND NOT address_conflict
                THEN 'accept:same-list-same-party'
            WHEN score >= {REVIEW} THEN 'review:same-list'
            ELSE 'reject:below-review' END
        -- an IMO number or a UN reference names one hull or one UN listing whatever the name
        WHEN shared_listing_id AND NOT type_conflict AND NOT gender_conflict
            THEN 'accept:shared-listing-identifier'
        WHEN shared_listing_id THEN 'review:shared-listing-identifier+' || CASE
            WHEN type_conflict THEN 'entity-type-conflict' ELSE 'gender-conflict' END
        WHEN same_primary AND primary_score = 100 AND NOT conflict
            THEN 'accept:same-primary-name'
        -- a primary name several parties of one list carry (branches, a group's companies):
        -- another distinctive name, an identifier or a country must pick the party
        WHEN same_primary AND NOT conflict AND (shared_id OR country_shared OR close_matches >= 1)
            THEN 'accept:same-primary-name+evidence'
        WHEN weak_only AND score >= {REVIEW} THEN 'review:weak-alias-only'
        WHEN shared_strong_id AND strong_score >= {ID_NAME_FLOOR} AND NOT conflict
            THEN 'accept:shared-identifier'
        -- a passport and an identical name outweigh a birth date or nationality one list got
        -- wrong (OMAR HAMMAMI: same passport and SSN, born 1984 or 1986)
        WHEN shared_strong_id AND strong_score = 100 AND NOT gender_conflict AND NOT id_conflict
            THEN 'accept:shared-identifier+exact-name'
        WHEN score >= {ACCEPT} AND evidence AND strong_score >= {REVIEW}
            THEN 'accept:name+evidence'
        WHEN strong_score = 100 AND NOT conflict AND (min_tokens >= 2 OR close_matches >= 2)
             AND (entity_type <> 'organization' OR primary_score = 100 OR primary_contained
                  OR close_matches >= 3
                  OR (close_matches >= 2 AND primary_resemblance >= {PRIMARY_FLOOR}))
             AND (entity_type <> 'person' OR distinctive_score = 100)
            THEN 'accept:exact-name'
        WHEN entity_type = 'organization' AND distinctive_tokens >= {SPECIFIC_ALIAS_TOKENS}
             AND NOT conflict
            THEN 'accept:specific-name'
        WHEN entity_type = 'person' AND strong_score >= 95 AND min_tokens >= 3 AND NOT conflict
             AND distinctive_score >= 95
            THEN 'accept:close-full-name'
        WHEN entity_type = 'person' AND strong_score >= 95 AND min_tokens >= 2 AND NOT conflict
            THEN 'review:common-name'
        -- lists often disagree on a year: a rare exact full name is worth an analyst's look
        WHEN entity_type = 'person' AND strong_score = 100 AND distinctive_score = 100
             AND distinctive_tokens >= 2 AND dob_disjoint AND NOT hard_conflict
            THEN 'review:birth-date-conflict'
        -- organisations of one primary name kept apart: an analyst sees why
        WHEN same_primary THEN 'review:same-primary-name+' || CASE
            WHEN type_conflict THEN 'entity-type-conflict'
            WHEN id_conflict THEN 'identifier-conflict'
            WHEN country_conflict THEN 'nationality-conflict'
            WHEN dob_disjoint THEN 'date-conflict'
            WHEN primary_form_conflict THEN 'legal-form-conflict'
            ELSE 'name-fits-several' END
        WHEN score >= {REVIEW} THEN 'review:band'
        ELSE 'reject:below-review'
    END AS rule
FROM scored
"""


def decide(con) -> None:
    con.execute(EVIDENCE_SQL)
    con.execute(DECISION_SQL)


def explanation_sql() -> str:
    return """json_object(
        'name_score', round(name_score, 1), 'strong_name_score', round(strong_score, 1),
        'dob_same_day', dob_same_day, 'dob_overlap', dob_overlap, 'dob_disjoint', dob_disjoint,
        'shared_strong_identifier', shared_strong_id, 'shared_identifier', shared_id,
        'identifier_conflict', id_conflict, 'imo_conflict', imo_conflict,
        'country_shared', country_shared, 'country_conflict', country_conflict,
        'gender_conflict', gender_conflict, 'same_list', same_source,
        'entity_type', entity_type, 'weak_alias_only', weak_only,
        'primary_names_score', round(primary_score, 1), 'close_name_pairs', close_matches,
        'primary_names_resemblance', round(primary_resemblance, 1),
        'distinctive_name_score', round(distinctive_score, 1),
        'distinctive_exact_name_tokens', distinctive_tokens,
        'same_primary_name', same_primary, 'primary_legal_form_conflict', primary_form_conflict,
        'shared_listing_identifier', shared_listing_id, 'primary_contained', primary_contained,
        'address_conflict', address_conflict, 'names_nested', names_nested,
        'entity_type_conflict', type_conflict)"""


def write_links(con, stats: MatchStats, matched_at: datetime | None = None) -> None:
    """Replace matching.links with this run's review-or-better links and the judged pairs."""
    matched_at = matched_at or datetime.now(UTC)
    con.execute("DELETE FROM matching.links")
    con.execute(
        f"""INSERT INTO matching.links
        WITH latest AS (
            SELECT * FROM matching.judgements
            QUALIFY row_number() OVER (PARTITION BY left_record_id, right_record_id
                                       ORDER BY judged_at DESC) = 1
        )
        SELECT d.l, d.r, round(d.score, 2), round(d.name_score, 2),
               CASE WHEN j.verdict = 'same' THEN 'accept'
                    WHEN j.verdict = 'different' THEN 'reject'
                    ELSE split_part(d.rule, ':', 1) END,
               CASE WHEN j.verdict IN ('same', 'different') THEN 'judgement:' || j.verdict
                    ELSE d.rule END,
               d.left_name, d.right_name, {explanation_sql()}, ?, ?
        FROM m_decided d
        LEFT JOIN latest j ON j.left_record_id = d.l AND j.right_record_id = d.r
        WHERE d.rule NOT LIKE 'reject:%' OR j.verdict IS NOT NULL""",
        [MATCHER_VERSION, matched_at],
    )
    stats.decisions = dict(
        con.execute("SELECT rule, count(*) FROM matching.links GROUP BY rule").fetchall()
    )


def match(con) -> MatchStats:
    """Run blocking, scoring and decisions, and write matching.links (one transaction)."""
    stats = build_candidates(con)
    score_candidates(con, stats)
    decide(con)
    write_links(con, stats)
    return stats


def _temp_table(con, name: str, columns: list[str], types: list[str], rows: Iterable) -> None:
    """Create a temp table from Python rows by handing DuckDB numpy columns (no per-row work)."""
    rows = list(rows)
    if rows:
        arrays = {
            column: np.array(values, dtype=object if kind == "VARCHAR" else None)
            for column, kind, values in zip(columns, types, zip(*rows, strict=True), strict=True)
        }
    else:
        arrays = {column: np.array([], dtype=object) for column in columns}
    _table_from_arrays(con, name, columns, types, arrays)


def _table_from_arrays(con, name: str, columns, types, arrays: dict) -> None:
    view = f"{name}_arrays"
    con.register(view, arrays)
    try:
        selects = ", ".join(f"{c}::{t} AS {c}" for c, t in zip(columns, types, strict=True))
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {selects} FROM {view}")
    finally:
        con.unregister(view)
