// Package ttlcache keeps the answers of a slow lookup (the store) for a
// short time, for the request path: API keys by hash, model versions by
// name. Only successful answers are kept. Forget drops entries at once,
// and a lookup that raced with a Forget keeps nothing, since what it read
// may predate the change being forgotten.
package ttlcache

import (
	"context"
	"sync"
	"time"
)

// Cache maps keys to values found by a lookup, each trusted for the TTL.
// Values are copied in and out, so callers may change what they get. Safe
// for concurrent use.
type Cache[K comparable, V any] struct {
	ttl    time.Duration // <= 0: no caching
	max    int
	lookup func(ctx context.Context, k K) (*V, error)
	now    func() time.Time

	mu      sync.Mutex
	entries map[K]entry[V]
	forgets uint64 // Forget calls, so that a racing Get keeps nothing stale
}

type entry[V any] struct {
	v       V
	expires time.Time
}

// New returns a Cache of at most max entries (past it, it starts over)
// that asks lookup for what it does not hold fresh. A ttl <= 0 disables
// caching.
func New[K comparable, V any](ttl time.Duration, max int, lookup func(ctx context.Context, k K) (*V, error)) *Cache[K, V] {
	return &Cache[K, V]{ttl: ttl, max: max, lookup: lookup, now: time.Now, entries: map[K]entry[V]{}}
}

// Get returns a copy of the value of k, from the cache while it is fresh,
// else from lookup, whose errors it returns as they are.
func (c *Cache[K, V]) Get(ctx context.Context, k K) (*V, error) {
	if c.ttl <= 0 {
		return c.lookup(ctx, k)
	}
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[k]
	gen := c.forgets
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		v := e.v
		return &v, nil
	}
	v, err := c.lookup(ctx, k)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.forgets == gen {
		if len(c.entries) >= c.max {
			clear(c.entries)
		}
		c.entries[k] = entry[V]{v: *v, expires: now.Add(c.ttl)}
	}
	c.mu.Unlock()
	return v, nil
}

// Forget drops the entries for which drop is true, at once, and makes
// lookups in flight keep nothing.
func (c *Cache[K, V]) Forget(drop func(k K, v *V) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.forgets++
	for k, e := range c.entries {
		if drop(k, &e.v) {
			delete(c.entries, k)
		}
	}
}

// Put keeps v as the value of k for the TTL, as if lookup had found it.
func (c *Cache[K, V]) Put(k K, v *V) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		clear(c.entries)
	}
	c.entries[k] = entry[V]{v: *v, expires: c.now().Add(c.ttl)}
}
