package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestNoCheckpointInCommits checks that no connection checkpoints in its
// commits: that is the background checkpointer's work.
func TestNoCheckpointInCommits(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "galen.db"))
	ctx := context.Background()
	for range 3 { // several connections of the pool
		conn, err := db.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var pages int
		if err := conn.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&pages); err != nil {
			t.Fatal(err)
		}
		if pages != 0 {
			t.Fatalf("wal_autocheckpoint = %d, want 0", pages)
		}
	}
}

// TestCheckpointReusesLog writes audit events, checkpoints, and writes
// more: a checkpointed log is rewritten from its start, so the log file
// does not grow, while without a checkpoint it does.
func TestCheckpointReusesLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "galen.db")
	db := openTest(t, path)
	db.stopCheckpoints() // this test checkpoints by hand
	ctx := context.Background()
	write := func(n int) int64 {
		t.Helper()
		for i := range n {
			if err := db.CreateAuditEvent(ctx, auditEvent(i)); err != nil {
				t.Fatal(err)
			}
		}
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := write(200)
	if err := db.checkpoint(ctx, "PASSIVE"); err != nil {
		t.Fatal(err)
	}
	if after := write(100); after > before {
		t.Fatalf("log grew from %d to %d bytes after a checkpoint", before, after)
	}
	// Without one, it grows: 300 events since the checkpoint take more log
	// than the migrations and the first 200.
	if more := write(200); more <= before {
		t.Fatalf("log stayed at %d bytes without a checkpoint (was %d): the test cannot tell", more, before)
	}
}

// TestBackgroundCheckpoints checks that the checkpointer runs, and that
// Close stops it and leaves no log behind.
func TestBackgroundCheckpoints(t *testing.T) {
	path := filepath.Join(t.TempDir(), "galen.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateAuditEvent(context.Background(), auditEvent(1)); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); db.ckpt.runs.Load() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no background checkpoint in 30 s")
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
		t.Fatalf("%d bytes of log left after Close", fi.Size())
	}
}
