-- Search: the indexes walked in start-date order (0006) also carry
-- formation_id, withdrawn_at and fin, so that a walk keeping the sessions of
-- matched formations is an index-only scan once the table is vacuumed (an
-- import that reshapes the catalogue vacuums it): at 300 000 sessions,
-- « aide soignant » by date 52 → 24 ms. (SQLite's 0026 does the same with
-- key columns and adds a vocabulary table of its full-text index.)
DROP INDEX catalogue_sessions_start;
DROP INDEX catalogue_sessions_departement;
DROP INDEX catalogue_sessions_region;
CREATE INDEX catalogue_sessions_start ON catalogue_sessions ((CASE WHEN debut = 0 THEN 1 ELSE 0 END), debut, id) INCLUDE (formation_id, withdrawn_at, fin);
CREATE INDEX catalogue_sessions_departement ON catalogue_sessions (departement, (CASE WHEN debut = 0 THEN 1 ELSE 0 END), debut, id) INCLUDE (formation_id, withdrawn_at, fin);
CREATE INDEX catalogue_sessions_region ON catalogue_sessions (region, (CASE WHEN debut = 0 THEN 1 ELSE 0 END), debut, id) INCLUDE (formation_id, withdrawn_at, fin);
