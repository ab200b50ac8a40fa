package outcome

import (
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/galenhealth/galen"
)

// patchArtifact applies a JSON merge patch (RFC 7386) to the built-in
// artifact: the fuzzer and the tests mutate a valid artifact through it.
func patchArtifact(tb testing.TB, patch []byte) ([]byte, bool) {
	tb.Helper()
	var doc, p any
	if err := json.Unmarshal(builtinArtifact, &doc); err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(patch, &p); err != nil {
		return nil, false
	}
	b, err := json.Marshal(mergePatch(doc, p))
	if err != nil {
		return nil, false
	}
	return b, true
}

func mergePatch(doc, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	d, ok := doc.(map[string]any)
	if !ok {
		d = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(d, k)
			continue
		}
		d[k] = mergePatch(d[k], v)
	}
	return d
}

// TestLoaderLimits pins issue 7 item 1: an artifact whose sizes would make
// one prediction unbounded (the reported hours 100000000 took a 148 GB
// allocation) is refused with EINVALID naming the field; sizes at the
// limits load. The limits are written out by hand here.
func TestLoaderLimits(t *testing.T) {
	grudH := func(h int) string {
		g := NewGRUD(37, h, 12, 1)
		b, err := json.Marshal(g)
		if err != nil {
			t.Fatal(err)
		}
		return `{"grud":[` + string(b) + `]}`
	}
	tests := []struct {
		name  string
		patch string
		want  string // in the error message; "" loads
	}{
		{"built-in", `{}`, ""},
		{"reported hours", `{"config":{"hours":100000000}}`, "config.hours is 100000000, want 1 to 168"},
		{"hours 169", `{"config":{"hours":169}}`, "config.hours is 169, want 1 to 168"},
		{"hours 168 hourly", `{"config":{"hours":168}}`, ""},
		{"hours zero", `{"config":{"hours":0}}`, "config.hours is 0"},
		{"negative hours", `{"config":{"hours":-5}}`, "config.hours is -5"},
		{"bins of 4 minutes", `{"config":{"bin_minutes":4}}`, "config.bin_minutes is 4, want 5 to 1440"},
		{"bins of 5 minutes, 28 h", `{"config":{"hours":28,"bin_minutes":5}}`, ""},
		{"337 bins", `{"config":{"hours":29,"bin_minutes":5}}`, "348 bins, over the limit of 336"},
		{"bins of a day", `{"config":{"bin_minutes":1440}}`, ""},
		{"bins of two days", `{"config":{"bin_minutes":2880}}`, "config.bin_minutes is 2880"},
		{"hidden 129", grudH(129), "H=129"},
		{"hidden 128", grudH(128), ""},
		{"hidden 100000", `{"grud":[{"F":37,"H":100000,"S":12,"Tensors":{}}]}`, "H=100000"},
		{"wrong F", `{"grud":[{"F":1000,"H":8,"S":12,"Tensors":{}}]}`, "F=1000"},
		{"9 members", `{"grud":[null,null,null,null,null,null,null,null,null]}`, "grud has 9 members, over the limit of 8"},
		{"missing member", `{"grud":[null]}`, "grud[0] is missing"},
		{"2001 trees", `{"trees":{"trees":` + trees(2001, 1) + `}}`, "trees.trees has 2001 trees, over the limit of 2000"},
		{"2000 trees", `{"trees":{"trees":` + trees(2000, 1) + `}}`, ""},
		{"depth 33", `{"trees":{"trees":` + trees(1, 33) + `}}`, "trees.trees[0] is 33 deep, over the limit of 32"},
		{"depth 32", `{"trees":{"trees":` + trees(1, 32) + `}}`, ""},
		{"child before parent", `{"trees":{"trees":[[{"f":0,"t":1,"l":0,"r":1},{"f":-1}]]}}`, "trees.trees[0][0]: children must come after their parent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			art, ok := patchArtifact(t, []byte(tt.patch))
			if !ok {
				t.Fatalf("bad patch %s", tt.patch)
			}
			_, err := Loader(context.Background(), &galen.ModelVersion{Format: Format}, art)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Loader: %v, want it to load", err)
				}
				return
			}
			if galen.ErrorCode(err) != galen.EINVALID || !strings.Contains(galen.ErrorMessage(err), tt.want) {
				t.Fatalf("Loader: %v (message %q), want EINVALID with %q", err, galen.ErrorMessage(err), tt.want)
			}
		})
	}
}

