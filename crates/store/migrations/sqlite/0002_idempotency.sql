-- Idempotency records of creates: `pending` while the first request runs, then `done`
-- with its answer. `created_at` is in microseconds since the epoch.
CREATE TABLE idempotency (
    tenant        TEXT    NOT NULL,
    key           TEXT    NOT NULL,
    fingerprint   TEXT    NOT NULL,
    state         TEXT    NOT NULL CHECK (state IN ('pending', 'done')),
    customer_json TEXT,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant, key)
);

CREATE INDEX idempotency_created_at ON idempotency (created_at);
