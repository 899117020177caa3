-- An import leaves dead versions of the rows it rewrote; the VACUUM that
-- follows it (catalogue.maintenance) only prunes them and sets the
-- visibility map, without the index cleanup (most of its cost). The
-- autovacuum daemon does that cleanup once 2 % of a table is dead (by
-- default 20 %: a re-import of one formation in ten leaves about 2 % of the
-- sessions dead, so the pages holding them would stay out of the
-- visibility map for a dozen imports, and the index-only walks of a search
-- would read them from the heap). Issue 18.
ALTER TABLE catalogue_sessions SET (autovacuum_vacuum_scale_factor = 0.02);
ALTER TABLE catalogue_formations SET (autovacuum_vacuum_scale_factor = 0.02);
