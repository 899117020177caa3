-- Invoices and credit notes issued by an OF to France Travail (issue 14):
-- prepared from the validated AIF quote, the attested hours and the
-- transmitted assessment; stored as issued (the model, the CII XML and the
-- Factur-X PDF are kept byte for byte). An invoice is cancelled by a credit
-- note (type 381) that refers to it; at most one invoice in force per
-- enrolment.
CREATE TABLE invoices (
  id            INTEGER PRIMARY KEY,
  org_id        INTEGER NOT NULL REFERENCES organisations (id),
  enrolment_id  INTEGER NOT NULL REFERENCES enrolments (id),
  number        TEXT NOT NULL,
  type_code     TEXT NOT NULL CHECK (type_code IN ('380', '381')),
  state         TEXT NOT NULL CHECK (state IN ('emise', 'annulee')),
  credit_of     INTEGER REFERENCES invoices (id),
  quote_number  TEXT NOT NULL,
  issue_date    INTEGER NOT NULL,
  total_cents   INTEGER NOT NULL,
  reason        TEXT NOT NULL DEFAULT '',
  model         TEXT NOT NULL,
  xml           BLOB NOT NULL,
  pdf           BLOB NOT NULL,
  actor_label   TEXT NOT NULL,
  created_at    TIMESTAMP NOT NULL,
  UNIQUE (org_id, number)
);
CREATE UNIQUE INDEX invoices_in_force ON invoices (enrolment_id) WHERE type_code = '380' AND state = 'emise';
CREATE INDEX invoices_org ON invoices (org_id, id);
