-- Catalogue: LHÉO imports and their reports, formations (kept whole as JSON
-- for export and detail pages), sessions (one row each, with the columns
-- search, filters and the OF's view need) and a full-text index.
CREATE TABLE catalogue_imports (
  id            INTEGER PRIMARY KEY,
  source        TEXT NOT NULL,
  file_name     TEXT NOT NULL DEFAULT '',
  size_bytes    INTEGER NOT NULL DEFAULT 0,
  full_import   INTEGER NOT NULL DEFAULT 1,
  status        TEXT NOT NULL,
  version       TEXT NOT NULL DEFAULT '',
  actor_label   TEXT NOT NULL DEFAULT '',
  org_id        INTEGER,
  started_at    TIMESTAMP NOT NULL,
  finished_at   TIMESTAMP,
  counts        TEXT NOT NULL DEFAULT '{}',
  error_line    INTEGER NOT NULL DEFAULT 0,
  error_column  INTEGER NOT NULL DEFAULT 0,
  error_message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX catalogue_imports_started ON catalogue_imports (started_at);

CREATE TABLE catalogue_import_lines (
  id        INTEGER PRIMARY KEY,
  import_id INTEGER NOT NULL REFERENCES catalogue_imports (id),
  kind      TEXT NOT NULL,
  line      INTEGER NOT NULL,
  numero    TEXT NOT NULL DEFAULT '',
  message   TEXT NOT NULL
);
CREATE INDEX catalogue_import_lines_import ON catalogue_import_lines (import_id, id);

CREATE TABLE catalogue_formations (
  id           INTEGER PRIMARY KEY,
  source       TEXT NOT NULL,
  fkey         TEXT NOT NULL,
  numero       TEXT NOT NULL,
  datemaj      INTEGER NOT NULL,
  hash         TEXT NOT NULL,
  doc          TEXT NOT NULL,
  import_id    INTEGER NOT NULL,
  created_at   TIMESTAMP NOT NULL,
  updated_at   TIMESTAMP NOT NULL,
  withdrawn_at TIMESTAMP,
  UNIQUE (source, fkey)
);

CREATE TABLE catalogue_sessions (
  id            INTEGER PRIMARY KEY,
  formation_id  INTEGER NOT NULL REFERENCES catalogue_formations (id),
  source        TEXT NOT NULL,
  skey          TEXT NOT NULL,
  akey          TEXT NOT NULL,
  ahash         TEXT NOT NULL,
  numero        TEXT NOT NULL,
  intitule      TEXT NOT NULL,
  organisme     TEXT NOT NULL,
  siret         TEXT NOT NULL,
  formacodes    TEXT NOT NULL,
  romes         TEXT NOT NULL,
  region        TEXT NOT NULL,
  departement   TEXT NOT NULL,
  ville         TEXT NOT NULL,
  debut         INTEGER NOT NULL,
  fin           INTEGER NOT NULL,
  etat          TEXT NOT NULL,
  certifiante   INTEGER NOT NULL,
  modalite      TEXT NOT NULL,
  hash          TEXT NOT NULL,
  import_id     INTEGER NOT NULL,
  created_at    TIMESTAMP NOT NULL,
  updated_at    TIMESTAMP NOT NULL,
  withdrawn_at  TIMESTAMP,
  UNIQUE (source, skey)
);
CREATE INDEX catalogue_sessions_formation ON catalogue_sessions (formation_id);
CREATE INDEX catalogue_sessions_siret ON catalogue_sessions (siret, debut);
CREATE INDEX catalogue_sessions_debut ON catalogue_sessions (debut);

-- Full-text index of formations (rowid = catalogue_formations.id) over a
-- text folded in Go (lower case, accents removed).
CREATE VIRTUAL TABLE catalogue_search USING fts5 (text, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2');
