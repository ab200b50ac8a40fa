package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/galenhealth/galen"
)

// testConsistentCounts checks that the total FindModels and FindAuditEvents
// return agrees with the page they return while other goroutines write:
// both must come from one snapshot of the database.
func testConsistentCounts(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t).Store
	const writes = 120
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range writes / 2 {
				if err := s.CreateModel(ctx, &galen.Model{Name: fmt.Sprintf("w%d-%03d", w, i), Task: "outcome"}); err != nil {
					errs <- err
					return
				}
				if err := s.CreateAuditEvent(ctx, &galen.AuditEvent{KeyID: "k", Route: "GET /v1/models", Status: 200}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(done)
	}()

	tests := []struct {
		name  string
		limit int
	}{
		{"whole list", 0},
		{"first page", 10},
	}
	reads, bad := 0, 0
	for running := true; running; {
		select {
		case <-done:
			running = false // one more round after the last write
		default:
		}
		for _, tt := range tests {
			// Errorf and stop, not Fatalf: the writers are still running
			// and must finish before the store is closed.
			ms, total, err := s.FindModels(ctx, galen.ModelFilter{Limit: tt.limit})
			if err != nil {
				t.Errorf("FindModels: %v", err)
				bad = 4
				break
			}
			if want := pageLen(total, tt.limit); len(ms) != want {
				bad++
				t.Errorf("FindModels (%s): %d models with total %d; want %d", tt.name, len(ms), total, want)
			}
			es, total, err := s.FindAuditEvents(ctx, galen.AuditFilter{Limit: tt.limit})
			if err != nil {
				t.Errorf("FindAuditEvents: %v", err)
				bad = 4
				break
			}
			if want := pageLen(total, tt.limit); len(es) != want {
				bad++
				t.Errorf("FindAuditEvents (%s): %d events with total %d; want %d", tt.name, len(es), total, want)
			}
			reads++
		}
		if bad > 3 {
			break // enough said; let the writers finish
		}
	}
	<-done
	close(errs)
	for err := range errs {
		t.Errorf("writer: %v", err)
	}
	t.Logf("%d reads during %d writes", reads, 2*writes)
}

// pageLen returns how many rows a page of at most limit (0: no limit) holds
// when total rows match.
func pageLen(total, limit int) int {
	if limit == 0 || total < limit {
		return total
	}
	return limit
}
