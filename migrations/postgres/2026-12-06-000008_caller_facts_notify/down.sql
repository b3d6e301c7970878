DROP TRIGGER organizations_caller_facts ON organizations;
DROP TRIGGER users_caller_facts ON users;
DROP FUNCTION kpi_notify_caller_facts();
