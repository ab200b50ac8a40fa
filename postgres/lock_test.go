package postgres

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/galenhealth/galen"
)

// holdLock takes name in db in a goroutine and holds it until release is
// closed; it returns once the lock is held, and a channel with WithLock's
// result.
func holdLock(tb testing.TB, db *DB, name string, release <-chan struct{}) <-chan error {
	tb.Helper()
	held := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.WithLock(context.Background(), name, func(context.Context) error {
			close(held)
			<-release
			return nil
		})
	}()
	select {
	case <-held:
	case err := <-done:
		tb.Fatalf("WithLock: %v", err)
	}
	return done
}

// tryLock reports whether db takes name within wait.
func tryLock(tb testing.TB, db *DB, name string, wait time.Duration) bool {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	err := db.WithLock(ctx, name, func(context.Context) error { return nil })
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		tb.Fatalf("WithLock: %v", err)
	}
	return err == nil
}

// TestWithLockSchemas checks that deployments in two schemas of one
// database do not share locks, while two stores on one schema do.
func TestWithLockSchemas(t *testing.T) {
	url := freshSchema(t)
	a, sameSchema, otherSchema := openTest(t, url), openTest(t, url), openTest(t, freshSchema(t))
	release := make(chan struct{})
	done := holdLock(t, a, "seed", release)
	if !tryLock(t, otherSchema, "seed", 10*time.Second) {
		t.Error("a store on another schema waited for the lock")
	}
	if tryLock(t, sameSchema, "seed", 100*time.Millisecond) {
		t.Error("a store on the same schema took a held lock")
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestWithLockSessionDies checks that the lock is free once the holder's
// connection dies, and that the holder's WithLock still returns fn's result.
func TestWithLockSessionDies(t *testing.T) {
	ctx := context.Background()
	url := freshSchema(t)
	holder, waiter := openTest(t, url), openTest(t, url)
	release := make(chan struct{})
	done := holdLock(t, holder, "seed", release)

	admin, err := pgx.Connect(ctx, baseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	key := lockKey(holder.schema, "seed")
	var terminated bool
	if err := admin.QueryRow(ctx, `
		SELECT pg_terminate_backend(pid) FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND objsubid = 1
		  AND ((classid::bigint << 32) | objid::bigint) = $1`, key).Scan(&terminated); err != nil || !terminated {
		t.Fatalf("terminate the holder's session: %v, %v", terminated, err)
	}
	if !tryLock(t, waiter, "seed", 10*time.Second) {
		t.Error("the lock of a dead session was not freed")
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("holder's WithLock = %v, want fn's nil", err)
	}
	if !tryLock(t, holder, "seed", 10*time.Second) {
		t.Error("the holder's store cannot take the lock again")
	}
}

// TestWithLockSmallPool checks that callers waiting for a lock do not hold
// the connections its holder needs: with a pool of two, six goroutines
// take the lock in turn, each using the store inside.
func TestWithLockSmallPool(t *testing.T) {
	url := freshSchema(t)
	if strings.Contains(url, "://") {
		url += "&pool_max_conns=2"
	} else {
		url += " pool_max_conns=2"
	}
	db := openTest(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	errs := make(chan error, 6)
	for range 6 {
		go func() {
			errs <- db.WithLock(ctx, "seed", func(ctx context.Context) error {
				_, _, err := db.FindModels(ctx, galen.ModelFilter{})
				return err
			})
		}()
	}
	for range 6 {
		if err := <-errs; err != nil {
			t.Fatalf("WithLock: %v", err)
		}
	}
}
