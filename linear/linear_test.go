package linear_test

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/linear"
)

// synthetic returns n rows of p features and targets from y = w·x + b + noise.
func synthetic(tb testing.TB, n int, w []float64, b, noise float64) ([][]float64, []float64) {
	tb.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	x := make([][]float64, n)
	y := make([]float64, n)
	for i := range x {
		x[i] = make([]float64, len(w))
		y[i] = b
		for j := range w {
			x[i][j] = r.NormFloat64()
			y[i] += w[j] * x[i][j]
		}
		y[i] += noise * r.NormFloat64()
	}
	return x, y
}

func TestFitLeastSquares(t *testing.T) {
	w := []float64{2, -1, 0.5}
	x, y := synthetic(t, 200, w, 3, 0.1)
	m, err := linear.FitLeastSquares(x, y)
	if err != nil {
		t.Fatal(err)
	}
	// The least-squares residual is orthogonal to every column (normal equations).
	for j := -1; j < len(w); j++ {
		var dot float64
		for i, row := range x {
			c := 1.0
			if j >= 0 {
				c = row[j]
			}
			dot += c * (y[i] - m.Predict(row))
		}
		if math.Abs(dot) > 1e-8 {
			t.Errorf("column %d: X'r = %g, want 0", j, dot)
		}
	}
	for j := range w {
		if math.Abs(m.Weights[j]-w[j]) > 0.05 {
			t.Errorf("weight %d = %.3f, want about %.3f", j, m.Weights[j], w[j])
		}
	}
	if math.Abs(m.Bias-3) > 0.05 {
		t.Errorf("bias = %.3f, want about 3", m.Bias)
	}
}

func TestFitLogistic(t *testing.T) {
	x, z := synthetic(t, 300, []float64{3, -2}, 0.5, 0)
	y := make([]float64, len(z))
	for i, v := range z {
		if v > 0 {
			y[i] = 1
		}
	}
	m, err := linear.FitLogistic(x, y, 300, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	correct := 0
	for i, row := range x {
		if (m.Predict(row) > 0.5) == (y[i] == 1) {
			correct++
		}
	}
	if acc := float64(correct) / float64(len(x)); acc < 0.95 {
		t.Errorf("training accuracy %.3f, want >= 0.95", acc)
	}
}

func TestLoadInfer(t *testing.T) {
	x, y := synthetic(t, 50, []float64{1, 2}, 0, 0.01)
	m, err := linear.FitLeastSquares(x, y)
	if err != nil {
		t.Fatal(err)
	}
	art, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	p, err := linear.Load(context.Background(), &galen.ModelVersion{Format: linear.Format}, art)
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Infer(context.Background(), []galen.Tensor{{Name: "x", Datatype: "FP64", Shape: []int64{2, 2}, Floats: []float64{1, 1, 0, 0}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := out[0].Floats; math.Abs(got[0]-3) > 0.05 || math.Abs(got[1]) > 0.05 {
		t.Errorf("outputs %v, want about [3 0]", got)
	}

	bad := []struct {
		name string
		in   []galen.Tensor
		want string
	}{
		{"no input", nil, `want exactly one input tensor "x"`},
		{"wrong name", []galen.Tensor{{Name: "z", Datatype: "FP64", Shape: []int64{1, 2}, Floats: []float64{1, 2}}}, `want exactly one input tensor "x"`},
		{"wrong width", []galen.Tensor{{Name: "x", Datatype: "FP64", Shape: []int64{1, 3}, Floats: []float64{1, 2, 3}}}, `shape [1 3], want [batch, 2]`},
		// -(2^63-1) * 2 wraps to 2: the element count alone would let it through.
		{"negative batch", []galen.Tensor{{Name: "x", Datatype: "FP64", Shape: []int64{-9223372036854775807, 2}, Floats: []float64{1, 2}}}, `want [batch, 2]`},
		{"wrong type", []galen.Tensor{{Name: "x", Datatype: "INT64", Shape: []int64{1, 2}, Ints: []int64{1, 2}}}, `datatype INT64`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Infer(context.Background(), tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) || galen.ErrorCode(err) != galen.EINVALID {
				t.Errorf("err = %v, want EINVALID containing %q", err, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"not json", `{`, "not valid JSON"},
		{"unknown field", `{"input":"x","output":"y","features":1,"weights":[1],"link":"identity","extra":1}`, "unknown field"},
		{"no names", `{"features":1,"weights":[1],"link":"identity"}`, "names are required"},
		{"zero features", `{"input":"x","output":"y","features":0,"weights":[],"link":"identity"}`, "features is 0"},
		{"weight count", `{"input":"x","output":"y","features":2,"weights":[1],"link":"identity"}`, "1 weights for 2 features"},
		{"link", `{"input":"x","output":"y","features":1,"weights":[1],"link":"probit"}`, `link "probit"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := linear.Parse([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want containing %q", err, tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"input":"x","output":"y","features":2,"weights":[1,2],"bias":0.5,"link":"logistic"}`))
	f.Add([]byte(`{"input":"x","output":"y","features":1,"weights":[1],"link":"identity"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := linear.Parse(b)
		if err != nil {
			return
		}
		row := make([]float64, m.Features)
		_ = m.Predict(row)
		if _, err := m.Marshal(); err != nil {
			t.Fatalf("parsed model does not marshal: %v", err)
		}
	})
}
