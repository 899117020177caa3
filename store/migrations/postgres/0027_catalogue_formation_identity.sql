-- The identities an import reads of every stored formation of its source,
-- from an index alone: in the table they sit after the document (doc),
-- whose overflow pages a row read would walk (issue 18).
CREATE INDEX catalogue_formations_identity ON catalogue_formations (source, fkey, hash, raw_hash, datemaj, withdrawn_at);

-- Room in each page of the sessions for their next versions: a re-import
-- that rewrites a session without changing an indexed column then updates
-- it in place (HOT), without a new entry in each of its nine indexes
-- (issue 18: 30 000 rewritten sessions, 1.9–2.3 s → 0.33 s).
ALTER TABLE catalogue_sessions SET (fillfactor = 80);
