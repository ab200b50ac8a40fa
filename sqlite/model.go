package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

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
	where, args := []string{"1 = 1"}, []any{}
	if filter.Name != nil {
		where, args = append(where, "name = ?"), append(args, *filter.Name)
	}
	if filter.Task != nil {
		where, args = append(where, "task = ?"), append(args, *filter.Task)
	}
	cond := " WHERE " + strings.Join(where, " AND ")

	// The count and the page come from one snapshot.
	tx, err := db.readTx(ctx)
	if err != nil {
		return nil, 0, internal("find models", err)
	}
	defer tx.Rollback()
	var total int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM models"+cond, args...).Scan(&total); err != nil {
		return nil, 0, internal("count models", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, name, task, description, created_at, updated_at FROM models`+
		cond+" ORDER BY name"+limitClause(filter.Offset, filter.Limit), args...)
	if err != nil {
		return nil, 0, internal("find models", err)
	}
	defer rows.Close()
	var ms []*galen.Model
	for rows.Next() {
		var (
			m                galen.Model
			created, updated string
		)
		if err := rows.Scan(&m.ID, &m.Name, &m.Task, &m.Description, &created, &updated); err != nil {
			return nil, 0, internal("find models", err)
		}
		if m.CreatedAt, err = parseTime(created); err != nil {
			return nil, 0, internal("find models", err)
		}
		if m.UpdatedAt, err = parseTime(updated); err != nil {
			return nil, 0, internal("find models", err)
		}
		ms = append(ms, &m)
	}
	if err := rows.Err(); err != nil {
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
	err := db.db.QueryRowContext(ctx, `
		INSERT INTO models (name, task, description, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`,
		m.Name, m.Task, m.Description, formatTime(now), formatTime(now)).Scan(&m.ID)
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
	res, err := db.db.ExecContext(ctx, `DELETE FROM models WHERE name = ?`, name)
	if err != nil {
		return internal("delete model", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return internal("delete model", err)
	} else if n == 0 {
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

	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return internal("create model version", err)
	}
	defer tx.Rollback()
	// Taking the next number and bumping updated_at in one UPDATE serialises
	// concurrent uploads to the same model.
	var (
		modelID int64
		version int
	)
	err = tx.QueryRowContext(ctx, `
		UPDATE models SET last_version = last_version + 1, updated_at = ?
		WHERE name = ? RETURNING id, last_version`, formatTime(now), v.ModelName).Scan(&modelID, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return galen.Errorf(galen.ENOTFOUND, "model %q not found", v.ModelName)
	}
	if err != nil {
		return internal("create model version", err)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO model_versions (model_id, version, format, sha256, size, card, artifact, created_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		modelID, version, v.Format, hex.EncodeToString(sum[:]), len(artifact), string(card), artifact,
		formatTime(now), v.CreatedBy); err != nil {
		return internal("create model version", err)
	}
	if err := tx.Commit(); err != nil {
		return internal("create model version", err)
	}
	v.ModelID, v.Version = modelID, version
	v.SHA256, v.Size = hex.EncodeToString(sum[:]), int64(len(artifact))
	v.CreatedAt = now
	return nil
}

const versionColumns = `v.model_id, m.name, v.version, v.format, v.sha256, v.size, v.card, v.created_at, v.created_by`

func scanVersion(row interface{ Scan(...any) error }) (*galen.ModelVersion, error) {
	var (
		v             galen.ModelVersion
		card, created string
	)
	if err := row.Scan(&v.ModelID, &v.ModelName, &v.Version, &v.Format, &v.SHA256, &v.Size, &card, &created, &v.CreatedBy); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(card), &v.Card); err != nil {
		return nil, errors.New("bad stored model card: " + err.Error())
	}
	var err error
	if v.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	return &v, nil
}

// FindModelVersion returns one version of a model; version is a number or
// an alias name. ENOTFOUND if there is no such model or version.
func (db *DB) FindModelVersion(ctx context.Context, model, version string) (*galen.ModelVersion, error) {
	var row *sql.Row
	if !galen.ValidName(model) || !galen.ValidName(version) {
		return nil, db.versionNotFound(ctx, model, version)
	}
	if galen.IsVersionNumber(version) {
		n, err := strconv.Atoi(version)
		if err != nil { // too large to be a version
			return nil, db.versionNotFound(ctx, model, version)
		}
		row = db.db.QueryRowContext(ctx, `SELECT `+versionColumns+`
			FROM model_versions v JOIN models m ON m.id = v.model_id
			WHERE m.name = ? AND v.version = ?`, model, n)
	} else {
		row = db.db.QueryRowContext(ctx, `SELECT `+versionColumns+`
			FROM aliases a
			JOIN model_versions v ON v.model_id = a.model_id AND v.version = a.version
			JOIN models m ON m.id = a.model_id
			WHERE m.name = ? AND a.name = ?`, model, version)
	}
	v, err := scanVersion(row)
	if errors.Is(err, sql.ErrNoRows) {
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
	if _, err := db.modelID(ctx, model); err != nil {
		return err
	}
	return galen.Errorf(galen.ENOTFOUND, "model %q has no version %q", model, version)
}

// modelID returns the id of the named model, ENOTFOUND if there is none.
func (db *DB) modelID(ctx context.Context, name string) (int64, error) {
	if !galen.ValidName(name) {
		return 0, galen.Errorf(galen.ENOTFOUND, "model %q not found", name)
	}
	var id int64
	err := db.db.QueryRowContext(ctx, `SELECT id FROM models WHERE name = ?`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
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
	id, err := db.modelID(ctx, model)
	if err != nil {
		return nil, err
	}
	rows, err := db.db.QueryContext(ctx, `SELECT `+versionColumns+`
		FROM model_versions v JOIN models m ON m.id = v.model_id
		WHERE v.model_id = ? ORDER BY v.version`, id)
	if err != nil {
		return nil, internal("find model versions", err)
	}
	defer rows.Close()
	var vs []*galen.ModelVersion
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, internal("find model versions", err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
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
	err := db.db.QueryRowContext(ctx, `
		SELECT v.artifact, v.sha256, v.size
		FROM model_versions v JOIN models m ON m.id = v.model_id
		WHERE m.name = ? AND v.version = ?`, model, version).Scan(&artifact, &want, &size)
	if errors.Is(err, sql.ErrNoRows) {
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

// SetAlias points alias at version and records the move. ENOTFOUND if the
// model or version does not exist; EINVALID for a bad or all-digit name.
func (db *DB) SetAlias(ctx context.Context, model, alias string, version int) (*galen.Alias, error) {
	if err := galen.ValidateAliasName(alias); err != nil {
		return nil, err
	}
	now := db.stamp()
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, internal("set alias", err)
	}
	defer tx.Rollback()
	var modelID int64
	if galen.ValidName(model) {
		err = tx.QueryRowContext(ctx, `
			SELECT m.id FROM models m JOIN model_versions v ON v.model_id = m.id
			WHERE m.name = ? AND v.version = ?`, model, version).Scan(&modelID)
	} else {
		err = sql.ErrNoRows
	}
	if errors.Is(err, sql.ErrNoRows) {
		tx.Rollback() // versionNotFound needs a connection of its own
		return nil, db.versionNotFound(ctx, model, strconv.Itoa(version))
	}
	if err != nil {
		return nil, internal("set alias", err)
	}
	if err := moveAlias(ctx, tx, modelID, alias, version, now); err != nil {
		return nil, internal("set alias", err)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO alias_moves (model_id, alias, version, moved_at) VALUES (?, ?, ?, ?)`,
		modelID, alias, version, formatTime(now)); err != nil {
		return nil, internal("set alias", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, internal("set alias", err)
	}
	return &galen.Alias{ModelName: model, Name: alias, Version: version, UpdatedAt: now}, nil
}

// moveAlias points the alias at version, creating it if needed.
func moveAlias(ctx context.Context, tx *sql.Tx, modelID int64, alias string, version int, now time.Time) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO aliases (model_id, name, version, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (model_id, name) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
		modelID, alias, version, formatTime(now))
	return err
}

