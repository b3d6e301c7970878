-- Published snapshots (docs/DOMAIN.md, "Published snapshots"): a round's summary as of an
-- instant, stored once for a meeting and never changed: the computed figures (the summary's
-- canonical JSON), not a recipe, so later reports, framework edits and code upgrades leave them
-- as they were. No UPDATE is ever issued on this table.

CREATE TABLE snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- A round with snapshots is not deleted (409, checked by the service; the key holds too).
    round_id BIGINT NOT NULL REFERENCES rounds (id),
    evaluation_id BIGINT NOT NULL REFERENCES evaluations (id),
    -- The instant the summary was computed at; not after published_at.
    as_of TIMESTAMP NOT NULL,
    published_at TIMESTAMP NOT NULL,
    -- Who published it: the token's subject and name at the time.
    published_by TEXT NOT NULL,
    published_by_name TEXT NOT NULL,
    -- SHA-256 of `summary`, 64 lower-case hex digits.
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    -- The round summary's canonical JSON (keys sorted by code point, no whitespace).
    summary TEXT NOT NULL,
    CHECK (as_of <= published_at)
);
CREATE INDEX snapshots_round_id ON snapshots (round_id);
