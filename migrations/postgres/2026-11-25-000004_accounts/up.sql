-- A token issued before the account's last password reset or re-enable is refused
-- (docs/DOMAIN.md, "Accounts"); tokens issued before this migration stay valid.
ALTER TABLE users ADD COLUMN credentials_changed_at TIMESTAMP(6);
UPDATE users SET credentials_changed_at = created_at;
ALTER TABLE users ALTER COLUMN credentials_changed_at SET NOT NULL;

-- The login throttle counts password checks (reserved before hashing), keyed by the username
-- lower-cased. Counts kept under the old, case-sensitive keys are dropped.
DELETE FROM login_throttle;
ALTER TABLE login_throttle RENAME COLUMN failures TO checks;
ALTER TABLE login_throttle ALTER COLUMN locked_until TYPE TIMESTAMP(6);
