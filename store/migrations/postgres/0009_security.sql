-- Security (issue 16).
-- Login throttling: one counter per key ("e:" + e-mail, "i:" + address),
-- incremented atomically before a password is checked, over a window that
-- starts at window_start (Unix seconds).
CREATE TABLE login_counters (
  k            TEXT PRIMARY KEY,
  window_start BIGINT NOT NULL,
  n            BIGINT NOT NULL
);

-- Catalogue import sources belong to the Carif that first used them; another
-- Carif's source is refused. Sources used before belong to the first Carif
-- that imported them; sources only ever used by the platform (command line,
-- demo) have no row and are refused to every Carif.
CREATE TABLE catalogue_sources (
  source     TEXT PRIMARY KEY,
  org_id     BIGINT NOT NULL REFERENCES organisations (id),
  created_at TIMESTAMPTZ NOT NULL
);
INSERT INTO catalogue_sources (source, org_id, created_at)
  SELECT source, MIN(org_id), MIN(started_at) FROM catalogue_imports WHERE org_id IS NOT NULL GROUP BY source;
