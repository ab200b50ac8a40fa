package httpapi

import (
	"context"
	"slices"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/internal/keyhash"
	"github.com/galenhealth/galen/internal/ttlcache"
)

// DefaultKeyCacheTTL is how long a looked-up API key is trusted without
// asking the store again.
const DefaultKeyCacheTTL = 2 * time.Second

// derivedTTL is how long the argon2id result of a chosen secret that
// matched a key is kept.
const derivedTTL = time.Hour

// maxCachedKeys bounds the key cache; past it, the cache starts over.
const maxCachedKeys = 4096

// keyCache keeps API keys found in the store for a short time, so that a
// request does not cost a store query to authenticate. Only keys that
// exist are kept (unknown secrets always ask the store). A key revoked
// through this server is dropped at once; one revoked elsewhere (the CLI,
// another replica) keeps working here for up to the TTL.
type keyCache struct {
	byHash *ttlcache.Cache[string, galen.APIKey]
	// kdfs lists the KDF strings of the active keys with a chosen secret
	// (the key "" holds them all), so that a chosen secret is derived once
	// per such key.
	kdfs *ttlcache.Cache[string, []string]
	// derived remembers the stored hash of chosen secrets that matched a
	// key, by the secret's SHA-256, so that argon2id runs once per TTL
	// and secret, not per request.
	derived *ttlcache.Cache[string, string]
	// slow admits one argon2id at a time: a flood of wrong chosen-looking
	// secrets costs one core and 19 MiB, not one per request.
	slow chan struct{}
}

func newKeyCache(ttl time.Duration, store galen.KeyService) *keyCache {
	c := &keyCache{byHash: ttlcache.New(ttl, maxCachedKeys, store.FindAPIKeyByHash), slow: make(chan struct{}, 1)}
	c.kdfs = ttlcache.New(ttl, 1, func(ctx context.Context, _ string) (*[]string, error) {
		ks, err := store.FindAPIKeys(ctx)
		if err != nil {
			return nil, err
		}
		var kdfs []string
		for _, k := range ks {
			if k.KDF != "" && k.RevokedAt == nil && !slices.Contains(kdfs, k.KDF) {
				kdfs = append(kdfs, k.KDF)
			}
		}
		return &kdfs, nil
	})
	// A secret's derived hash never changes (the salt is the key's), and
	// the key it finds is still checked through byHash, so it is kept
	// longer than the keys themselves.
	c.derived = ttlcache.New(derivedTTL, maxCachedKeys, func(ctx context.Context, secret string) (*string, error) {
		return nil, galen.Errorf(galen.ENOTFOUND, "api key not found")
	})
	return c
}

// lookupSecret returns the key whose secret is secret: by its SHA-256, and
// for a secret not of the generated form, by its argon2id under each
// active chosen key's KDF.
func (c *keyCache) lookupSecret(ctx context.Context, secret string) (*galen.APIKey, error) {
	sum := galen.HashKey(secret)
	k, err := c.lookup(ctx, sum)
	if galen.ErrorCode(err) != galen.ENOTFOUND || keyhash.Generated(secret) {
		return k, err
	}
	if h, err := c.derived.Get(ctx, sum); err == nil {
		return c.lookup(ctx, *h)
	}
	kdfs, err := c.kdfs.Get(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, kdf := range *kdfs {
		h, err := c.derive(ctx, secret, kdf)
		if err != nil {
			return nil, err
		}
		k, err := c.lookup(ctx, h)
		if err == nil {
			c.derived.Put(sum, &h)
			return k, nil
		}
		if galen.ErrorCode(err) != galen.ENOTFOUND {
			return nil, err
		}
	}
	return nil, galen.Errorf(galen.ENOTFOUND, "api key not found")
}

// derive runs keyhash.Derive, one at a time.
func (c *keyCache) derive(ctx context.Context, secret, kdf string) (string, error) {
	select {
	case c.slow <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-c.slow }()
	h, err := keyhash.Derive(secret, kdf)
	if err != nil {
		return "", galen.Errorf(galen.ENOTFOUND, "api key not found")
	}
	return h, nil
}

// lookup returns the key with hash, from the cache while it is fresh. The
// caller gets its own copy.
func (c *keyCache) lookup(ctx context.Context, hash string) (*galen.APIKey, error) {
	return c.byHash.Get(ctx, hash)
}

// forget drops the key with id, so that its revocation applies at once.
func (c *keyCache) forget(id string) {
	c.byHash.Forget(func(_ string, k *galen.APIKey) bool { return k.ID == id })
	c.kdfs.Forget(func(string, *[]string) bool { return true })
}
