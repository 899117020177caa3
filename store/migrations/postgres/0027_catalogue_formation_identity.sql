-- The identities an import reads of every stored formation of its source,
-- from an index alone: in the table they sit after the document (doc),
-- whose overflow pages a row read would walk (issue 18).
CREATE INDEX catalogue_formations_identity ON catalogue_formations (source, fkey, hash, raw_hash, datemaj, withdrawn_at);
