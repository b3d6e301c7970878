DELETE FROM login_throttle;
ALTER TABLE login_throttle RENAME COLUMN checks TO failures;
ALTER TABLE users DROP COLUMN credentials_changed_at;
