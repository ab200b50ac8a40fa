package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/galenhealth/galen"
)

// FindModelByName returns the model called name. ENOTFOUND if there is none.
func (db *DB) FindModelByName(ctx context.Context, name string) (*galen.Model, error) {
	if !galen.ValidName(name) {
		return nil, galen.Errorf(galen.ENOTFOUND, "model %q not found", name)
	}
	ms, _, err := db.FindModels(ctx, galen.ModelFilter{Name: &name})
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, galen.Errorf(galen.ENOTFOUND, "model %q not found", name)
	}
	return ms[0], nil
}

// FindModels returns the models matching filter, ordered by name, and their
// total count before offset and limit.
func (db *DB) FindModels(ctx context.Context, filter galen.ModelFilter) ([]*galen.Model, int, error) {
	if err := filter.Validate(); err != nil {
		return nil, 0, err
	}
	var c conds
	if filter.Name != nil {
		c.add("name = ?", *filter.Name)
	}
	if filter.Task != nil {
		c.add("task = ?", *filter.Task)
	}
	// The count and the page come from one snapshot.
	tx, err := db.readTx(ctx)
	if err != nil {
		return nil, 0, internal("find models", err)
	}
	defer tx.Rollback(ctx)
	var total int
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM models"+c.String(), c.args...).Scan(&total); err != nil {
		return nil, 0, internal("count models", err)
	}
	rows, err := tx.Query(ctx, `SELECT id, name, task, description, created_at, updated_at FROM models`+
		c.String()+" ORDER BY name COLLATE \"C\""+limitClause(filter.Offset, filter.Limit), c.args...)
	if err != nil {
		return nil, 0, internal("find models", err)
	}
	ms, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*galen.Model, error) {
		var m galen.Model
		err := row.Scan(&m.ID, &m.Name, &m.Task, &m.Description, &m.CreatedAt, &m.UpdatedAt)
		m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
		return &m, err
	})
	if err != nil {
		return nil, 0, internal("find models", err)
	}
	return ms, total, nil
}

// CreateModel stores m, setting its ID and timestamps. EINVALID for a bad
// name, ECONFLICT if the name is taken.
func (db *DB) CreateModel(ctx context.Context, m *galen.Model) error {
	if err := m.Validate(); err != nil {
		return err
	}
	now := db.stamp()
	err := db.pool.QueryRow(ctx, `
		INSERT INTO models (name, task, description, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $4) RETURNING id`,
		m.Name, m.Task, m.Description, now).Scan(&m.ID)
	if isUnique(err) {
		return galen.Errorf(galen.ECONFLICT, "model %q already exists", m.Name)
	}
	if err != nil {
		return internal("create model", err)
	}
	m.CreatedAt, m.UpdatedAt = now, now
	return nil
}

// DeleteModel deletes the model with its versions and aliases. ENOTFOUND if absent.
func (db *DB) DeleteModel(ctx context.Context, name string) error {
	if !galen.ValidName(name) {
		return galen.Errorf(galen.ENOTFOUND, "model %q not found", name)
	}
	tag, err := db.pool.Exec(ctx, `DELETE FROM models WHERE name = $1`, name)
	if err != nil {
		return internal("delete model", err)
	}
	if tag.RowsAffected() == 0 {
		return galen.Errorf(galen.ENOTFOUND, "model %q not found", name)
	}
	return nil
}

