package galen

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/galenhealth/galen/internal/keyhash"
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

// APIKey is a stored key. The secret itself is never stored, only Hash: the
// SHA-256 of a generated secret (KDF empty), or, for a chosen one, the
// SHA-256 of its slow, salted KDF (KDF names the function, its parameters
// and the salt). Listings tell keys apart by ID and Name; Prefix only says
// which kind of secret the key has ("glk_" generated, "chosen"), never any
// of its characters.
type APIKey struct {
	ID        string     `json:"id"`
	Name      string     `json:"name,omitempty"`
	Role      Role       `json:"role"`
	Prefix    string     `json:"prefix"`
	Hash      string     `json:"-"` // hex SHA-256 of the secret, or of its KDF
	KDF       string     `json:"-"` // "" or e.g. "argon2id$v=19$m=19456,t=2,p=1$<salt>"
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
	// RevokeAPIKey marks the key revoked. ENOTFOUND if absent; ECONFLICT,
	// changing nothing, if it is the last active admin key (the API would
	// have no administrator left). The check and the change are atomic.
	RevokeAPIKey(ctx context.Context, id string) error
}

// KeyPrefix starts every generated API key secret.
const KeyPrefix = keyhash.GeneratedPrefix

// ChosenKeyPrefix is the APIKey.Prefix of a key whose secret was chosen
// elsewhere (ImportKey): listings show no character of any secret.
const ChosenKeyPrefix = "chosen"

// MinKeyLength is the shortest secret ImportKey accepts.
const MinKeyLength = 16

// HashKey returns the hex SHA-256 under which a generated key secret is
// stored (a chosen one is stored under keyhash.Derive; see FindKey).
func HashKey(secret string) string { return keyhash.SHA256(secret) }

// GenerateKey returns a new key with role and name, and its secret, which
// exists only in the caller's hands: the key stores its hash.
func GenerateKey(role Role, name string) (*APIKey, string, error) {
	secret, err := keyhash.Generate()
	if err != nil {
		return nil, "", fmt.Errorf("generate key: %w", err)
	}
	k, err := ImportKey(secret, role, name)
	return k, secret, err
}

// ImportKey returns a key for a secret chosen elsewhere, such as
// GALEN_ADMIN_KEY. A secret of the generated form is stored under its
// SHA-256; any other under a salted argon2id (keyhash.Derive), so that a
// copy of the store does not expose a guessable secret to a dictionary.
// EINVALID for an unknown role or a secret shorter than MinKeyLength.
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
	k := &APIKey{ID: "key_" + hex.EncodeToString(id), Name: name, Role: role, Prefix: KeyPrefix, Hash: HashKey(secret)}
	if !keyhash.Generated(secret) {
		kdf, err := keyhash.NewKDF()
		if err != nil {
			return nil, err
		}
		if k.Hash, err = keyhash.Derive(secret, kdf); err != nil {
			return nil, err
		}
		k.Prefix, k.KDF = ChosenKeyPrefix, kdf
	}
	return k, nil
}

// FindKey returns the stored key whose secret is secret, generated or
// chosen, revoked or not. ENOTFOUND if there is none. A chosen secret
// costs one argon2id per key stored with a KDF.
func FindKey(ctx context.Context, store KeyService, secret string) (*APIKey, error) {
	k, err := store.FindAPIKeyByHash(ctx, HashKey(secret))
	if ErrorCode(err) != ENOTFOUND || keyhash.Generated(secret) {
		return k, err
	}
	ks, err := store.FindAPIKeys(ctx)
	if err != nil {
		return nil, err
	}
	for _, k := range ks {
		if k.KDF == "" {
			continue
		}
		if h, err := keyhash.Derive(secret, k.KDF); err == nil && h == k.Hash {
			return k, nil
		}
	}
	return nil, Errorf(ENOTFOUND, "api key not found")
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
