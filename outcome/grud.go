package outcome

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	"github.com/galenhealth/galen/nn"
)

// GRUD is a GRU-D recurrent network (Che et al., "Recurrent Neural Networks
// for Multivariate Time Series with Missing Values", Sci Rep 2018) built from
// nn tape ops. At each hourly step t, with values x, mask m and time since
// last observation δ (all per variable):
//
//	γx = exp(−max(0, wγx ⊙ δ + bγx))                  input decay, per variable
//	x̂  = m ⊙ x + (1 − m) ⊙ γx ⊙ x_last                 decays toward the training mean (0)
//	γh = exp(−max(0, Wγh δ + bγh))                     hidden decay
//	h̃  = γh ⊙ h
//	z, r = σ(Wz [x̂; m] + Uz h̃ + bz), σ(Wr [x̂; m] + Ur h̃ + br)
//	n  = tanh(Wn [x̂; m] + Un (r ⊙ h̃) + bn)
//	h  = (1 − z) ⊙ h̃ + z ⊙ n
//
// and the logit is wo · dropout([h_T; static]) + bo.
type GRUD struct {
	F, H, S int // variables, hidden size, static features

	DecayX  *nn.Tensor // [2, F]: wγx, bγx
	DecayH  *nn.Linear // F -> H
	Input   *nn.Linear // 2F -> 3H (z, r, n)
	Hidden  *nn.Tensor // [3H, H]: Uz, Ur, Un (no bias)
	Out     *nn.Linear // H+S -> 1
	Dropout float32
}

// NewGRUD returns a GRU-D with PyTorch-style initialisation from rng.
func NewGRUD(f, h, s int, seed uint64) *GRUD {
	rng := nn.NewRand(seed)
	g := &GRUD{F: f, H: h, S: s,
		DecayX:  nn.NewParam(2, f),
		DecayH:  nn.NewLinear(f, h, true, rng),
		Input:   nn.NewLinear(2*f, 3*h, true, rng),
		Hidden:  nn.NewParam(3*h, h),
		Out:     nn.NewLinear(h+s, 1, true, rng),
		Dropout: 0.3,
	}
	bound := float32(1 / math.Sqrt(float64(h)))
	nn.FillUniform(g.Hidden, rng, -bound, bound)
	nn.FillUniform(g.DecayX, rng, 0, 0.1)
	return g
}

// Parameters returns the weights under stable names.
func (g *GRUD) Parameters() []nn.NamedParam {
	ps := []nn.NamedParam{{Name: "decay_x", Tensor: g.DecayX}, {Name: "hidden", Tensor: g.Hidden}}
	ps = append(ps, nn.Prefix("decay_h.", g.DecayH.Parameters())...)
	ps = append(ps, nn.Prefix("input.", g.Input.Parameters())...)
	ps = append(ps, nn.Prefix("out.", g.Out.Parameters())...)
	return ps
}

// grudBatch holds B series as per-step tensors [B, F].
type grudBatch struct {
	B, T       int
	X, M, D, L []*nn.Tensor // values, mask, delta, (1-m) ⊙ x_last
	S          *nn.Tensor   // [B, S]
}

func newGRUDBatch(ss []*Series) *grudBatch {
	B, T, F := len(ss), ss[0].T, ss[0].F
	b := &grudBatch{B: B, T: T, X: make([]*nn.Tensor, T), M: make([]*nn.Tensor, T), D: make([]*nn.Tensor, T), L: make([]*nn.Tensor, T)}
	for t := range T {
		x, m, d, l := nn.New(B, F), nn.New(B, F), nn.New(B, F), nn.New(B, F)
		for i, s := range ss {
			for f := range F {
				k := t*F + f
				x.Data[i*F+f] = float32(s.Values[k])
				m.Data[i*F+f] = float32(s.Mask[k])
				d.Data[i*F+f] = float32(s.Delta[k])
				l.Data[i*F+f] = float32((1 - s.Mask[k]) * s.Last[k])
			}
		}
		b.X[t], b.M[t], b.D[t], b.L[t] = x, m, d, l
	}
	S := len(ss[0].Static)
	b.S = nn.New(B, S)
	for i, s := range ss {
		for j, v := range s.Static {
			b.S.Data[i*S+j] = float32(v)
		}
	}
	return b
}

// forward returns the logits [B, 1] of a batch.
func (g *GRUD) forward(tp *nn.Tape, b *grudBatch) *nn.Tensor {
	H := g.H
	wx := tp.Narrow(g.DecayX, 0, 0, 1) // [1, F]
	bx := tp.Narrow(g.DecayX, 0, 1, 1)
	h := nn.New(b.B, H)
	for t := range b.T {
		gx := tp.Exp(tp.Scale(tp.ReLU(tp.Add(tp.Mul(b.D[t], wx), bx)), -1))
		xh := tp.Add(b.X[t], tp.Mul(gx, b.L[t]))
		gh := tp.Exp(tp.Scale(tp.ReLU(g.DecayH.Forward(tp, b.D[t])), -1))
		hh := tp.Mul(gh, h)
		gi := g.Input.Forward(tp, tp.Concat(1, xh, b.M[t])) // [B, 3H]
		uzr := tp.Linear(hh, tp.Narrow(g.Hidden, 0, 0, 2*H), nil)
		zr := tp.Sigmoid(tp.Add(tp.Narrow(gi, 1, 0, 2*H), uzr))
		z, r := tp.Narrow(zr, 1, 0, H), tp.Narrow(zr, 1, H, H)
		un := tp.Linear(tp.Mul(r, hh), tp.Narrow(g.Hidden, 0, 2*H, H), nil)
		n := tp.Tanh(tp.Add(tp.Narrow(gi, 1, 2*H, H), un))
		h = tp.Add(hh, tp.Mul(z, tp.Sub(n, hh)))
	}
	feat := tp.Dropout(tp.Concat(1, h, b.S), g.Dropout)
	return g.Out.Forward(tp, feat)
}

