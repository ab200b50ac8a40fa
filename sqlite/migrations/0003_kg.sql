-- The medical knowledge graph (package kg): what each imported source
-- says, replaced one source at a time. Node and edge attributes and
-- synonyms are JSON arrays. kg_state.generation moves on with every
-- import, so that replicas know to rebuild their in-memory graph.
CREATE TABLE kg_sources (
	name        TEXT PRIMARY KEY,
	license     TEXT NOT NULL,
	imported_at TEXT NOT NULL,
	rows_read   INTEGER NOT NULL,
	nodes       INTEGER NOT NULL,
	edges       INTEGER NOT NULL,
	dropped     INTEGER NOT NULL,
	report      TEXT NOT NULL
);

CREATE TABLE kg_nodes (
	source   TEXT NOT NULL,
	id       TEXT NOT NULL,
	type     TEXT NOT NULL,
	name     TEXT NOT NULL,
	synonyms TEXT NOT NULL,
	attrs    TEXT NOT NULL,
	PRIMARY KEY (source, id)
);

CREATE TABLE kg_edges (
	source  TEXT NOT NULL,
	seq     INTEGER NOT NULL,
	from_id TEXT NOT NULL,
	to_id   TEXT NOT NULL,
	type    TEXT NOT NULL,
	attrs   TEXT NOT NULL,
	PRIMARY KEY (source, seq)
);

CREATE TABLE kg_state (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	generation INTEGER NOT NULL
);
INSERT INTO kg_state (id, generation) VALUES (1, 0);
