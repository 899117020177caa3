-- SQLite only (its start-date indexes now cover the search's walk);
-- PostgreSQL keeps its indexes of 0006.
SELECT 1;
