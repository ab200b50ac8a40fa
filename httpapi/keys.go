package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/api"
	"github.com/galenhealth/galen/internal/keyhash"
)

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
func GenerateKey(role galen.Role, name string) (*galen.APIKey, string, error) {
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
func ImportKey(secret string, role galen.Role, name string) (*galen.APIKey, error) {
	if !role.Valid() {
		return nil, galen.Errorf(galen.EINVALID, "unknown role %q (want one of %v)", role, galen.Roles)
	}
	if len(secret) < MinKeyLength {
		return nil, galen.Errorf(galen.EINVALID, "API key must be at least %d characters", MinKeyLength)
	}
	if len(name) > 200 {
		return nil, galen.Errorf(galen.EINVALID, "key name is longer than 200 characters")
	}
	id := make([]byte, 6)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("generate key id: %w", err)
	}
	k := &galen.APIKey{ID: "key_" + hex.EncodeToString(id), Name: name, Role: role, Prefix: KeyPrefix, Hash: HashKey(secret)}
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
func FindKey(ctx context.Context, store galen.KeyService, secret string) (*galen.APIKey, error) {
	k, err := store.FindAPIKeyByHash(ctx, HashKey(secret))
	if galen.ErrorCode(err) != galen.ENOTFOUND || keyhash.Generated(secret) {
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
	return nil, galen.Errorf(galen.ENOTFOUND, "api key not found")
}

// adminKeyLock is the store lock EnsureAdminKey holds.
const adminKeyLock = "httpapi.admin-key"

// EnsureAdminKey creates the first admin key when the store has no keys:
// from secret when it is not empty, else a generated one, which it returns
// so that it can be shown once. It returns "" when keys exist or the secret
// came from the caller. It looks and creates under the store's lock, so
// that of replicas starting at once on one database exactly one creates
// the key.
func EnsureAdminKey(ctx context.Context, store galen.Store, secret string) (generated string, err error) {
	err = store.WithLock(ctx, adminKeyLock, func(ctx context.Context) error {
		ks, err := store.FindAPIKeys(ctx)
		if err != nil {
			return fmt.Errorf("list keys: %w", err)
		}
		if len(ks) > 0 {
			return nil
		}
		var k *galen.APIKey
		var g string
		if secret != "" {
			k, err = ImportKey(secret, galen.RoleAdmin, "initial admin (GALEN_ADMIN_KEY)")
		} else {
			k, g, err = GenerateKey(galen.RoleAdmin, "initial admin")
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

// keyRoutes manage API keys.
func (s *Server) keyRoutes() []route {
	return []route{
		{Method: "POST", Pattern: "/v1/keys", Roles: adminOnly, Audit: true, Handler: s.handleCreateKey, Tag: "keys",
			Summary: "Create an API key; the secret is in this answer only", Request: api.CreateKeyRequest{}, Response: api.CreateKeyResponse{}, Status: http.StatusCreated},
		{Method: "GET", Pattern: "/v1/keys", Roles: adminOnly, Audit: true, Handler: s.handleListKeys, Tag: "keys",
			Summary: "List API keys (never their secrets)", Response: api.KeyList{}},
		{Method: "DELETE", Pattern: "/v1/keys/{id}", Roles: adminOnly, Audit: true, Handler: s.handleRevokeKey, Tag: "keys",
			Summary: "Revoke an API key", Status: http.StatusNoContent},
	}
}

func (s *Server) handleCreateKey(w http.ResponseWriter, r *http.Request) error {
	var req api.CreateKeyRequest
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	k, secret, err := GenerateKey(req.Role, req.Name)
	if err != nil {
		return err
	}
	if err := s.store.CreateAPIKey(r.Context(), k); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, api.CreateKeyResponse{Key: k, Secret: secret})
}

func (s *Server) handleListKeys(w http.ResponseWriter, r *http.Request) error {
	ks, err := s.store.FindAPIKeys(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, api.KeyList{Keys: nonNil(ks)})
}

func (s *Server) handleRevokeKey(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.RevokeAPIKey(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	s.keys.forget(r.PathValue("id"))
	w.WriteHeader(http.StatusNoContent)
	return nil
}
