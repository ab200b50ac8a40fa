package galen

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"
)

// Role is what an API key may do.
type Role string

// Roles. Admin may do everything; the others are listed in the README's role matrix.
const (
	RoleAdmin     Role = "admin"     // keys, models, data, audit: everything
	RoleClinician Role = "clinician" // predictions
	RoleScientist Role = "scientist" // training, model and data uploads, predictions
	RoleAuditor   Role = "auditor"   // reading the audit log
)

// Roles lists every role, for validation and tests.
var Roles = []Role{RoleAdmin, RoleClinician, RoleScientist, RoleAuditor}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// APIKey is a stored key. The secret itself is never stored: only its
// SHA-256 (Hash). Prefix is the first characters of the secret, shown in
// listings so people can tell keys apart.
type APIKey struct {
	ID        string     `json:"id"`
	Name      string     `json:"name,omitempty"`
	Role      Role       `json:"role"`
	Prefix    string     `json:"prefix"`
	Hash      string     `json:"-"` // hex SHA-256 of the secret
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// KeyService stores API keys.
type KeyService interface {
	// CreateAPIKey stores k (ID, Role, Prefix and Hash must be set), setting
	// CreatedAt if it is zero. EINVALID if k fails APIKey.Validate,
	// ECONFLICT for a duplicate id or hash.
	CreateAPIKey(ctx context.Context, k *APIKey) error
	// FindAPIKeyByHash returns the key, revoked or not. ENOTFOUND if absent.
	FindAPIKeyByHash(ctx context.Context, hash string) (*APIKey, error)
	// FindAPIKeys returns all keys, oldest first.
	FindAPIKeys(ctx context.Context) ([]*APIKey, error)
	// RevokeAPIKey marks the key revoked. ENOTFOUND if absent.
	RevokeAPIKey(ctx context.Context, id string) error
}

// KeyPrefix starts every generated API key secret.
const KeyPrefix = "glk_"

// MinKeyLength is the shortest secret ImportKey accepts.
const MinKeyLength = 16

// HashKey returns the hex SHA-256 under which a key secret is stored.
func HashKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// GenerateKey returns a new key with role and name, and its secret, which
// exists only in the caller's hands: the key stores its hash.
func GenerateKey(role Role, name string) (*APIKey, string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, "", fmt.Errorf("generate key: %w", err)
	}
	secret := KeyPrefix + base64.RawURLEncoding.EncodeToString(b)
	k, err := ImportKey(secret, role, name)
	return k, secret, err
}

// ImportKey returns a key for a secret chosen elsewhere, such as
// GALEN_ADMIN_KEY. EINVALID for an unknown role or a secret shorter than
// MinKeyLength.
func ImportKey(secret string, role Role, name string) (*APIKey, error) {
	if !role.Valid() {
		return nil, Errorf(EINVALID, "unknown role %q (want one of %v)", role, Roles)
	}
	if len(secret) < MinKeyLength {
		return nil, Errorf(EINVALID, "API key must be at least %d characters", MinKeyLength)
	}
	if len(name) > 200 {
		return nil, Errorf(EINVALID, "key name is longer than 200 characters")
	}
	id := make([]byte, 6)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("generate key id: %w", err)
	}
	prefix := secret[:4]
	if len(secret) >= 32 {
		prefix = secret[:8]
	}
	return &APIKey{ID: "key_" + hex.EncodeToString(id), Name: name, Role: role, Prefix: prefix, Hash: HashKey(secret)}, nil
}

// adminKeyLock is the store lock EnsureAdminKey holds. Its name predates
// the move of EnsureAdminKey out of httpapi; replicas of older versions
// take the same lock.
const adminKeyLock = "httpapi.admin-key"

// EnsureAdminKey creates the first admin key when the store has no keys:
// from secret when it is not empty, else a generated one, which it returns
// so that it can be shown once. It returns "" when keys exist or the secret
// came from the caller. It looks and creates under the store's lock, so
// that of replicas starting at once on one database exactly one creates
// the key.
func EnsureAdminKey(ctx context.Context, store Store, secret string) (generated string, err error) {
	err = store.WithLock(ctx, adminKeyLock, func(ctx context.Context) error {
		ks, err := store.FindAPIKeys(ctx)
		if err != nil {
			return fmt.Errorf("list keys: %w", err)
		}
		if len(ks) > 0 {
			return nil
		}
		var k *APIKey
		var g string
		if secret != "" {
			k, err = ImportKey(secret, RoleAdmin, "initial admin (GALEN_ADMIN_KEY)")
		} else {
			k, g, err = GenerateKey(RoleAdmin, "initial admin")
		}
		if err != nil {
			return err
		}
		if err := store.CreateAPIKey(ctx, k); err != nil {
			return fmt.Errorf("store admin key: %w", err)
		}
		generated = g
		return nil
	})
	if err != nil {
		return "", err
	}
	return generated, nil
}
