package nn

import (
	"math"
	"slices"
)

// CrossEntropy is PyTorch's cross_entropy with mean reduction: logits
// [N, C], targets in [0, C) (a negative target is ignored, like
// ignore_index), and optional class weights [C]: the loss is
// Σ w[yᵢ]·(−log softmax(xᵢ)[yᵢ]) / Σ w[yᵢ]. Returns a scalar.
func (tp *Tape) CrossEntropy(logits *Tensor, targets []int, weight []float32) *Tensor {
	if len(logits.Shape) != 2 || logits.Shape[0] != len(targets) {
		shapeErr("CrossEntropy", "logits %v for %d targets, want [N, C]", logits.Shape, len(targets))
	}
	n, c := logits.Shape[0], logits.Shape[1]
	if weight != nil && len(weight) != c {
		shapeErr("CrossEntropy", "%d class weights for %d classes", len(weight), c)
	}
	for i, y := range targets {
		if y >= c {
			shapeErr("CrossEntropy", "target %d at row %d outside %d classes", y, i, c)
		}
	}
	out := tp.newTensor(nil, false, logits)
	logp := tp.scratch(n*c, false)
	var total, wsum float64
	for i, y := range targets {
		row := logp[i*c : (i+1)*c]
		softmaxRow(row, logits.Data[i*c:(i+1)*c], true)
		if y < 0 {
			continue
		}
		w := float64(1)
		if weight != nil {
			w = float64(weight[y])
		}
		total -= w * float64(row[y])
		wsum += w
	}
	out.Data[0] = float32(total / wsum)
	if out.requiresGrad {
		tp.recordOp(out, func() {
			gx := tp.grad(logits)
			g := float64(out.Grad[0]) / wsum
			for i, y := range targets {
				if y < 0 {
					continue
				}
				w := g
				if weight != nil {
					w *= float64(weight[y])
				}
				row, d := logp[i*c:(i+1)*c], gx[i*c:(i+1)*c]
				for j, lp := range row {
					d[j] += float32(w) * exp32(lp)
				}
				d[y] -= float32(w)
			}
		})
	}
	return out
}

// BCEWithLogits is PyTorch's binary_cross_entropy_with_logits with mean
// reduction: targets has the shape of logits, and posWeight (nil, one
// value, or one per entry of the last axis) weights the positive term. Returns a
// scalar.
func (tp *Tape) BCEWithLogits(logits, targets *Tensor, posWeight []float32) *Tensor {
	if !slices.Equal(logits.Shape, targets.Shape) {
		shapeErr("BCEWithLogits", "logits %v and targets %v differ", logits.Shape, targets.Shape)
	}
	c := 1
	if len(logits.Shape) > 0 {
		c = logits.Shape[len(logits.Shape)-1]
	}
	if posWeight != nil && len(posWeight) != c && len(posWeight) != 1 {
		shapeErr("BCEWithLogits", "%d positive weights for last axis of %v", len(posWeight), logits.Shape)
	}
	n := len(logits.Data)
	lw := func(i int) float32 { // 1 + (pw-1)·y
		if posWeight == nil {
			return 1
		}
		return 1 + (posWeight[i%len(posWeight)]-1)*targets.Data[i]
	}
	out := tp.newTensor(nil, false, logits)
	var total float64
	for i, x := range logits.Data {
		y := float64(targets.Data[i])
		xf := float64(x)
		sp := math.Log1p(math.Exp(-math.Abs(xf))) + math.Max(-xf, 0) // softplus(-x)
		total += (1-y)*xf + float64(lw(i))*sp
	}
	out.Data[0] = float32(total / float64(max(n, 1)))
	if out.requiresGrad {
		tp.recordOp(out, func() {
			gx := tp.grad(logits)
			g := out.Grad[0] / float32(max(n, 1))
			for i, x := range logits.Data {
				gx[i] += g * ((1 - targets.Data[i]) + lw(i)*(sigmoid32(x)-1))
			}
		})
	}
	return out
}

// MSE is the mean of (pred − target)², PyTorch's mse_loss. Returns a scalar.
func (tp *Tape) MSE(pred, target *Tensor) *Tensor {
	if !slices.Equal(pred.Shape, target.Shape) {
		shapeErr("MSE", "prediction %v and target %v differ", pred.Shape, target.Shape)
	}
	n := len(pred.Data)
	out := tp.newTensor(nil, false, pred, target)
	var total float64
	for i, p := range pred.Data {
		d := float64(p - target.Data[i])
		total += d * d
	}
	out.Data[0] = float32(total / float64(max(n, 1)))
	if out.requiresGrad {
		tp.recordOp(out, func() {
			g := 2 * out.Grad[0] / float32(max(n, 1))
			if pred.requiresGrad {
				gp := tp.grad(pred)
				for i, p := range pred.Data {
					gp[i] += g * (p - target.Data[i])
				}
			}
			if target.requiresGrad {
				gt := tp.grad(target)
				for i, p := range pred.Data {
					gt[i] -= g * (p - target.Data[i])
				}
			}
		})
	}
	return out
}
