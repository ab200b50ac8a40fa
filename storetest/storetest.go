// Package storetest is the conformance suite for implementations of
// galen.Store. Every store package runs it from its tests:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(tb testing.TB) storetest.Harness { ... })
//	}
//
// The suite fixes the behaviour the interfaces document: error codes,
// version numbering, alias history, SHA-256 checks on artifacts, audit
// filters and ordering. One file per noun: models.go (models, versions,
// artifacts), aliases.go, keys.go, audit.go, lock.go, snapshot.go, and
// badinput.go (odd text, cancelled contexts, Fuzz); bench.go holds the
// benchmarks.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/galenhealth/galen"
)

// Harness is one new, empty store under test.
type Harness struct {
	Store galen.Store
	// CorruptArtifact changes the stored bytes of a model version behind the
	// store's back, leaving its recorded SHA-256 and size as they were.
	// Implementations do it with raw SQL.
	CorruptArtifact func(ctx context.Context, model string, version int) error
	// Reopen opens another store on the same database, as another process
	// would (for SQLite, a second handle on the same file), closed at
	// cleanup. The WithLock tests need it.
	Reopen func(tb testing.TB) galen.Store
}

// Open returns a new, empty store for one subtest. It registers its own
// cleanup (closing the store, removing files or schemas) with tb.
type Open func(tb testing.TB) Harness

// Run runs the whole suite; each subtest opens its own store.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(*testing.T, Open)
	}{
		{"Ping", testPing},
		{"CreateModel", testCreateModel},
		{"FindModels", testFindModels},
		{"ConsistentCounts", testConsistentCounts},
		{"DeleteModel", testDeleteModel},
		{"CreateModelVersion", testCreateModelVersion},
		{"ConcurrentVersions", testConcurrentVersions},
		{"FindModelVersion", testFindModelVersion},
		{"LoadArtifact", testLoadArtifact},
		{"Aliases", testAliases},
		{"AliasHistory", testAliasHistory},
		{"ConcurrentAliases", testConcurrentAliases},
		{"APIKeys", testAPIKeys},
		{"Audit", testAudit},
		{"AuditAppendOnly", testAuditAppendOnly},
		{"BadText", testBadText},
		{"Canceled", testCanceled},
		{"WithLock", testWithLock},
		{"LastAdminKey", testLastAdminKey},
		{"ConcurrentAdminRevokes", testConcurrentAdminRevokes},
		{"AuditBounds", testAuditBounds},
		{"CardBounds", testCardBounds},
		{"KDFKey", testKDFKey},
		{"KG", testKG},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open)
		})
	}
}

// wantCode fails unless err carries the galen error code want ("" for nil).
func wantCode(tb testing.TB, err error, want string) {
	tb.Helper()
	if got := galen.ErrorCode(err); got != want {
		tb.Fatalf("error = %v (code %q), want code %q", err, got, want)
	}
}

// near fails unless got lies within a few seconds of want; stores may round
// times to microseconds.
func near(tb testing.TB, what string, got, want time.Time) {
	tb.Helper()
	if d := got.Sub(want); d < -5*time.Second || d > 5*time.Second {
		tb.Errorf("%s = %v, want about %v", what, got, want)
	}
}

func ptr[T any](v T) *T { return &v }

func testPing(t *testing.T, open Open) {
	h := open(t)
	if err := h.Store.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}
