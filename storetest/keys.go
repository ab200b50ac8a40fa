package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/galenhealth/galen"
)

var hexSHA256 = regexp.MustCompile(`^[0-9a-f]{64}$`)

func keyHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func testAPIKeys(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t).Store
	base := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	tests := []struct {
		name     string
		key      galen.APIKey
		wantCode string
	}{
		{"admin", galen.APIKey{ID: "k1", Name: "bootstrap", Role: galen.RoleAdmin, Prefix: "gk_aaaa", Hash: keyHash("secret-1"), CreatedAt: base}, ""},
		{"clinician", galen.APIKey{ID: "k2", Role: galen.RoleClinician, Prefix: "gk_bbbb", Hash: keyHash("secret-2"), CreatedAt: base.Add(time.Second)}, ""},
		{"created now", galen.APIKey{ID: "k3", Name: "ward 3", Role: galen.RoleAuditor, Prefix: "gk_cccc", Hash: keyHash("secret-3")}, ""},
		{"unknown role", galen.APIKey{ID: "k4", Role: "janitor", Prefix: "gk_dddd", Hash: keyHash("secret-4")}, galen.EINVALID},
		{"no role", galen.APIKey{ID: "k4", Prefix: "gk_dddd", Hash: keyHash("secret-4")}, galen.EINVALID},
		{"no id", galen.APIKey{Role: galen.RoleAdmin, Prefix: "gk_dddd", Hash: keyHash("secret-4")}, galen.EINVALID},
		{"no prefix", galen.APIKey{ID: "k4", Role: galen.RoleAdmin, Hash: keyHash("secret-4")}, galen.EINVALID},
		{"no hash", galen.APIKey{ID: "k4", Role: galen.RoleAdmin, Prefix: "gk_dddd"}, galen.EINVALID},
		{"hash not hex sha-256", galen.APIKey{ID: "k4", Role: galen.RoleAdmin, Prefix: "gk_dddd", Hash: "secret-4"}, galen.EINVALID},
		{"duplicate id", galen.APIKey{ID: "k1", Role: galen.RoleAdmin, Prefix: "gk_eeee", Hash: keyHash("secret-5")}, galen.ECONFLICT},
		{"duplicate hash", galen.APIKey{ID: "k5", Role: galen.RoleAdmin, Prefix: "gk_eeee", Hash: keyHash("secret-2")}, galen.ECONFLICT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := time.Now()
			k := tt.key
			err := s.CreateAPIKey(ctx, &k)
			wantCode(t, err, tt.wantCode)
			if err != nil {
				return
			}
			if tt.key.CreatedAt.IsZero() {
				near(t, "CreatedAt", k.CreatedAt, before)
			} else if !k.CreatedAt.Equal(tt.key.CreatedAt) {
				t.Errorf("CreatedAt = %v, want %v as given", k.CreatedAt, tt.key.CreatedAt)
			}
			got, err := s.FindAPIKeyByHash(ctx, k.Hash)
			if err != nil {
				t.Fatalf("FindAPIKeyByHash: %v", err)
			}
			if !reflect.DeepEqual(got, &k) {
				t.Errorf("FindAPIKeyByHash = %+v, want %+v", got, &k)
			}
		})
	}
	t.Run("unknown hash", func(t *testing.T) {
		_, err := s.FindAPIKeyByHash(ctx, keyHash("nobody"))
		wantCode(t, err, galen.ENOTFOUND)
	})
	t.Run("list oldest first", func(t *testing.T) {
		keys, err := s.FindAPIKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, k := range keys {
			ids = append(ids, k.ID)
			if !hexSHA256.MatchString(k.Hash) || k.Prefix == "" || !k.Role.Valid() {
				t.Errorf("listed key %s incomplete: %+v", k.ID, k)
			}
		}
		if !slices.Equal(ids, []string{"k1", "k2", "k3"}) {
			t.Errorf("FindAPIKeys = %v, want [k1 k2 k3]", ids)
		}
	})
	t.Run("revoke", func(t *testing.T) {
		before := time.Now()
		if err := s.RevokeAPIKey(ctx, "k2"); err != nil {
			t.Fatalf("RevokeAPIKey: %v", err)
		}
		k, err := s.FindAPIKeyByHash(ctx, keyHash("secret-2"))
		if err != nil {
			t.Fatalf("revoked key must still be found: %v", err)
		}
		if k.RevokedAt == nil {
			t.Fatal("RevokedAt not set")
		}
		near(t, "RevokedAt", *k.RevokedAt, before)
		first := *k.RevokedAt

		// Revoking again succeeds and keeps the first time.
		if err := s.RevokeAPIKey(ctx, "k2"); err != nil {
			t.Fatalf("second RevokeAPIKey: %v", err)
		}
		k, err = s.FindAPIKeyByHash(ctx, keyHash("secret-2"))
		if err != nil || k.RevokedAt == nil || !k.RevokedAt.Equal(first) {
			t.Errorf("after second revoke: %+v, %v; want RevokedAt %v", k, err, first)
		}
		keys, err := s.FindAPIKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if (k.RevokedAt != nil) != (k.ID == "k2") {
				t.Errorf("key %s: RevokedAt = %v", k.ID, k.RevokedAt)
			}
		}
	})
	t.Run("revoke unknown", func(t *testing.T) {
		wantCode(t, s.RevokeAPIKey(ctx, "no-such-key"), galen.ENOTFOUND)
	})
}
