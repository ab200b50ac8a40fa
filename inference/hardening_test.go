package inference_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/inference"
	"github.com/galenhealth/galen/linear"
)

// tooWide is a linear/v1 artifact over linear.MaxFeatures: stored, it
// stands for a version registered before the Loader checked limits.
var tooWide = []byte(`{"input":"x","output":"y","features":100000000,"weights":[],"link":"identity"}`)

// TestDefaultNeverUnloadable pins issue 7 item 1: a request without a
// version is never answered by a version the server cannot load (here the
// production alias points at one stored before the limits): it falls back
// to the newest version that loads and logs why, without patient data; a
// request for that version by number is EUNAVAILABLE, not a crash or 500;
// with no loadable version the answer is EUNAVAILABLE.
func TestDefaultNeverUnloadable(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	var logs bytes.Buffer
	mgr := inference.NewManager(st, map[string]galen.Loader{linear.Format: linear.Load},
		inference.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err := st.CreateModel(ctx, &galen.Model{Name: "m", Task: "regression"}); err != nil {
		t.Fatal(err)
	}
	for _, art := range [][]byte{linearArtifact(t, 2), tooWide, tooWide} {
		// Stored directly, as an older server would have.
		if err := st.CreateModelVersion(ctx, &galen.ModelVersion{ModelName: "m", Format: linear.Format, Card: card}, art); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.SetAlias(ctx, "m", inference.DefaultAlias, 2); err != nil {
		t.Fatal(err)
	}
	if err := mgr.Preload(ctx); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, version string
		want          int    // version served
		code          string // or this error
	}{
		{"production unloadable: falls back", "", 1, ""},
		{"by alias", "production", 0, galen.EUNAVAILABLE},
		{"by number", "3", 0, galen.EUNAVAILABLE},
		{"good by number", "1", 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := mgr.Get(ctx, "m", tt.version)
			if galen.ErrorCode(err) != tt.code {
				t.Fatalf("Get: %v, want code %q", err, tt.code)
			}
			if err == nil && l.Version.Version != tt.want {
				t.Errorf("served version %d, want %d", l.Version.Version, tt.want)
			}
			if err != nil && !strings.Contains(galen.ErrorMessage(err), "features is 100000000") {
				t.Errorf("message %q does not name the field", galen.ErrorMessage(err))
			}
		})
	}
	if !strings.Contains(logs.String(), "serving another by default") || !strings.Contains(logs.String(), "serving=1") {
		t.Errorf("no warning logged for the fallback:\n%s", logs.String())
	}

	t.Run("check loadable", func(t *testing.T) {
		for _, tt := range []struct{ version, code string }{{"1", ""}, {"2", galen.ECONFLICT}, {"production", galen.ECONFLICT}, {"9", galen.ENOTFOUND}} {
			if err := mgr.CheckLoadable(ctx, "m", tt.version); galen.ErrorCode(err) != tt.code {
				t.Errorf("CheckLoadable(%s) = %v, want code %q", tt.version, err, tt.code)
			}
		}
	})

	t.Run("nothing loads", func(t *testing.T) {
		if err := st.CreateModel(ctx, &galen.Model{Name: "bad", Task: "regression"}); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateModelVersion(ctx, &galen.ModelVersion{ModelName: "bad", Format: linear.Format, Card: card}, tooWide); err != nil {
			t.Fatal(err)
		}
		_, err := mgr.Get(ctx, "bad", "")
		if galen.ErrorCode(err) != galen.EUNAVAILABLE {
			t.Fatalf("Get: %v, want EUNAVAILABLE", err)
		}
	})
}

// TestInferNotFinite pins issue 7 item 3: the reported overflow (weights
// [0.5, 1.5], inputs [1e308, 1e308]) is EUNPROCESSABLE naming the output,
// not a value JSON cannot carry.
func TestInferNotFinite(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	mgr := inference.NewManager(st, map[string]galen.Loader{linear.Format: linear.Load}, inference.Config{})
	art := []byte(`{"input":"x","output":"y","features":2,"weights":[0.5,1.5],"bias":0,"link":"identity"}`)
	if err := mgr.Seed(ctx, []inference.Builtin{{Name: "lin", Task: "regression", Format: linear.Format, Card: card, Artifact: art}}); err != nil {
		t.Fatal(err)
	}
	l, err := mgr.Get(ctx, "lin", "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		x    []float64
		code string
	}{
		{"finite", []float64{1, 2}, ""},
		{"overflow", []float64{1e308, 1e308}, galen.EUNPROCESSABLE},
		{"largest finite", []float64{1e307, 1e307}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mgr.Infer(ctx, l, []galen.Tensor{{Name: "x", Datatype: "FP64", Shape: []int64{1, 2}, Floats: tt.x}})
			if galen.ErrorCode(err) != tt.code {
				t.Fatalf("Infer: %v, want code %q", err, tt.code)
			}
			if err != nil && !strings.Contains(galen.ErrorMessage(err), `output "y"`) {
				t.Errorf("message %q does not name the output", galen.ErrorMessage(err))
			}
		})
	}
}
