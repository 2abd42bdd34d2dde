-- Customers: the canonical record as JSON in `doc`, one column per single-valued field
-- (text fields with a Unicode-lowercase twin `<col>_lc`), date-times in microseconds
-- since the epoch, decimals as REAL, booleans as 0/1.

CREATE TABLE tenant_sequences (
    tenant   TEXT    NOT NULL PRIMARY KEY,
    last_seq INTEGER NOT NULL
);

CREATE TABLE customers (
    tenant                  TEXT    NOT NULL,
    id                      TEXT    NOT NULL,
    id_lc                   TEXT    NOT NULL,
    seq                     INTEGER NOT NULL,
    number                  TEXT,
    number_lc               TEXT,
    number_int              INTEGER,
    external_id             TEXT,
    external_id_lc          TEXT,
    reference_no            TEXT,
    reference_no_lc         TEXT,
    kind                    TEXT,
    kind_lc                 TEXT,
    display_name            TEXT,
    display_name_lc         TEXT,
    first_name              TEXT,
    first_name_lc           TEXT,
    middle_name             TEXT,
    middle_name_lc          TEXT,
    last_name               TEXT,
    last_name_lc            TEXT,
    company_name            TEXT,
    company_name_lc         TEXT,
    contact_person          TEXT,
    contact_person_lc       TEXT,
    default_email           TEXT,
    default_email_lc        TEXT,
    default_phone           TEXT,
    default_phone_lc        TEXT,
    org_number              TEXT,
    org_number_lc           TEXT,
    vat                     TEXT,
    vat_lc                  TEXT,
    tin                     TEXT,
    tin_lc                  TEXT,
    status                  TEXT    NOT NULL,
    status_lc               TEXT    NOT NULL,
    activation_time         INTEGER,
    expiration_time         INTEGER,
    credit_limit            REAL,
    credit_balance          REAL,
    receivable_high_balance REAL,
    payment_terms           TEXT,
    payment_terms_lc        TEXT,
    credit_status           TEXT,
    credit_status_lc        TEXT,
    discount_rate           REAL,
    credit_rate             REAL,
    taxable                 INTEGER,
    currency                TEXT,
    currency_lc             TEXT,
    territory               TEXT,
    territory_lc            TEXT,
    reseller_no             TEXT,
    reseller_no_lc          TEXT,
    discount_id             TEXT,
    discount_id_lc          TEXT,
    note                    TEXT,
    note_lc                 TEXT,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL,
    version                 INTEGER NOT NULL,
    doc                     TEXT    NOT NULL,
    PRIMARY KEY (tenant, id)
);

CREATE UNIQUE INDEX customers_seq ON customers (tenant, seq);
CREATE UNIQUE INDEX customers_number ON customers (tenant, number);
CREATE INDEX customers_number_int ON customers (tenant, number_int);
CREATE INDEX customers_external_id ON customers (tenant, external_id);
CREATE INDEX customers_reference_no ON customers (tenant, reference_no);
CREATE INDEX customers_display_name ON customers (tenant, display_name);
CREATE INDEX customers_display_name_lc ON customers (tenant, display_name_lc, display_name);
CREATE INDEX customers_last_name_lc ON customers (tenant, last_name_lc);
CREATE INDEX customers_company_name_lc ON customers (tenant, company_name_lc);
CREATE INDEX customers_default_email ON customers (tenant, default_email);
CREATE INDEX customers_default_phone ON customers (tenant, default_phone);
CREATE INDEX customers_org_number ON customers (tenant, org_number);
CREATE INDEX customers_vat ON customers (tenant, vat);
CREATE INDEX customers_tin ON customers (tenant, tin);
CREATE INDEX customers_status ON customers (tenant, status);
CREATE INDEX customers_activation_time ON customers (tenant, activation_time);
CREATE INDEX customers_expiration_time ON customers (tenant, expiration_time);
CREATE INDEX customers_credit_limit ON customers (tenant, credit_limit);
CREATE INDEX customers_discount_rate ON customers (tenant, discount_rate);
CREATE INDEX customers_credit_rate ON customers (tenant, credit_rate);
CREATE INDEX customers_territory ON customers (tenant, territory);
CREATE INDEX customers_reseller_no ON customers (tenant, reseller_no);
CREATE INDEX customers_created_at ON customers (tenant, created_at);
CREATE INDEX customers_updated_at ON customers (tenant, updated_at);

-- Every value of every multi-valued field (emails, phones, identifications, cards,
-- address parts), `field` being the canonical path.
CREATE TABLE customer_values (
    tenant      TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    field       TEXT NOT NULL,
    value       TEXT NOT NULL,
    value_lc    TEXT NOT NULL,
    FOREIGN KEY (tenant, customer_id) REFERENCES customers (tenant, id) ON DELETE CASCADE
);

CREATE INDEX customer_values_owner ON customer_values (tenant, customer_id);
CREATE INDEX customer_values_value ON customer_values (tenant, field, value);
CREATE INDEX customer_values_value_lc ON customer_values (tenant, field, value_lc);
