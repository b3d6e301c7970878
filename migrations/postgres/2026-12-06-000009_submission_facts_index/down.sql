CREATE INDEX submissions_evaluation_period ON submissions (evaluation_id, period);
DROP INDEX submissions_facts;