// RollbackAlias moves alias back to the version it pointed at before its
// last move that was not itself rolled back. ENOTFOUND if there is none.
func (db *DB) RollbackAlias(ctx context.Context, model, alias string) (*galen.Alias, error) {
	now := db.stamp()
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, internal("roll back alias", err)
	}
	defer tx.Rollback()
	var modelID int64
	if galen.ValidName(model) {
		err = tx.QueryRowContext(ctx, `SELECT id FROM models WHERE name = ?`, model).Scan(&modelID)
	} else {
		err = sql.ErrNoRows
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, galen.Errorf(galen.ENOTFOUND, "model %q not found", model)
	}
	if err != nil {
		return nil, internal("roll back alias", err)
	}
	if !galen.ValidName(alias) {
		return nil, galen.Errorf(galen.ENOTFOUND, "model %q has no alias %q", model, alias)
	}
	// The two newest moves still in effect: the current one and the one before.
	rows, err := tx.QueryContext(ctx, `
		SELECT id, version FROM alias_moves
		WHERE model_id = ? AND alias = ? AND rolled_back_at IS NULL
		ORDER BY id DESC LIMIT 2`, modelID, alias)
	if err != nil {
		return nil, internal("roll back alias", err)
	}
	var ids, versions []int64
	for rows.Next() {
		var id, v int64
		if err := rows.Scan(&id, &v); err != nil {
			rows.Close()
			return nil, internal("roll back alias", err)
		}
		ids, versions = append(ids, id), append(versions, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, internal("roll back alias", err)
	}
	if len(ids) < 2 {
		return nil, galen.Errorf(galen.ENOTFOUND, "alias %q of model %q has no earlier version to roll back to", alias, model)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE alias_moves SET rolled_back_at = ? WHERE id = ?`, formatTime(now), ids[0]); err != nil {
		return nil, internal("roll back alias", err)
	}
	prev := int(versions[1])
	if err := moveAlias(ctx, tx, modelID, alias, prev, now); err != nil {
		return nil, internal("roll back alias", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, internal("roll back alias", err)
	}
	return &galen.Alias{ModelName: model, Name: alias, Version: prev, UpdatedAt: now}, nil
}

// FindAliases returns the current aliases of a model, ordered by name.
// ENOTFOUND if there is no such model.
func (db *DB) FindAliases(ctx context.Context, model string) ([]*galen.Alias, error) {
	id, err := db.modelID(ctx, model)
	if err != nil {
		return nil, err
	}
	rows, err := db.db.QueryContext(ctx, `
		SELECT name, version, updated_at FROM aliases WHERE model_id = ? ORDER BY name`, id)
	if err != nil {
		return nil, internal("find aliases", err)
	}
	defer rows.Close()
	var as []*galen.Alias
	for rows.Next() {
		a := galen.Alias{ModelName: model}
		var updated string
		if err := rows.Scan(&a.Name, &a.Version, &updated); err != nil {
			return nil, internal("find aliases", err)
		}
		if a.UpdatedAt, err = parseTime(updated); err != nil {
			return nil, internal("find aliases", err)
		}
		as = append(as, &a)
	}
	if err := rows.Err(); err != nil {
		return nil, internal("find aliases", err)
	}
	return as, nil
}
