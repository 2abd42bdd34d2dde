-- Idempotency records of creates: `pending` while the first request runs, then `done`
-- with its answer. `created_at` is in microseconds since the epoch.
CREATE TABLE idempotency (
    tenant        TEXT COLLATE "C" NOT NULL,
    key           TEXT COLLATE "C" NOT NULL,
    fingerprint   TEXT COLLATE "C" NOT NULL,
    state         TEXT COLLATE "C" NOT NULL CHECK (state IN ('pending', 'done')),
    customer_json TEXT,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (tenant, key)
);

CREATE INDEX idempotency_created_at ON idempotency (created_at);
