-- SQLite only (its search indexes now cover the walks and joins of a search,
-- and its full-text index gets a vocabulary table);
-- PostgreSQL keeps its indexes of 0006.
SELECT 1;
