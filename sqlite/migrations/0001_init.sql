-- Models, their immutable versions (artifact bytes with SHA-256 and size),
-- aliases with their history, API keys and the append-only audit log.
-- Times are UTC text in the fixed-width form 2006-01-02T15:04:05.000000Z,
-- so that comparing strings compares times.

CREATE TABLE models (
	id           INTEGER PRIMARY KEY,
	name         TEXT NOT NULL UNIQUE,
	task         TEXT NOT NULL,
	description  TEXT NOT NULL,
	last_version INTEGER NOT NULL DEFAULT 0, -- the highest version handed out
	created_at   TEXT NOT NULL,
	updated_at   TEXT NOT NULL
);

CREATE TABLE model_versions (
	model_id   INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
	version    INTEGER NOT NULL CHECK (version > 0),
	format     TEXT NOT NULL,
	sha256     TEXT NOT NULL,
	size       INTEGER NOT NULL,
	card       TEXT NOT NULL, -- galen.ModelCard as JSON
	artifact   BLOB NOT NULL,
	created_at TEXT NOT NULL,
	created_by TEXT NOT NULL,
	PRIMARY KEY (model_id, version)
);

CREATE TABLE aliases (
	model_id   INTEGER NOT NULL,
	name       TEXT NOT NULL,
	version    INTEGER NOT NULL,
	updated_at TEXT NOT NULL,
	PRIMARY KEY (model_id, name),
	FOREIGN KEY (model_id, version) REFERENCES model_versions (model_id, version) ON DELETE CASCADE
);

-- Every move of an alias. The alias's history is its moves that have not
-- been rolled back, newest last; the newest is where the alias points.
CREATE TABLE alias_moves (
	id             INTEGER PRIMARY KEY,
	model_id       INTEGER NOT NULL,
	alias          TEXT NOT NULL,
	version        INTEGER NOT NULL,
	moved_at       TEXT NOT NULL,
	rolled_back_at TEXT,
	FOREIGN KEY (model_id, version) REFERENCES model_versions (model_id, version) ON DELETE CASCADE
);
CREATE INDEX alias_moves_by_alias ON alias_moves (model_id, alias, id);

CREATE TABLE api_keys (
	seq        INTEGER PRIMARY KEY, -- insertion order, to list keys created in the same instant
	id         TEXT NOT NULL UNIQUE,
	name       TEXT NOT NULL,
	role       TEXT NOT NULL,
	prefix     TEXT NOT NULL,
	hash       TEXT NOT NULL UNIQUE,
	created_at TEXT NOT NULL,
	revoked_at TEXT
);

CREATE TABLE audit_events (
	id            INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused
	time          TEXT NOT NULL,
	key_id        TEXT NOT NULL,
	role          TEXT NOT NULL,
	method        TEXT NOT NULL,
	route         TEXT NOT NULL,
	model         TEXT NOT NULL,
	model_version INTEGER NOT NULL,
	input_sha256  TEXT NOT NULL,
	status        INTEGER NOT NULL,
	latency_ms    REAL NOT NULL
);
CREATE INDEX audit_events_by_time ON audit_events (time, id);
CREATE INDEX audit_events_by_key ON audit_events (key_id, time, id);
CREATE INDEX audit_events_by_model ON audit_events (model, time, id);

-- The audit log is append-only, also for anyone with a SQL shell.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
	SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
	SELECT RAISE(ABORT, 'audit_events is append-only');
END;
