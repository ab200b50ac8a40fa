package nn

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Tensor is a dense float32 array in row-major order, optionally with a
// gradient. Tensors made by ops on a Tape live in the Tape's memory and are
// valid until the Tape is Reset or Released; copy results out with Clone.
type Tensor struct {
	// Shape holds the size of each axis; a scalar has an empty Shape.
	Shape []int
	// Data holds the values, len(Data) == product of Shape.
	Data []float32
	// Grad holds d(loss)/d(Data) after Backward; nil when no gradient has
	// reached the tensor. Parameters keep theirs across steps (see ZeroGrad).
	Grad []float32

	requiresGrad bool // the tensor is a leaf that wants a gradient, or depends on one
	leaf         bool // Grad is owned by the tensor (heap), not by a Tape
}

// NamedParam is one trainable tensor with its state_dict-style name, such as
// "enc.layers.0.self_attn.in_proj_weight".
type NamedParam struct {
	Name   string
	Tensor *Tensor
}

// Module is anything with parameters: every layer in this package.
// Names are relative to the module and match PyTorch's state_dict keys.
type Module interface {
	Parameters() []NamedParam
}

// New returns a tensor of the given shape filled with zeros.
func New(shape ...int) *Tensor {
	return &Tensor{Shape: slices.Clone(shape), Data: make([]float32, numel(shape))}
}

// FromSlice returns a tensor that uses data (not a copy) with the given shape.
// It panics with a *ShapeError if len(data) does not match the shape.
func FromSlice(data []float32, shape ...int) *Tensor {
	if n := numel(shape); n != len(data) {
		shapeErr("FromSlice", "%d values for shape %v (%d)", len(data), shape, n)
	}
	return &Tensor{Shape: slices.Clone(shape), Data: data}
}

// Scalar returns a tensor of shape [] holding v.
func Scalar(v float32) *Tensor { return &Tensor{Data: []float32{v}} }

// NewParam returns a trainable zero tensor: it has a gradient buffer that
// Backward accumulates into and ZeroGrad clears.
func NewParam(shape ...int) *Tensor {
	t := New(shape...)
	t.SetRequiresGrad(true)
	return t
}

// SetRequiresGrad marks t as a leaf that wants a gradient (and allocates its
// Grad), or clears the mark. Use it for inputs in gradient checks.
func (t *Tensor) SetRequiresGrad(on bool) {
	t.requiresGrad, t.leaf = on, on
	if on && t.Grad == nil {
		t.Grad = make([]float32, len(t.Data))
	}
	if !on {
		t.Grad = nil
	}
}

// RequiresGrad reports whether a gradient flows to t.
func (t *Tensor) RequiresGrad() bool { return t.requiresGrad }

// Len returns the number of elements.
func (t *Tensor) Len() int { return len(t.Data) }

// Dim returns the size of axis i; negative i counts from the end.
func (t *Tensor) Dim(i int) int {
	if i < 0 {
		i += len(t.Shape)
	}
	return t.Shape[i]
}

// Item returns the value of a one-element tensor.
func (t *Tensor) Item() float32 {
	if len(t.Data) != 1 {
		shapeErr("Item", "tensor of shape %v has %d elements", t.Shape, len(t.Data))
	}
	return t.Data[0]
}

// Clone returns a heap copy of t's shape and data, without gradient and
// independent of any Tape.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: slices.Clone(t.Shape), Data: slices.Clone(t.Data)}
}

// Detach returns a tensor that shares t's shape and data but takes no part
// in gradients: ops on it record nothing that leads back to t.
func (t *Tensor) Detach() *Tensor { return &Tensor{Shape: t.Shape, Data: t.Data} }

// ZeroGrad clears t's gradient, if any.
func (t *Tensor) ZeroGrad() { clear(t.Grad) }

// String describes the shape, not the values (tensors may hold patient data).
func (t *Tensor) String() string { return fmt.Sprintf("Tensor%v", t.Shape) }

// ZeroGrad clears the gradients of all params.
func ZeroGrad(params []NamedParam) {
	for _, p := range params {
		p.Tensor.ZeroGrad()
	}
}

// Prefix returns params with prefix+"." prepended to every name, for
// building the names of nested modules.
func Prefix(prefix string, params []NamedParam) []NamedParam {
	out := make([]NamedParam, len(params))
	for i, p := range params {
		out[i] = NamedParam{Name: prefix + "." + p.Name, Tensor: p.Tensor}
	}
	return out
}

// Tensors returns the tensors of params, in order.
func Tensors(params []NamedParam) []*Tensor {
	out := make([]*Tensor, len(params))
	for i, p := range params {
		out[i] = p.Tensor
	}
	return out
}

// FillUniform fills t with values drawn uniformly from [lo, hi).
func FillUniform(t *Tensor, rng *rand.Rand, lo, hi float32) {
	for i := range t.Data {
		t.Data[i] = lo + (hi-lo)*rng.Float32()
	}
}

// FillNormal fills t with values drawn from N(mean, std²).
func FillNormal(t *Tensor, rng *rand.Rand, mean, std float32) {
	for i := range t.Data {
		t.Data[i] = mean + std*float32(rng.NormFloat64())
	}
}

// NewRand returns the deterministic generator used for initialisation and
// dropout: the same seed gives the same stream on every platform.
func NewRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			shapeErr("shape", "negative size in %v", shape)
		}
		n *= d
	}
	return n
}

// shapeErr panics with a message naming the op and the shapes involved.
// Shape errors are programming errors; Catch turns them into errors at API
// boundaries.
func shapeErr(op string, format string, args ...any) {
	panic(&ShapeError{Op: op, Msg: fmt.Sprintf(format, args...)})
}

// ShapeError is the panic value of an op given tensors of incompatible
// shapes. Catch recovers it as an error.
type ShapeError struct {
	Op  string
	Msg string
}

func (e *ShapeError) Error() string { return "nn: " + e.Op + ": " + e.Msg }
