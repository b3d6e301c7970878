-- Evaluation frameworks: an evaluation per province and fiscal year, its weighted components,
-- indicators with scoring criteria, and the organizations assigned to report or supervise.

CREATE TABLE evaluations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    province_id BIGINT NOT NULL REFERENCES organizations (id),
    -- Buddhist Era: FY 2565 runs 1 Oct 2021 – 30 Sep 2022.
    fiscal_year INTEGER NOT NULL CHECK (fiscal_year BETWEEN 2500 AND 2700),
    title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    deadline_day INTEGER NOT NULL DEFAULT 3 CHECK (deadline_day BETWEEN 1 AND 28),
    -- Calendar months written YYYY-MM (CE); text order is time order.
    reporting_start TEXT NOT NULL CHECK (length(reporting_start) = 7),
    reporting_end TEXT NOT NULL CHECK (length(reporting_end) = 7),
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'closed')),
    version BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (reporting_start <= reporting_end)
);
CREATE INDEX evaluations_province_id ON evaluations (province_id);
CREATE INDEX evaluations_fiscal_year ON evaluations (fiscal_year);

CREATE TABLE components (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    evaluation_id BIGINT NOT NULL REFERENCES evaluations (id),
    code TEXT NOT NULL CHECK (length(code) BETWEEN 1 AND 40),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    -- Percent of the overall score; an evaluation's components sum to 100 to be activated.
    weight DOUBLE PRECISION NOT NULL CHECK (weight > 0 AND weight <= 100),
    version BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (evaluation_id, code)
);

CREATE TABLE indicators (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    evaluation_id BIGINT NOT NULL REFERENCES evaluations (id),
    component_id BIGINT NOT NULL REFERENCES components (id),
    code TEXT NOT NULL CHECK (length(code) BETWEEN 1 AND 40),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 500),
    description TEXT,
    unit TEXT,
    category TEXT CHECK (category IS NULL OR category IN ('paper_reduction', 'information_systems', 'energy_reduction', 'budget_savings', 'anti_corruption', 'integration')),
    frequency TEXT NOT NULL CHECK (frequency IN ('monthly', 'quarterly', 'semiannual', 'annual')),
    over_time TEXT NOT NULL CHECK (over_time IN ('sum', 'average', 'latest', 'max', 'min')),
    across_orgs TEXT NOT NULL CHECK (across_orgs IN ('sum', 'average')),
    score_basis TEXT NOT NULL CHECK (score_basis IN ('value', 'reduction_from_baseline')),
    baseline DOUBLE PRECISION,
    target DOUBLE PRECISION,
    -- Relative within the component.
    weight DOUBLE PRECISION NOT NULL CHECK (weight > 0),
    -- JSON array of 2–10 breakpoints [{"value": v, "score": s}], validated by the domain.
    criteria TEXT NOT NULL,
    -- Lower-cased code and name, so `q` matches the same way on both engines.
    search_text TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (evaluation_id, code)
);
CREATE INDEX indicators_component_id ON indicators (component_id);

CREATE TABLE assignments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    indicator_id BIGINT NOT NULL REFERENCES indicators (id),
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    role TEXT NOT NULL CHECK (role IN ('host', 'co_host', 'supervisor')),
    contact_name TEXT,
    contact_position TEXT,
    contact_phone TEXT,
    contact_email TEXT,
    -- Per-organization figures; the indicator's apply where these are absent.
    baseline DOUBLE PRECISION,
    target DOUBLE PRECISION,
    version BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (indicator_id, organization_id, role)
);
CREATE INDEX assignments_organization_id ON assignments (organization_id);
