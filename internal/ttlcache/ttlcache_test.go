package ttlcache

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

type key struct {
	ID, Role string
	Revoked  bool
}

// table is a lookup that counts its calls.
type table struct {
	mu    sync.Mutex
	rows  map[string]*key
	calls int
}

var errNotFound = errors.New("not found")

func (t *table) find(_ context.Context, k string) (*key, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.calls++
	r, ok := t.rows[k]
	if !ok {
		return nil, errNotFound
	}
	cp := *r
	return &cp, nil
}

func TestCache(t *testing.T) {
	tests := []struct {
		name      string
		ttl       time.Duration
		steps     func(c *Cache[string, key], clock *time.Time, tb *table)
		wantCalls int
		wantRole  string // of the last Get of "h1"; "" for an error
	}{
		{"fresh hit", time.Second, func(c *Cache[string, key], clock *time.Time, _ *table) {
			*clock = clock.Add(999 * time.Millisecond)
		}, 1, "clinician"},
		{"expired", time.Second, func(c *Cache[string, key], clock *time.Time, _ *table) {
			*clock = clock.Add(time.Second)
		}, 2, "clinician"},
		{"changed elsewhere is seen after the ttl", time.Second, func(c *Cache[string, key], clock *time.Time, tb *table) {
			tb.rows["h1"].Role = "auditor"
			*clock = clock.Add(2 * time.Second)
		}, 2, "auditor"},
		{"changed elsewhere is not seen before the ttl", time.Second, func(c *Cache[string, key], clock *time.Time, tb *table) {
			tb.rows["h1"].Role = "auditor"
		}, 1, "clinician"},
		{"forgotten", time.Hour, func(c *Cache[string, key], _ *time.Time, _ *table) {
			c.Forget(func(_ string, v *key) bool { return v.ID == "key_1" })
		}, 2, "clinician"},
		{"forgetting another keeps it", time.Hour, func(c *Cache[string, key], _ *time.Time, _ *table) {
			c.Forget(func(_ string, v *key) bool { return v.ID == "key_2" })
		}, 1, "clinician"},
		{"deleted: kept until expiry", time.Second, func(c *Cache[string, key], _ *time.Time, tb *table) {
			delete(tb.rows, "h1")
		}, 1, "clinician"},
		{"deleted: gone after expiry", time.Second, func(c *Cache[string, key], clock *time.Time, tb *table) {
			delete(tb.rows, "h1")
			*clock = clock.Add(time.Second)
		}, 2, ""},
		{"no caching", 0, func(*Cache[string, key], *time.Time, *table) {}, 2, "clinician"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := &table{rows: map[string]*key{"h1": {ID: "key_1", Role: "clinician"}}}
			clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			c := New(tt.ttl, 16, tb.find)
			c.now = func() time.Time { return clock }
			ctx := context.Background()
			if _, err := c.Get(ctx, "h1"); err != nil {
				t.Fatal(err)
			}
			tt.steps(c, &clock, tb)
			k, err := c.Get(ctx, "h1")
			if tb.calls != tt.wantCalls {
				t.Errorf("%d lookups, want %d", tb.calls, tt.wantCalls)
			}
			switch {
			case tt.wantRole == "" && !errors.Is(err, errNotFound):
				t.Errorf("Get = %v, %v; want errNotFound", k, err)
			case tt.wantRole != "" && (err != nil || k.Role != tt.wantRole):
				t.Errorf("Get = %v, %v; want role %s", k, err, tt.wantRole)
			}
		})
	}
}

func TestErrorsNotKept(t *testing.T) {
	tb := &table{rows: map[string]*key{}}
	c := New(time.Hour, 16, tb.find)
	for range 3 {
		if _, err := c.Get(context.Background(), "nope"); !errors.Is(err, errNotFound) {
			t.Fatalf("err %v, want errNotFound", err)
		}
	}
	if tb.calls != 3 || len(c.entries) != 0 {
		t.Errorf("%d lookups, %d kept; want 3 and 0", tb.calls, len(c.entries))
	}
}

// TestCopies checks that callers cannot change the cached value.
func TestCopies(t *testing.T) {
	tb := &table{rows: map[string]*key{"h1": {ID: "key_1", Role: "admin"}}}
	c := New(time.Hour, 16, tb.find)
	k, _ := c.Get(context.Background(), "h1")
	k.Role = "auditor"
	if k2, _ := c.Get(context.Background(), "h1"); k2.Role != "admin" {
		t.Errorf("cached role %s, want admin", k2.Role)
	}
}

// TestBounded checks that the cache starts over past its size.
func TestBounded(t *testing.T) {
	tb := &table{rows: map[string]*key{}}
	for _, k := range []string{"a", "b", "c", "d"} {
		tb.rows[k] = &key{ID: k}
	}
	c := New(time.Hour, 3, tb.find)
	for _, k := range []string{"a", "b", "c", "d"} {
		if _, err := c.Get(context.Background(), k); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.entries); n > 3 {
		t.Errorf("%d entries, want at most 3", n)
	}
}

// TestForgetDuringLookup checks that a lookup that began before a Forget
// keeps nothing: what it read may predate the change.
func TestForgetDuringLookup(t *testing.T) {
	tb := &table{rows: map[string]*key{"h1": {ID: "key_1", Role: "admin"}}}
	inLookup, forgotten := make(chan struct{}), make(chan struct{})
	c := New(time.Hour, 16, func(ctx context.Context, k string) (*key, error) {
		v, err := tb.find(ctx, k)
		close(inLookup)
		<-forgotten // the row is revoked and forgotten while we hold the old one
		return v, err
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Get(context.Background(), "h1")
	}()
	<-inLookup
	tb.mu.Lock()
	tb.rows["h1"].Revoked = true
	tb.mu.Unlock()
	c.Forget(func(string, *key) bool { return true })
	close(forgotten)
	<-done
	if len(c.entries) != 0 {
		t.Fatal("a lookup that raced with Forget kept its stale answer")
	}
}

func BenchmarkHit(b *testing.B) {
	tb := &table{rows: map[string]*key{"h1": {ID: "key_1", Role: "admin"}}}
	c := New(time.Hour, 16, tb.find)
	ctx := context.Background()
	for b.Loop() {
		if _, err := c.Get(ctx, "h1"); err != nil {
			b.Fatal(err)
		}
	}
}
