package galen

import (
	"context"
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
