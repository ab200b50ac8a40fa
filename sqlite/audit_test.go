package sqlite

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/galenhealth/galen"
)

func auditEvent(i int) *galen.AuditEvent {
	return &galen.AuditEvent{KeyID: "key_1", Role: galen.RoleClinician, Method: "POST", Route: "/v1/outcome/predict",
		Model: "icu-mortality", ModelVersion: 1, Status: 200, LatencyMS: float64(i)}
}

// TestAuditGroupCommit stores events from many callers at once: each gets
// its own ID when CreateAuditEvent returns and finds its event stored, and
// the events share fewer transactions than there are events.
func TestAuditGroupCommit(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, filepath.Join(t.TempDir(), "galen.db"))
	const callers, each = 16, 20
	ids := make(chan int64, callers*each)
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for i := range each {
				e := auditEvent(c*each + i)
				if err := db.CreateAuditEvent(ctx, e); err != nil {
					t.Error(err)
					return
				}
				// Stored when the call returns: the event is visible.
				var latency float64
				if err := db.db.QueryRowContext(ctx, `SELECT latency_ms FROM audit_events WHERE id = ?`, e.ID).Scan(&latency); err != nil || latency != e.LatencyMS {
					t.Errorf("event %d: stored latency %v (%v), want %v", e.ID, latency, err, e.LatencyMS)
				}
				ids <- e.ID
			}
		})
	}
	wg.Wait()
	close(ids)
	seen := map[int64]bool{}
	for id := range ids {
		if id == 0 || seen[id] {
			t.Errorf("id %d zero or repeated", id)
		}
		seen[id] = true
	}
	if _, n, err := db.FindAuditEvents(ctx, galen.AuditFilter{}); err != nil || n != callers*each {
		t.Errorf("%d events stored (%v), want %d", n, err, callers*each)
	}
	db.audit.mu.Lock()
	batches := db.audit.batches
	db.audit.mu.Unlock()
	t.Logf("%d events in %d transactions", callers*each, batches)
	// Every event was stored, so there was at least one transaction; one
	// per event would mean no grouping at all.
	if batches == 0 || batches >= callers*each {
		t.Errorf("%d transactions for %d events, want fewer transactions than events", batches, callers*each)
	}
}

// TestAuditClosed checks that a write after Close fails instead of hanging.
func TestAuditClosed(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "galen.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e := auditEvent(1)
	if err := db.CreateAuditEvent(ctx, e); err == nil || ctx.Err() != nil || e.ID != 0 {
		t.Errorf("CreateAuditEvent after Close: %v (id %d, ctx %v); want an error at once", err, e.ID, ctx.Err())
	}
}

// BenchmarkCreateAuditEventConcurrent stores 16 events at once per
// iteration, as 16 concurrent requests do.
func BenchmarkCreateAuditEventConcurrent(b *testing.B) {
	ctx := context.Background()
	db := openTest(b, filepath.Join(b.TempDir(), "galen.db"))
	const callers = 16
	for b.Loop() {
		var wg sync.WaitGroup
		for i := range callers {
			wg.Go(func() {
				if err := db.CreateAuditEvent(ctx, auditEvent(i)); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
	}
}

// TestAuditBatchRetriesOneByOne puts an event the database rejects (a
// trigger aborts inserts from client "reject-me") in a group-commit batch
// between two good ones: the batch transaction fails, and the good events
// are still stored, each with its ID, while only the bad one's caller gets
// the error.
func TestAuditBatchRetriesOneByOne(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, filepath.Join(t.TempDir(), "galen.db"))
	if _, err := db.db.ExecContext(ctx, `CREATE TRIGGER reject_me BEFORE INSERT ON audit_events
		WHEN NEW.client = 'reject-me' BEGIN SELECT RAISE(ABORT, 'rejected by test trigger'); END`); err != nil {
		t.Fatal(err)
	}
	good1, bad, good2 := auditEvent(1), auditEvent(2), auditEvent(3)
	bad.Client = "reject-me"
	batch := []*auditRequest{
		{e: good1, done: make(chan error, 1)},
		{e: bad, done: make(chan error, 1)},
		{e: good2, done: make(chan error, 1)},
	}
	db.writeAuditBatch(batch)
	tests := []struct {
		name    string
		r       *auditRequest
		wantErr bool
	}{
		{name: "good before the bad event", r: batch[0]},
		{name: "bad event", r: batch[1], wantErr: true},
		{name: "good after the bad event", r: batch[2]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := <-tt.r.done
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				if tt.r.e.ID != 0 {
					t.Errorf("rejected event got ID %d", tt.r.e.ID)
				}
				return
			}
			var latency float64
			if err := db.db.QueryRowContext(ctx, `SELECT latency_ms FROM audit_events WHERE id = ?`, tt.r.e.ID).Scan(&latency); err != nil || latency != tt.r.e.LatencyMS {
				t.Errorf("event %d: stored latency %v (%v), want %v", tt.r.e.ID, latency, err, tt.r.e.LatencyMS)
			}
		})
	}
	if _, n, err := db.FindAuditEvents(ctx, galen.AuditFilter{}); err != nil || n != 2 {
		t.Errorf("%d events stored (%v), want the 2 good ones", n, err)
	}
}
