-- The liveness of the workers (issue 17): every running worker beats here
-- (beat + 1 each second). A lease holder whose beat stops moving, as other
-- workers watch it, is dead: its jobs are released and taken again. This
-- does not depend on any clock, so it holds under a frozen KAIROS_NOW too.
CREATE TABLE worker_instances (
  id         TEXT PRIMARY KEY,
  beat       BIGINT NOT NULL,
  started_at TIMESTAMPTZ NOT NULL
);
