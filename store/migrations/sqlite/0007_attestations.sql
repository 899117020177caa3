-- Monthly attendance attestations (issue 7, DOMAIN §7). One row per version
-- of the attestation of (enrolment, month): version 1 is the initial
-- attestation, later versions are rectificatives with a reason; the latest
-- has current = 1 and earlier ones are never changed. "a_saisir" is the
-- absence of any row. month is calendar.Month (year*12 + month - 1); figures
-- are minutes.
CREATE TABLE attestations (
  id             INTEGER PRIMARY KEY,
  enrolment_id   INTEGER NOT NULL REFERENCES enrolments (id),
  org_id         INTEGER NOT NULL REFERENCES organisations (id),
  agence_id      INTEGER NOT NULL REFERENCES organisations (id),
  session_id     INTEGER NOT NULL,
  month          INTEGER NOT NULL,
  version        INTEGER NOT NULL,
  kind           TEXT NOT NULL,
  state          TEXT NOT NULL,
  current        INTEGER NOT NULL,
  planned        INTEGER NOT NULL,
  attended       INTEGER NOT NULL,
  justified      INTEGER NOT NULL,
  unjustified    INTEGER NOT NULL,
  reason         TEXT NOT NULL DEFAULT '',
  due_on         INTEGER NOT NULL,
  late           INTEGER NOT NULL,
  attested_by    INTEGER REFERENCES users (id),
  attested_label TEXT NOT NULL,
  attested_at    TIMESTAMP NOT NULL,
  transmitted_at TIMESTAMP,
  CHECK (planned >= 0 AND attended >= 0 AND justified >= 0 AND unjustified >= 0)
);
CREATE UNIQUE INDEX attestations_version ON attestations (enrolment_id, month, version);
CREATE INDEX attestations_org_month ON attestations (org_id, month, current);
CREATE INDEX attestations_month_agence ON attestations (month, current, agence_id);

-- A session's rhythm for the attestations: hours per week spread over Monday
-- to Friday (default 35 h when absent) and the OF's days off.
CREATE TABLE attestation_sessions (
  session_id   INTEGER PRIMARY KEY,
  org_id       INTEGER NOT NULL REFERENCES organisations (id),
  week_minutes INTEGER NOT NULL,
  updated_at   TIMESTAMP NOT NULL
);
CREATE TABLE attestation_days_off (
  session_id INTEGER NOT NULL,
  org_id     INTEGER NOT NULL REFERENCES organisations (id),
  day        INTEGER NOT NULL,
  PRIMARY KEY (session_id, day)
);

-- Reminders sent (once per OF, month and kind).
CREATE TABLE attestation_reminders (
  org_id  INTEGER NOT NULL REFERENCES organisations (id),
  month   INTEGER NOT NULL,
  kind    TEXT NOT NULL,
  sent_at TIMESTAMP NOT NULL,
  PRIMARY KEY (org_id, month, kind)
);
