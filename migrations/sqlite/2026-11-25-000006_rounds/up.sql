-- Rounds (docs/DOMAIN.md, "Rounds"): named windows of months of an evaluation that summaries
-- cover, such as "รอบ 6 เดือน (ก.ย. 2564 – ก.พ. 2565)" over 2021-09 … 2022-02.

CREATE TABLE rounds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    evaluation_id BIGINT NOT NULL REFERENCES evaluations (id),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- The name as rounds are compared within an evaluation (domain::round::name_key: trimmed and
    -- lower-cased by the service, so both engines compare the same text; SQLite's lower() knows
    -- only ASCII, PostgreSQL's follows the collation).
    name_key TEXT NOT NULL,
    -- Calendar months written YYYY-MM (CE); text order is time order. Inside the evaluation's
    -- span (checked by the service: the span lives in another row).
    start_period TEXT NOT NULL CHECK (length(start_period) = 7),
    end_period TEXT NOT NULL CHECK (length(end_period) = 7),
    version BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (start_period <= end_period)
);
CREATE INDEX rounds_evaluation_id ON rounds (evaluation_id);
-- Names are unique within an evaluation ignoring case: rankings find rounds by name. The
-- service checks first (409 naming `name`); this index holds under any concurrency.
CREATE UNIQUE INDEX rounds_name_ignoring_case ON rounds (evaluation_id, name_key);