// trees returns n trees, each a chain of depth inner nodes, as JSON.
func trees(n, depth int) string {
	var one strings.Builder
	one.WriteString("[")
	for i := range depth {
		// Node 2i is inner, 2i+1 its left leaf, 2i+2 the next inner node.
		one.WriteString(`{"f":0,"t":0,"l":` + itoa(2*i+1) + `,"r":` + itoa(2*i+2) + `},{"f":-1,"v":0.001},`)
	}
	one.WriteString(`{"f":-1,"v":0.001}]`)
	return "[" + strings.TrimSuffix(strings.Repeat(one.String()+",", n), ",") + "]"
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// limitArtifact returns an artifact at every size limit at once: 336 bins,
// 8 GRU-D members of hidden size 128, 2000 trees of depth 32.
func limitArtifact(tb testing.TB) []byte {
	tb.Helper()
	var gs []string
	for i := range MaxMembers {
		b, err := json.Marshal(NewGRUD(37, MaxHidden, 12, uint64(i+1)))
		if err != nil {
			tb.Fatal(err)
		}
		gs = append(gs, string(b))
	}
	patch := `{"config":{"hours":168,"bin_minutes":30},"grud":[` + strings.Join(gs, ",") + `],"trees":{"trees":` + trees(MaxTrees, MaxTreeDepth) + `}}`
	art, ok := patchArtifact(tb, []byte(patch))
	if !ok {
		tb.Fatal("bad patch")
	}
	return art
}

// predictBytesBound is what one explained prediction may allocate at
// the limits; measured 2026-12-04 at the limit artifact (see
// TestPredictAtLimits's log), with room to spare.
const predictBytesBound = 64 << 20

// predictWithin runs an explained prediction and a risk on exampleStay and
// fails unless both are probabilities and the prediction allocates at
// most predictBytesBound.
func predictWithin(t *testing.T, p galen.Predictor) uint64 {
	t.Helper()
	m, ok := FromPredictor(p)
	if !ok {
		t.Fatal("not an outcome predictor")
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	pred, err := m.Predict(context.Background(), exampleStay())
	runtime.ReadMemStats(&after)
	if err != nil {
		if galen.ErrorCode(err) == galen.EUNPROCESSABLE {
			return 0 // a model whose output is not finite says so
		}
		t.Fatalf("Predict: %v", err)
	}
	if !(pred.Risk >= 0 && pred.Risk <= 1) {
		t.Fatalf("risk %v, want a probability", pred.Risk)
	}
	used := after.TotalAlloc - before.TotalAlloc
	if used > predictBytesBound {
		t.Fatalf("one prediction allocated %d bytes, over %d", used, predictBytesBound)
	}
	return used
}

// TestPredictAtLimits loads the artifact at every limit and checks that a
// prediction stays within its memory bound.
func TestPredictAtLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an artifact at the limits (several MB)")
	}
	art := limitArtifact(t)
	p, err := Loader(context.Background(), &galen.ModelVersion{Format: Format}, art)
	if err != nil {
		t.Fatalf("the artifact at the limits must load: %v", err)
	}
	used := predictWithin(t, p)
	t.Logf("artifact at the limits: %d bytes; one explained prediction allocated %d bytes", len(art), used)
}

// BenchmarkPredictAtLimits is the time of one explained prediction at the
// limits, to compare with BenchmarkPredict (the built-in model).
func BenchmarkPredictAtLimits(b *testing.B) {
	p, err := Loader(context.Background(), &galen.ModelVersion{Format: Format}, limitArtifact(b))
	if err != nil {
		b.Fatal(err)
	}
	m, _ := FromPredictor(p)
	s := exampleStay()
	for b.Loop() {
		if _, err := m.Predict(context.Background(), s); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzLoaderPatch mutates the built-in artifact through a JSON merge
// patch: Loader must fail cleanly (EINVALID) or give a predictor whose
// predictions are probabilities within the memory bound.
func FuzzLoaderPatch(f *testing.F) {
	for _, p := range []string{`{}`, `{"config":{"hours":100000000}}`, `{"config":{"bin_minutes":1}}`,
		`{"grud":[{"F":37,"H":1024,"S":12,"Tensors":{}}]}`, `{"trees":{"trees":[[{"f":-1,"v":1e308}]]}}`,
		`{"weights":{"logistic":1,"grud":0,"trees":0}}`, `{"calib":{"a":1e308,"b":1e308}}`, `{"normalizer":{"std":[]}}`,
		`{"logistic":{"w":[],"b":0}}`, `{"threshold":0.99,"low_cut":0}`, `{"grud":null}`, `{"trees":null}`} {
		f.Add([]byte(p))
	}
	f.Fuzz(func(t *testing.T, patch []byte) {
		art, ok := patchArtifact(t, patch)
		if !ok {
			return
		}
		p, err := Loader(context.Background(), &galen.ModelVersion{Format: Format}, art)
		if err != nil {
			if galen.ErrorCode(err) != galen.EINVALID {
				t.Fatalf("Loader: %v, want EINVALID", err)
			}
			return
		}
		predictWithin(t, p)
		for _, in := range p.Inputs() {
			for _, d := range in.Shape[1:] {
				if d < 1 || d > MaxBins {
					t.Fatalf("input %s has shape %v", in.Name, in.Shape)
				}
			}
		}
	})
}
