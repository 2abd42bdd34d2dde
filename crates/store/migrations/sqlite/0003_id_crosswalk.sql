-- The id crosswalk: upstream record id <-> small integer alias (and the gateway id once
-- the gateway links one), per tenant and upstream.
CREATE TABLE id_crosswalk (
    tenant      TEXT    NOT NULL,
    upstream    TEXT    NOT NULL,
    upstream_id TEXT    NOT NULL,
    alias       INTEGER NOT NULL,
    gateway_id  TEXT,
    PRIMARY KEY (tenant, upstream, upstream_id)
);

CREATE UNIQUE INDEX id_crosswalk_alias ON id_crosswalk (tenant, upstream, alias);
CREATE INDEX id_crosswalk_gateway_id ON id_crosswalk (tenant, gateway_id);

CREATE TABLE crosswalk_sequences (
    tenant     TEXT    NOT NULL,
    upstream   TEXT    NOT NULL,
    last_alias INTEGER NOT NULL,
    PRIMARY KEY (tenant, upstream)
);
