-- Foundation: organizations, local accounts, login throttling, audit trail, idempotency keys.
-- Ids are INTEGER PRIMARY KEY AUTOINCREMENT (a rowid alias that is never reused, so an id
-- a client once saw never names another row). Timestamps are naive UTC with microseconds.

CREATE TABLE organizations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE CHECK (length(code) BETWEEN 1 AND 40),
    name_th TEXT NOT NULL CHECK (length(name_th) BETWEEN 1 AND 300),
    name_en TEXT CHECK (name_en IS NULL OR length(name_en) <= 300),
    kind TEXT NOT NULL CHECK (kind IN ('country', 'province', 'agency', 'district', 'local_government')),
    parent_id BIGINT REFERENCES organizations (id),
    -- The organization itself when it is a province, else its nearest province ancestor;
    -- NULL for national and regional units. Kept by the storage layer; scopes filter on it.
    province_id BIGINT REFERENCES organizations (id),
    -- Lower-cased code and names, so `q` matches the same way on both engines.
    search_text TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (parent_id IS NULL OR parent_id <> id)
);
CREATE INDEX organizations_parent_id ON organizations (parent_id);
CREATE INDEX organizations_province_id ON organizations (province_id);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE CHECK (length(username) BETWEEN 3 AND 64),
    display_name TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'province_admin', 'supervisor', 'agency_officer', 'viewer', 'integration')),
    organization_id BIGINT REFERENCES organizations (id),
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    version BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX users_organization_id ON users (organization_id);

-- Failed logins per username, in the database so the limit holds across instances.
CREATE TABLE login_throttle (
    username TEXT PRIMARY KEY NOT NULL,
    failures INTEGER NOT NULL CHECK (failures >= 0),
    window_started_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP
);

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    -- The province the entity belongs to (NULL: national), so province admins see their own.
    province_id BIGINT,
    request_id TEXT,
    -- JSON text: the changed fields, or the created/deleted representation.
    details TEXT NOT NULL
);
CREATE INDEX audit_events_entity ON audit_events (entity_type, entity_id);
CREATE INDEX audit_events_actor ON audit_events (actor);
CREATE INDEX audit_events_province_id ON audit_events (province_id);

CREATE TABLE idempotency_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    actor TEXT NOT NULL,
    request_path TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('in_progress', 'done')),
    response_status INTEGER,
    response_body TEXT,
    response_location TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (actor, request_path, idempotency_key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
