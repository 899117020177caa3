-- Bilans de formation (issue 13): one assessment per enrolment, written by
-- the OF after the exit; a version per transmission (a correction after
-- transmission is a new version with its reason, earlier ones kept); the
-- attendance over the whole training is taken from the attested months at
-- transmission. invoice_ref is set by the invoice that refers to it, after
-- which it can no longer be withdrawn.
CREATE TABLE assessments (
  id             INTEGER PRIMARY KEY,
  enrolment_id   INTEGER NOT NULL UNIQUE REFERENCES enrolments (id),
  org_id         INTEGER NOT NULL REFERENCES organisations (id),
  agence_id      INTEGER NOT NULL REFERENCES organisations (id),
  demandeur_id   INTEGER NOT NULL REFERENCES users (id),
  state          TEXT NOT NULL CHECK (state IN ('brouillon', 'transmis', 'retire')),
  version        INTEGER NOT NULL DEFAULT 0,
  result         TEXT NOT NULL DEFAULT '',
  blocks         TEXT NOT NULL DEFAULT '',
  skills         TEXT NOT NULL DEFAULT '',
  comments       TEXT NOT NULL DEFAULT '',
  next_steps     TEXT NOT NULL DEFAULT '',
  invoice_ref    TEXT NOT NULL DEFAULT '',
  transmitted_at TIMESTAMP,
  created_at     TIMESTAMP NOT NULL,
  updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX assessments_org ON assessments (org_id, state);
CREATE INDEX assessments_agence ON assessments (agence_id, state);

CREATE TABLE assessment_versions (
  id               INTEGER PRIMARY KEY,
  assessment_id    INTEGER NOT NULL REFERENCES assessments (id),
  version          INTEGER NOT NULL,
  kind             TEXT NOT NULL,
  result           TEXT NOT NULL,
  blocks           TEXT NOT NULL,
  skills           TEXT NOT NULL,
  comments         TEXT NOT NULL,
  next_steps       TEXT NOT NULL,
  planned_minutes  INTEGER NOT NULL,
  attended_minutes INTEGER NOT NULL,
  months           INTEGER NOT NULL,
  reason           TEXT NOT NULL DEFAULT '',
  actor_id         INTEGER REFERENCES users (id),
  actor_label      TEXT NOT NULL,
  at               TIMESTAMP NOT NULL,
  UNIQUE (assessment_id, version)
);

CREATE TABLE assessment_events (
  id            INTEGER PRIMARY KEY,
  assessment_id INTEGER NOT NULL REFERENCES assessments (id),
  action        TEXT NOT NULL,
  from_state    TEXT NOT NULL,
  to_state      TEXT NOT NULL,
  reason        TEXT NOT NULL DEFAULT '',
  actor_label   TEXT NOT NULL,
  at            TIMESTAMP NOT NULL
);
CREATE INDEX assessment_events_assessment ON assessment_events (assessment_id, id);

-- One reminder per enrolment whose assessment is late.
CREATE TABLE assessment_reminders (
  enrolment_id INTEGER PRIMARY KEY REFERENCES enrolments (id),
  sent_at      TIMESTAMP NOT NULL
);
