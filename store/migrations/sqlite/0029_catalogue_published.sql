-- The highest formation and session ids a reader may see (issue 18). A
-- SQLite import writes its new rows in short transactions, under ids above
-- these, so that other writers never wait for the whole publication; the
-- searches and lookups leave out the rows above them, and the one short
-- transaction that publishes the rest of the import moves them up.
CREATE TABLE catalogue_published (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	formations BIGINT NOT NULL,
	sessions BIGINT NOT NULL
);
INSERT INTO catalogue_published (id, formations, sessions)
	SELECT 1, (SELECT COALESCE(MAX(id), 0) FROM catalogue_formations), (SELECT COALESCE(MAX(id), 0) FROM catalogue_sessions);

-- The secondary indexes an import dropped to load an empty table faster,
-- until it builds them again (each in a short transaction): if its process
-- stops in between, the next import builds them from here.
CREATE TABLE catalogue_dropped_indexes (
	name TEXT PRIMARY KEY,
	tbl TEXT NOT NULL,
	def TEXT NOT NULL
);
