package httpapi

import (
	"context"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/internal/ttlcache"
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
	byHash *ttlcache.Cache[string, galen.APIKey]
}

func newKeyCache(ttl time.Duration, find func(ctx context.Context, hash string) (*galen.APIKey, error)) *keyCache {
	return &keyCache{byHash: ttlcache.New(ttl, maxCachedKeys, find)}
}

// lookup returns the key with hash, from the cache while it is fresh. The
// caller gets its own copy.
func (c *keyCache) lookup(ctx context.Context, hash string) (*galen.APIKey, error) {
	return c.byHash.Get(ctx, hash)
}

// forget drops the key with id, so that its revocation applies at once.
func (c *keyCache) forget(id string) {
	c.byHash.Forget(func(_ string, k *galen.APIKey) bool { return k.ID == id })
}
