// Package nn is Galen's ML core: float32 tensors, reverse-mode automatic
// differentiation on a tape, layers, losses and optimizers, with every
// matrix product going through nn/blas.
//
// # Tensors and tapes
//
// A [Tensor] is a shape and a row-major []float32, plus a Grad once a
// gradient reaches it. Parameters are tensors made with [NewParam] (or
// [Tensor.SetRequiresGrad]); they own their Grad, which Backward adds to and
// [ZeroGrad] clears. Every layer is a [Module] whose Parameters method
// returns its tensors under PyTorch's state_dict names, so a checkpoint or a
// parity test can map weights one to one.
//
// Ops are methods of [Tape]. A recording tape ([NewTape]) remembers, for each
// op whose output depends on a parameter, a closure that propagates the
// output's gradient to the inputs; [Tape.Backward] runs them in reverse
// order of creation, which is a valid topological order. The tape also owns
// the memory of every tensor its ops make: [Tape.Reset] recycles it, so after
// the first step a training loop reuses the same buffers. An inference tape
// ([NewInferenceTape], or [AcquireTape] from a pool) records nothing and
// turns dropout off; many goroutines may run the same layers concurrently,
// each on its own tape, since forward passes only read the weights. A nil
// *Tape works too: no recording, outputs on the heap.
//
// Ops panic with a [*ShapeError] when given shapes that do not fit: that is a
// programming error. Where outside input reaches a model, wrap the call in
// [Catch] to get a galen EINVALID error instead.
//
// # A training step
//
//	model := nn.NewTransformerEncoder(...)         // layers draw weights from a seeded rand
//	params := model.Parameters()
//	opt := nn.NewAdamW(params, nn.AdamWConfig{LR: 1e-3, WeightDecay: 0.01})
//	tp := nn.NewTape()
//	tp.Seed(seed)                                  // dropout masks
//	for step := range steps {
//		tp.Reset()
//		logits := model.Forward(tp, x, pad)
//		loss := tp.CrossEntropy(logits, labels, nil)
//		tp.Backward(loss)
//		nn.ClipGradNorm(params, 1)
//		opt.SetLR(sched.At(step))
//		opt.Step()
//		opt.ZeroGrad()
//	}
//
// # Adding an op
//
// An op is a Tape method that takes input tensors and returns a new one:
//
//	func (tp *Tape) Square(x *Tensor) *Tensor {
//		out := tp.newTensor(slices.Clone(x.Shape), false, x) // memory from the tape; zeroed if true
//		for i, v := range x.Data {
//			out.Data[i] = v * v
//		}
//		if out.requiresGrad { // set when tp records and an input needs a gradient
//			tp.recordOp(out, func() { // runs during Backward, once out.Grad is set
//				if x.requiresGrad {
//					gx := tp.grad(x) // x.Grad, allocated zeroed on first use
//					for i, g := range out.Grad {
//						gx[i] += 2 * x.Data[i] * g // always accumulate, never assign
//					}
//				}
//			})
//		}
//		return out
//	}
//
// Rules: never write to an input's Data; accumulate (+=) into gradients;
// check shapes first and call shapeErr with the op's name; take scratch
// memory that the backward pass needs from tp.scratch (valid until Reset)
// rather than from the heap; use blas.Sgemm for any matrix product and
// parallelFor for loops whose work is worth a goroutine (results must not
// depend on timing, so seeded runs are bitwise repeatable). Ops with two
// outputs use recordOp2. Each op gets a row in the gradient-check table
// (gradcheck_test.go: checkGrad), which compares the backward pass with
// central finite differences.
package nn
