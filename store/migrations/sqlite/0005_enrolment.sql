-- Training path (issue 6): enrolments of job seekers on catalogue sessions
-- (proposee → inscrite → entree ⇄ interrompue → sortie, refusee, annulee),
-- their dated movements (when it happened, when it was declared, late or
-- not), the corrections of movements, absences and their justificatifs.
-- Civil dates are calendar.Date day numbers (1 = 0001-01-01, in Paris), 0
-- meaning none: they compare and count days directly.
CREATE TABLE enrolments (
  id                  INTEGER PRIMARY KEY,
  org_id              INTEGER NOT NULL REFERENCES organisations (id),
  session_id          INTEGER NOT NULL, -- catalogue_sessions, read through a seam (no foreign key)
  session_title       TEXT NOT NULL,
  session_debut       INTEGER NOT NULL,
  session_fin         INTEGER NOT NULL,
  demandeur_id        INTEGER NOT NULL REFERENCES users (id),
  agence_id           INTEGER NOT NULL REFERENCES organisations (id),
  state               TEXT NOT NULL,
  planned_entry       INTEGER NOT NULL,
  entry_on            INTEGER NOT NULL DEFAULT 0,
  interrupted_on      INTEGER NOT NULL DEFAULT 0,
  interruption_reason TEXT NOT NULL DEFAULT '',
  exit_on             INTEGER NOT NULL DEFAULT 0,
  exit_reason         TEXT NOT NULL DEFAULT '',
  closed_reason       TEXT NOT NULL DEFAULT '',
  proposed_by         INTEGER REFERENCES users (id),
  proposed_role       TEXT NOT NULL,
  version             INTEGER NOT NULL DEFAULT 0,
  created_at          TIMESTAMP NOT NULL,
  updated_at          TIMESTAMP NOT NULL
);
-- The dashboard reads one OF's enrolments by state and date.
CREATE INDEX enrolments_org_state ON enrolments (org_id, state, planned_entry);
CREATE INDEX enrolments_org_fin ON enrolments (org_id, state, session_fin);
CREATE INDEX enrolments_org_session ON enrolments (org_id, session_id, state);
CREATE INDEX enrolments_demandeur ON enrolments (demandeur_id, state);
CREATE INDEX enrolments_agence ON enrolments (agence_id, state);
-- At most one open enrolment of a job seeker per session.
CREATE UNIQUE INDEX enrolments_open ON enrolments (demandeur_id, session_id)
  WHERE state IN ('proposee', 'inscrite', 'entree', 'interrompue');

CREATE TABLE enrolment_movements (
  id           INTEGER PRIMARY KEY,
  enrolment_id INTEGER NOT NULL REFERENCES enrolments (id),
  org_id       INTEGER NOT NULL REFERENCES organisations (id),
  action       TEXT NOT NULL,
  from_state   TEXT NOT NULL,
  to_state     TEXT NOT NULL,
  occurred_on  INTEGER NOT NULL,
  declared_at  TIMESTAMP NOT NULL,
  late         INTEGER NOT NULL DEFAULT 0,
  reason       TEXT NOT NULL DEFAULT '',
  comment      TEXT NOT NULL DEFAULT '',
  actor_id     INTEGER REFERENCES users (id),
  actor_label  TEXT NOT NULL
);
CREATE INDEX enrolment_movements_enrolment ON enrolment_movements (enrolment_id, id);
CREATE INDEX enrolment_movements_org ON enrolment_movements (org_id, late);

CREATE TABLE enrolment_corrections (
  id           INTEGER PRIMARY KEY,
  movement_id  INTEGER NOT NULL REFERENCES enrolment_movements (id),
  enrolment_id INTEGER NOT NULL REFERENCES enrolments (id),
  field        TEXT NOT NULL,
  before_value TEXT NOT NULL,
  after_value  TEXT NOT NULL,
  comment      TEXT NOT NULL,
  actor_id     INTEGER REFERENCES users (id),
  actor_label  TEXT NOT NULL,
  at           TIMESTAMP NOT NULL
);
CREATE INDEX enrolment_corrections_enrolment ON enrolment_corrections (enrolment_id, id);

CREATE TABLE enrolment_absences (
  id           INTEGER PRIMARY KEY,
  enrolment_id INTEGER NOT NULL REFERENCES enrolments (id),
  org_id       INTEGER NOT NULL REFERENCES organisations (id),
  from_on      INTEGER NOT NULL,
  to_on        INTEGER NOT NULL,
  minutes      INTEGER NOT NULL,
  justified    INTEGER NOT NULL,
  reason       TEXT NOT NULL DEFAULT '',
  declared_at  TIMESTAMP NOT NULL,
  actor_id     INTEGER REFERENCES users (id),
  actor_label  TEXT NOT NULL,
  CHECK (to_on >= from_on AND minutes > 0)
);
CREATE INDEX enrolment_absences_enrolment ON enrolment_absences (enrolment_id, from_on);

CREATE TABLE enrolment_files (
  id           INTEGER PRIMARY KEY,
  absence_id   INTEGER NOT NULL REFERENCES enrolment_absences (id),
  enrolment_id INTEGER NOT NULL REFERENCES enrolments (id),
  name         TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size         INTEGER NOT NULL,
  data         BLOB NOT NULL,
  created_at   TIMESTAMP NOT NULL
);
CREATE INDEX enrolment_files_absence ON enrolment_files (absence_id);
