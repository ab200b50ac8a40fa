// Package postgres implements galen.Store on PostgreSQL (github.com/jackc/pgx/v5),
// for running several galen replicas on one database. Migrations are embedded
// and applied under an advisory lock, so replicas may start at the same time.
// Tables live in the first schema of the connection's search_path, which the
// URL may set, as it may the pool size:
// postgres://user:pass@host/db?search_path=galen&pool_max_conns=20.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/galenhealth/galen"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the key of the advisory lock held while migrating.
const migrationLock = 0x6761_6c65_6e // "galen"

// DB is a galen.Store backed by a PostgreSQL connection pool. It is safe for
// concurrent use.
type DB struct {
	pool *pgxpool.Pool
	// schema holds the tables; it scopes WithLock's keys (lock.go).
	schema string
	// now returns the current time; tests may replace it.
	now func() time.Time
	// locals are WithLock's in-process mutexes, by lock name (lock.go).
	localMu sync.Mutex
	locals  map[string]ctxMutex
}

var _ galen.Store = (*DB)(nil)

// Open connects to the database at url (a postgres:// URL or key=value
// string) and brings its schema up to date.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The parse error may quote the URL with its password: drop it.
		return nil, galen.Errorf(galen.EINVALID, "postgres: cannot parse the connection URL (see the pgx documentation for its form)")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	// The pool connects lazily: connect now, so that an unreachable server
	// is reported as such rather than as a failed migration.
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("postgres: connect: %w", err)
		}
		// pgconn's errors name the host, user and database, never the
		// password. Refused credentials (SQLSTATE 28000, 28P01) are a
		// configuration error, not a server that may come back.
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && (pgErr.Code == "28000" || pgErr.Code == "28P01") {
			return nil, galen.WrapError(galen.EINVALID, fmt.Sprintf("postgres: %s refused the credentials (SQLSTATE %s)", serverAddrs(cfg.ConnConfig), pgErr.Code), err)
		}
		return nil, galen.WrapError(galen.EUNAVAILABLE, "postgres: cannot connect to "+serverAddrs(cfg.ConnConfig), err)
	}
	db := &DB{pool: pool, now: time.Now}
	if _, err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&db.schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: current schema: %w", err)
	}
	return db, nil
}

// serverAddrs returns the host:port pairs cfg tries, in order, comma-separated.
func serverAddrs(cfg *pgx.ConnConfig) string {
	addrs := []string{net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))}
	for _, f := range cfg.Fallbacks {
		if a := net.JoinHostPort(f.Host, strconv.Itoa(int(f.Port))); !slices.Contains(addrs, a) {
			addrs = append(addrs, a)
		}
	}
	return strings.Join(addrs, ", ")
}

// Close closes all connections.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Ping reports whether the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return galen.WrapError(galen.EUNAVAILABLE, "database unavailable", err)
	}
	return nil
}

// readTx begins a read-only REPEATABLE READ transaction, whose statements
// all see one snapshot. The caller rolls it back.
func (db *DB) readTx(ctx context.Context) (pgx.Tx, error) {
	return db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
}

// migrate applies, in one transaction and under an advisory lock, the
// embedded migrations that schema_migrations does not list yet, and returns
// their names.
func (db *DB) migrate(ctx context.Context) (applied []string, err error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)

	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback(ctx)
	// Released at commit or rollback. Other replicas wait here, then find
	// the migrations applied.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
		return nil, fmt.Errorf("migrate: lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL
	)`); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	for _, name := range names {
		base := path.Base(name)
		version, err := migrationVersion(base)
		if err != nil {
			return nil, err
		}
		var done bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, version).Scan(&done); err != nil {
			return nil, fmt.Errorf("migrate: %w", err)
		}
		if done {
			continue
		}
		script, err := migrations.ReadFile(name)
		if err != nil {
			return nil, err
		}
		// Without arguments pgx uses the simple protocol, which runs
		// several statements.
		if _, err := tx.Exec(ctx, string(script)); err != nil {
			return nil, fmt.Errorf("migrate %s: %w", base, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
			version, base, db.stamp()); err != nil {
			return nil, fmt.Errorf("migrate %s: %w", base, err)
		}
		applied = append(applied, base)
	}
	if err := tx.Commit(ctx); err != nil {
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

// stamp returns the current time as stored: UTC, whole microseconds.
func (db *DB) stamp() time.Time { return db.now().UTC().Truncate(time.Microsecond) }

// isUnique reports whether err is a unique or primary key violation.
func isUnique(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}

// internal wraps an unexpected database error.
func internal(op string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	return galen.WrapError(galen.EINTERNAL, "", fmt.Errorf("postgres: %s: %w", op, err))
}

// limitClause returns " LIMIT n OFFSET m" (LIMIT ALL for limit 0).
func limitClause(offset, limit int) string {
	if limit == 0 {
		return fmt.Sprintf(" OFFSET %d", offset)
	}
	return fmt.Sprintf(" LIMIT %d OFFSET %d", limit, offset)
}

// conds builds a WHERE clause with numbered parameters.
type conds struct {
	where []string
	args  []any
}

// add appends a condition; "?" in cond becomes the next $n.
func (c *conds) add(cond string, arg any) {
	c.args = append(c.args, arg)
	c.where = append(c.where, strings.Replace(cond, "?", "$"+strconv.Itoa(len(c.args)), 1))
}

func (c *conds) String() string {
	if len(c.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(c.where, " AND ")
}

// noRows reports whether err says a query returned no rows.
func noRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
