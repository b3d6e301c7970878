-- Monthly reports (submissions) and their history (docs/DOMAIN.md, "Reports and their workflow").

CREATE TABLE submissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The indicator's evaluation, kept beside it so lists and summaries filter without a join.
    evaluation_id BIGINT NOT NULL REFERENCES evaluations (id),
    indicator_id BIGINT NOT NULL REFERENCES indicators (id),
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    -- A calendar month written YYYY-MM (CE); text order is time order.
    period TEXT NOT NULL CHECK (length(period) = 7),
    value DOUBLE PRECISION CHECK (value BETWEEN -1e15 AND 1e15),
    narrative TEXT CHECK (length(narrative) <= 5000),
    obstacles TEXT CHECK (length(obstacles) <= 5000),
    suggestions TEXT CHECK (length(suggestions) <= 5000),
    -- JSON array of http(s) URLs, validated by the domain; never fetched.
    evidence_urls TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'returned')),
    review_comment TEXT CHECK (length(review_comment) <= 2000),
    -- Set once, by the first submit (or a backfilled batch item), never changed.
    first_submitted_at TIMESTAMP,
    -- 00:00 Asia/Bangkok on the deadline day of the next month, in UTC: the deadline day is
    -- frozen while the evaluation is active, the only time reports are written.
    due_at TIMESTAMP NOT NULL,
    -- first_submitted_at < due_at, stored so summaries count in SQL.
    on_time BOOLEAN,
    -- The token subject that created it.
    created_by TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT submissions_one_per_period UNIQUE (indicator_id, organization_id, period),
    CHECK ((first_submitted_at IS NULL) = (on_time IS NULL)),
    -- A counted report has a value and was submitted.
    CHECK (status NOT IN ('submitted', 'approved') OR (value IS NOT NULL AND first_submitted_at IS NOT NULL))
);
CREATE INDEX submissions_evaluation_period ON submissions (evaluation_id, period);
CREATE INDEX submissions_organization_id ON submissions (organization_id);

-- Every edit and transition of a report, written in the same transaction as the change.
CREATE TABLE submission_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id BIGINT NOT NULL REFERENCES submissions (id),
    occurred_at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('create', 'update', 'submit', 'approve', 'return')),
    comment TEXT,
    -- The report's state before (JSON; none for a create) and after the change.
    before TEXT,
    after TEXT NOT NULL
);
CREATE INDEX submission_events_submission_id ON submission_events (submission_id);
