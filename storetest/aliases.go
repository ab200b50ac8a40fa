package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/galenhealth/galen"
)

func testAliases(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t).Store
	mustCreateModel(t, s, "m", "outcome")
	mustCreateModel(t, s, "bare", "outcome")
	for range 2 {
		mustCreateVersion(t, s, "m", []byte("w"))
	}
	tests := []struct {
		name, model, alias string
		version            int
		wantCode           string
	}{
		{"set", "m", "production", 1, ""},
		{"second alias", "m", "staging", 2, ""},
		{"move", "m", "production", 2, ""},
		{"same version again", "m", "production", 2, ""},
		{"alias with dash and dot", "m", "canary-eu.1", 1, ""},
		{"unknown model", "nope", "production", 1, galen.ENOTFOUND},
		{"unknown version", "m", "production", 3, galen.ENOTFOUND},
		{"version zero", "m", "production", 0, galen.ENOTFOUND},
		{"model without versions", "bare", "production", 1, galen.ENOTFOUND},
		{"numeric name", "m", "3", 1, galen.EINVALID},
		{"numeric name of existing version", "m", "1", 1, galen.EINVALID},
		{"empty name", "m", "", 1, galen.EINVALID},
		{"name with space", "m", "prod uction", 1, galen.EINVALID},
		{"upper case name", "m", "Production", 1, galen.EINVALID},
		{"name too long", "m", strings.Repeat("a", 65), 1, galen.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := time.Now()
			a, err := s.SetAlias(ctx, tt.model, tt.alias, tt.version)
			wantCode(t, err, tt.wantCode)
			if err != nil {
				return
			}
			if a.ModelName != tt.model || a.Name != tt.alias || a.Version != tt.version {
				t.Errorf("SetAlias = %+v", a)
			}
			near(t, "UpdatedAt", a.UpdatedAt, before)
			v, err := s.FindModelVersion(ctx, tt.model, tt.alias)
			if err != nil || v.Version != tt.version {
				t.Errorf("FindModelVersion(%q) = %v, %v; want version %d", tt.alias, v, err, tt.version)
			}
		})
	}
	t.Run("list", func(t *testing.T) {
		as, err := s.FindAliases(ctx, "m")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range as {
			got = append(got, fmt.Sprintf("%s@%d", a.Name, a.Version))
			if a.ModelName != "m" {
				t.Errorf("alias %s has model %q", a.Name, a.ModelName)
			}
		}
		want := []string{"canary-eu.1@1", "production@2", "staging@2"}
		if !slices.Equal(got, want) {
			t.Errorf("FindAliases = %v, want %v", got, want)
		}
	})
	t.Run("list of model without aliases", func(t *testing.T) {
		as, err := s.FindAliases(ctx, "bare")
		if err != nil || len(as) != 0 {
			t.Errorf("FindAliases = %v, %v; want none", as, err)
		}
	})
	t.Run("list of unknown model", func(t *testing.T) {
		_, err := s.FindAliases(ctx, "nope")
		wantCode(t, err, galen.ENOTFOUND)
	})
}

func testAliasHistory(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t).Store
	mustCreateModel(t, s, "m", "outcome")
	for range 4 {
		mustCreateVersion(t, s, "m", []byte("w"))
	}
	// Each step sets (set > 0) or rolls back (set == 0) an alias and checks
	// where it points afterwards.
	steps := []struct {
		name     string
		alias    string
		set      int
		want     int
		wantCode string
	}{
		{"set 1", "production", 1, 1, ""},
		{"move to 2", "production", 2, 2, ""},
		{"move to 3", "production", 3, 3, ""},
		{"other alias", "staging", 4, 4, ""},
		{"rollback to 2", "production", 0, 2, ""},
		{"rollback to 1", "production", 0, 1, ""},
		{"nothing earlier", "production", 0, 1, galen.ENOTFOUND},
		{"move to 4", "production", 4, 4, ""},
		{"rollback skips rolled-back moves", "production", 0, 1, ""},
		{"still nothing earlier", "production", 0, 1, galen.ENOTFOUND},
		{"staging untouched", "staging", 0, 4, galen.ENOTFOUND},
		{"unknown alias", "canary", 0, 0, galen.ENOTFOUND},
		{"invalid alias", "1", 0, 0, galen.ENOTFOUND},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			var (
				a   *galen.Alias
				err error
			)
			if st.set > 0 {
				a, err = s.SetAlias(ctx, "m", st.alias, st.set)
			} else {
				a, err = s.RollbackAlias(ctx, "m", st.alias)
			}
			wantCode(t, err, st.wantCode)
			if err == nil && (a.Version != st.want || a.Name != st.alias || a.ModelName != "m") {
				t.Errorf("alias = %+v, want %s at %d", a, st.alias, st.want)
			}
			if st.want == 0 {
				return
			}
			v, err := s.FindModelVersion(ctx, "m", st.alias)
			if err != nil || v.Version != st.want {
				t.Errorf("%s points at %v (%v), want %d", st.alias, v, err, st.want)
			}
		})
	}
	t.Run("rollback of unknown model", func(t *testing.T) {
		_, err := s.RollbackAlias(ctx, "nope", "production")
		wantCode(t, err, galen.ENOTFOUND)
	})
}

// testConcurrentAliases moves one alias from many goroutines at once, some
// to a version that does not exist; every move must be kept in the history.
func testConcurrentAliases(t *testing.T, open Open) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a deadlock fails, not hangs
	defer cancel()
	s := open(t).Store
	mustCreateModel(t, s, "m", "outcome")
	for range 3 {
		mustCreateVersion(t, s, "m", []byte("w"))
	}
	const n = 24
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		set  int
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			version, want := 2+i%2, ""
			if i%3 == 0 {
				version, want = 99, galen.ENOTFOUND
			}
			_, err := s.SetAlias(ctx, "m", "production", version)
			mu.Lock()
			defer mu.Unlock()
			if galen.ErrorCode(err) != want {
				errs = append(errs, fmt.Errorf("SetAlias(%d): %v, want code %q", version, err, want))
			} else if err == nil {
				set++
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	rollbacks := 0
	for {
		a, err := s.RollbackAlias(ctx, "m", "production")
		if galen.ErrorCode(err) == galen.ENOTFOUND {
			break
		}
		if err != nil {
			t.Fatalf("RollbackAlias: %v", err)
		}
		if a.Version != 2 && a.Version != 3 {
			t.Fatalf("rolled back to version %d, which no move set", a.Version)
		}
		rollbacks++
	}
	if rollbacks != set-1 {
		t.Errorf("%d moves allowed %d rollbacks, want %d", set, rollbacks, set-1)
	}
}
