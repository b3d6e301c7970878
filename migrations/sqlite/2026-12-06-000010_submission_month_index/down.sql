DROP INDEX submissions_facts;
ALTER TABLE submissions DROP COLUMN month_index;
CREATE INDEX submissions_facts ON submissions
    (evaluation_id, period, status, first_submitted_at, indicator_id, organization_id, value, on_time);
