-- Catalogue: digest of the raw bytes of each formation's <formation> element
-- (lheo.Decoder.Digest), so that a re-import passes over unchanged records
-- without decoding them.
ALTER TABLE catalogue_formations ADD COLUMN raw_hash TEXT NOT NULL DEFAULT '';

-- Search by start date (unknown dates last), walking an index that gives
-- that order, alone or after a place filter.
CREATE INDEX catalogue_sessions_start ON catalogue_sessions ((CASE WHEN debut = 0 THEN 1 ELSE 0 END), debut, id);
CREATE INDEX catalogue_sessions_departement ON catalogue_sessions (departement, (CASE WHEN debut = 0 THEN 1 ELSE 0 END), debut, id);
CREATE INDEX catalogue_sessions_region ON catalogue_sessions (region, (CASE WHEN debut = 0 THEN 1 ELSE 0 END), debut, id);
