package httpapi

import (
	"context"
	"testing"
	"time"

	"github.com/galenhealth/galen"
)

// countingKeys is a key table that counts lookups.
type countingKeys struct {
	keys  map[string]*galen.APIKey // by hash
	calls int
}

func (c *countingKeys) find(_ context.Context, hash string) (*galen.APIKey, error) {
	c.calls++
	k, ok := c.keys[hash]
	if !ok {
		return nil, galen.Errorf(galen.ENOTFOUND, "api key not found")
	}
	cp := *k
	return &cp, nil
}

func TestKeyCache(t *testing.T) {
	tests := []struct {
		name      string
		ttl       time.Duration
		steps     func(c *keyCache, clock *time.Time, table *countingKeys)
		wantCalls int
		wantRole  galen.Role // of the last lookup of "h1"; "" for an error
	}{
		{"fresh hit", time.Second, func(c *keyCache, clock *time.Time, _ *countingKeys) {
			*clock = clock.Add(999 * time.Millisecond)
		}, 1, galen.RoleClinician},
		{"expired", time.Second, func(c *keyCache, clock *time.Time, _ *countingKeys) {
			*clock = clock.Add(time.Second)
		}, 2, galen.RoleClinician},
		{"revoked elsewhere is seen after the ttl", time.Second, func(c *keyCache, clock *time.Time, table *countingKeys) {
			now := *clock
			table.keys["h1"].RevokedAt = &now
			*clock = clock.Add(2 * time.Second)
		}, 2, galen.RoleClinician},
		{"forgotten", time.Hour, func(c *keyCache, _ *time.Time, _ *countingKeys) {
			c.forget("key_1")
		}, 2, galen.RoleClinician},
		{"forgetting another key keeps it", time.Hour, func(c *keyCache, _ *time.Time, _ *countingKeys) {
			c.forget("key_2")
		}, 1, galen.RoleClinician},
		{"deleted key in cache until expiry", time.Second, func(c *keyCache, _ *time.Time, table *countingKeys) {
			delete(table.keys, "h1")
		}, 1, galen.RoleClinician},
		{"deleted key gone after expiry", time.Second, func(c *keyCache, clock *time.Time, table *countingKeys) {
			delete(table.keys, "h1")
			*clock = clock.Add(time.Second)
		}, 2, ""},
		{"no caching", 0, func(*keyCache, *time.Time, *countingKeys) {}, 2, galen.RoleClinician},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table := &countingKeys{keys: map[string]*galen.APIKey{"h1": {ID: "key_1", Role: galen.RoleClinician}}}
			clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			c := newKeyCache(tt.ttl, table.find)
			c.now = func() time.Time { return clock }
			ctx := context.Background()
			if _, err := c.lookup(ctx, "h1"); err != nil {
				t.Fatal(err)
			}
			tt.steps(c, &clock, table)
			k, err := c.lookup(ctx, "h1")
			if table.calls != tt.wantCalls {
				t.Errorf("%d store lookups, want %d", table.calls, tt.wantCalls)
			}
			switch {
			case tt.wantRole == "" && galen.ErrorCode(err) != galen.ENOTFOUND:
				t.Errorf("lookup = %v, %v; want ENOTFOUND", k, err)
			case tt.wantRole != "" && (err != nil || k.Role != tt.wantRole):
				t.Errorf("lookup = %v, %v; want role %s", k, err, tt.wantRole)
			}
		})
	}
}

func TestKeyCacheRevokedElsewhere(t *testing.T) {
	table := &countingKeys{keys: map[string]*galen.APIKey{"h1": {ID: "key_1", Role: galen.RoleAdmin}}}
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newKeyCache(time.Second, table.find)
	c.now = func() time.Time { return clock }
	ctx := context.Background()
	if _, err := c.lookup(ctx, "h1"); err != nil {
		t.Fatal(err)
	}
	now := clock
	table.keys["h1"].RevokedAt = &now
	if k, _ := c.lookup(ctx, "h1"); k.RevokedAt != nil {
		t.Error("revocation elsewhere seen before the ttl; the cache did not answer")
	}
	clock = clock.Add(time.Second)
	if k, _ := c.lookup(ctx, "h1"); k.RevokedAt == nil {
		t.Error("revocation elsewhere not seen after the ttl")
	}
}

func TestKeyCacheUnknownNotKept(t *testing.T) {
	table := &countingKeys{keys: map[string]*galen.APIKey{}}
	c := newKeyCache(time.Hour, table.find)
	for range 3 {
		if _, err := c.lookup(context.Background(), "nope"); galen.ErrorCode(err) != galen.ENOTFOUND {
			t.Fatalf("err %v, want ENOTFOUND", err)
		}
	}
	if table.calls != 3 || len(c.byHash) != 0 {
		t.Errorf("%d lookups, %d cached; want 3 and 0", table.calls, len(c.byHash))
	}
}

// TestKeyCacheCopies checks that callers cannot change the cached key.
func TestKeyCacheCopies(t *testing.T) {
	table := &countingKeys{keys: map[string]*galen.APIKey{"h1": {ID: "key_1", Role: galen.RoleAdmin}}}
	c := newKeyCache(time.Hour, table.find)
	k, _ := c.lookup(context.Background(), "h1")
	k.Role = galen.RoleAuditor
	if k2, _ := c.lookup(context.Background(), "h1"); k2.Role != galen.RoleAdmin {
		t.Errorf("cached role %s, want admin", k2.Role)
	}
}

func BenchmarkKeyCacheHit(b *testing.B) {
	table := &countingKeys{keys: map[string]*galen.APIKey{"h1": {ID: "key_1", Role: galen.RoleAdmin}}}
	c := newKeyCache(time.Hour, table.find)
	ctx := context.Background()
	for b.Loop() {
		if _, err := c.lookup(ctx, "h1"); err != nil {
			b.Fatal(err)
		}
	}
}
