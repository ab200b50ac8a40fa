package galen

import "context"

// Store is everything Galen persists, implemented by sqlite.DB and
// postgres.DB and checked by one conformance suite (storetest).
type Store interface {
	ModelService
	KeyService
	AuditService
	// Ping reports whether the store answers; the readiness probe uses it.
	Ping(ctx context.Context) error
	Close() error
}
