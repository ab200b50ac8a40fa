package httpapi

import (
	"context"
	"testing"
	"time"

	"github.com/galenhealth/galen"
)

// countingKeys is a key table that counts lookups by hash. It has only the
// lookups the cache uses.
type countingKeys struct {
	galen.KeyService
	keys  map[string]*galen.APIKey // by hash
	calls int
}

func (c *countingKeys) FindAPIKeys(context.Context) ([]*galen.APIKey, error) { return nil, nil }

func (c *countingKeys) FindAPIKeyByHash(_ context.Context, hash string) (*galen.APIKey, error) {
	c.calls++
	k, ok := c.keys[hash]
	if !ok {
		return nil, galen.Errorf(galen.ENOTFOUND, "api key not found")
	}
	cp := *k
	return &cp, nil
}

// TestKeyCacheForget checks that forgetting a key by id drops it and only
// it. The cache itself (expiry, copies, races) is tested in ttlcache.
func TestKeyCacheForget(t *testing.T) {
	tests := []struct {
		name      string
		forget    string
		wantCalls int
	}{
		{"that key", "key_1", 2},
		{"another key", "key_2", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table := &countingKeys{keys: map[string]*galen.APIKey{"h1": {ID: "key_1", Role: galen.RoleClinician}}}
			c := newKeyCache(time.Hour, table)
			ctx := context.Background()
			if _, err := c.lookup(ctx, "h1"); err != nil {
				t.Fatal(err)
			}
			c.forget(tt.forget)
			if k, err := c.lookup(ctx, "h1"); err != nil || k.Role != galen.RoleClinician {
				t.Fatalf("lookup = %v, %v", k, err)
			}
			if table.calls != tt.wantCalls {
				t.Errorf("%d store lookups, want %d", table.calls, tt.wantCalls)
			}
		})
	}
}

func BenchmarkKeyCacheHit(b *testing.B) {
	table := &countingKeys{keys: map[string]*galen.APIKey{"h1": {ID: "key_1", Role: galen.RoleAdmin}}}
	c := newKeyCache(time.Hour, table)
	ctx := context.Background()
	for b.Loop() {
		if _, err := c.lookup(ctx, "h1"); err != nil {
			b.Fatal(err)
		}
	}
}
