-- Invoicing (issue 14), the parts that need no quote: the OF's bank account
-- and VAT number entered once on « Mon organisme », and the invoice number
-- sequences (one per OF, series and year; a number is allocated inside the
-- transaction that issues the invoice, so a rolled-back issue leaves no gap).
CREATE TABLE billing_details (
  org_id       BIGINT PRIMARY KEY REFERENCES organisations (id),
  iban         TEXT NOT NULL,
  bic          TEXT NOT NULL,
  account_name TEXT NOT NULL,
  vat_id       TEXT NOT NULL DEFAULT '',
  updated_at   TIMESTAMPTZ NOT NULL,
  updated_by   TEXT NOT NULL
);

CREATE TABLE invoice_sequences (
  org_id      BIGINT NOT NULL REFERENCES organisations (id),
  series      TEXT NOT NULL,
  year        INTEGER NOT NULL,
  last_number BIGINT NOT NULL,
  PRIMARY KEY (org_id, series, year),
  CHECK (last_number > 0)
);
