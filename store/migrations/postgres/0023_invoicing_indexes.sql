-- Reads of the invoicing (issue 14) that scanned a whole table: the credit
-- note of an invoice (the list and every document read it by credit_of),
-- and the validated quote of an enrolment (every prepared invoice).
CREATE INDEX invoices_credit_of ON invoices (credit_of);
CREATE INDEX quotes_enrolment ON quotes (enrolment_id, state);
