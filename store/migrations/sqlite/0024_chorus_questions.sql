-- Questions of an OF to the Chorus Pro assistance about one of its invoices
-- (issue 17, « sollicitations »). The row is the intent, written before any
-- call. phase: a_envoyer (nothing sent), envoi (creer/sollicitation called,
-- its answer not recorded: reconciled with rechercher/sollicitation before
-- any new sending), suivi (polling consulter/sollicitation), termine (a
-- final status: REPONDUE, CLOTUREE), echec (refused by Chorus Pro for good).
-- token is the submission's token: a double submit finds the same row.
CREATE TABLE chorus_questions (
  id              INTEGER PRIMARY KEY,
  invoice_id      INTEGER NOT NULL REFERENCES invoices (id),
  org_id          INTEGER NOT NULL REFERENCES organisations (id),
  token           TEXT NOT NULL,
  category_id     INTEGER NOT NULL,
  category_code   TEXT NOT NULL,
  category_label  TEXT NOT NULL,
  subject         TEXT NOT NULL,
  message         TEXT NOT NULL,
  author_label    TEXT NOT NULL,
  phase           TEXT NOT NULL CHECK (phase IN ('a_envoyer', 'envoi', 'suivi', 'termine', 'echec')),
  status          TEXT NOT NULL DEFAULT '',
  chorus_id       INTEGER NOT NULL DEFAULT 0,
  chorus_number   TEXT NOT NULL DEFAULT '',
  answer          TEXT NOT NULL DEFAULT '',
  answered_at     TIMESTAMP,
  attempts        INTEGER NOT NULL DEFAULT 0,
  sendings        INTEGER NOT NULL DEFAULT 0,
  polls           INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TIMESTAMP NOT NULL,
  sent_at         TIMESTAMP,
  last_error      TEXT NOT NULL DEFAULT '',
  reason          TEXT NOT NULL DEFAULT '',
  created_at      TIMESTAMP NOT NULL,
  updated_at      TIMESTAMP NOT NULL,
  UNIQUE (invoice_id, token)
);
CREATE INDEX chorus_questions_invoice ON chorus_questions (invoice_id, id);
CREATE INDEX chorus_questions_due ON chorus_questions (phase, next_attempt_at);
