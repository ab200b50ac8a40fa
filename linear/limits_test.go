package linear_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/linear"
)

// artifact returns a linear/v1 artifact with n features (all weights 0.5).
func artifact(n int, input string) []byte {
	w := strings.TrimSuffix(strings.Repeat("0.5,", n), ",")
	return []byte(`{"input":` + strconv.Quote(input) + `,"output":"y","features":` + strconv.Itoa(n) + `,"weights":[` + w + `],"bias":0,"link":"logistic"}`)
}

// TestLoaderLimits pins issue 7 item 1 for linear/v1: the feature count
// and tensor names are bounded (65536 and 64 bytes, by hand), and the
// loader's EINVALID message names the field.
func TestLoaderLimits(t *testing.T) {
	tests := []struct {
		name string
		art  []byte
		want string // in the message; "" loads
	}{
		{"65536 features", artifact(65536, "x"), ""},
		{"65537 features", artifact(65537, "x"), "features is 65537, want 1 to 65536"},
		{"huge declared features", []byte(`{"input":"x","output":"y","features":100000000,"weights":[],"link":"identity"}`), "features is 100000000"},
		{"64-byte input name", artifact(1, strings.Repeat("i", 64)), ""},
		{"65-byte input name", artifact(1, strings.Repeat("i", 65)), "input and output must be text of at most 64 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := linear.Load(context.Background(), &galen.ModelVersion{Format: linear.Format}, tt.art)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Load: %v, want it to load", err)
				}
				return
			}
			if galen.ErrorCode(err) != galen.EINVALID || !strings.Contains(galen.ErrorMessage(err), tt.want) {
				t.Fatalf("Load: %v, want EINVALID with %q", err, tt.want)
			}
		})
	}
}

// FuzzLoader mutates valid artifacts: Load must fail with EINVALID or give
// a predictor that answers a row of ones with one output per row, a
// probability for the logistic link, within MaxFeatures of work.
func FuzzLoader(f *testing.F) {
	f.Add(artifact(2, "x"))
	f.Add(artifact(3, "features"))
	f.Add([]byte(`{"input":"x","output":"y","features":1,"weights":[1e308],"bias":1e308,"link":"identity"}`))
	f.Add([]byte(`{"input":"x","output":"y","features":2,"weights":[-1e308,1e308],"bias":0,"link":"logistic"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := linear.Load(context.Background(), &galen.ModelVersion{Format: linear.Format}, b)
		if err != nil {
			if galen.ErrorCode(err) != galen.EINVALID {
				t.Fatalf("Load: %v, want EINVALID", err)
			}
			return
		}
		m := p.(*linear.Model)
		if m.Features > linear.MaxFeatures {
			t.Fatalf("loaded %d features, over the limit", m.Features)
		}
		row := make([]float64, 2*m.Features)
		for i := range row {
			row[i] = 1
		}
		in := p.Inputs()[0]
		out, err := p.Infer(context.Background(), []galen.Tensor{{Name: in.Name, Datatype: galen.DatatypeFP64, Shape: []int64{2, int64(m.Features)}, Floats: row}})
		if err != nil {
			t.Fatalf("Infer: %v", err)
		}
		if len(out) != 1 || len(out[0].Floats) != 2 {
			t.Fatalf("Infer = %+v, want one output of 2 rows", out)
		}
		for _, y := range out[0].Floats {
			if m.Link == linear.LinkLogistic && !(y >= 0 && y <= 1) {
				t.Fatalf("logistic output %v, want a probability", y)
			}
		}
	})
}
