-- A report's month as a number (year × 12 + month), kept by the database itself: the
-- summaries' facts statement (storage::summary::FACTS) turns each report's month into a bit of
-- its window, and parsing `period` for that (two SUBSTR and two casts per report, twice) was
-- a third of a national ranking's time (1.3 M reports; issue 14). Generated, so no write path
-- can forget it; not in the diesel schema, which never writes or reads it. Added to the end of
-- the covering index so the statement still never visits the table.
-- Virtual on SQLite (ALTER TABLE cannot add a stored one): computed when a row is indexed,
-- and the facts statement reads it from there.
ALTER TABLE submissions ADD COLUMN month_index INTEGER GENERATED ALWAYS AS
    (CAST(SUBSTR(period, 1, 4) AS INTEGER) * 12 + CAST(SUBSTR(period, 6, 2) AS INTEGER)) VIRTUAL;
DROP INDEX submissions_facts;
CREATE INDEX submissions_facts ON submissions
    (evaluation_id, period, status, first_submitted_at, indicator_id, organization_id, value, on_time,
     month_index);
