-- The number of customers per tenant, kept with the sequence in the same transactions,
-- so that the total of an unfiltered listing needs no count over the whole tenant.
ALTER TABLE tenant_sequences ADD COLUMN customer_count INTEGER NOT NULL DEFAULT 0;

UPDATE tenant_sequences
SET customer_count = (SELECT COUNT(*) FROM customers c WHERE c.tenant = tenant_sequences.tenant);
