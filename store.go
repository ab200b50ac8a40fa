package galen

import "context"

// Store is everything Galen persists, implemented by sqlite.DB and
// postgres.DB and checked by one conformance suite (storetest).
type Store interface {
	ModelService
	KeyService
	AuditService
	KGService
	// Ping reports whether the store answers; the readiness probe uses it.
	Ping(ctx context.Context) error
	// WithLock runs fn while holding the lock called name. No two calls
	// with that name run fn at once on one database, whichever process or
	// store handle makes them; a process that dies drops its locks. fn may
	// use the store but must not call WithLock. It returns fn's error, or,
	// if the lock could not be taken, ctx's error or EINTERNAL; EINVALID
	// for an empty name. Calls with different names may exclude each other
	// too.
	WithLock(ctx context.Context, name string, fn func(context.Context) error) error
	Close() error
}
