-- Adhesion of training organisations (DOMAIN §3): the request, its history of
-- decisions, and the OF's Qualiopi certificates (history kept on renewal).
CREATE TABLE adhesions (
  id                INTEGER PRIMARY KEY,
  state             TEXT NOT NULL,
  raison_sociale    TEXT NOT NULL,
  siret             TEXT NOT NULL,
  siren             TEXT NOT NULL,
  nda               TEXT NOT NULL,
  address           TEXT NOT NULL,
  postal_code       TEXT NOT NULL,
  city              TEXT NOT NULL,
  region            TEXT NOT NULL,
  rgc_name          TEXT NOT NULL,
  rgc_email         TEXT NOT NULL,
  rgc_phone         TEXT NOT NULL DEFAULT '',
  token_hash        TEXT NOT NULL,
  conditions_at     TIMESTAMP NOT NULL,
  org_id            INTEGER REFERENCES organisations (id),
  convention_number TEXT UNIQUE,
  valid_from        TIMESTAMP,
  valid_until       TIMESTAMP,
  reason            TEXT NOT NULL DEFAULT '',
  submitted_at      TIMESTAMP NOT NULL,
  updated_at        TIMESTAMP NOT NULL
);
CREATE INDEX adhesions_queue ON adhesions (region, state, submitted_at);
CREATE INDEX adhesions_siret ON adhesions (siret);
CREATE INDEX adhesions_org ON adhesions (org_id);
-- At most one pending request per SIRET (the service also refuses a SIRET
-- with a validated or suspended adhesion that has not expired).
CREATE UNIQUE INDEX adhesions_pending_siret ON adhesions (siret) WHERE state IN ('demandee', 'en_instruction');

CREATE TABLE adhesion_history (
  id          INTEGER PRIMARY KEY,
  adhesion_id INTEGER NOT NULL REFERENCES adhesions (id),
  at          TIMESTAMP NOT NULL,
  action      TEXT NOT NULL,
  from_state  TEXT NOT NULL,
  to_state    TEXT NOT NULL,
  reason      TEXT NOT NULL DEFAULT '',
  actor_label TEXT NOT NULL
);
CREATE INDEX adhesion_history_adhesion ON adhesion_history (adhesion_id, id);

CREATE TABLE qualiopi_certificates (
  id            INTEGER PRIMARY KEY,
  adhesion_id   INTEGER NOT NULL REFERENCES adhesions (id),
  number        TEXT NOT NULL,
  certifier     TEXT NOT NULL,
  valid_from    TIMESTAMP NOT NULL,
  valid_until   TIMESTAMP NOT NULL,
  created_at    TIMESTAMP NOT NULL,
  created_by    TEXT NOT NULL,
  reminded_60_at TIMESTAMP,
  reminded_15_at TIMESTAMP
);
CREATE INDEX qualiopi_adhesion ON qualiopi_certificates (adhesion_id, id);
CREATE INDEX qualiopi_until ON qualiopi_certificates (valid_until);
