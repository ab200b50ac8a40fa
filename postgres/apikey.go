package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

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
	_, err := db.pool.Exec(ctx, `
		INSERT INTO api_keys (id, name, role, prefix, hash, kdf, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		k.ID, k.Name, string(k.Role), k.Prefix, k.Hash, k.KDF, created)
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

func scanKey(row pgx.Row) (*galen.APIKey, error) {
	var (
		k    galen.APIKey
		role string
	)
	if err := row.Scan(&k.ID, &k.Name, &role, &k.Prefix, &k.Hash, &k.KDF, &k.CreatedAt, &k.RevokedAt); err != nil {
		return nil, err
	}
	k.Role = galen.Role(role)
	k.CreatedAt = k.CreatedAt.UTC()
	if k.RevokedAt != nil {
		t := k.RevokedAt.UTC()
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
	k, err := scanKey(db.pool.QueryRow(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE hash = $1`, hash))
	if noRows(err) {
		return nil, galen.Errorf(galen.ENOTFOUND, "api key not found")
	}
	if err != nil {
		return nil, internal("find api key", err)
	}
	return k, nil
}

// FindAPIKeys returns all keys, oldest first.
func (db *DB) FindAPIKeys(ctx context.Context) ([]*galen.APIKey, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+keyColumns+` FROM api_keys ORDER BY created_at, seq`)
	if err != nil {
		return nil, internal("find api keys", err)
	}
	keys, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*galen.APIKey, error) { return scanKey(row) })
	if err != nil {
		return nil, internal("find api keys", err)
	}
	return keys, nil
}

// RevokeAPIKey marks the key revoked; revoking it again keeps the first
// time. ENOTFOUND if there is no such key; ECONFLICT if it is the last
// active admin key. The transaction locks every active admin key row
// first, so two admins revoking each other at once are serialised and
// cannot both succeed.
func (db *DB) RevokeAPIKey(ctx context.Context, id string) error {
	if !galen.ValidText(id) {
		return galen.Errorf(galen.ENOTFOUND, "api key %q not found", id)
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return internal("revoke api key", err)
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `
		SELECT id FROM api_keys WHERE role = $1 AND revoked_at IS NULL ORDER BY id FOR UPDATE`, string(galen.RoleAdmin))
	if err != nil {
		return internal("revoke api key", err)
	}
	admins, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return internal("revoke api key", err)
	}
	if len(admins) == 1 && admins[0] == id {
		return galen.Errorf(galen.ECONFLICT, "api key %s is the last active admin key; create another admin key before revoking it", id)
	}
	tag, err := tx.Exec(ctx, `
		UPDATE api_keys SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2`, db.stamp(), id)
	if err != nil {
		return internal("revoke api key", err)
	}
	if tag.RowsAffected() == 0 {
		return galen.Errorf(galen.ENOTFOUND, "api key %q not found", id)
	}
	if err := tx.Commit(ctx); err != nil {
		return internal("revoke api key", err)
	}
	return nil
}
