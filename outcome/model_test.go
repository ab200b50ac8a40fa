package outcome

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/internal/testenv"
)

func builtin(tb testing.TB) *Model {
	tb.Helper()
	m, err := Builtin()
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// exampleStay is a made-up stay with a few vitals and labs.
func exampleStay() *Stay {
	s := &Stay{RecordID: "x", Descriptors: map[string]float64{"Age": 77, "Gender": 1, "ICUType": 3, "Weight": 70}}
	s.Observations = append(s.Observations, Observation{0, "Lactate", 5.2}, Observation{0, "BUN", 48}, Observation{0, "Creatinine", 2.4})
	for h := range 48 {
		s.Observations = append(s.Observations,
			Observation{h*60 + 5, "HR", 110 - float64(h%7)},
			Observation{h*60 + 5, "MAP", 62},
			Observation{h*60 + 5, "RespRate", 26})
		if h%4 == 0 {
			s.Observations = append(s.Observations, Observation{h*60 + 10, "GCS", 8}, Observation{h*60 + 10, "Temp", 38.4})
		}
	}
	return s
}

func TestPredict(t *testing.T) {
	m := builtin(t)
	ctx := context.Background()
	p, err := m.Predict(ctx, exampleStay())
	if err != nil {
		t.Fatal(err)
	}
	if !(p.Risk > 0 && p.Risk < 1) || p.Band == "" || p.Uncertain != (len(p.Warnings) > 0) {
		t.Fatalf("prediction %+v", p)
	}
	if len(p.Contributions) != 8+4 {
		t.Errorf("%d contributions, want 12 (8 variables, 4 descriptors)", len(p.Contributions))
	}
	for i := 1; i < len(p.Contributions); i++ {
		if math.Abs(p.Contributions[i].Contribution) > math.Abs(p.Contributions[i-1].Contribution) {
			t.Fatal("contributions not sorted by |effect|")
		}
	}
	for _, w := range p.Warnings {
		if strings.Contains(w, "dropped") || strings.Contains(w, "ignored") || strings.Contains(w, "sorted") {
			t.Errorf("clean input warned %q", w)
		}
	}
	// A very sick stay ranks above a healthy one.
	healthy := &Stay{RecordID: "h", Descriptors: map[string]float64{"Age": 30, "Gender": 0, "ICUType": 2}}
	for h := range 48 {
		healthy.Observations = append(healthy.Observations, Observation{h * 60, "HR", 72}, Observation{h * 60, "MAP", 85},
			Observation{h * 60, "GCS", 15}, Observation{h * 60, "RespRate", 14}, Observation{h * 60, "Temp", 36.8})
	}
	ph, err := m.Predict(ctx, healthy)
	if err != nil {
		t.Fatal(err)
	}
	if ph.Risk >= p.Risk || ph.Band == BandHigh {
		t.Errorf("healthy risk %.3f (%s) >= sick risk %.3f", ph.Risk, ph.Band, p.Risk)
	}

	bad := exampleStay()
	bad.Observations = append(bad.Observations,
		Observation{30, "HR", 0}, Observation{20, "Temp", -17.8}, Observation{40, "Frobnitz", 12345.678}, Observation{50 * 60, "HR", 80})
	bad.Descriptors["Height"] = 431.8
	pb, err := m.Predict(ctx, bad)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(pb.Warnings, "\n")
	for _, want := range []string{"HR: 1 physiologically impossible", "Temp: 1", "Height: 1", `unknown parameter "Frobnitz"`, "outside the model's time window", "not in time order"} {
		if !strings.Contains(joined, want) {
			t.Errorf("warnings lack %q:\n%s", want, joined)
		}
	}
	for _, v := range []string{"-17.8", "431.8", "12345", "0.0"} {
		if strings.Contains(joined, v) {
			t.Errorf("warnings leak a value %q", v)
		}
	}
	if math.Abs(pb.Risk-p.Risk) > 1e-9 {
		t.Errorf("dropped values changed the risk: %v vs %v", pb.Risk, p.Risk)
	}

	empty, err := m.Predict(ctx, &Stay{RecordID: "e"})
	if err != nil || !empty.Uncertain {
		t.Errorf("empty stay: %+v, %v; want uncertain", empty, err)
	}
	if _, err := m.Predict(ctx, nil); galen.ErrorCode(err) != galen.EINVALID {
		t.Errorf("nil stay: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.Predict(cctx, exampleStay()); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestPredictConcurrent(t *testing.T) {
	m := builtin(t)
	want, err := m.Predict(context.Background(), exampleStay())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 4 {
		wg.Go(func() {
			for range 2 {
				p, err := m.Predict(context.Background(), exampleStay())
				if err != nil {
					errs <- err
					return
				}
				if p.Risk != want.Risk || len(p.Contributions) != len(want.Contributions) {
					errs <- errors.New("concurrent prediction differs")
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestBuiltin(t *testing.T) {
	c := BuiltinCard()
	if c.Task == "" || c.TrainingData == "" || !strings.Contains(c.DataLicense, "Challenge Open Access") || c.Metrics["test_auroc"] < 0.8 {
		t.Errorf("card %+v", c)
	}
	a := BuiltinArtifact()
	a[0] = 'X'
	if BuiltinArtifact()[0] == 'X' {
		t.Error("BuiltinArtifact returns shared memory")
	}
	if got := len(Variables()); got != 37 {
		t.Errorf("%d variables", got)
	}
}

func TestLoadRejects(t *testing.T) {
	good := BuiltinArtifact()
	tests := []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"not json", "{"},
		{"wrong format", `{"format":"linear/v1"}`},
		{"no weights", `{"format":"outcome-grud/v1","config":{"hours":48,"bin_minutes":60}}`},
		{"truncated", string(good[:len(good)/2])},
		{"nan weight", strings.Replace(string(good), `"w":[`, `"w":[1e999,`, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Load([]byte(tt.in)); galen.ErrorCode(err) != galen.EINVALID {
				t.Errorf("err = %v, want EINVALID", err)
			}
		})
	}
}

func FuzzLoad(f *testing.F) {
	f.Add(BuiltinArtifact())
	f.Add([]byte(`{"format":"outcome-grud/v1","grud":{"F":37,"H":1,"S":12,"Tensors":{}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Load(b)
		if err != nil {
			return
		}
		if _, err := m.Predict(context.Background(), exampleStay()); err != nil {
			t.Fatal(err)
		}
	})
}

func TestLoaderInfer(t *testing.T) {
	ctx := context.Background()
	p, err := Loader(ctx, &galen.ModelVersion{Format: Format}, BuiltinArtifact())
	if err != nil {
		t.Fatal(err)
	}
	m, ok := FromPredictor(p)
	if !ok || m == nil {
		t.Fatal("FromPredictor does not see the Model behind Loader's Predictor")
	}
	if _, ok := FromPredictor(nil); ok {
		t.Error("FromPredictor(nil) reports ok")
	}
	T, F := m.Config().Bins(), len(Variables())
	vals := make([]float64, 2*T*F)
	mask := make([]float64, 2*T*F)
	hr := variableIndex["HR"]
	for t := range T {
		vals[t*F+hr], mask[t*F+hr] = 120, 1
		vals[(T+t)*F+hr], mask[(T+t)*F+hr] = 70, 1
	}
	desc := []float64{80, 1, -1, 3, -1, 40, 0, -1, 2, -1}
	in := []galen.Tensor{
		{Name: InputValues, Datatype: galen.DatatypeFP32, Shape: []int64{2, int64(T), int64(F)}, Floats: vals},
		{Name: InputMask, Datatype: galen.DatatypeFP32, Shape: []int64{2, int64(T), int64(F)}, Floats: mask},
		{Name: InputDescriptors, Datatype: galen.DatatypeFP32, Shape: []int64{2, 5}, Floats: desc},
	}
	out, err := p.Infer(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].Name != OutputRisk || len(out[0].Floats) != 2 || !(out[0].Floats[0] > out[0].Floats[1]) {
		t.Fatalf("out %+v", out)
	}
	// The same stay through Predict gives the same risk.
	s := &Stay{RecordID: "a", Descriptors: map[string]float64{"Age": 80, "Gender": 1, "ICUType": 3}}
	for t := range T {
		s.Observations = append(s.Observations, Observation{t * 60, "HR", 120})
	}
	pr, _ := m.Predict(ctx, s)
	if math.Abs(pr.Risk-out[0].Floats[0]) > 1e-12 {
		t.Errorf("Infer %v != Predict %v", out[0].Floats[0], pr.Risk)
	}
	badShape := []galen.Tensor{in[0], {Name: InputMask, Datatype: galen.DatatypeFP32, Shape: []int64{2, int64(T), 3}, Floats: make([]float64, 2*T*3)}}
	badMask := []galen.Tensor{in[0], {Name: InputMask, Datatype: galen.DatatypeFP32, Shape: in[1].Shape, Floats: vals}}
	tests := []struct {
		name string
		in   []galen.Tensor
	}{
		{"missing mask", in[:1]},
		{"bad shape", badShape},
		{"mask not 0/1", badMask},
		{"wrong dtype", []galen.Tensor{{Name: InputValues, Datatype: galen.DatatypeINT32, Shape: in[0].Shape}, in[1]}},
		{"unknown input", append(in[:2:2], galen.Tensor{Name: "delta", Datatype: galen.DatatypeFP32, Shape: []int64{1}})},
		{"nan", []galen.Tensor{{Name: InputValues, Datatype: galen.DatatypeFP32, Shape: in[0].Shape, Floats: append([]float64{math.NaN()}, vals[1:]...)}, in[1]}},
		// Issue 17: a child (age 7 in the second row) is outside the intended population.
		{"child", []galen.Tensor{in[0], in[1], {Name: InputDescriptors, Datatype: galen.DatatypeFP32, Shape: []int64{2, 5}, Floats: []float64{80, 1, -1, 3, -1, 7, 0, -1, 2, -1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := p.Infer(ctx, tt.in); galen.ErrorCode(err) != galen.EINVALID {
				t.Errorf("err = %v, want EINVALID", err)
			}
		})
	}
}

func TestRisksMatchesRisk(t *testing.T) {
	m := builtin(t)
	ctx := context.Background()
	stays := []*Stay{exampleStay(), {RecordID: "e"}, exampleStay()}
	stays[2].Observations = stays[2].Observations[:40]
	rs, err := m.Risks(ctx, stays)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range stays {
		r, _ := m.Risk(ctx, s)
		if math.Abs(r-rs[i]) > 1e-6 {
			t.Errorf("stay %d: Risks %v, Risk %v", i, rs[i], r)
		}
	}
}

func BenchmarkPredict(b *testing.B) {
	m := builtin(b)
	s := exampleStay()
	ctx := context.Background()
	for b.Loop() {
		if _, err := m.Predict(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRisk(b *testing.B) {
	m := builtin(b)
	s := exampleStay()
	ctx := context.Background()
	for b.Loop() {
		if _, err := m.Risk(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzPredict builds a stay from arbitrary bytes; Predict must return a
// risk in [0, 1] and never panic, whatever the values.
func FuzzPredict(f *testing.F) {
	f.Add([]byte{0, 10, 1, 200, 3, 7, 255, 0, 9})
	f.Add([]byte("HR Temp pH 0000000000000000"))
	m := builtin(f)
	names := append(Variables(), "Bogus", "")
	f.Fuzz(func(t *testing.T, b []byte) {
		s := &Stay{RecordID: "f", Descriptors: map[string]float64{}}
		special := []float64{math.NaN(), math.Inf(1), math.Inf(-1), -1, 0, 1e308, -1e308, 0.5, 2.5}
		for i := 0; i+3 <= len(b) && i < 600; i += 3 {
			v := float64(int8(b[i+2])) * 3
			if b[i+2]%17 == 0 {
				v = special[int(b[i+2])%len(special)]
			}
			if b[i]%9 == 0 {
				s.Descriptors[descriptorNames[int(b[i+1])%len(descriptorNames)]] = v
				continue
			}
			s.Observations = append(s.Observations, Observation{Minutes: int(b[i+1])*12 - 60, Parameter: names[int(b[i])%len(names)], Value: v})
		}
		p, err := m.Predict(context.Background(), s)
		if a, ok := s.Descriptors["Age"]; ok && a >= 0 && a < MinAge {
			if !errors.Is(err, ErrOutsidePopulation) {
				t.Fatalf("age %v: err = %v, want ErrOutsidePopulation", a, err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if !(p.Risk >= 0 && p.Risk <= 1) || p.Band == "" {
			t.Fatalf("prediction %+v", p)
		}
		for _, c := range p.Contributions {
			if math.IsNaN(c.Contribution) {
				t.Fatalf("NaN contribution for %s", c.Variable)
			}
		}
	})
}

// BenchmarkPredictRealStay predicts the first stay of set A (skipped when
// ../shared/data is absent): a typical stay has 20-30 observed variables,
// each one occlusion.
func BenchmarkPredictRealStay(b *testing.B) {
	if sharedDataPath() == "" {
		testenv.Missing(b, "shared/data/physionet2012-set-a not found")
	}
	stay := firstStays(b, 1)[0]
	m := builtin(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := m.Predict(ctx, stay); err != nil {
			b.Fatal(err)
		}
	}
}

// firstStays returns the first n stays of set A (record 132539 first); when
// ../shared/data is absent it skips tb, or fails it under CI=true.
func firstStays(tb testing.TB, n int) []*Stay {
	tb.Helper()
	p := sharedDataPath()
	if p == "" {
		testenv.Missing(tb, "shared/data/physionet2012-set-a not found")
	}
	f, err := os.Open(filepath.Join(p, "set-a.tar.gz"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var out []*Stay
	for len(out) < n {
		h, err := tr.Next()
		if err != nil {
			tb.Fatal(err)
		}
		if !strings.HasSuffix(h.Name, ".txt") {
			continue
		}
		s, _, err := ParseRecord(h.Name, tr)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// FuzzInfer sends tensors of arbitrary shapes, datatypes and values to the
// OIP predictor: it must answer or return EINVALID, never panic.
func FuzzInfer(f *testing.F) {
	f.Add([]byte{1, 48, 37, 1, 0, 7}, "values", "mask")
	f.Add([]byte{2, 48, 37, 0, 1, 255}, "values", "descriptors")
	f.Add([]byte{0, 0, 0}, "mask", "mask")
	p, err := Loader(context.Background(), nil, BuiltinArtifact())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte, name1, name2 string) {
		if len(b) < 6 {
			return
		}
		shape := []int64{int64(b[0]) % 4, int64(b[1]), int64(b[2])}
		n := int(shape[0] * shape[1] * shape[2])
		if n > 4*48*40 {
			return
		}
		vals := make([]float64, n)
		for i := range vals {
			vals[i] = float64(b[3+i%(len(b)-3)]%3) * float64(b[5]) // 0/1/2 times a value
		}
		dt := galen.DatatypeFP32
		if b[4]%5 == 0 {
			dt = galen.DatatypeFP64
		}
		in := []galen.Tensor{
			{Name: name1, Datatype: dt, Shape: shape, Floats: vals},
			{Name: name2, Datatype: galen.DatatypeFP32, Shape: shape, Floats: vals},
		}
		out, err := p.Infer(context.Background(), in)
		if err != nil {
			if galen.ErrorCode(err) != galen.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		for _, r := range out[0].Floats {
			if !(r >= 0 && r <= 1) {
				t.Fatalf("risk %v", r)
			}
		}
	})
}

// TestPopulation pins the intended-population rule: a known age under 16
// (PhysioNet/CinC 2012 stays are of patients 16 and older) gets no risk and
// an error that says so, never "physiologically impossible"; adults, an
// unknown age and an impossible one are scored.
func TestPopulation(t *testing.T) {
	m := builtin(t)
	tests := []struct {
		name    string
		age     float64 // -2: no Age descriptor
		refused bool
	}{
		{"newborn", 0, true},
		{"child of 7", 7, true},
		{"child of 12", 12, true},
		{"15, the youngest in set A", 15, true},
		{"16", 16, false},
		{"adult", 54, false},
		{"unknown (-1)", -1, false},
		{"absent", -2, false},
		{"impossible 130", 130, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Stay{RecordID: "p", Descriptors: map[string]float64{"Gender": 1}, Observations: []Observation{
				{Minutes: 10, Parameter: "HR", Value: 110}, {Minutes: 10, Parameter: "RespRate", Value: 28}, {Minutes: 30, Parameter: "Temp", Value: 38.2}}}
			if tt.age != -2 {
				s.Descriptors["Age"] = tt.age
			}
			p, err := m.Predict(context.Background(), s)
			_, rerr := m.Risk(context.Background(), s)
			if !tt.refused {
				if err != nil || rerr != nil {
					t.Fatalf("Predict: %v, Risk: %v", err, rerr)
				}
				for _, w := range p.Warnings {
					if tt.age >= 0 && tt.age <= 120 && strings.Contains(w, "Age") {
						t.Errorf("warning %q about a possible age", w)
					}
				}
				return
			}
			for _, e := range []error{err, rerr} {
				if !errors.Is(e, ErrOutsidePopulation) || galen.ErrorCode(e) != galen.EINVALID {
					t.Fatalf("err = %v, want EINVALID wrapping ErrOutsidePopulation", e)
				}
				if msg := galen.ErrorMessage(e); !strings.Contains(msg, "outside the model's intended population") || strings.Contains(msg, "impossible") {
					t.Errorf("message %q", msg)
				}
			}
		})
	}
}
