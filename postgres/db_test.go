package postgres

import (
	"context"
	"crypto/rand"
	"io/fs"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/internal/testenv"
	"github.com/galenhealth/galen/storetest"
)

// baseURL returns the server the tests use, from GALEN_TEST_POSTGRES, or
// skips the test.
func baseURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv("GALEN_TEST_POSTGRES")
	if u == "" {
		testenv.Missing(tb, "GALEN_TEST_POSTGRES is not set; set it to a postgres:// URL "+
			"(e.g. eval \"$(bash .ci/start-postgres.sh)\") to run the PostgreSQL store tests")
	}
	return u
}

// freshSchema creates a schema with a random name, dropped at cleanup, and
// returns a connection URL whose search_path selects it, so that test runs
// and parallel tests never see each other's tables.
func freshSchema(tb testing.TB) string {
	tb.Helper()
	ctx := context.Background()
	base := baseURL(tb)
	schema := "galen_test_" + strings.ToLower(rand.Text())

	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connect to GALEN_TEST_POSTGRES: %v", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})

	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			tb.Fatalf("GALEN_TEST_POSTGRES is not a valid URL")
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return base + " search_path=" + schema // key=value form
}

// openTest opens a store on url, closed at cleanup.
func openTest(tb testing.TB, url string) *DB {
	tb.Helper()
	db, err := Open(context.Background(), url)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestStore(t *testing.T) {
	baseURL(t)
	storetest.Run(t, func(tb testing.TB) storetest.Harness {
		url := freshSchema(tb)
		db := openTest(tb, url)
		return storetest.Harness{
			Store:  db,
			Reopen: func(tb testing.TB) galen.Store { return openTest(tb, url) },
			CorruptArtifact: func(ctx context.Context, model string, version int) error {
				_, err := db.pool.Exec(ctx, `
					UPDATE model_versions SET artifact = artifact || '\x00'::bytea
					WHERE version = $1 AND model_id = (SELECT id FROM models WHERE name = $2)`, version, model)
				return err
			},
		}
	})
}

func countMigrations(tb testing.TB, db *DB) int {
	tb.Helper()
	var n, distinct int
	if err := db.pool.QueryRow(context.Background(),
		`SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&n, &distinct); err != nil {
		tb.Fatal(err)
	}
	if n != distinct {
		tb.Errorf("schema_migrations has %d rows for %d versions", n, distinct)
	}
	return n
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	url := freshSchema(t)
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no embedded migrations: %v", err)
	}
	first := openTest(t, url)
	if n := countMigrations(t, first); n != len(files) {
		t.Errorf("after first open: %d migrations recorded, want %d", n, len(files))
	}
	if err := first.CreateModel(ctx, &galen.Model{Name: "survivor", Task: "outcome"}); err != nil {
		t.Fatal(err)
	}
	first.Close()

	tests := []struct{ name string }{{"second open"}, {"third open"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTest(t, url)
			if n := countMigrations(t, db); n != len(files) {
				t.Errorf("%d migrations recorded, want %d", n, len(files))
			}
			applied, err := db.migrate(ctx)
			if err != nil || len(applied) != 0 {
				t.Errorf("migrate on an up-to-date database applied %v, %v; want nothing", applied, err)
			}
			if _, err := db.FindModelByName(ctx, "survivor"); err != nil {
				t.Errorf("data lost on reopen: %v", err)
			}
		})
	}
}

// TestConcurrentOpen starts several replicas on one empty schema at once;
// the advisory lock lets exactly one of them migrate.
func TestConcurrentOpen(t *testing.T) {
	url := freshSchema(t)
	const n = 4
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := Open(context.Background(), url)
			if err != nil {
				errs <- err
				return
			}
			errs <- db.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Open: %v", err)
		}
	}
	files, _ := fs.Glob(migrations, "migrations/*.sql")
	if got := countMigrations(t, openTest(t, url)); got != len(files) {
		t.Errorf("schema_migrations has %d rows, want %d", got, len(files))
	}
}

// TestAuditAppendOnlyInSQL checks that even raw SQL cannot change or remove
// audit events.
func TestAuditAppendOnlyInSQL(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, freshSchema(t))
	if err := db.CreateAuditEvent(ctx, &galen.AuditEvent{KeyID: "k", Route: "GET /v1/models", Status: 200}); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, sql string }{
		{"update", `UPDATE audit_events SET status = 500`},
		{"delete", `DELETE FROM audit_events`},
		{"truncate", `TRUNCATE audit_events`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := db.pool.Exec(ctx, tt.sql); err == nil {
				t.Errorf("%s succeeded on the audit log", tt.sql)
			}
		})
	}
	_, total, err := db.FindAuditEvents(ctx, galen.AuditFilter{})
	if err != nil || total != 1 {
		t.Errorf("audit log has %d events (%v), want 1", total, err)
	}
}

// closedPort returns a local TCP port that nothing listens on.
func closedPort(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	if err := ln.Close(); err != nil {
		tb.Fatal(err)
	}
	return port
}

// TestOpenErrors needs no server.
func TestOpenErrors(t *testing.T) {
	port := closedPort(t)
	tests := []struct {
		name, url, code string
		wantInMessage   string // in the caller-safe message
	}{
		{"malformed url", "postgres://galen:s3cret@127.0.0.1:notaport/db", galen.EINVALID, "cannot parse"},
		{"nothing listening", "postgres://galen:s3cret@127.0.0.1:" + port + "/db?connect_timeout=2&sslmode=disable",
			galen.EUNAVAILABLE, "127.0.0.1:" + port},
		{"nothing listening, key=value", "host=127.0.0.1 port=" + port + " user=galen password=s3cret dbname=db connect_timeout=2",
			galen.EUNAVAILABLE, "127.0.0.1:" + port},
		{"nothing listening on either host", "postgres://galen:s3cret@127.0.0.1:" + port + ",localhost:" + port + "/db?connect_timeout=2&sslmode=disable",
			galen.EUNAVAILABLE, "127.0.0.1:" + port + ", localhost:" + port},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Open(context.Background(), tt.url)
			if err == nil {
				db.Close()
				t.Fatalf("Open succeeded")
			}
			if got := galen.ErrorCode(err); got != tt.code {
				t.Errorf("error code = %q (%v), want %q", got, err, tt.code)
			}
			if msg := galen.ErrorMessage(err); !strings.Contains(msg, tt.wantInMessage) {
				t.Errorf("message %q does not say %q", msg, tt.wantInMessage)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

func FuzzStore(f *testing.F) {
	storetest.Fuzz(f, func(tb testing.TB) storetest.Harness {
		return storetest.Harness{Store: openTest(tb, freshSchema(tb))}
	})
}

func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(tb testing.TB) storetest.Harness {
		return storetest.Harness{Store: openTest(tb, freshSchema(tb))}
	})
}

// TestOpenWrongPassword checks that a server refusing the password is
// EUNAVAILABLE and that the error does not repeat the password.
func TestOpenWrongPassword(t *testing.T) {
	u, err := url.Parse(baseURL(t))
	if err != nil || u.User == nil {
		t.Skip("GALEN_TEST_POSTGRES is not a postgres:// URL with a user")
	}
	const wrong = "not-the-password-s3cret"
	u.User = url.UserPassword(u.User.Username(), wrong)
	db, err := Open(context.Background(), u.String())
	if err == nil {
		db.Close()
		t.Skip("the server accepts any password (trust authentication)")
	}
	if got := galen.ErrorCode(err); got != galen.EINVALID { // a configuration error, not an outage
		t.Errorf("error code = %q (%v), want %q", got, err, galen.EINVALID)
	}
	if msg := galen.ErrorMessage(err); !strings.Contains(msg, u.Host) || !strings.Contains(msg, "SQLSTATE 28P01") {
		t.Errorf("message %q does not name %s", msg, u.Host)
	}
	if strings.Contains(err.Error(), wrong) {
		t.Errorf("error shows the password: %v", err)
	}
}