// logits runs the network on series for inference; safe for concurrent use.
func (g *GRUD) logits(ss []*Series) []float64 {
	if len(ss) == 0 {
		return nil
	}
	tp := nn.AcquireTape()
	defer tp.Release()
	out := g.forward(tp, newGRUDBatch(ss))
	z := make([]float64, len(ss))
	for i := range z {
		z[i] = float64(out.Data[i])
	}
	return z
}

// ensemble is a list of GRU-D networks whose logits are averaged.
type ensemble []*GRUD

func (e ensemble) logits(ss []*Series) []float64 {
	var sum []float64
	for _, g := range e {
		z := g.logits(ss)
		if sum == nil {
			sum = z
			continue
		}
		for i, v := range z {
			sum[i] += v
		}
	}
	for i := range sum {
		sum[i] /= float64(len(e))
	}
	return sum
}

func (e ensemble) check(f, s int) error {
	if len(e) > MaxMembers {
		return fmt.Errorf("grud has %d members, over the limit of %d", len(e), MaxMembers)
	}
	for i, g := range e {
		if g == nil {
			return fmt.Errorf("grud[%d] is missing", i)
		}
		if err := g.check(f, s); err != nil {
			return fmt.Errorf("grud[%d]: %w", i, err)
		}
	}
	return nil
}

func (g *GRUD) check(f, s int) error {
	if g.F != f || g.S != s || g.H <= 0 || g.H > MaxHidden {
		return fmt.Errorf("sizes F=%d H=%d S=%d, want F=%d, H 1 to %d, S=%d", g.F, g.H, g.S, f, MaxHidden, s)
	}
	return nil
}

// grudJSON is GRUD on the wire: sizes, dropout and tensors as base64 of
// little-endian float32, under the names of Parameters.
type grudJSON struct {
	F, H, S int
	Dropout float32
	Tensors map[string]tensorJSON
}

type tensorJSON struct {
	Shape []int  `json:"shape"`
	Data  string `json:"data"`
}

// MarshalJSON implements json.Marshaler.
func (g *GRUD) MarshalJSON() ([]byte, error) {
	w := grudJSON{F: g.F, H: g.H, S: g.S, Dropout: g.Dropout, Tensors: map[string]tensorJSON{}}
	for _, p := range g.Parameters() {
		buf := make([]byte, 4*len(p.Tensor.Data))
		for i, v := range p.Tensor.Data {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
		}
		w.Tensors[p.Name] = tensorJSON{Shape: p.Tensor.Shape, Data: base64.StdEncoding.EncodeToString(buf)}
	}
	return json.Marshal(w)
}

// UnmarshalJSON implements json.Unmarshaler, checking every shape.
func (g *GRUD) UnmarshalJSON(b []byte) error {
	var w grudJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	// Checked before anything is allocated: the sizes decide how much.
	if w.F != len(variables) || w.H <= 0 || w.H > MaxHidden || w.S != len(StaticNames) {
		return fmt.Errorf("grud sizes F=%d H=%d S=%d, want F=%d, H 1 to %d, S=%d", w.F, w.H, w.S, len(variables), MaxHidden, len(StaticNames))
	}
	*g = *NewGRUD(w.F, w.H, w.S, 1)
	g.Dropout = w.Dropout
	ps := g.Parameters()
	if len(w.Tensors) != len(ps) {
		return fmt.Errorf("grud has %d tensors, want %d", len(w.Tensors), len(ps))
	}
	for _, p := range ps {
		tj, ok := w.Tensors[p.Name]
		if !ok {
			return fmt.Errorf("grud tensor %q missing", p.Name)
		}
		if fmt.Sprint(tj.Shape) != fmt.Sprint(p.Tensor.Shape) {
			return fmt.Errorf("grud tensor %q has shape %v, want %v", p.Name, tj.Shape, p.Tensor.Shape)
		}
		raw, err := base64.StdEncoding.DecodeString(tj.Data)
		if err != nil || len(raw) != 4*len(p.Tensor.Data) {
			return fmt.Errorf("grud tensor %q: bad data", p.Name)
		}
		for i := range p.Tensor.Data {
			p.Tensor.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		if !allFinite(p.Tensor.Data) {
			return fmt.Errorf("grud tensor %q is not finite", p.Name)
		}
	}
	return nil
}
