-- Foundation: settings, organisations, users, sessions, login throttling,
-- single-use tokens, API keys, audit trail, event outbox, jobs, schedules, mails.
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE organisations (
  id         INTEGER PRIMARY KEY,
  kind       TEXT NOT NULL,
  name       TEXT NOT NULL,
  siret      TEXT NOT NULL DEFAULT '',
  code       TEXT NOT NULL DEFAULT '',
  region     TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL
);
CREATE INDEX organisations_kind ON organisations (kind, name);

CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  org_id        INTEGER REFERENCES organisations (id),
  role          TEXT NOT NULL,
  email         TEXT NOT NULL UNIQUE,
  name          TEXT NOT NULL,
  habilitations TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL DEFAULT '',
  status        TEXT NOT NULL,
  created_at    TIMESTAMP NOT NULL,
  updated_at    TIMESTAMP NOT NULL,
  last_login_at TIMESTAMP
);
CREATE INDEX users_org ON users (org_id, name);

CREATE TABLE sessions (
  id           INTEGER PRIMARY KEY,
  token_hash   TEXT NOT NULL UNIQUE,
  user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at   TIMESTAMP NOT NULL,
  last_seen_at TIMESTAMP NOT NULL,
  expires_at   TIMESTAMP NOT NULL,
  ip           TEXT NOT NULL DEFAULT '',
  user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE login_attempts (
  id      INTEGER PRIMARY KEY,
  email   TEXT NOT NULL,
  ip      TEXT NOT NULL,
  at      TIMESTAMP NOT NULL,
  success INTEGER NOT NULL
);
CREATE INDEX login_attempts_email ON login_attempts (email, at);
CREATE INDEX login_attempts_ip ON login_attempts (ip, at);

CREATE TABLE user_tokens (
  id         INTEGER PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  purpose    TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at TIMESTAMP NOT NULL,
  expires_at TIMESTAMP NOT NULL,
  used_at    TIMESTAMP
);
CREATE INDEX user_tokens_user ON user_tokens (user_id, purpose);

CREATE TABLE api_keys (
  id           INTEGER PRIMARY KEY,
  org_id       INTEGER NOT NULL REFERENCES organisations (id),
  name         TEXT NOT NULL,
  prefix       TEXT NOT NULL,
  token_hash   TEXT NOT NULL UNIQUE,
  created_by   INTEGER REFERENCES users (id),
  created_at   TIMESTAMP NOT NULL,
  last_used_at TIMESTAMP,
  revoked_at   TIMESTAMP
);
CREATE INDEX api_keys_org ON api_keys (org_id);

CREATE TABLE audit_log (
  id               INTEGER PRIMARY KEY,
  at               TIMESTAMP NOT NULL,
  actor_user_id    INTEGER,
  actor_api_key_id INTEGER,
  actor_label      TEXT NOT NULL,
  org_id           INTEGER,
  action           TEXT NOT NULL,
  object_type      TEXT NOT NULL,
  object_id        TEXT NOT NULL,
  before_json      TEXT,
  after_json       TEXT,
  ip               TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id);
CREATE INDEX audit_log_org ON audit_log (org_id, at);

CREATE TABLE events (
  id          INTEGER PRIMARY KEY,
  at          TIMESTAMP NOT NULL,
  type        TEXT NOT NULL,
  org_id      INTEGER,
  object_type TEXT NOT NULL,
  object_id   TEXT NOT NULL,
  payload     TEXT NOT NULL
);
CREATE INDEX events_org ON events (org_id, id);

CREATE TABLE jobs (
  id           INTEGER PRIMARY KEY,
  kind         TEXT NOT NULL,
  payload      TEXT NOT NULL DEFAULT '',
  run_at       TIMESTAMP NOT NULL,
  attempts     INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  locked_by    TEXT,
  locked_until TIMESTAMP,
  last_error   TEXT NOT NULL DEFAULT '',
  done_at      TIMESTAMP,
  failed_at    TIMESTAMP,
  created_at   TIMESTAMP NOT NULL
);
CREATE INDEX jobs_pending ON jobs (done_at, failed_at, run_at);

CREATE TABLE schedules (
  name          TEXT PRIMARY KEY,
  every_seconds INTEGER NOT NULL,
  next_run_at   TIMESTAMP NOT NULL
);

CREATE TABLE mails (
  id         INTEGER PRIMARY KEY,
  created_at TIMESTAMP NOT NULL,
  to_addr    TEXT NOT NULL,
  subject    TEXT NOT NULL,
  body       TEXT NOT NULL,
  status     TEXT NOT NULL,
  sent_at    TIMESTAMP,
  error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mails_created ON mails (created_at);
