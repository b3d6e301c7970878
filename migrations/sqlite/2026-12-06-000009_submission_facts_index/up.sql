-- The summaries' facts statement (storage::summary::FACTS) reads, per evaluation and period
-- range, only these columns of the reports: with all of them in the index it never visits the
-- table (PostgreSQL: an index-only scan; SQLite: a covering index). At national size (1.3 M
-- reports, 867 MB of table) the rankings of 77 provinces read 121 MB of index instead. It
-- replaces the (evaluation_id, period) index, whose every use it serves.
CREATE INDEX submissions_facts ON submissions
    (evaluation_id, period, status, first_submitted_at, indicator_id, organization_id, value, on_time);
DROP INDEX submissions_evaluation_period;
