package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/galenhealth/galen"
)

// stores returns h.Store and n-1 more stores opened on its database with
// h.Reopen, as n replicas would have them.
func stores(tb testing.TB, h Harness, n int) []galen.Store {
	tb.Helper()
	if h.Reopen == nil {
		tb.Fatal("Harness.Reopen is nil: the lock tests need a second store on the same database")
	}
	ss := []galen.Store{h.Store}
	for len(ss) < n {
		ss = append(ss, h.Reopen(tb))
	}
	return ss
}

// testWithLock checks that WithLock excludes holders that use different
// stores on one database, that fn may write to the store meanwhile, and that
// errors and cancelled waits release or never take the lock.
func testWithLock(t *testing.T, open Open) {
	const lock = "storetest"
	t.Run("excludes stores on one database", func(t *testing.T) {
		ctx := context.Background()
		const replicas, rounds = 4, 5
		ss := stores(t, open(t), replicas)
		var (
			inside, overlaps atomic.Int32
			wg               sync.WaitGroup
			errs             = make(chan error, replicas*rounds)
		)
		for _, s := range ss {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range rounds {
					errs <- s.WithLock(ctx, lock, func(ctx context.Context) error {
						if inside.Add(1) != 1 {
							overlaps.Add(1)
						}
						defer inside.Add(-1)
						// Read, then write what was read: two holders at
						// once would pick the same name.
						_, n, err := s.FindModels(ctx, galen.ModelFilter{})
						if err != nil {
							return err
						}
						time.Sleep(time.Millisecond)
						return s.CreateModel(ctx, &galen.Model{Name: fmt.Sprintf("held-%02d", n), Task: "lock"})
					})
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("WithLock: %v", err)
			}
		}
		if n := overlaps.Load(); n > 0 {
			t.Errorf("%d times a holder found another one inside", n)
		}
		ms, total, err := ss[0].FindModels(ctx, galen.ModelFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var names, want []string
		for i, m := range ms {
			names = append(names, m.Name)
			want = append(want, fmt.Sprintf("held-%02d", i))
		}
		if total != replicas*rounds || !slices.Equal(names, want) {
			t.Errorf("models = %v (total %d), want held-00 to held-%02d", names, total, replicas*rounds-1)
		}
	})

	t.Run("fn error returned and lock released", func(t *testing.T) {
		ctx := context.Background()
		ss := stores(t, open(t), 2)
		errFn := errors.New("fn failed")
		if err := ss[0].WithLock(ctx, lock, func(context.Context) error { return errFn }); !errors.Is(err, errFn) {
			t.Errorf("WithLock = %v, want fn's error", err)
		}
		lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		ran := false
		if err := ss[1].WithLock(lctx, lock, func(context.Context) error { ran = true; return nil }); err != nil || !ran {
			t.Errorf("WithLock after a failed fn = %v (fn ran: %v), want nil and run", err, ran)
		}
	})

	t.Run("wait ends with the context", func(t *testing.T) {
		ctx := context.Background()
		ss := stores(t, open(t), 2)
		held, release := make(chan struct{}), make(chan struct{})
		holder := make(chan error, 1)
		go func() {
			holder <- ss[0].WithLock(ctx, lock, func(context.Context) error {
				close(held)
				<-release
				return nil
			})
		}()
		<-held
		wctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		ran := false
		err := ss[1].WithLock(wctx, lock, func(context.Context) error { ran = true; return nil })
		if !errors.Is(err, context.DeadlineExceeded) || ran {
			t.Errorf("WithLock while held = %v (fn ran: %v), want context.DeadlineExceeded and not run", err, ran)
		}
		close(release)
		if err := <-holder; err != nil {
			t.Fatalf("holder: %v", err)
		}
		lctx, cancel2 := context.WithTimeout(ctx, 10*time.Second)
		defer cancel2()
		if err := ss[1].WithLock(lctx, lock, func(context.Context) error { return nil }); err != nil {
			t.Errorf("WithLock after the holder left = %v", err)
		}
	})

	t.Run("empty name", func(t *testing.T) {
		s := open(t).Store
		ran := false
		err := s.WithLock(context.Background(), "", func(context.Context) error { ran = true; return nil })
		wantCode(t, err, galen.EINVALID)
		if ran {
			t.Error("fn ran")
		}
	})
}
