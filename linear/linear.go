// Package linear is a small real model format, "linear/v1": a linear or
// logistic regression stored as JSON. It lets the inference path be tested
// end to end on a genuinely trained model; task packages bring bigger ones.
package linear

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/galenhealth/galen"
)

// Format is the ModelVersion.Format of artifacts this package loads.
const Format = "linear/v1"

// Links a Model may apply to its linear predictor.
const (
	LinkIdentity = "identity" // regression: y = w·x + b
	LinkLogistic = "logistic" // probability: y = 1/(1+exp(-(w·x + b)))
)

// Model is the artifact: Output = link(Weights·Input + Bias), one row at a time.
type Model struct {
	Input    string    `json:"input"`
	Output   string    `json:"output"`
	Features int       `json:"features"`
	Weights  []float64 `json:"weights"`
	Bias     float64   `json:"bias"`
	Link     string    `json:"link"`
}

// Limits on an artifact, checked by Parse so that a model's memory and the
// time of one row stay bounded: a row costs Features multiply-adds.
const (
	MaxFeatures  = 1 << 16 // features (and weights)
	MaxNameBytes = 64      // input and output tensor names
)

// Parse decodes and checks an artifact. Errors are EINVALID and say what is wrong.
func Parse(artifact []byte) (*Model, error) {
	dec := json.NewDecoder(bytes.NewReader(artifact))
	dec.DisallowUnknownFields()
	var m Model
	if err := dec.Decode(&m); err != nil {
		msg := err.Error()
		if len(msg) > 300 {
			msg = msg[:300]
		}
		return nil, galen.Errorf(galen.EINVALID, "linear: artifact is not valid JSON: %s", msg)
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	return &m, nil
}

func (m *Model) check() error {
	switch {
	case m.Input == "" || m.Output == "":
		return galen.Errorf(galen.EINVALID, "linear: input and output names are required")
	case len(m.Input) > MaxNameBytes || len(m.Output) > MaxNameBytes || !galen.ValidText(m.Input) || !galen.ValidText(m.Output):
		return galen.Errorf(galen.EINVALID, "linear: input and output must be text of at most %d bytes", MaxNameBytes)
	case m.Features < 1 || m.Features > MaxFeatures:
		return galen.Errorf(galen.EINVALID, "linear: features is %d, want 1 to %d", m.Features, MaxFeatures)
	case len(m.Weights) != m.Features:
		return galen.Errorf(galen.EINVALID, "linear: %d weights for %d features", len(m.Weights), m.Features)
	case m.Link != LinkIdentity && m.Link != LinkLogistic:
		return galen.Errorf(galen.EINVALID, "linear: link %q, want %q or %q", m.Link, LinkIdentity, LinkLogistic)
	}
	return nil
}

// Marshal encodes the model as an artifact.
func (m *Model) Marshal() ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	return json.Marshal(m)
}

// Load is the galen.Loader for Format.
func Load(_ context.Context, _ *galen.ModelVersion, artifact []byte) (galen.Predictor, error) {
	return Parse(artifact)
}

// Inputs implements galen.Predictor: one FP32 or FP64 tensor [batch, features].
func (m *Model) Inputs() []galen.TensorSpec {
	return []galen.TensorSpec{{Name: m.Input, Datatype: galen.DatatypeFP64, Shape: []int64{-1, int64(m.Features)}}}
}

// Outputs implements galen.Predictor: one FP64 tensor [batch].
func (m *Model) Outputs() []galen.TensorSpec {
	return []galen.TensorSpec{{Name: m.Output, Datatype: galen.DatatypeFP64, Shape: []int64{-1}}}
}

