-- AIF quotes (issue 12): the quote (pre-filled from the catalogue session,
-- its Carif numbers kept), its co-funding lines and its history. Amounts
-- are integer cents, hours quarter hours, civil dates calendar.Date day
-- numbers. number is AIF-AAAA-NNNNNNN-CC (quotes.Number), the commitment
-- reference once validated.
CREATE TABLE quotes (
  id               INTEGER PRIMARY KEY,
  number           TEXT NOT NULL UNIQUE,
  org_id           INTEGER NOT NULL REFERENCES organisations (id),
  region           TEXT NOT NULL,
  session_id       INTEGER NOT NULL, -- catalogue_sessions, read through a seam (no foreign key)
  carif_source     TEXT NOT NULL,
  formation_numero TEXT NOT NULL,
  action_numero    TEXT NOT NULL,
  session_numero   TEXT NOT NULL,
  title            TEXT NOT NULL,
  place            TEXT NOT NULL,
  session_debut    INTEGER NOT NULL,
  session_fin      INTEGER NOT NULL,
  certifying       INTEGER NOT NULL,
  demandeur_id     INTEGER NOT NULL REFERENCES users (id),
  agence_id        INTEGER NOT NULL REFERENCES organisations (id),
  state            TEXT NOT NULL,
  hours_centre     INTEGER NOT NULL CHECK (hours_centre >= 0),
  hours_company    INTEGER NOT NULL CHECK (hours_company >= 0),
  hourly_cents     INTEGER NOT NULL CHECK (hourly_cents >= 0),
  total_cents      INTEGER NOT NULL,
  cofunding_cents  INTEGER NOT NULL,
  aif_cents        INTEGER NOT NULL,
  comment          TEXT NOT NULL,
  reason           TEXT NOT NULL,
  review           INTEGER NOT NULL,
  enrolment_id     INTEGER REFERENCES enrolments (id),
  version          INTEGER NOT NULL,
  transmitted_at   TIMESTAMP,
  created_at       TIMESTAMP NOT NULL,
  updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX quotes_org ON quotes (org_id, state, id);
CREATE INDEX quotes_agence ON quotes (agence_id, state, id);
CREATE INDEX quotes_demandeur ON quotes (demandeur_id, state, session_debut);
CREATE INDEX quotes_region ON quotes (region, state, id);
CREATE INDEX quotes_debut ON quotes (state, session_debut);

CREATE TABLE quote_lines (
  quote_id     INTEGER NOT NULL REFERENCES quotes (id),
  position     INTEGER NOT NULL,
  funder       TEXT NOT NULL,
  amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
  PRIMARY KEY (quote_id, position),
  UNIQUE (quote_id, funder)
);

CREATE TABLE quote_history (
  id          INTEGER PRIMARY KEY,
  quote_id    INTEGER NOT NULL REFERENCES quotes (id),
  action      TEXT NOT NULL,
  from_state  TEXT NOT NULL,
  to_state    TEXT NOT NULL,
  reason      TEXT NOT NULL,
  actor_id    INTEGER REFERENCES users (id),
  actor_label TEXT NOT NULL,
  actor_role  TEXT NOT NULL,
  at          TIMESTAMP NOT NULL
);
CREATE INDEX quote_history_quote ON quote_history (quote_id, id);
