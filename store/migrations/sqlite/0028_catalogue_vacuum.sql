-- PostgreSQL only (autovacuum settings of the catalogue tables); nothing
-- to change on SQLite, which keeps no visibility map.
SELECT 1;