// CreateModelVersion stores artifact as the next version of v.ModelName and
// sets v's Version, ModelID, SHA256, Size and CreatedAt. ENOTFOUND for an
// unknown model; EINVALID for an empty artifact, no format, or a card
// without task, training data or license.
func (db *DB) CreateModelVersion(ctx context.Context, v *galen.ModelVersion, artifact []byte) error {
	if err := v.Validate(artifact); err != nil {
		return err
	}
	if !galen.ValidName(v.ModelName) {
		return galen.Errorf(galen.ENOTFOUND, "model %q not found", v.ModelName)
	}
	card, err := json.Marshal(v.Card)
	if err != nil {
		return galen.WrapError(galen.EINVALID, "model card cannot be encoded (metrics must be finite numbers)", err)
	}
	sum := sha256.Sum256(artifact)
	now := db.stamp()

	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return internal("create model version", err)
	}
	defer tx.Rollback(ctx)
	// The UPDATE locks the model's row until commit, so concurrent uploads
	// to one model take numbers one after another.
	var (
		modelID int64
		version int
	)
	err = tx.QueryRow(ctx, `
		UPDATE models SET last_version = last_version + 1, updated_at = $1
		WHERE name = $2 RETURNING id, last_version`, now, v.ModelName).Scan(&modelID, &version)
	if noRows(err) {
		return galen.Errorf(galen.ENOTFOUND, "model %q not found", v.ModelName)
	}
	if err != nil {
		return internal("create model version", err)
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO model_versions (model_id, version, format, sha256, size, card, artifact, created_at, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		modelID, version, v.Format, hex.EncodeToString(sum[:]), len(artifact), string(card), artifact,
		now, v.CreatedBy); err != nil {
		return internal("create model version", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return internal("create model version", err)
	}
	v.ModelID, v.Version = modelID, version
	v.SHA256, v.Size = hex.EncodeToString(sum[:]), int64(len(artifact))
	v.CreatedAt = now
	return nil
}

const versionColumns = `v.model_id, m.name, v.version, v.format, v.sha256, v.size, v.card, v.created_at, v.created_by`

func scanVersion(row pgx.Row) (*galen.ModelVersion, error) {
	var (
		v    galen.ModelVersion
		card []byte
	)
	if err := row.Scan(&v.ModelID, &v.ModelName, &v.Version, &v.Format, &v.SHA256, &v.Size, &card, &v.CreatedAt, &v.CreatedBy); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(card, &v.Card); err != nil {
		return nil, errors.New("bad stored model card: " + err.Error())
	}
	v.CreatedAt = v.CreatedAt.UTC()
	return &v, nil
}

// FindModelVersion returns one version of a model; version is a number or
// an alias name. ENOTFOUND if there is no such model or version.
func (db *DB) FindModelVersion(ctx context.Context, model, version string) (*galen.ModelVersion, error) {
	var row pgx.Row
	if !galen.ValidName(model) || !galen.ValidName(version) {
		return nil, db.versionNotFound(ctx, model, version)
	}
	if galen.IsVersionNumber(version) {
		n, err := strconv.ParseInt(version, 10, 32)
		if err != nil { // too large to be a version
			return nil, db.versionNotFound(ctx, model, version)
		}
		row = db.pool.QueryRow(ctx, `SELECT `+versionColumns+`
			FROM model_versions v JOIN models m ON m.id = v.model_id
			WHERE m.name = $1 AND v.version = $2`, model, n)
	} else {
		row = db.pool.QueryRow(ctx, `SELECT `+versionColumns+`
			FROM aliases a
			JOIN model_versions v ON v.model_id = a.model_id AND v.version = a.version
			JOIN models m ON m.id = a.model_id
			WHERE m.name = $1 AND a.name = $2`, model, version)
	}
	v, err := scanVersion(row)
	if noRows(err) {
		return nil, db.versionNotFound(ctx, model, version)
	}
	if err != nil {
		return nil, internal("find model version", err)
	}
	return v, nil
}

// versionNotFound returns the ENOTFOUND error for a missing version, saying
// whether the model itself is missing.
func (db *DB) versionNotFound(ctx context.Context, model, version string) error {
	if _, err := db.modelID(ctx, db.pool, model); err != nil {
		return err
	}
	return galen.Errorf(galen.ENOTFOUND, "model %q has no version %q", model, version)
}

// querier is a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// modelID returns the id of the named model, ENOTFOUND if there is none.
func (db *DB) modelID(ctx context.Context, q querier, name string) (int64, error) {
	if !galen.ValidName(name) {
		return 0, galen.Errorf(galen.ENOTFOUND, "model %q not found", name)
	}
	var id int64
	err := q.QueryRow(ctx, `SELECT id FROM models WHERE name = $1`, name).Scan(&id)
	if noRows(err) {
		return 0, galen.Errorf(galen.ENOTFOUND, "model %q not found", name)
	}
	if err != nil {
		return 0, internal("find model", err)
	}
	return id, nil
}

// FindModelVersions returns all versions of a model, oldest first.
// ENOTFOUND if there is no such model.
func (db *DB) FindModelVersions(ctx context.Context, model string) ([]*galen.ModelVersion, error) {
	id, err := db.modelID(ctx, db.pool, model)
	if err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, `SELECT `+versionColumns+`
		FROM model_versions v JOIN models m ON m.id = v.model_id
		WHERE v.model_id = $1 ORDER BY v.version`, id)
	if err != nil {
		return nil, internal("find model versions", err)
	}
	vs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*galen.ModelVersion, error) { return scanVersion(row) })
	if err != nil {
		return nil, internal("find model versions", err)
	}
	return vs, nil
}

// LoadArtifact returns the artifact of a version after checking its SHA-256
// and size. A mismatch returns EINTERNAL and no bytes; ENOTFOUND if there is
// no such model or version.
func (db *DB) LoadArtifact(ctx context.Context, model string, version int) ([]byte, error) {
	var (
		artifact []byte
		want     string
		size     int64
	)
	if !galen.ValidName(model) {
		return nil, galen.Errorf(galen.ENOTFOUND, "model %q not found", model)
	}
	err := db.pool.QueryRow(ctx, `
		SELECT v.artifact, v.sha256, v.size
		FROM model_versions v JOIN models m ON m.id = v.model_id
		WHERE m.name = $1 AND v.version = $2`, model, version).Scan(&artifact, &want, &size)
	if noRows(err) {
		return nil, db.versionNotFound(ctx, model, strconv.Itoa(version))
	}
	if err != nil {
		return nil, internal("load artifact", err)
	}
	sum := sha256.Sum256(artifact)
	if got := hex.EncodeToString(sum[:]); got != want || int64(len(artifact)) != size {
		return nil, galen.Errorf(galen.EINTERNAL,
			"artifact of model %q version %d is damaged: its SHA-256 or size does not match the stored one; refusing to load it",
			model, version)
	}
	return artifact, nil
}

