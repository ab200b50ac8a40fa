-- The medical knowledge graph (package kg): what each imported source
-- says, replaced one source at a time. Node and edge attributes and
-- synonyms are JSON arrays. kg_state.generation moves on with every
-- import, so that replicas know to rebuild their in-memory graph.
CREATE TABLE kg_sources (
	name        text PRIMARY KEY,
	license     text NOT NULL,
	imported_at timestamptz NOT NULL,
	rows_read   bigint NOT NULL,
	nodes       bigint NOT NULL,
	edges       bigint NOT NULL,
	dropped     bigint NOT NULL,
	report      text NOT NULL
);

CREATE TABLE kg_nodes (
	source   text NOT NULL,
	id       text NOT NULL,
	type     text NOT NULL,
	name     text NOT NULL,
	synonyms text NOT NULL,
	attrs    text NOT NULL,
	PRIMARY KEY (source, id)
);

CREATE TABLE kg_edges (
	source  text NOT NULL,
	seq     bigint NOT NULL,
	from_id text NOT NULL,
	to_id   text NOT NULL,
	type    text NOT NULL,
	attrs   text NOT NULL,
	PRIMARY KEY (source, seq)
);

CREATE TABLE kg_state (
	id         integer PRIMARY KEY CHECK (id = 1),
	generation bigint NOT NULL
);
INSERT INTO kg_state (id, generation) VALUES (1, 0);
