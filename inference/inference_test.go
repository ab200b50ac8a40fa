package inference_test

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/inference"
	"github.com/galenhealth/galen/linear"
	"github.com/galenhealth/galen/sqlite"
)

func openStore(tb testing.TB) galen.Store {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "galen.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

var card = galen.ModelCard{Task: "regression", TrainingData: "synthetic", DataLicense: "CC0-1.0", IntendedUse: "tests", Limitations: "none"}

// linearArtifact fits y = 2*x0 - x1 + 1 by least squares and returns the artifact.
func linearArtifact(tb testing.TB, slope float64) []byte {
	tb.Helper()
	var x [][]float64
	var y []float64
	for i := range 20 {
		a, b := float64(i%5), float64(i/5)
		x = append(x, []float64{a, b})
		y = append(y, slope*a-b+1)
	}
	m, err := linear.FitLeastSquares(x, y)
	if err != nil {
		tb.Fatal(err)
	}
	art, err := m.Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	return art
}

func predict(tb testing.TB, mgr *inference.Manager, l *inference.Loaded, x0, x1 float64) float64 {
	tb.Helper()
	out, err := mgr.Infer(context.Background(), l, []galen.Tensor{{Name: "x", Datatype: "FP64", Shape: []int64{1, 2}, Floats: []float64{x0, x1}}})
	if err != nil {
		tb.Fatal(err)
	}
	return out[0].Floats[0]
}

func TestSeedGetResolve(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	var loads atomic.Int32
	loaders := map[string]galen.Loader{linear.Format: func(ctx context.Context, v *galen.ModelVersion, b []byte) (galen.Predictor, error) {
		loads.Add(1)
		return linear.Load(ctx, v, b)
	}}
	mgr := inference.NewManager(st, loaders, inference.Config{})
	b := inference.Builtin{Name: "lin", Task: "regression", Format: linear.Format, Card: card, Artifact: linearArtifact(t, 2)}
	for range 2 { // the second Seed must change nothing
		if err := mgr.Seed(ctx, []inference.Builtin{b}); err != nil {
			t.Fatal(err)
		}
	}
	seedLoads := loads.Load() // Seed checks each artifact by loading it
	vs, err := st.FindModelVersions(ctx, "lin")
	if err != nil || len(vs) != 1 {
		t.Fatalf("versions after two seeds: %d, %v; want 1", len(vs), err)
	}

	// Version 2 is newer, but "production" still points at 1.
	v2 := &galen.ModelVersion{ModelName: "lin", Format: linear.Format, Card: card}
	if err := st.CreateModelVersion(ctx, v2, linearArtifact(t, 3)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, version string
		want          int
		wantY         float64 // at x = (1, 0)
	}{
		{"default is production", "", 1, 3},
		{"alias", "production", 1, 3},
		{"number", "2", 2, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := mgr.Get(ctx, "lin", tt.version)
			if err != nil {
				t.Fatal(err)
			}
			if l.Version.Version != tt.want {
				t.Errorf("version %d, want %d", l.Version.Version, tt.want)
			}
			if y := predict(t, mgr, l, 1, 0); math.Abs(y-tt.wantY) > 1e-9 {
				t.Errorf("y = %g, want %g", y, tt.wantY)
			}
		})
	}
	// GetVersion takes a resolved version and shares Get's cache.
	v, err := mgr.Resolve(ctx, "lin", "2")
	if err != nil {
		t.Fatal(err)
	}
	byVersion, err := mgr.GetVersion(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	if byName, err := mgr.Get(ctx, "lin", "2"); err != nil || byName != byVersion {
		t.Errorf("GetVersion %p, Get %p (%v); want the same cached model", byVersion, byName, err)
	}
	if n := loads.Load() - seedLoads; n != 2 {
		t.Errorf("%d loads for 2 distinct versions, want 2 (cached)", n)
	}

	// Without an alias the default is the latest version.
	if err := st.CreateModel(ctx, &galen.Model{Name: "noalias", Task: "regression"}); err != nil {
		t.Fatal(err)
	}
	for _, slope := range []float64{2, 5} {
		if err := st.CreateModelVersion(ctx, &galen.ModelVersion{ModelName: "noalias", Format: linear.Format, Card: card}, linearArtifact(t, slope)); err != nil {
			t.Fatal(err)
		}
	}
	l, err := mgr.Get(ctx, "noalias", "")
	if err != nil || l.Version.Version != 2 {
		t.Fatalf("default without alias: %v, %v; want version 2", l, err)
	}

	for _, tt := range []struct{ name, model, version string }{
		{"unknown model", "nope", ""},
		{"unknown version", "lin", "9"},
		{"unknown alias", "lin", "staging"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := mgr.Get(ctx, tt.model, tt.version); galen.ErrorCode(err) != galen.ENOTFOUND {
				t.Errorf("err = %v, want ENOTFOUND", err)
			}
		})
	}
}

