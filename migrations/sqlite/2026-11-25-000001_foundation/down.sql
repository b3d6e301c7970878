DROP TABLE idempotency_keys;
DROP TABLE audit_events;
DROP TABLE login_throttle;
DROP TABLE users;
DROP TABLE organizations;
