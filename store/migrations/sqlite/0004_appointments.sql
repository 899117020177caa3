-- Appointments (issue 5): job seekers' profiles (DE ↔ counsellor ↔ agence),
-- appointments (information sessions and interviews) with their seats
-- counter, their links to catalogue sessions, participants, per-OF calendar
-- feeds, and mail attachments (ICS invitations).
CREATE TABLE demandeurs (
  user_id       INTEGER PRIMARY KEY REFERENCES users (id),
  ft_id         TEXT NOT NULL UNIQUE,
  agence_id     INTEGER NOT NULL REFERENCES organisations (id),
  conseiller_id INTEGER REFERENCES users (id),
  created_at    TIMESTAMP NOT NULL
);
CREATE INDEX demandeurs_agence ON demandeurs (agence_id);
CREATE INDEX demandeurs_conseiller ON demandeurs (conseiller_id);

CREATE TABLE appointments (
  id            INTEGER PRIMARY KEY,
  org_id        INTEGER NOT NULL REFERENCES organisations (id),
  uid           TEXT NOT NULL UNIQUE,
  kind          TEXT NOT NULL,
  title         TEXT NOT NULL,
  starts_at     TIMESTAMP NOT NULL,
  ends_at       TIMESTAMP NOT NULL,
  place         TEXT NOT NULL DEFAULT '',
  video_url     TEXT NOT NULL DEFAULT '',
  capacity      INTEGER NOT NULL,
  seats_taken   INTEGER NOT NULL DEFAULT 0,
  comment       TEXT NOT NULL DEFAULT '',
  deadline      TIMESTAMP,
  status        TEXT NOT NULL,
  cancel_reason TEXT NOT NULL DEFAULT '',
  sequence      INTEGER NOT NULL DEFAULT 0,
  created_by    INTEGER REFERENCES users (id),
  created_at    TIMESTAMP NOT NULL,
  updated_at    TIMESTAMP NOT NULL,
  cancelled_at  TIMESTAMP,
  CHECK (seats_taken >= 0 AND seats_taken <= capacity)
);
CREATE INDEX appointments_org ON appointments (org_id, starts_at);
CREATE INDEX appointments_starts ON appointments (starts_at);

-- session_id refers to catalogue_sessions (issue 4) without a foreign key:
-- the catalogue is read through appointments.Sessions.
CREATE TABLE appointment_sessions (
  appointment_id INTEGER NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
  session_id     INTEGER NOT NULL,
  PRIMARY KEY (appointment_id, session_id)
);
CREATE INDEX appointment_sessions_session ON appointment_sessions (session_id);

CREATE TABLE participants (
  id               INTEGER PRIMARY KEY,
  appointment_id   INTEGER NOT NULL REFERENCES appointments (id),
  demandeur_id     INTEGER NOT NULL REFERENCES users (id),
  status           TEXT NOT NULL,
  result           TEXT NOT NULL DEFAULT '',
  result_motif     TEXT NOT NULL DEFAULT '',
  sequence         INTEGER NOT NULL DEFAULT 0,
  registered_by    INTEGER REFERENCES users (id),
  queued_at        TIMESTAMP NOT NULL,
  reminder_sent_at TIMESTAMP,
  created_at       TIMESTAMP NOT NULL,
  updated_at       TIMESTAMP NOT NULL,
  UNIQUE (appointment_id, demandeur_id)
);
CREATE INDEX participants_demandeur ON participants (demandeur_id);
CREATE INDEX participants_status ON participants (status, appointment_id);

CREATE TABLE appointment_feeds (
  org_id     INTEGER PRIMARY KEY REFERENCES organisations (id),
  token_hash TEXT NOT NULL UNIQUE,
  created_at TIMESTAMP NOT NULL
);

CREATE TABLE mail_attachments (
  id           INTEGER PRIMARY KEY,
  mail_id      INTEGER NOT NULL REFERENCES mails (id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  content_type TEXT NOT NULL,
  data         BLOB NOT NULL
);
CREATE INDEX mail_attachments_mail ON mail_attachments (mail_id);