func TestConcurrentGetLoadsOnce(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	var loads atomic.Int32
	loaders := map[string]galen.Loader{linear.Format: func(ctx context.Context, v *galen.ModelVersion, b []byte) (galen.Predictor, error) {
		loads.Add(1)
		time.Sleep(20 * time.Millisecond)
		return linear.Load(ctx, v, b)
	}}
	mgr := inference.NewManager(st, loaders, inference.Config{})
	if err := mgr.Seed(ctx, []inference.Builtin{{Name: "lin", Task: "regression", Format: linear.Format, Card: card, Artifact: linearArtifact(t, 2)}}); err != nil {
		t.Fatal(err)
	}
	loads.Store(0) // Seed checked the artifact by loading it
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := mgr.Get(ctx, "lin", ""); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := loads.Load(); n != 1 {
		t.Errorf("%d loads, want 1", n)
	}
}

// blocker is a model that answers only when released or cancelled; it stands
// in for a slow model so that queueing can be observed.
type blocker struct{ release chan struct{} }

func (b *blocker) Inputs() []galen.TensorSpec  { return nil }
func (b *blocker) Outputs() []galen.TensorSpec { return nil }
func (b *blocker) Infer(ctx context.Context, _ []galen.Tensor) ([]galen.Tensor, error) {
	select {
	case <-b.release:
		return nil, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func blockerManager(tb testing.TB, cfg inference.Config) (*inference.Manager, *inference.Loaded, *blocker) {
	tb.Helper()
	ctx := context.Background()
	st := openStore(tb)
	b := &blocker{release: make(chan struct{})}
	mgr := inference.NewManager(st, map[string]galen.Loader{"block/v1": func(context.Context, *galen.ModelVersion, []byte) (galen.Predictor, error) {
		return b, nil
	}}, cfg)
	if err := mgr.Seed(ctx, []inference.Builtin{{Name: "slow", Task: "test", Format: "block/v1", Card: card, Artifact: []byte("x")}}); err != nil {
		tb.Fatal(err)
	}
	l, err := mgr.Get(ctx, "slow", "")
	if err != nil {
		tb.Fatal(err)
	}
	return mgr, l, b
}

func TestQueueFullIsBusy(t *testing.T) {
	mgr, l, b := blockerManager(t, inference.Config{Concurrency: 1, QueueDepth: 1})
	errs := make(chan error, 2)
	for range 2 {
		go func() { _, err := mgr.Infer(context.Background(), l, nil); errs <- err }()
	}
	deadline := time.Now().Add(5 * time.Second)
	for mgr.QueueStats()["slow"] != (inference.QueueStat{Running: 1, Waiting: 1}) {
		if time.Now().After(deadline) {
			t.Fatalf("queue stats %+v, want 1 running and 1 waiting", mgr.QueueStats()["slow"])
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := mgr.Infer(context.Background(), l, nil); galen.ErrorCode(err) != galen.EBUSY {
		t.Fatalf("third request: %v, want EBUSY", err)
	}
	close(b.release)
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("queued request: %v", err)
		}
	}
	if s := mgr.QueueStats()["slow"]; s != (inference.QueueStat{}) {
		t.Errorf("queue stats after drain %+v, want empty", s)
	}
}

func TestDeadline(t *testing.T) {
	mgr, l, _ := blockerManager(t, inference.Config{Timeout: 30 * time.Millisecond})
	_, err := mgr.Infer(context.Background(), l, nil)
	if galen.ErrorCode(err) != galen.EUNAVAILABLE {
		t.Fatalf("err = %v, want EUNAVAILABLE after the deadline", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := mgr.Infer(ctx, l, nil); err != context.Canceled {
		t.Fatalf("err = %v, want context.Canceled for a caller that gave up", err)
	}
}

func TestCheck(t *testing.T) {
	mgr := inference.NewManager(openStore(t), map[string]galen.Loader{linear.Format: linear.Load}, inference.Config{})
	tests := []struct {
		name, format string
		artifact     []byte
		wantCode     string
	}{
		{"good", linear.Format, linearArtifact(t, 1), ""},
		{"unknown format", "onnx", []byte("x"), galen.EINVALID},
		{"bad artifact", linear.Format, []byte(`{"input":"x"}`), galen.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := mgr.Check(context.Background(), &galen.ModelVersion{Format: tt.format}, tt.artifact)
			if galen.ErrorCode(err) != tt.wantCode {
				t.Errorf("err = %v, want code %q", err, tt.wantCode)
			}
		})
	}
}

// panicker is a model that panics, as a buggy model might.
type panicker struct{}

func (panicker) Inputs() []galen.TensorSpec  { return nil }
func (panicker) Outputs() []galen.TensorSpec { return nil }
func (panicker) Infer(context.Context, []galen.Tensor) ([]galen.Tensor, error) {
	var s []float64
	return []galen.Tensor{{Floats: []float64{s[len(s)]}}}, nil // index out of range
}

func TestPanicsBecomeErrors(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	loaders := map[string]galen.Loader{
		"panic/v1":     func(context.Context, *galen.ModelVersion, []byte) (galen.Predictor, error) { return panicker{}, nil },
		"badloader/v1": func(context.Context, *galen.ModelVersion, []byte) (galen.Predictor, error) { panic("corrupt") },
	}
	mgr := inference.NewManager(st, loaders, inference.Config{})
	if err := mgr.Seed(ctx, []inference.Builtin{{Name: "crash", Task: "test", Format: "panic/v1", Card: card, Artifact: []byte("x")}}); err != nil {
		t.Fatal(err)
	}
	l, err := mgr.Get(ctx, "crash", "")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the queue slot is given back after the panic
		if _, err := mgr.Infer(ctx, l, nil); galen.ErrorCode(err) != galen.EINTERNAL || galen.ErrorMessage(err) != `model "crash" version 1 failed` {
			t.Fatalf("err = %v, want EINTERNAL with a safe message", err)
		}
	}
	if s := mgr.QueueStats()["crash"]; s != (inference.QueueStat{}) {
		t.Errorf("queue after panics: %+v", s)
	}
	err = mgr.Check(ctx, &galen.ModelVersion{Format: "badloader/v1"}, []byte("x"))
	if galen.ErrorCode(err) != galen.EINVALID {
		t.Errorf("Check with a panicking loader: %v, want EINVALID", err)
	}
}

// TestPanicErrorHoldsNoValue checks that a model's panic becomes an error
// that names the panic value's type and the stack but not the value, which
// may quote the model's inputs: servers log the error.
func TestPanicErrorHoldsNoValue(t *testing.T) {
	ctx := context.Background()
	mgr := inference.NewManager(openStore(t), map[string]galen.Loader{linear.Format: linear.Load}, inference.Config{})
	if err := mgr.Seed(ctx, []inference.Builtin{{Name: "lin", Task: "regression", Format: linear.Format, Card: card, Artifact: linearArtifact(t, 2)}}); err != nil {
		t.Fatal(err)
	}
	l, err := mgr.Get(ctx, "lin", "")
	if err != nil {
		t.Fatal(err)
	}
	const marker = "PATIENT-DOE-4711"
	tests := []struct {
		name     string
		panic    any
		wantType string
	}{
		{"string", "bad value for " + marker, "string"},
		{"error", fmt.Errorf("input %q out of range", marker), "*errors.errorString"},
		{"struct", struct{ Name string }{marker}, "struct { Name string }"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := mgr.Do(ctx, l, func(context.Context) error { panic(tt.panic) })
			if galen.ErrorCode(err) != galen.EINTERNAL || galen.ErrorMessage(err) != `model "lin" version 1 failed` {
				t.Fatalf("err = %v, want EINTERNAL with a safe message", err)
			}
			msg := err.Error()
			if strings.Contains(msg, marker) {
				t.Errorf("error quotes the panic value: %s", msg)
			}
			if !strings.Contains(msg, "panic of type "+tt.wantType+"\n") || !strings.Contains(msg, "goroutine ") {
				t.Errorf("error lacks the panic type %q or the stack: %s", tt.wantType, msg)
			}
		})
	}
}

// TestResolveKept checks that Resolve keeps its answers for ResolveTTL,
// that Forget drops them at once, and that a negative TTL always asks.
func TestResolveKept(t *testing.T) {
	tests := []struct {
		name   string
		ttl    time.Duration
		change func(mgr *inference.Manager) // after the alias moved in the store
		want   int                          // version "production" resolves to then
	}{
		{"kept within the ttl", time.Hour, func(*inference.Manager) {}, 1},
		{"forgotten", time.Hour, func(mgr *inference.Manager) { mgr.Forget("lin") }, 2},
		{"another model forgotten", time.Hour, func(mgr *inference.Manager) { mgr.Forget("other") }, 1},
		{"expired", 20 * time.Millisecond, func(*inference.Manager) { time.Sleep(40 * time.Millisecond) }, 2},
		{"not kept", -1, func(*inference.Manager) {}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t)
			mgr := inference.NewManager(st, map[string]galen.Loader{linear.Format: linear.Load}, inference.Config{ResolveTTL: tt.ttl})
			if err := mgr.Seed(ctx, []inference.Builtin{{Name: "lin", Task: "regression", Format: linear.Format, Card: card, Artifact: linearArtifact(t, 2)}}); err != nil {
				t.Fatal(err)
			}
			if v, err := mgr.Resolve(ctx, "lin", ""); err != nil || v.Version != 1 {
				t.Fatalf("Resolve = %v, %v; want version 1", v, err)
			}
			if err := st.CreateModelVersion(ctx, &galen.ModelVersion{ModelName: "lin", Format: linear.Format, Card: card}, linearArtifact(t, 3)); err != nil {
				t.Fatal(err)
			}
			if _, err := st.SetAlias(ctx, "lin", inference.DefaultAlias, 2); err != nil {
				t.Fatal(err)
			}
			tt.change(mgr)
			v, err := mgr.Resolve(ctx, "lin", "")
			if err != nil || v.Version != tt.want {
				t.Errorf("Resolve after the alias moved = %v, %v; want version %d", v, err, tt.want)
			}
			if _, err := mgr.Resolve(ctx, "nope", ""); galen.ErrorCode(err) != galen.ENOTFOUND {
				t.Errorf("unknown model: %v, want ENOTFOUND", err)
			}
		})
	}
}