// lockModel returns the id of the named model and locks its row until the
// end of tx, so that alias moves on one model happen one after another.
func (db *DB) lockModel(ctx context.Context, tx pgx.Tx, name string) (int64, error) {
	if !galen.ValidName(name) {
		return 0, galen.Errorf(galen.ENOTFOUND, "model %q not found", name)
	}
	var id int64
	err := tx.QueryRow(ctx, `SELECT id FROM models WHERE name = $1 FOR UPDATE`, name).Scan(&id)
	if noRows(err) {
		return 0, galen.Errorf(galen.ENOTFOUND, "model %q not found", name)
	}
	if err != nil {
		return 0, internal("lock model", err)
	}
	return id, nil
}

// SetAlias points alias at version and records the move. ENOTFOUND if the
// model or version does not exist; EINVALID for a bad or all-digit name.
func (db *DB) SetAlias(ctx context.Context, model, alias string, version int) (*galen.Alias, error) {
	if err := galen.ValidateAliasName(alias); err != nil {
		return nil, err
	}
	now := db.stamp()
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, internal("set alias", err)
	}
	defer tx.Rollback(ctx)
	modelID, err := db.lockModel(ctx, tx, model)
	if err != nil {
		return nil, err
	}
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM model_versions WHERE model_id = $1 AND version = $2)`,
		modelID, version).Scan(&exists); err != nil {
		return nil, internal("set alias", err)
	}
	if !exists {
		return nil, galen.Errorf(galen.ENOTFOUND, "model %q has no version %d", model, version)
	}
	if err := moveAlias(ctx, tx, modelID, alias, version, now); err != nil {
		return nil, internal("set alias", err)
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO alias_moves (model_id, alias, version, moved_at) VALUES ($1, $2, $3, $4)`,
		modelID, alias, version, now); err != nil {
		return nil, internal("set alias", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, internal("set alias", err)
	}
	return &galen.Alias{ModelName: model, Name: alias, Version: version, UpdatedAt: now}, nil
}

// moveAlias points the alias at version, creating it if needed.
func moveAlias(ctx context.Context, tx pgx.Tx, modelID int64, alias string, version int, now time.Time) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO aliases (model_id, name, version, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (model_id, name) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
		modelID, alias, version, now)
	return err
}

// RollbackAlias moves alias back to the version it pointed at before its
// last move that was not itself rolled back. ENOTFOUND if there is none.
func (db *DB) RollbackAlias(ctx context.Context, model, alias string) (*galen.Alias, error) {
	now := db.stamp()
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, internal("roll back alias", err)
	}
	defer tx.Rollback(ctx)
	modelID, err := db.lockModel(ctx, tx, model)
	if err != nil {
		return nil, err
	}
	if !galen.ValidName(alias) {
		return nil, galen.Errorf(galen.ENOTFOUND, "model %q has no alias %q", model, alias)
	}
	// The two newest moves still in effect: the current one and the one before.
	rows, err := tx.Query(ctx, `
		SELECT id, version FROM alias_moves
		WHERE model_id = $1 AND alias = $2 AND rolled_back_at IS NULL
		ORDER BY id DESC LIMIT 2`, modelID, alias)
	if err != nil {
		return nil, internal("roll back alias", err)
	}
	type move struct {
		id      int64
		version int
	}
	moves, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (move, error) {
		var m move
		err := row.Scan(&m.id, &m.version)
		return m, err
	})
	if err != nil {
		return nil, internal("roll back alias", err)
	}
	if len(moves) < 2 {
		return nil, galen.Errorf(galen.ENOTFOUND, "alias %q of model %q has no earlier version to roll back to", alias, model)
	}
	if _, err := tx.Exec(ctx, `UPDATE alias_moves SET rolled_back_at = $1 WHERE id = $2`, now, moves[0].id); err != nil {
		return nil, internal("roll back alias", err)
	}
	prev := moves[1].version
	if err := moveAlias(ctx, tx, modelID, alias, prev, now); err != nil {
		return nil, internal("roll back alias", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, internal("roll back alias", err)
	}
	return &galen.Alias{ModelName: model, Name: alias, Version: prev, UpdatedAt: now}, nil
}

// FindAliases returns the current aliases of a model, ordered by name.
// ENOTFOUND if there is no such model.
func (db *DB) FindAliases(ctx context.Context, model string) ([]*galen.Alias, error) {
	id, err := db.modelID(ctx, db.pool, model)
	if err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, `
		SELECT name, version, updated_at FROM aliases WHERE model_id = $1 ORDER BY name COLLATE "C"`, id)
	if err != nil {
		return nil, internal("find aliases", err)
	}
	as, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*galen.Alias, error) {
		a := galen.Alias{ModelName: model}
		err := row.Scan(&a.Name, &a.Version, &a.UpdatedAt)
		a.UpdatedAt = a.UpdatedAt.UTC()
		return &a, err
	})
	if err != nil {
		return nil, internal("find aliases", err)
	}
	return as, nil
}
