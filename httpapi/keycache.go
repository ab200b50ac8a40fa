package httpapi

import (
	"context"
	"sync"
	"time"

	"github.com/galenhealth/galen"
)

// DefaultKeyCacheTTL is how long a looked-up API key is trusted without
// asking the store again.
const DefaultKeyCacheTTL = 2 * time.Second

// maxCachedKeys bounds the key cache; past it, the cache starts over.
const maxCachedKeys = 4096

// keyCache keeps API keys found in the store for a short time, so that a
// request does not cost a store query to authenticate. Only keys that
// exist are kept (unknown secrets always ask the store). A key revoked
// through this server is dropped at once; one revoked elsewhere (the CLI,
// another replica) keeps working here for up to the TTL.
type keyCache struct {
	ttl    time.Duration // 0: no caching
	find   func(ctx context.Context, hash string) (*galen.APIKey, error)
	now    func() time.Time
	mu     sync.Mutex
	byHash map[string]cachedKey
	// forgets counts forget calls: a lookup that raced with one does not
	// keep what it read, which may predate the revocation.
	forgets uint64
}

type cachedKey struct {
	key     *galen.APIKey
	expires time.Time
}

func newKeyCache(ttl time.Duration, find func(ctx context.Context, hash string) (*galen.APIKey, error)) *keyCache {
	return &keyCache{ttl: max(ttl, 0), find: find, now: time.Now, byHash: map[string]cachedKey{}}
}

// lookup returns the key with hash, from the cache while it is fresh. The
// caller gets its own copy.
func (c *keyCache) lookup(ctx context.Context, hash string) (*galen.APIKey, error) {
	if c.ttl == 0 {
		return c.find(ctx, hash)
	}
	now := c.now()
	c.mu.Lock()
	e, ok := c.byHash[hash]
	gen := c.forgets
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		k := *e.key
		return &k, nil
	}
	k, err := c.find(ctx, hash)
	if err != nil {
		return nil, err
	}
	kept := *k
	c.mu.Lock()
	if c.forgets == gen {
		if len(c.byHash) >= maxCachedKeys {
			clear(c.byHash)
		}
		c.byHash[hash] = cachedKey{key: &kept, expires: now.Add(c.ttl)}
	}
	c.mu.Unlock()
	return k, nil
}

// forget drops the key with id, so that its revocation applies at once.
func (c *keyCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.forgets++
	for h, e := range c.byHash {
		if e.key.ID == id {
			delete(c.byHash, h)
		}
	}
}
