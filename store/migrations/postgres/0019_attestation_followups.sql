-- France Travail's « Relancer » of an OF about a month's missing monthly
-- attestations (issue 11): the last one sent per OF and month, so that an
-- OF is not reminded twice within a day for the same month.
CREATE TABLE attestation_followups (
  org_id        BIGINT NOT NULL REFERENCES organisations (id),
  month         INTEGER NOT NULL,
  last_sent_at  TIMESTAMPTZ NOT NULL,
  last_sent_by  TEXT NOT NULL,
  sent_count    INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (org_id, month)
);
