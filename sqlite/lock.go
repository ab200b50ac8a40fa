package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/galenhealth/galen"
)

// lockSuffix names the file, next to the database, whose write lock
// WithLock holds: path+lockSuffix.
const lockSuffix = "-lock"

// Waits between attempts to take the lock while another holder has it.
const (
	lockPollMin = 2 * time.Millisecond
	lockPollMax = 50 * time.Millisecond
)

// openLocks returns a handle on the lock file of the database at path. It
// connects (and creates the file) on first use.
func openLocks(path string) (*sql.DB, error) {
	q := url.Values{}
	// Fail at once when the lock is held: WithLock waits itself, so that
	// the wait ends with its context.
	q.Add("_pragma", "busy_timeout(0)")
	q.Set("_txlock", "immediate")
	locks, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path + lockSuffix}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	locks.SetMaxIdleConns(2)
	return locks, nil
}

// WithLock runs fn while holding the store's lock, excluding every other
// WithLock on the same database file: in this process, through other
// DBs, and in other processes. It returns fn's error, or, if the lock could
// not be taken, ctx's error or EINTERNAL; EINVALID for an empty name.
//
// All names share one lock: the write lock of a second SQLite file,
// path+"-lock", held by a BEGIN IMMEDIATE transaction that writes nothing
// while fn runs. The database itself stays writable, so fn may use the
// store. The operating system drops the lock if the process dies. fn must
// not call WithLock.
func (db *DB) WithLock(ctx context.Context, name string, fn func(context.Context) error) error {
	if name == "" {
		return galen.Errorf(galen.EINVALID, "empty lock name")
	}
	op := fmt.Sprintf("lock %q", name)
	conn, err := db.locks.Conn(ctx)
	if err != nil {
		return internal(op, err)
	}
	defer conn.Close()
	wait := lockPollMin
	for {
		// Not ctx: database/sql would roll back, releasing the lock, as
		// soon as ctx ends, while fn may still be running.
		tx, err := conn.BeginTx(context.WithoutCancel(ctx), nil)
		if err == nil {
			defer tx.Rollback()
			return fn(ctx)
		}
		if !isBusy(err) {
			return internal(op, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return internal(op, ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, lockPollMax)
	}
}

// isBusy reports whether err says another connection holds a lock.
func isBusy(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_BUSY
}
