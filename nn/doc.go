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
// # What there is
//
// Ops (methods of *Tape, each with a backward pass): MatMul, BatchMatMul
// (with transposes), Linear; Add, Sub, Mul, Div with NumPy broadcasting;
// Scale, AddScalar, Square, Sqrt, Exp, Log, Tanh, Sigmoid, ReLU, GELU (erf
// form);
// Softmax, LogSoftmax (last axis); Sum, Mean, Max and their ...Axis forms,
// MaskedMean (pooling over non-padding positions);
// Reshape (a view), Transpose, Permute, Narrow, Concat; Embedding (gather of
// rows), MaskedFill; LayerNorm; Dropout; losses CrossEntropy (class
// weights, ignored negative targets), BCEWithLogits (pos_weight), MSE.
//
// Layers (each a Module with PyTorch state_dict names): Linear, Embedding,
// LayerNorm, Dropout, MultiheadAttention (packed in_proj_weight [3D, D],
// key-padding mask, fused attention), TransformerEncoderLayer and
// TransformerEncoder (post-norm by default, relu or gelu), LSTM and GRU
// (batch-first, PyTorch gate order and weight layout, per-sequence lengths).
//
// Training: SGD (momentum) and AdamW (PyTorch semantics, decoupled weight
// decay), Schedule (linear warm-up, then cosine or linear decay),
// ClipGradNorm. Optimiser state is exposed as named tensors (State) for
// checkpoints. With the same seeds, a training run is bitwise repeatable:
// parallel loops split work by size only and never change the order of a
// sum (the matrix-multiply backend must do the same).
//
// # A training step
//
// A model is a struct of layers with a Forward method and a Parameters
// method that prefixes each layer's names:
//
//	func (m *Classifier) Parameters() []nn.NamedParam {
//		ps := nn.Prefix("tok", m.Tok.Parameters())             // "tok.weight"
//		ps = append(ps, nn.Prefix("enc", m.Enc.Parameters())...) // "enc.layers.0.self_attn.in_proj_weight"
//		return append(ps, nn.Prefix("out", m.Out.Parameters())...)
//	}
//
//	params := model.Parameters()
//	opt := nn.NewAdamW(params, nn.AdamWConfig{LR: 1e-3, WeightDecay: 0.01})
//	sched := nn.Schedule{Base: 1e-3, Warmup: 100, Total: steps, Decay: nn.Cosine}
//	tp := nn.NewTape()
//	tp.Seed(seed) // dropout masks
//	for step := range steps {
//		if err := ctx.Err(); err != nil {
//			return err
//		}
//		tp.Reset()
//		logits := model.Forward(tp, ids, pad)
//		loss := tp.CrossEntropy(logits, labels, nil)
//		tp.Backward(loss)
//		nn.ClipGradNorm(params, 1)
//		opt.SetLR(sched.At(step))
//		opt.Step()
//		opt.ZeroGrad()
//	}
//
// Serving: tp := nn.AcquireTape(); out := model.Forward(tp, ...); copy the
// result out; tp.Release().
//
// Explanations: after Backward, every intermediate tensor on the path keeps
// its Grad until Reset, so the gradient of a class score with respect to
// token embeddings (or to an input made with SetRequiresGrad, for saliency
// maps) can be read directly.
//
// # Checkpoints
//
// [SaveCheckpoint] writes a model's parameters (and the buffers of a
// [BufferModule], e.g. BatchNorm2d's running statistics) under their
// state_dict names to a safetensors file, plus, when an optimiser is given,
// its state: AdamW's moments as "optim.<param>.exp_avg" and
// "optim.<param>.exp_avg_sq", SGD's "optim.<param>.momentum_buffer", and the
// step count and optimiser type in the metadata ("optim.step",
// "optim.type"). [LoadCheckpoint] checks names, shapes and dtypes before it
// copies anything and reports every mismatch at once (an EINVALID error
// wrapping a *safetensors.MismatchError); a corrupt or truncated file is an
// EINVALID error, never a panic. Loaded with the same optimiser, training
// resumes bitwise exactly where it stopped, provided the learning rate is a
// function of opt.Steps() and dropout tapes are seeded per step.
// [SaveCheckpointFile] writes a temporary file, syncs it and renames it, so
// a crash never leaves half a checkpoint:
//
//	if step%500 == 0 {
//		if err := nn.SaveCheckpointFile(path, model, opt, map[string]string{"epoch": "3"}); err != nil {
//			return err
//		}
//	}
//	// after a restart, with a freshly built model and optimiser:
//	meta, err := nn.LoadCheckpointFile(path, model, opt)
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