// Infer implements galen.Predictor.
func (m *Model) Infer(ctx context.Context, inputs []galen.Tensor) ([]galen.Tensor, error) {
	if len(inputs) != 1 || inputs[0].Name != m.Input {
		return nil, galen.Errorf(galen.EINVALID, "want exactly one input tensor %q", m.Input)
	}
	in := inputs[0]
	if in.Datatype != galen.DatatypeFP32 && in.Datatype != galen.DatatypeFP64 {
		return nil, galen.Errorf(galen.EINVALID, "input %q: datatype %s, want FP32 or FP64", m.Input, in.Datatype)
	}
	if len(in.Shape) != 2 || in.Shape[0] < 0 || in.Shape[1] != int64(m.Features) || int64(len(in.Floats)) != in.Shape[0]*in.Shape[1] {
		return nil, galen.Errorf(galen.EINVALID, "input %q: shape %v, want [batch, %d]", m.Input, in.Shape, m.Features)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := int(in.Shape[0])
	out := make([]float64, n)
	for i := range n {
		out[i] = m.Predict(in.Floats[i*m.Features : (i+1)*m.Features])
	}
	return []galen.Tensor{{Name: m.Output, Datatype: galen.DatatypeFP64, Shape: []int64{int64(n)}, Floats: out}}, nil
}

// Predict returns the model's output for one row x of length Features.
func (m *Model) Predict(x []float64) float64 {
	z := m.Bias
	for j, w := range m.Weights {
		z += w * x[j]
	}
	if m.Link == LinkLogistic {
		return 1 / (1 + math.Exp(-z))
	}
	return z
}

// FitLeastSquares fits an identity-link model to rows x and targets y by
// ordinary least squares (QR), with an intercept.
func FitLeastSquares(x [][]float64, y []float64) (*Model, error) {
	n, p, err := dims(x, y)
	if err != nil {
		return nil, err
	}
	if n < p+1 {
		return nil, galen.Errorf(galen.EINVALID, "linear: %d rows cannot fit %d features and an intercept", n, p)
	}
	a := mat.NewDense(n, p+1, nil)
	for i, row := range x {
		a.Set(i, 0, 1)
		for j, v := range row {
			a.Set(i, j+1, v)
		}
	}
	var beta mat.VecDense
	if err := beta.SolveVec(a, mat.NewVecDense(n, append([]float64(nil), y...))); err != nil {
		return nil, galen.WrapError(galen.EINVALID, "linear: least squares failed (collinear features?)", err)
	}
	m := &Model{Input: "x", Output: "y", Features: p, Bias: beta.AtVec(0), Link: LinkIdentity}
	for j := range p {
		m.Weights = append(m.Weights, beta.AtVec(j+1))
	}
	return m, nil
}

// FitLogistic fits a logistic-link model to rows x and 0/1 labels y by
// full-batch gradient descent on the mean log loss.
func FitLogistic(x [][]float64, y []float64, steps int, rate float64) (*Model, error) {
	n, p, err := dims(x, y)
	if err != nil {
		return nil, err
	}
	m := &Model{Input: "x", Output: "y", Features: p, Weights: make([]float64, p), Link: LinkLogistic}
	grad := make([]float64, p)
	for range steps {
		clear(grad)
		var gb float64
		for i, row := range x {
			r := m.Predict(row) - y[i]
			for j, v := range row {
				grad[j] += r * v
			}
			gb += r
		}
		for j := range grad {
			m.Weights[j] -= rate * grad[j] / float64(n)
		}
		m.Bias -= rate * gb / float64(n)
	}
	return m, nil
}

func dims(x [][]float64, y []float64) (n, p int, err error) {
	if len(x) == 0 || len(x) != len(y) {
		return 0, 0, galen.Errorf(galen.EINVALID, "linear: %d rows and %d targets", len(x), len(y))
	}
	p = len(x[0])
	for i, row := range x {
		if len(row) != p || p == 0 {
			return 0, 0, galen.Errorf(galen.EINVALID, "linear: row %d has %d features, want %d (> 0)", i, len(row), p)
		}
	}
	return len(x), p, nil
}

// String describes the model briefly.
func (m *Model) String() string {
	return fmt.Sprintf("linear/v1 %s(%d features -> %s, link %s)", m.Input, m.Features, m.Output, m.Link)
}
