-- Absences can be corrected or withdrawn, with their history; a change
-- after a month was attested makes that month's attestation « à rectifier »
-- (derived from the changes, never stored).
ALTER TABLE enrolment_absences ADD COLUMN withdrawn_at TIMESTAMP;

CREATE TABLE enrolment_absence_changes (
  id           INTEGER PRIMARY KEY,
  absence_id   INTEGER NOT NULL REFERENCES enrolment_absences (id),
  enrolment_id INTEGER NOT NULL REFERENCES enrolments (id),
  action       TEXT NOT NULL CHECK (action IN ('declarer', 'corriger', 'retirer')),
  lo_on        INTEGER NOT NULL, -- first and last day touched, before and after
  hi_on        INTEGER NOT NULL,
  before_value TEXT NOT NULL DEFAULT '',
  after_value  TEXT NOT NULL DEFAULT '',
  comment      TEXT NOT NULL DEFAULT '',
  actor_id     INTEGER REFERENCES users (id),
  actor_label  TEXT NOT NULL,
  at           TIMESTAMP NOT NULL
);
CREATE INDEX enrolment_absence_changes_enrolment ON enrolment_absence_changes (enrolment_id, hi_on);
CREATE INDEX enrolment_absence_changes_absence ON enrolment_absence_changes (absence_id, id);

INSERT INTO enrolment_absence_changes (absence_id, enrolment_id, action, lo_on, hi_on, actor_id, actor_label, at)
  SELECT id, enrolment_id, 'declarer', from_on, to_on, actor_id, actor_label, declared_at FROM enrolment_absences;
