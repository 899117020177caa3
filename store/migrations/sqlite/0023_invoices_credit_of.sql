-- The credit note of an invoice (the list and every document read it by
-- credit_of): without this index each read scanned every invoice.
CREATE INDEX invoices_credit_of ON invoices (credit_of);
