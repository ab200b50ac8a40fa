package inference_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/inference"
	"github.com/galenhealth/galen/linear"
	"github.com/galenhealth/galen/sqlite"
)

// TestSeedReplicas starts Seed at once in replicas that each open their own
// store on one new database, as `galen serve` processes starting together
// would: exactly one version must be registered, with the alias on it.
func TestSeedReplicas(t *testing.T) {
	tests := []struct {
		name     string
		replicas int
	}{
		{"two replicas", 2},
		{"four replicas", 4},
	}
	b := inference.Builtin{Name: "lin", Task: "regression", Format: linear.Format, Card: card, Artifact: linearArtifact(t, 2)}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 3 { // each start is a race: run a few
				ctx := context.Background()
				path := filepath.Join(t.TempDir(), "galen.db")
				var mgrs []*inference.Manager
				var first galen.Store
				for range tt.replicas {
					st, err := sqlite.Open(ctx, path)
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { st.Close() })
					if first == nil {
						first = st
					}
					mgrs = append(mgrs, inference.NewManager(st, map[string]galen.Loader{linear.Format: linear.Load}, inference.Config{}))
				}
				start := make(chan struct{})
				errs := make(chan error, len(mgrs))
				var wg sync.WaitGroup
				for _, mgr := range mgrs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						errs <- mgr.Seed(ctx, []inference.Builtin{b})
					}()
				}
				close(start)
				wg.Wait()
				close(errs)
				for err := range errs {
					if err != nil {
						t.Fatalf("Seed: %v", err)
					}
				}
				vs, err := first.FindModelVersions(ctx, "lin")
				if err != nil || len(vs) != 1 {
					t.Fatalf("%d versions after %d replicas seeded (%v), want 1", len(vs), tt.replicas, err)
				}
				as, err := first.FindAliases(ctx, "lin")
				if err != nil || len(as) != 1 || as[0].Name != inference.DefaultAlias || as[0].Version != 1 {
					t.Fatalf("%d aliases (%v), want only %s on version 1", len(as), err, inference.DefaultAlias)
				}
			}
		})
	}
}
