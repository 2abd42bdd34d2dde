-- Customers: the canonical record as JSON in `doc`, one column per single-valued field
-- (text fields with a Unicode-lowercase twin `<col>_lc`), date-times in microseconds
-- since the epoch, exact NUMERIC decimals. Text columns use the "C" collation so that
-- comparisons and ORDER BY are byte-wise, as in the reference evaluator.

CREATE TABLE tenant_sequences (
    tenant   TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    last_seq BIGINT NOT NULL
);

CREATE TABLE customers (
    tenant                  TEXT COLLATE "C" NOT NULL,
    id                      TEXT COLLATE "C" NOT NULL,
    id_lc                   TEXT COLLATE "C" NOT NULL,
    seq                     BIGINT NOT NULL,
    number                  TEXT COLLATE "C",
    number_lc               TEXT COLLATE "C",
    number_int              BIGINT,
    external_id             TEXT COLLATE "C",
    external_id_lc          TEXT COLLATE "C",
    reference_no            TEXT COLLATE "C",
    reference_no_lc         TEXT COLLATE "C",
    kind                    TEXT COLLATE "C",
    kind_lc                 TEXT COLLATE "C",
    display_name            TEXT COLLATE "C",
    display_name_lc         TEXT COLLATE "C",
    first_name              TEXT COLLATE "C",
    first_name_lc           TEXT COLLATE "C",
    middle_name             TEXT COLLATE "C",
    middle_name_lc          TEXT COLLATE "C",
    last_name               TEXT COLLATE "C",
    last_name_lc            TEXT COLLATE "C",
    company_name            TEXT COLLATE "C",
    company_name_lc         TEXT COLLATE "C",
    contact_person          TEXT COLLATE "C",
    contact_person_lc       TEXT COLLATE "C",
    default_email           TEXT COLLATE "C",
    default_email_lc        TEXT COLLATE "C",
    default_phone           TEXT COLLATE "C",
    default_phone_lc        TEXT COLLATE "C",
    org_number              TEXT COLLATE "C",
    org_number_lc           TEXT COLLATE "C",
    vat                     TEXT COLLATE "C",
    vat_lc                  TEXT COLLATE "C",
    tin                     TEXT COLLATE "C",
    tin_lc                  TEXT COLLATE "C",
    status                  TEXT COLLATE "C" NOT NULL,
    status_lc               TEXT COLLATE "C" NOT NULL,
    activation_time         BIGINT,
    expiration_time         BIGINT,
    credit_limit            NUMERIC,
    credit_balance          NUMERIC,
    receivable_high_balance NUMERIC,
    payment_terms           TEXT COLLATE "C",
    payment_terms_lc        TEXT COLLATE "C",
    credit_status           TEXT COLLATE "C",
    credit_status_lc        TEXT COLLATE "C",
    discount_rate           NUMERIC,
    credit_rate             NUMERIC,
    taxable                 BOOLEAN,
    currency                TEXT COLLATE "C",
    currency_lc             TEXT COLLATE "C",
    territory               TEXT COLLATE "C",
    territory_lc            TEXT COLLATE "C",
    reseller_no             TEXT COLLATE "C",
    reseller_no_lc          TEXT COLLATE "C",
    discount_id             TEXT COLLATE "C",
    discount_id_lc          TEXT COLLATE "C",
    note                    TEXT COLLATE "C",
    note_lc                 TEXT COLLATE "C",
    created_at              BIGINT NOT NULL,
    updated_at              BIGINT NOT NULL,
    version                 BIGINT NOT NULL,
    doc                     JSONB NOT NULL,
    PRIMARY KEY (tenant, id)
);

-- Nullable columns are indexed NULLS FIRST: scanned forwards for ASC NULLS FIRST and
-- backwards for DESC NULLS LAST, the two orders the store sorts in.
CREATE UNIQUE INDEX customers_seq ON customers (tenant, seq);
CREATE UNIQUE INDEX customers_number ON customers (tenant, number);
CREATE INDEX customers_number_int ON customers (tenant, number_int NULLS FIRST);
CREATE INDEX customers_external_id ON customers (tenant, external_id NULLS FIRST);
CREATE INDEX customers_reference_no ON customers (tenant, reference_no NULLS FIRST);
CREATE INDEX customers_display_name ON customers (tenant, display_name NULLS FIRST);
CREATE INDEX customers_display_name_lc ON customers (tenant, display_name_lc NULLS FIRST, display_name NULLS FIRST);
CREATE INDEX customers_last_name_lc ON customers (tenant, last_name_lc NULLS FIRST);
CREATE INDEX customers_company_name_lc ON customers (tenant, company_name_lc NULLS FIRST);
CREATE INDEX customers_default_email ON customers (tenant, default_email NULLS FIRST);
CREATE INDEX customers_default_phone ON customers (tenant, default_phone NULLS FIRST);
CREATE INDEX customers_org_number ON customers (tenant, org_number NULLS FIRST);
CREATE INDEX customers_vat ON customers (tenant, vat NULLS FIRST);
CREATE INDEX customers_tin ON customers (tenant, tin NULLS FIRST);
CREATE INDEX customers_status ON customers (tenant, status NULLS FIRST);
CREATE INDEX customers_activation_time ON customers (tenant, activation_time NULLS FIRST);
CREATE INDEX customers_expiration_time ON customers (tenant, expiration_time NULLS FIRST);
CREATE INDEX customers_credit_limit ON customers (tenant, credit_limit NULLS FIRST);
CREATE INDEX customers_discount_rate ON customers (tenant, discount_rate NULLS FIRST);
CREATE INDEX customers_credit_rate ON customers (tenant, credit_rate NULLS FIRST);
CREATE INDEX customers_territory ON customers (tenant, territory NULLS FIRST);
CREATE INDEX customers_reseller_no ON customers (tenant, reseller_no NULLS FIRST);
CREATE INDEX customers_created_at ON customers (tenant, created_at NULLS FIRST);
CREATE INDEX customers_updated_at ON customers (tenant, updated_at NULLS FIRST);

-- Every value of every multi-valued field (emails, phones, identifications, cards,
-- address parts), `field` being the canonical path.
CREATE TABLE customer_values (
    tenant      TEXT COLLATE "C" NOT NULL,
    customer_id TEXT COLLATE "C" NOT NULL,
    field       TEXT COLLATE "C" NOT NULL,
    value       TEXT COLLATE "C" NOT NULL,
    value_lc    TEXT COLLATE "C" NOT NULL,
    FOREIGN KEY (tenant, customer_id) REFERENCES customers (tenant, id) ON DELETE CASCADE
);

CREATE INDEX customer_values_owner ON customer_values (tenant, customer_id);
CREATE INDEX customer_values_value ON customer_values (tenant, field, value);
CREATE INDEX customer_values_value_lc ON customer_values (tenant, field, value_lc);
