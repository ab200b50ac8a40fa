package postgres

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/galenhealth/galen"
)

// unlockTimeout bounds the wait for pg_advisory_unlock after fn returns;
// past it the session is closed, which releases the lock too.
const unlockTimeout = 5 * time.Second

// WithLock runs fn while holding the lock called name, excluding every
// other WithLock of that name on the same database and schema: in this
// process, through other DBs, and in other replicas. It returns fn's error,
// or, if the lock could not be taken, ctx's error or EINTERNAL; EINVALID
// for an empty name.
//
// The lock is a session advisory lock (pg_advisory_lock) on one connection
// taken from the pool for the duration, keyed by a hash of the schema and
// name; the server drops it if the connection dies. It needs session-level
// connections: a proxy pooling by transaction breaks it. fn must not call
// WithLock with the same name.
func (db *DB) WithLock(ctx context.Context, name string, fn func(context.Context) error) error {
	if name == "" {
		return galen.Errorf(galen.EINVALID, "empty lock name")
	}
	op := fmt.Sprintf("lock %q", name)
	key := lockKey(db.schema, name)
	// Callers in this process queue on a mutex first, so that at most one
	// pooled connection per name waits in pg_advisory_lock: waiters holding
	// every connection of the pool would starve the holder's fn.
	mu := db.localLock(name)
	if err := mu.lock(ctx); err != nil {
		return internal(op, err)
	}
	defer mu.unlock()
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return internal(op, err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		// The server may have granted the lock just as the wait was
		// cancelled: end the session, which releases it.
		closeConn(conn.Hijack())
		return internal(op, err)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unlockTimeout)
		defer cancel()
		var released bool
		if err := conn.QueryRow(uctx, `SELECT pg_advisory_unlock($1)`, key).Scan(&released); err != nil || !released {
			closeConn(conn.Hijack())
			return
		}
		conn.Release()
	}()
	return fn(ctx)
}

// closeConn closes a connection taken out of the pool.
func closeConn(c *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
	defer cancel()
	c.Close(ctx)
}

// lockKey returns the advisory lock key of name in schema: 64 bits of
// FNV-1a, so that deployments in other schemas of the database do not
// share locks.
func lockKey(schema, name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("galen\x00" + schema + "\x00" + name))
	return int64(h.Sum64())
}

// ctxMutex is a mutex whose Lock gives up when a context ends.
type ctxMutex chan struct{}

func (m ctxMutex) lock(ctx context.Context) error {
	select {
	case m <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (m ctxMutex) unlock() { <-m }

// localLock returns the in-process mutex of the lock called name.
func (db *DB) localLock(name string) ctxMutex {
	db.localMu.Lock()
	defer db.localMu.Unlock()
	if db.locals == nil {
		db.locals = map[string]ctxMutex{}
	}
	m, ok := db.locals[name]
	if !ok {
		m = make(ctxMutex, 1)
		db.locals[name] = m
	}
	return m
}
