package httpapi

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/sqlite"
)

// TestEnsureAdminKeyReplicas runs EnsureAdminKey at once in replicas that
// each open their own store on one new database, as `galen serve` processes
// starting together would: exactly one admin key must result, and when it
// is generated, exactly one replica must show it.
func TestEnsureAdminKeyReplicas(t *testing.T) {
	tests := []struct {
		name     string
		secret   string // GALEN_ADMIN_KEY
		replicas int
	}{
		{"generated, two replicas", "", 2},
		{"generated, four replicas", "", 4},
		{"from GALEN_ADMIN_KEY, four replicas", "glk_from-the-environment-0123456789", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 5 { // each start is a race: run a few
				ctx := context.Background()
				path := filepath.Join(t.TempDir(), "galen.db")
				var stores []galen.Store
				for range tt.replicas {
					st, err := sqlite.Open(ctx, path)
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { st.Close() })
					stores = append(stores, st)
				}
				start := make(chan struct{})
				var (
					wg        sync.WaitGroup
					mu        sync.Mutex
					generated []string
				)
				for _, st := range stores {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						g, err := galen.EnsureAdminKey(ctx, st, tt.secret)
						mu.Lock()
						defer mu.Unlock()
						if err != nil {
							t.Errorf("EnsureAdminKey: %v", err)
						}
						if g != "" {
							generated = append(generated, g)
						}
					}()
				}
				close(start)
				wg.Wait()
				ks, err := stores[0].FindAPIKeys(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if len(ks) != 1 || ks[0].Role != galen.RoleAdmin {
					t.Fatalf("%d keys after %d replicas started, want one admin key", len(ks), tt.replicas)
				}
				want := tt.secret
				if tt.secret == "" {
					if len(generated) != 1 {
						t.Fatalf("%d replicas showed a generated key, want 1", len(generated))
					}
					want = generated[0]
				} else if len(generated) != 0 {
					t.Fatalf("%d replicas showed a generated key, want none", len(generated))
				}
				if k, err := galen.FindKey(ctx, stores[0], want); err != nil || k.ID != ks[0].ID {
					t.Errorf("the stored key is not the one shown or given: %v", err)
				}
			}
		})
	}
}
