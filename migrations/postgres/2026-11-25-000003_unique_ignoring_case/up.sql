-- Codes and usernames are unique ignoring case: integrations, tokens and exports name things by
-- code, and `yst-peo` beside `YST-PEO` would be two names for one thing to a person. Codes and
-- usernames are ASCII (the domain refuses anything else), so lower() agrees on both engines.
CREATE UNIQUE INDEX organizations_code_ignoring_case ON organizations (lower(code));
CREATE UNIQUE INDEX users_username_ignoring_case ON users (lower(username));
CREATE UNIQUE INDEX components_code_ignoring_case ON components (evaluation_id, lower(code));
CREATE UNIQUE INDEX indicators_code_ignoring_case ON indicators (evaluation_id, lower(code));

-- One assignment per (indicator, organization): one role each, so one report per (indicator,
-- organization, period) is counted once in expected, received and sums.
ALTER TABLE assignments DROP CONSTRAINT assignments_indicator_id_organization_id_role_key;
CREATE UNIQUE INDEX assignments_one_per_organization ON assignments (indicator_id, organization_id);
