-- Real-time exchange (issue 15): the change feed's order and audience, webhook
-- subscriptions, their deliveries and attempts, and API idempotency keys.

-- seq: the event's position in the change feed, given by the dispatcher in
-- one serialised transaction (NULL: not dispatched yet). Ids can commit out of
-- order on PostgreSQL; seq never does, so a cursor over seq is stable.
ALTER TABLE events ADD COLUMN seq INTEGER;
CREATE UNIQUE INDEX events_seq ON events (seq);
CREATE INDEX events_undispatched ON events (id) WHERE seq IS NULL;

-- The organisations that may see an event (its owner and, per object type,
-- the France Travail agence of the job seeker or the regional services).
CREATE TABLE event_audience (
  org_id   INTEGER NOT NULL REFERENCES organisations (id),
  seq      INTEGER NOT NULL,
  event_id INTEGER NOT NULL REFERENCES events (id),
  PRIMARY KEY (org_id, seq)
);

CREATE TABLE webhook_subscriptions (
  id                  INTEGER PRIMARY KEY,
  org_id              INTEGER NOT NULL REFERENCES organisations (id),
  url                 TEXT NOT NULL,
  description         TEXT NOT NULL DEFAULT '',
  event_types         TEXT NOT NULL, -- space-separated public types, or '*'
  secret              TEXT NOT NULL,
  previous_secret     TEXT NOT NULL DEFAULT '',
  previous_expires_at TIMESTAMP,
  state               TEXT NOT NULL, -- active, disabled
  disabled_reason     TEXT NOT NULL DEFAULT '',
  created_by          INTEGER REFERENCES users (id),
  created_at          TIMESTAMP NOT NULL,
  updated_at          TIMESTAMP NOT NULL,
  deleted_at          TIMESTAMP
);
CREATE INDEX webhook_subscriptions_org ON webhook_subscriptions (org_id, state);

CREATE TABLE webhook_deliveries (
  id              INTEGER PRIMARY KEY,
  subscription_id INTEGER NOT NULL REFERENCES webhook_subscriptions (id),
  event_id        INTEGER NOT NULL REFERENCES events (id),
  object_key      TEXT NOT NULL, -- object_type:object_id: deliveries of one object go in order
  state           TEXT NOT NULL, -- pending, delivered, failed
  ready           INTEGER NOT NULL, -- 1: the oldest pending delivery of its object on its subscription (the one that may go)
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TIMESTAMP NOT NULL,
  locked_until    TIMESTAMP,
  last_status     INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT NOT NULL DEFAULT '',
  replay_of       INTEGER,
  created_at      TIMESTAMP NOT NULL,
  delivered_at    TIMESTAMP
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, ready, next_attempt_at);
CREATE INDEX webhook_deliveries_object ON webhook_deliveries (subscription_id, object_key, state, id);
CREATE INDEX webhook_deliveries_sub ON webhook_deliveries (subscription_id, id);

CREATE TABLE webhook_attempts (
  id          INTEGER PRIMARY KEY,
  delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id),
  at          TIMESTAMP NOT NULL,
  status      INTEGER NOT NULL, -- HTTP status, 0 without an answer
  latency_ms  INTEGER NOT NULL,
  response    TEXT NOT NULL DEFAULT '', -- excerpt of the answer
  error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);

-- One row per (API key, Idempotency-Key): the first request inserts it, runs,
-- then stores its answer; any later request with that key gets the answer.
CREATE TABLE idempotency_keys (
  api_key_id   INTEGER NOT NULL,
  idem_key     TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status       INTEGER NOT NULL DEFAULT 0, -- 0 while the first request runs
  content_type TEXT NOT NULL DEFAULT '',
  body         TEXT NOT NULL DEFAULT '',
  created_at   TIMESTAMP NOT NULL,
  PRIMARY KEY (api_key_id, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Scopes of an API key (space-separated, "*" for everything: the keys made
-- before scopes existed keep their access).
ALTER TABLE api_keys ADD COLUMN scopes TEXT NOT NULL DEFAULT '*';
