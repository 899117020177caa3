-- Catalogue: digest of the raw bytes of each formation's <formation> element
-- (lheo.Decoder.Digest), so that a re-import passes over unchanged records
-- without decoding them.
ALTER TABLE catalogue_formations ADD COLUMN raw_hash TEXT NOT NULL DEFAULT '';

-- Search filters by place, with the start-date order.
CREATE INDEX catalogue_sessions_departement ON catalogue_sessions (departement, debut);
CREATE INDEX catalogue_sessions_region ON catalogue_sessions (region, debut);
