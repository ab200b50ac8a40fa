package sqlite

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/storetest"
)

// openTest opens a new database in a temporary directory, closed at cleanup.
func openTest(tb testing.TB, path string) *DB {
	tb.Helper()
	db, err := Open(context.Background(), path)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) storetest.Harness {
		path := filepath.Join(tb.TempDir(), "galen.db")
		db := openTest(tb, path)
		return storetest.Harness{
			Store:  db,
			Reopen: func(tb testing.TB) galen.Store { return openTest(tb, path) },
			CorruptArtifact: func(ctx context.Context, model string, version int) error {
				_, err := db.db.ExecContext(ctx, `
					UPDATE model_versions SET artifact = artifact || x'00'
					WHERE version = ? AND model_id = (SELECT id FROM models WHERE name = ?)`, version, model)
				return err
			},
		}
	})
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no embedded migrations: %v", err)
	}
	path := filepath.Join(t.TempDir(), "galen.db")

	countApplied := func(tb testing.TB, db *DB) int {
		tb.Helper()
		var n, distinct int
		if err := db.db.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&n, &distinct); err != nil {
			tb.Fatal(err)
		}
		if n != distinct {
			tb.Errorf("schema_migrations has %d rows for %d versions", n, distinct)
		}
		return n
	}

	first := openTest(t, path)
	if n := countApplied(t, first); n != len(files) {
		t.Errorf("after first open: %d migrations recorded, want %d", n, len(files))
	}
	m := &galen.Model{Name: "survivor", Task: "outcome"}
	if err := first.CreateModel(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	tests := []struct{ name string }{{"second open"}, {"third open"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTest(t, path)
			if n := countApplied(t, db); n != len(files) {
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

// TestConcurrentOpen starts several stores on one new file at once, as
// several processes would.
func TestConcurrentOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "galen.db")
	const n = 4
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := Open(context.Background(), path)
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
	db := openTest(t, path)
	var rows int
	if err := db.db.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if files, _ := fs.Glob(migrations, "migrations/*.sql"); rows != len(files) {
		t.Errorf("schema_migrations has %d rows, want %d", rows, len(files))
	}
}

func TestPragmas(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "galen.db"))
	tests := []struct {
		name, pragma, want string
	}{
		{"wal", "journal_mode", "wal"},
		{"foreign keys", "foreign_keys", "1"},
		{"busy timeout", "busy_timeout", "10000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			if err := db.db.QueryRow("PRAGMA " + tt.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("PRAGMA %s = %q, want %q", tt.pragma, got, tt.want)
			}
		})
	}
}

// TestAuditAppendOnlyInSQL checks that even raw SQL cannot change or remove
// audit events.
func TestAuditAppendOnlyInSQL(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, filepath.Join(t.TempDir(), "galen.db"))
	if err := db.CreateAuditEvent(ctx, &galen.AuditEvent{KeyID: "k", Route: "GET /v1/models", Status: 200}); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, sql string }{
		{"update", `UPDATE audit_events SET status = 500`},
		{"delete", `DELETE FROM audit_events`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := db.db.ExecContext(ctx, tt.sql); err == nil {
				t.Errorf("%s succeeded on the audit log", tt.sql)
			}
		})
	}
	_, total, err := db.FindAuditEvents(ctx, galen.AuditFilter{})
	if err != nil || total != 1 {
		t.Errorf("audit log has %d events (%v), want 1", total, err)
	}
}

// TestOpenPath checks that characters with a meaning in URIs are taken
// literally in the path.
func TestOpenPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a b#c?d%e&f")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "galen.db")
	openTest(t, path)
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at %q: %v", path, err)
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct{ name, path string }{
		{"empty path", ""},
		{"directory missing", filepath.Join(t.TempDir(), "no", "such", "dir", "galen.db")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Open(context.Background(), tt.path)
			if err == nil {
				db.Close()
				t.Fatalf("Open(%q) succeeded", tt.path)
			}
		})
	}
}

func FuzzStore(f *testing.F) {
	storetest.Fuzz(f, func(tb testing.TB) storetest.Harness {
		return storetest.Harness{Store: openTest(tb, filepath.Join(tb.TempDir(), "galen.db"))}
	})
}

func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(tb testing.TB) storetest.Harness {
		return storetest.Harness{Store: openTest(tb, filepath.Join(tb.TempDir(), "galen.db"))}
	})
}
