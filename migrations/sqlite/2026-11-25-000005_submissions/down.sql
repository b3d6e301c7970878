DROP TABLE submission_events;
DROP TABLE submissions;
