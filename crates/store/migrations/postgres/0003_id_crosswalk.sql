-- The id crosswalk: upstream record id <-> small integer alias (and the gateway id once
-- the gateway links one), per tenant and upstream.
CREATE TABLE id_crosswalk (
    tenant      TEXT COLLATE "C" NOT NULL,
    upstream    TEXT COLLATE "C" NOT NULL,
    upstream_id TEXT COLLATE "C" NOT NULL,
    alias       BIGINT NOT NULL,
    gateway_id  TEXT COLLATE "C",
    PRIMARY KEY (tenant, upstream, upstream_id)
);

CREATE UNIQUE INDEX id_crosswalk_alias ON id_crosswalk (tenant, upstream, alias);
CREATE INDEX id_crosswalk_gateway_id ON id_crosswalk (tenant, gateway_id);

CREATE TABLE crosswalk_sequences (
    tenant     TEXT COLLATE "C" NOT NULL,
    upstream   TEXT COLLATE "C" NOT NULL,
    last_alias BIGINT NOT NULL,
    PRIMARY KEY (tenant, upstream)
);
