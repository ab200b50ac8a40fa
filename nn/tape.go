package nn

import (
	"errors"
	"math/rand/v2"
	"sync"

	"github.com/galenhealth/galen"
)

// Tape records the ops of one forward pass so that Backward can run them in
// reverse, and owns the memory of every tensor the ops produce. A Tape is
// used by one goroutine at a time; Reset recycles its memory for the next
// step, so a training loop allocates almost nothing after the first step.
//
// A Tape made by NewInferenceTape (or AcquireTape) records nothing: the same
// layers run forward only, and may share read-only weights with any number
// of other goroutines. A nil *Tape also works for ops: it records nothing
// and allocates outputs on the heap.
type Tape struct {
	record bool // record backward functions
	train  bool // dropout active
	seed   uint64
	rng    *rand.Rand
	nodes  []node
	mem    arena
}

type node struct {
	out, out2 *Tensor
	backward  func()
}

// NewTape returns a Tape that records gradients, in training mode (dropout
// active), with its dropout generator seeded with 1.
func NewTape() *Tape {
	return &Tape{record: true, train: true, seed: 1, rng: NewRand(1)}
}

// NewInferenceTape returns a Tape that records nothing, in evaluation mode.
func NewInferenceTape() *Tape { return &Tape{seed: 1, rng: NewRand(1)} }

var inferencePool = sync.Pool{New: func() any { return NewInferenceTape() }}

// AcquireTape returns an inference Tape from a process-wide pool, with its
// scratch memory from earlier use. Call Release when done with its outputs.
func AcquireTape() *Tape { return inferencePool.Get().(*Tape) }

// Release resets an inference Tape and returns it to the pool. Tensors it
// produced must not be used afterwards.
func (tp *Tape) Release() {
	if tp == nil || tp.record {
		return
	}
	tp.Reset()
	tp.train = false
	inferencePool.Put(tp)
}

// Recording reports whether ops on tp record their backward pass.
func (tp *Tape) Recording() bool { return tp != nil && tp.record }

// Training reports whether dropout is active.
func (tp *Tape) Training() bool { return tp != nil && tp.train }

// SetTraining turns dropout on or off, independently of recording.
func (tp *Tape) SetTraining(on bool) { tp.train = on }

// Seed restarts the dropout generator: the same seed and the same ops give
// the same masks.
func (tp *Tape) Seed(seed uint64) {
	tp.seed = seed
	tp.rng = NewRand(seed)
}

// Rand returns the Tape's generator (used by dropout).
func (tp *Tape) Rand() *rand.Rand { return tp.rng }

// Reset forgets recorded ops and recycles the memory of every tensor made on
// tp since the last Reset. The dropout generator is not reseeded, so
// successive steps draw fresh masks.
func (tp *Tape) Reset() {
	if tp == nil {
		return
	}
	clear(tp.nodes)
	tp.nodes = tp.nodes[:0]
	tp.mem.rewind()
}

// Backward computes d(loss)/d(x) for every tensor x that loss depends on and
// that requires a gradient, accumulating into x.Grad. loss must have one
// element. Call Backward at most once per Reset.
func (tp *Tape) Backward(loss *Tensor) {
	if len(loss.Data) != 1 {
		shapeErr("Backward", "loss has shape %v, want one element", loss.Shape)
	}
	tp.BackwardFrom(loss, []float32{1})
}

// BackwardFrom runs the backward pass seeded with d(loss)/d(out) = grad.
// It panics on a tape that does not record; it does nothing when out does
// not depend on any tensor that wants a gradient.
func (tp *Tape) BackwardFrom(out *Tensor, grad []float32) {
	if len(grad) != len(out.Data) {
		shapeErr("Backward", "gradient has %d values for a tensor of shape %v", len(grad), out.Shape)
	}
	if !tp.Recording() {
		panic("nn: Backward on a tape that records nothing (use NewTape for training)")
	}
	if !out.requiresGrad {
		return
	}
	g := tp.grad(out)
	for i, v := range grad {
		g[i] += v
	}
	for i := len(tp.nodes) - 1; i >= 0; i-- {
		n := tp.nodes[i]
		if n.out.Grad == nil && (n.out2 == nil || n.out2.Grad == nil) {
			continue
		}
		n.backward()
	}
}

// newTensor returns an output tensor of the given shape from tp's memory
// (zeroed if zero is set). It requires a gradient when tp records and any
// input does.
func (tp *Tape) newTensor(shape []int, zero bool, inputs ...*Tensor) *Tensor {
	n := numel(shape)
	t := &Tensor{Shape: shape}
	if tp == nil {
		t.Data = make([]float32, n)
	} else {
		t.Data = tp.mem.get(n, zero)
	}
	if tp.Recording() {
		for _, in := range inputs {
			if in != nil && in.requiresGrad {
				t.requiresGrad = true
				break
			}
		}
	}
	return t
}

// scratch returns n floats of tp's memory (zeroed if zero is set), valid
// until Reset.
func (tp *Tape) scratch(n int, zero bool) []float32 {
	if tp == nil {
		return make([]float32, n)
	}
	return tp.mem.get(n, zero)
}

// recordOp registers backward for out: it runs during Backward once out has
// a gradient, and must add the gradients of the inputs (via tp.grad).
func (tp *Tape) recordOp(out *Tensor, backward func()) {
	tp.nodes = append(tp.nodes, node{out: out, backward: backward})
}

// recordOp2 is recordOp for an op with two outputs.
func (tp *Tape) recordOp2(out, out2 *Tensor, backward func()) {
	tp.nodes = append(tp.nodes, node{out: out, out2: out2, backward: backward})
}

// grad returns t.Grad, allocating a zeroed one from tp's memory if t has
// none yet.
func (tp *Tape) grad(t *Tensor) []float32 {
	if t.Grad == nil {
		t.Grad = tp.mem.get(len(t.Data), true)
	}
	return t.Grad
}

// arena hands out float32 buffers in order and gives the same buffers again
// after a rewind, so a step that repeats the previous step's allocations
// reuses all of them.
type arena struct {
	bufs [][]float32
	next int
}

func (a *arena) get(n int, zero bool) []float32 {
	if a.next < len(a.bufs) {
		b := a.bufs[a.next]
		if cap(b) < n {
			b = make([]float32, n)
			a.bufs[a.next] = b
			zero = false
		}
		a.next++
		b = b[:n]
		if zero {
			clear(b)
		}
		return b
	}
	b := make([]float32, n)
	a.bufs = append(a.bufs, b)
	a.next++
	return b
}

func (a *arena) rewind() { a.next = 0 }

// Catch runs fn and turns a shape panic from an op into a galen EINVALID
// error; other panics propagate. Use it where outside input reaches a model.
func Catch(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(*ShapeError)
			if !ok {
				panic(r)
			}
			err = galen.WrapError(galen.EINVALID, se.Error(), errors.New(se.Msg))
		}
	}()
	fn()
	return nil
}
