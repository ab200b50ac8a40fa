package nn

import (
	"math"
	"math/rand/v2"
)

// Linear is PyTorch's nn.Linear: y = x Wᵀ + b with Weight [out, in] and
// Bias [out] (nil without bias). Parameter names: "weight", "bias".
type Linear struct {
	Weight, Bias *Tensor
}

// NewLinear returns a Linear layer initialised like PyTorch: weight and bias
// uniform in ±1/√in.
func NewLinear(in, out int, bias bool, rng *rand.Rand) *Linear {
	l := &Linear{Weight: NewParam(out, in)}
	bound := float32(1 / math.Sqrt(float64(max(in, 1))))
	FillUniform(l.Weight, rng, -bound, bound)
	if bias {
		l.Bias = NewParam(out)
		FillUniform(l.Bias, rng, -bound, bound)
	}
	return l
}

// Forward maps x [..., in] to [..., out].
func (l *Linear) Forward(tp *Tape, x *Tensor) *Tensor { return tp.Linear(x, l.Weight, l.Bias) }

// Parameters returns "weight" and, if present, "bias".
func (l *Linear) Parameters() []NamedParam {
	ps := []NamedParam{{"weight", l.Weight}}
	if l.Bias != nil {
		ps = append(ps, NamedParam{"bias", l.Bias})
	}
	return ps
}
