-- Chorus Pro deposits (issue 17): one row per issued invoice or credit
-- note, written in the issuing transaction (the intent), before any call.
-- phase: a_deposer (nothing sent), envoi (deposer/flux called, its answer
-- not recorded: reconciled with rechercher/fournisseur before any new
-- deposit), pieces (flux known, justificatifs to upload), suivi (polling),
-- termine (final state reached), echec (deposit refused for good).
-- chorus_state is the last Chorus Pro state (IN_* of the flux, then the
-- invoice's statut). chorus_history keeps every state with its date.
CREATE TABLE chorus_deposits (
  invoice_id      INTEGER PRIMARY KEY REFERENCES invoices (id),
  org_id          INTEGER NOT NULL REFERENCES organisations (id),
  number          TEXT NOT NULL,
  phase           TEXT NOT NULL CHECK (phase IN ('a_deposer', 'envoi', 'pieces', 'suivi', 'termine', 'echec')),
  chorus_state    TEXT NOT NULL DEFAULT '',
  attempts        INTEGER NOT NULL DEFAULT 0,
  deposits        INTEGER NOT NULL DEFAULT 0,
  polls           INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TIMESTAMP NOT NULL,
  sent_at         TIMESTAMP,
  flux_number     TEXT NOT NULL DEFAULT '',
  cpp_id          INTEGER NOT NULL DEFAULT 0,
  attachments     TEXT NOT NULL DEFAULT '',
  last_answer     TEXT NOT NULL DEFAULT '',
  last_error      TEXT NOT NULL DEFAULT '',
  reason          TEXT NOT NULL DEFAULT '',
  created_at      TIMESTAMP NOT NULL,
  updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX chorus_deposits_org_state ON chorus_deposits (org_id, chorus_state);
CREATE INDEX chorus_deposits_due ON chorus_deposits (phase, next_attempt_at);

CREATE TABLE chorus_history (
  id          INTEGER PRIMARY KEY,
  invoice_id  INTEGER NOT NULL REFERENCES invoices (id),
  code        TEXT NOT NULL,
  at          TIMESTAMP NOT NULL,
  comment     TEXT NOT NULL DEFAULT '',
  recorded_at TIMESTAMP NOT NULL,
  UNIQUE (invoice_id, code, at)
);

-- Actions of the OF on an invoice Chorus Pro returned (recycler, completer).
CREATE TABLE chorus_actions (
  id          INTEGER PRIMARY KEY,
  invoice_id  INTEGER NOT NULL REFERENCES invoices (id),
  action      TEXT NOT NULL,
  comment     TEXT NOT NULL DEFAULT '',
  actor_label TEXT NOT NULL,
  at          TIMESTAMP NOT NULL
);
CREATE INDEX chorus_actions_invoice ON chorus_actions (invoice_id, id);
