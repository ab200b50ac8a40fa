package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/galenhealth/galen"
)

// CreateAPIKey stores k, setting CreatedAt if it is zero. EINVALID for a
// missing id, prefix or hash, a hash that is not a hex SHA-256, or an
// unknown role; ECONFLICT for a duplicate id or hash.
func (db *DB) CreateAPIKey(ctx context.Context, k *galen.APIKey) error {
	if err := k.Validate(); err != nil {
		return err
	}
	created := k.CreatedAt.UTC().Truncate(time.Microsecond)
	if k.CreatedAt.IsZero() {
		created = db.stamp()
	}
	_, err := db.db.ExecContext(ctx, `
		INSERT INTO api_keys (id, name, role, prefix, hash, kdf, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.Name, string(k.Role), k.Prefix, k.Hash, k.KDF, formatTime(created))
	if isUnique(err) {
		return galen.Errorf(galen.ECONFLICT, "api key %q or its hash already exists", k.ID)
	}
	if err != nil {
		return internal("create api key", err)
	}
	k.CreatedAt = created
	k.RevokedAt = nil
	return nil
}

const keyColumns = `id, name, role, prefix, hash, kdf, created_at, revoked_at`

func scanKey(row interface{ Scan(...any) error }) (*galen.APIKey, error) {
	var (
		k       galen.APIKey
		role    string
		created string
		revoked sql.NullString
	)
	if err := row.Scan(&k.ID, &k.Name, &role, &k.Prefix, &k.Hash, &k.KDF, &created, &revoked); err != nil {
		return nil, err
	}
	k.Role = galen.Role(role)
	var err error
	if k.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if revoked.Valid {
		t, err := parseTime(revoked.String)
		if err != nil {
			return nil, err
		}
		k.RevokedAt = &t
	}
	return &k, nil
}

// FindAPIKeyByHash returns the key with the given hash, revoked or not.
// ENOTFOUND if there is none.
func (db *DB) FindAPIKeyByHash(ctx context.Context, hash string) (*galen.APIKey, error) {
	if !galen.ValidSHA256(hash) {
		return nil, galen.Errorf(galen.ENOTFOUND, "api key not found")
	}
	k, err := scanKey(db.db.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, galen.Errorf(galen.ENOTFOUND, "api key not found")
	}
	if err != nil {
		return nil, internal("find api key", err)
	}
	return k, nil
}

// FindAPIKeys returns all keys, oldest first.
func (db *DB) FindAPIKeys(ctx context.Context) ([]*galen.APIKey, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT `+keyColumns+` FROM api_keys ORDER BY created_at, seq`)
	if err != nil {
		return nil, internal("find api keys", err)
	}
	defer rows.Close()
	var keys []*galen.APIKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, internal("find api keys", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, internal("find api keys", err)
	}
	return keys, nil
}

// RevokeAPIKey marks the key revoked; revoking it again keeps the first
// time. ENOTFOUND if there is no such key; ECONFLICT if it is the last
// active admin key. The check and the change run in one IMMEDIATE
// transaction, so two admins revoking each other at once cannot both
// succeed.
func (db *DB) RevokeAPIKey(ctx context.Context, id string) error {
	if !galen.ValidText(id) {
		return galen.Errorf(galen.ENOTFOUND, "api key %q not found", id)
	}
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return internal("revoke api key", err)
	}
	defer tx.Rollback()
	var (
		role    string
		revoked sql.NullString
	)
	err = tx.QueryRowContext(ctx, `SELECT role, revoked_at FROM api_keys WHERE id = ?`, id).Scan(&role, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return galen.Errorf(galen.ENOTFOUND, "api key %q not found", id)
	}
	if err != nil {
		return internal("revoke api key", err)
	}
	if revoked.Valid {
		return nil // keeps the first time
	}
	if galen.Role(role) == galen.RoleAdmin {
		var others int
		if err := tx.QueryRowContext(ctx, `
			SELECT count(*) FROM api_keys WHERE role = ? AND revoked_at IS NULL AND id <> ?`,
			string(galen.RoleAdmin), id).Scan(&others); err != nil {
			return internal("revoke api key", err)
		}
		if others == 0 {
			return galen.Errorf(galen.ECONFLICT, "api key %s is the last active admin key; create another admin key before revoking it", id)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ?`, formatTime(db.stamp()), id); err != nil {
		return internal("revoke api key", err)
	}
	if err := tx.Commit(); err != nil {
		return internal("revoke api key", err)
	}
	return nil
}
