// Package sqlite implements galen.Store on an embedded SQLite database
// (modernc.org/sqlite, pure Go): one file in the data directory, WAL mode,
// foreign keys on, versioned migrations embedded in the binary. Artifacts are
// stored as BLOBs next to their SHA-256. A second, empty file beside it
// carries the lock of DB.WithLock.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/galenhealth/galen"
)

// maxConns bounds the connections to the database file.
const maxConns = 8

//go:embed migrations/*.sql
var migrations embed.FS

// DB is a galen.Store backed by one SQLite file. It is safe for concurrent use.
type DB struct {
	db *sql.DB
	// locks is the lock file that WithLock holds (lock.go).
	locks *sql.DB
	// now returns the current time; tests may replace it.
	now func() time.Time
	// audit batches concurrent audit events into one transaction (audit.go).
	audit auditBatch
	// ckpt checkpoints the write-ahead log in the background (checkpoint.go).
	ckpt checkpointer
	// insertAudit is insertAuditEvent, prepared once (audit.go).
	insertAudit *sql.Stmt
}

var _ galen.Store = (*DB)(nil)

// Open opens (creating if needed) the SQLite database at path and brings its
// schema up to date. Several processes may open the same file.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, galen.Errorf(galen.EINVALID, "sqlite: empty database path")
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// No checkpoint inside commits: the checkpointer does it (checkpoint.go).
	q.Add("_pragma", "wal_autocheckpoint(0)")
	// Every transaction here but readTx's writes, so take the write lock at
	// BEGIN: two deferred transactions upgrading at once would fail with
	// SQLITE_BUSY. (Read-only transactions begin deferred; see readTx.)
	q.Set("_txlock", "immediate")
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// Each connection is a SQLite handle with its own page cache: keep a
	// few, and keep them open. No method holds more than one at a time.
	sdb.SetMaxOpenConns(maxConns)
	sdb.SetMaxIdleConns(maxConns)
	locks, err := openLocks(path)
	if err != nil {
		sdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path+lockSuffix, err)
	}
	db := &DB{db: sdb, locks: locks, now: time.Now}
	// Under the lock file: the first connection of a new database turns
	// it to WAL, which needs the file to itself, and SQLite answers a
	// concurrent opener SQLITE_BUSY at once rather than waiting
	// (TestConcurrentOpen failed about 1 run in 20 before).
	err = db.WithLock(ctx, "sqlite.open", func(ctx context.Context) error {
		_, err := db.migrate(ctx)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if db.insertAudit, err = sdb.PrepareContext(ctx, insertAuditEvent); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: prepare: %w", path, err)
	}
	db.startCheckpoints(checkpointInterval)
	return db, nil
}

// Close stops the checkpointer, copies what is left of the write-ahead log
// into the database file, and closes the database.
func (db *DB) Close() error {
	db.stopCheckpoints()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Best effort, and PASSIVE so that a CLI command never waits here for a
	// server's readers; SQLite also checkpoints when the last connection to
	// the file closes.
	_ = db.checkpoint(ctx, "PASSIVE")
	if db.insertAudit != nil {
		db.insertAudit.Close()
	}
	return errors.Join(db.db.Close(), db.locks.Close())
}

// Ping reports whether the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return galen.WrapError(galen.EUNAVAILABLE, "database unavailable", err)
	}
	return nil
}

// readTx begins a read transaction: a deferred BEGIN, so that it takes no
// write lock, whose statements all read one snapshot (WAL). The caller
// rolls it back.
func (db *DB) readTx(ctx context.Context) (*sql.Tx, error) {
	return db.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
}

// migrate applies, in one transaction, the embedded migrations that
// schema_migrations does not list yet, and returns their names.
func (db *DB) migrate(ctx context.Context) (applied []string, err error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)

	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	)`); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	for _, name := range names {
		base := path.Base(name)
		version, err := migrationVersion(base)
		if err != nil {
			return nil, err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
			return nil, fmt.Errorf("migrate: %w", err)
		}
		if n > 0 {
			continue
		}
		script, err := migrations.ReadFile(name)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, string(script)); err != nil {
			return nil, fmt.Errorf("migrate %s: %w", base, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			version, base, formatTime(db.now())); err != nil {
			return nil, fmt.Errorf("migrate %s: %w", base, err)
		}
		applied = append(applied, base)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return applied, nil
}

// migrationVersion returns the number a migration file name starts with,
// as in 0001_init.sql.
func migrationVersion(name string) (int, error) {
	num, _, ok := strings.Cut(name, "_")
	v, err := strconv.Atoi(num)
	if !ok || err != nil || v <= 0 {
		return 0, fmt.Errorf("migration %s: name must start with a version number and '_'", name)
	}
	return v, nil
}

// timeLayout is fixed-width so that comparing stored strings compares times.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// formatTime returns t in UTC with microsecond precision, as stored.
func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// parseTime reads a time written by formatTime.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("sqlite: bad stored time %q: %w", s, err)
	}
	return t, nil
}

// stamp returns the current time as stored: UTC, whole microseconds.
func (db *DB) stamp() time.Time { return db.now().UTC().Truncate(time.Microsecond) }

// isUnique reports whether err is a UNIQUE or PRIMARY KEY violation.
func isUnique(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// internal wraps an unexpected database error.
func internal(op string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	return galen.WrapError(galen.EINTERNAL, "", fmt.Errorf("sqlite: %s: %w", op, err))
}

// limitClause returns " LIMIT n OFFSET m" (SQLite's -1 means no limit).
func limitClause(offset, limit int) string {
	if limit == 0 {
		limit = -1
	}
	return fmt.Sprintf(" LIMIT %d OFFSET %d", limit, offset)
}
