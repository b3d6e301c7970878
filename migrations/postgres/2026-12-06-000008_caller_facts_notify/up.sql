-- Every instance keeps the callers it resolved in memory (auth::CallerCache) and must hear at
-- once when an account or an organization changes, whoever changes it: another instance, a
-- command-line tool, an operator's psql. The notification is sent when the change commits
-- (and not at all when it rolls back); storage::notify listens on this channel.
CREATE FUNCTION kpi_notify_caller_facts() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kpi_caller_facts', '');
    RETURN NULL;
END
$$;

-- Per statement: a bulk insert of thousands of accounts sends one notification, not thousands.
CREATE TRIGGER users_caller_facts
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION kpi_notify_caller_facts();

CREATE TRIGGER organizations_caller_facts
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON organizations
    FOR EACH STATEMENT EXECUTE FUNCTION kpi_notify_caller_facts();
