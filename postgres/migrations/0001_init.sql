-- Models, their immutable versions (artifact bytes with SHA-256 and size),
-- aliases with their history, API keys and the append-only audit log.
-- Tables are created in the first schema of the connection's search_path.

CREATE TABLE models (
	id           bigserial PRIMARY KEY,
	name         text NOT NULL UNIQUE,
	task         text NOT NULL,
	description  text NOT NULL,
	last_version integer NOT NULL DEFAULT 0, -- the highest version handed out
	created_at   timestamptz NOT NULL,
	updated_at   timestamptz NOT NULL
);

CREATE TABLE model_versions (
	model_id   bigint NOT NULL REFERENCES models (id) ON DELETE CASCADE,
	version    integer NOT NULL CHECK (version > 0),
	format     text NOT NULL,
	sha256     text NOT NULL,
	size       bigint NOT NULL,
	card       jsonb NOT NULL, -- galen.ModelCard
	artifact   bytea NOT NULL,
	created_at timestamptz NOT NULL,
	created_by text NOT NULL,
	PRIMARY KEY (model_id, version)
);

CREATE TABLE aliases (
	model_id   bigint NOT NULL,
	name       text NOT NULL,
	version    integer NOT NULL,
	updated_at timestamptz NOT NULL,
	PRIMARY KEY (model_id, name),
	FOREIGN KEY (model_id, version) REFERENCES model_versions (model_id, version) ON DELETE CASCADE
);

-- Every move of an alias. The alias's history is its moves that have not
-- been rolled back, newest last; the newest is where the alias points.
CREATE TABLE alias_moves (
	id             bigserial PRIMARY KEY,
	model_id       bigint NOT NULL,
	alias          text NOT NULL,
	version        integer NOT NULL,
	moved_at       timestamptz NOT NULL,
	rolled_back_at timestamptz,
	FOREIGN KEY (model_id, version) REFERENCES model_versions (model_id, version) ON DELETE CASCADE
);
CREATE INDEX alias_moves_by_alias ON alias_moves (model_id, alias, id);

CREATE TABLE api_keys (
	seq        bigserial PRIMARY KEY, -- insertion order, to list keys created in the same instant
	id         text NOT NULL UNIQUE,
	name       text NOT NULL,
	role       text NOT NULL,
	prefix     text NOT NULL,
	hash       text NOT NULL UNIQUE,
	created_at timestamptz NOT NULL,
	revoked_at timestamptz
);

CREATE TABLE audit_events (
	id            bigserial PRIMARY KEY,
	time          timestamptz NOT NULL,
	key_id        text NOT NULL,
	role          text NOT NULL,
	method        text NOT NULL,
	route         text NOT NULL,
	model         text NOT NULL,
	model_version integer NOT NULL,
	input_sha256  text NOT NULL,
	status        integer NOT NULL,
	latency_ms    double precision NOT NULL
);
CREATE INDEX audit_events_by_time ON audit_events (time, id);
CREATE INDEX audit_events_by_key ON audit_events (key_id, time, id);
CREATE INDEX audit_events_by_model ON audit_events (model, time, id);

-- The audit log is append-only, also for anyone with a SQL shell.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
	FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
	FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
