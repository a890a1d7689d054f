-- Cross-jurisdiction entity resolution. links and clusters are rebuilt on every matching run;
-- judgements are the analysts' and are never rebuilt.
CREATE SCHEMA IF NOT EXISTS matching;

CREATE TABLE IF NOT EXISTS matching.links (
    left_record_id VARCHAR NOT NULL,
    right_record_id VARCHAR NOT NULL,
    score DOUBLE NOT NULL,
    name_score DOUBLE NOT NULL,
    decision VARCHAR NOT NULL,
    rule VARCHAR NOT NULL,
    left_name VARCHAR,
    right_name VARCHAR,
    explanation JSON,
    matcher_version VARCHAR NOT NULL,
    matched_at TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE matching.links IS 'Scored candidate pairs of records (review band and above), with the decision and why. Rebuilt on every matching run.';
COMMENT ON COLUMN matching.links.left_record_id IS 'The record that sorts first (core.records.record_id).';
COMMENT ON COLUMN matching.links.right_record_id IS 'The other record.';
COMMENT ON COLUMN matching.links.score IS 'Final score: the best name score adjusted by the evidence (0-100, may exceed 100 with strong evidence).';
COMMENT ON COLUMN matching.links.name_score IS 'Best similarity over the two records'' name variants (0-100, rapidfuzz on normalised names).';
COMMENT ON COLUMN matching.links.decision IS 'accept (same target), review (an analyst should look: also an accepted link whose merge the clusterer refused, rule review:merge-refused+<rule>) or reject; an analyst judgement overrides it.';
COMMENT ON COLUMN matching.links.rule IS 'The rule or band that decided, e.g. accept:name+evidence, review:weak-alias, judgement:same.';
COMMENT ON COLUMN matching.links.left_name IS 'The left name of the best-scoring name pair, as published.';
COMMENT ON COLUMN matching.links.right_name IS 'The right name of the best-scoring name pair, as published.';
COMMENT ON COLUMN matching.links.explanation IS 'JSON with every feature: name scores, birth dates, identifiers, countries, gender, entity types.';
COMMENT ON COLUMN matching.links.matcher_version IS 'Version of the matching rules that produced the link.';
COMMENT ON COLUMN matching.links.matched_at IS 'When the matching run ran.';

CREATE TABLE IF NOT EXISTS matching.judgements (
    left_record_id VARCHAR NOT NULL,
    right_record_id VARCHAR NOT NULL,
    verdict VARCHAR NOT NULL,
    author VARCHAR NOT NULL,
    judged_at TIMESTAMPTZ NOT NULL,
    note VARCHAR
);
COMMENT ON TABLE matching.judgements IS 'Analysts'' decisions on pairs of records. They override the matcher on every run and are never rebuilt; the latest judgement of a pair wins.';
COMMENT ON COLUMN matching.judgements.left_record_id IS 'The record that sorts first.';
COMMENT ON COLUMN matching.judgements.right_record_id IS 'The other record.';
COMMENT ON COLUMN matching.judgements.verdict IS 'same, different or unsure.';
COMMENT ON COLUMN matching.judgements.author IS 'Who judged.';
COMMENT ON COLUMN matching.judgements.judged_at IS 'When.';
COMMENT ON COLUMN matching.judgements.note IS 'Why, in the analyst''s words.';

CREATE TABLE IF NOT EXISTS matching.clusters (
    record_id VARCHAR NOT NULL,
    target_id VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    jurisdiction VARCHAR NOT NULL
);
COMMENT ON TABLE matching.clusters IS 'Every record exactly once, with the target (real-world party) it belongs to. Target ids are stable across runs.';
COMMENT ON COLUMN matching.clusters.record_id IS 'The record (core.records.record_id).';
COMMENT ON COLUMN matching.clusters.target_id IS 'Stable id of the target: each cluster keeps the previous id it shares most records with (ties: the cluster with the smallest record id, then the smaller id), so an unchanged cluster or one that gained or lost a record keeps its id, a merge keeps the id of the larger part and a split leaves it with the larger part. New ids are derived from the smallest record id.';
COMMENT ON COLUMN matching.clusters.source_id IS 'Source of the record.';
COMMENT ON COLUMN matching.clusters.jurisdiction IS 'US, CA, UK, EU, AU (and UN for the reference list), from the source registry.';

CREATE TABLE IF NOT EXISTS matching.target_merges (
    old_target_id VARCHAR NOT NULL,
    new_target_id VARCHAR NOT NULL,
    merged_at TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE matching.target_merges IS 'Target ids retired by a merge (no cluster kept them), and the id of the cluster that took most of their records. A retired id is never handed out again.';
COMMENT ON COLUMN matching.target_merges.old_target_id IS 'The retired target id.';
COMMENT ON COLUMN matching.target_merges.new_target_id IS 'The target id most of its records now have.';
COMMENT ON COLUMN matching.target_merges.merged_at IS 'When the merge happened.';

CREATE TABLE IF NOT EXISTS matching.target_splits (
    old_target_id VARCHAR NOT NULL,
    new_target_id VARCHAR NOT NULL,
    split_at TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE matching.target_splits IS 'Clusters split off a target: the part could not keep the id most of its records had, because a part with more of them kept it.';
COMMENT ON COLUMN matching.target_splits.old_target_id IS 'The id most of the part''s records had, kept by another cluster.';
COMMENT ON COLUMN matching.target_splits.new_target_id IS 'The id the split-off part got: another previous id of its records, or a new one.';
COMMENT ON COLUMN matching.target_splits.split_at IS 'When the split happened.';

CREATE TABLE IF NOT EXISTS matching.record_targets (
    record_id VARCHAR PRIMARY KEY,
    target_id VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL,
    jurisdiction VARCHAR NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE matching.record_targets IS 'Every record ever clustered, with its latest target id; kept when the record is delisted (so a delisting or a relisting still maps to its target) and re-pointed when a merge retires that id. Written in the same transaction as matching.clusters.';
COMMENT ON COLUMN matching.record_targets.record_id IS 'The record (core.records.record_id while it is listed).';
COMMENT ON COLUMN matching.record_targets.target_id IS 'Its target: the one in matching.clusters while listed, else the last one, or the id its last target was merged into.';
COMMENT ON COLUMN matching.record_targets.source_id IS 'Source of the record.';
COMMENT ON COLUMN matching.record_targets.jurisdiction IS 'US, CA, UK, EU, AU (and UN for the reference list), from the source registry.';
COMMENT ON COLUMN matching.record_targets.updated_at IS 'When a matching run last changed this row: first clustered, moved to another target, or re-pointed after a merge.';

CREATE OR REPLACE VIEW matching.review AS
SELECT l.*
FROM matching.links l
WHERE l.decision = 'review'
  AND NOT EXISTS (SELECT 1 FROM matching.judgements j
                  WHERE j.left_record_id = l.left_record_id
                    AND j.right_record_id = l.right_record_id)
ORDER BY l.score DESC;
COMMENT ON VIEW matching.review IS 'Links in the review band that no analyst has judged yet, best first. Record a decision with: sanctions judge LEFT RIGHT same|different|unsure.';
COMMENT ON COLUMN matching.review.left_record_id IS 'The record that sorts first (matching.links.left_record_id).';
COMMENT ON COLUMN matching.review.right_record_id IS 'The other record.';
COMMENT ON COLUMN matching.review.score IS 'Final score (matching.links.score).';
COMMENT ON COLUMN matching.review.name_score IS 'Best name similarity (matching.links.name_score).';
COMMENT ON COLUMN matching.review.decision IS 'Always review here: the matcher could not decide.';
COMMENT ON COLUMN matching.review.rule IS 'The rule or band that put the pair in review, e.g. review:weak-alias.';
COMMENT ON COLUMN matching.review.left_name IS 'The left name of the best-scoring name pair, as published.';
COMMENT ON COLUMN matching.review.right_name IS 'The right name of the best-scoring name pair, as published.';
COMMENT ON COLUMN matching.review.explanation IS 'JSON with every feature (matching.links.explanation).';
COMMENT ON COLUMN matching.review.matcher_version IS 'Version of the matching rules that produced the link.';
COMMENT ON COLUMN matching.review.matched_at IS 'When the matching run ran.';

CREATE TABLE IF NOT EXISTS matching.record_targets (record_id VARCHAR PRIMARY KEY, target_id
VARCHAR NOT NULL, source_id VARCHAR NOT NULL, jurisdiction VARCHAR NOT NULL, updated_at
TIMESTAMPTZ NOT NULL);

-- Every name a record ever carried: matching reads the names a list has since dropped too
-- (an alias that only an old ALT.CSV held still links the record).
CREATE TABLE IF NOT EXISTS matching.names_seen (
    source_id VARCHAR NOT NULL,
    record_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    is_weak BOOLEAN NOT NULL
);
COMMENT ON TABLE matching.names_seen IS 'Every distinct name of every record in every snapshot published to core or replayed into the history (a set: the order of loads does not change it). Matching uses the names a record no longer carries as former names.';
COMMENT ON COLUMN matching.names_seen.source_id IS 'Source of the record.';
COMMENT ON COLUMN matching.names_seen.record_id IS 'The record.';
COMMENT ON COLUMN matching.names_seen.name IS 'The name as published.';
COMMENT ON COLUMN matching.names_seen.kind IS 'primary, aka, fka, ... as published in that snapshot.';
COMMENT ON COLUMN matching.names_seen.is_weak IS 'Whether the publisher flagged it weak in that snapshot.';
