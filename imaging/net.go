package imaging

import (
	"math/rand/v2"
	"strconv"

	"github.com/galenhealth/galen/nn"
)

// NetConfig sizes the residual network.
type NetConfig struct {
	Size   int   `json:"size"`   // input height and width (28)
	Widths []int `json:"widths"` // channels of the stem and of each stage [16 32 64]
	Blocks int   `json:"blocks"` // residual blocks per stage [1]
}

func (c NetConfig) withDefaults() NetConfig {
	if c.Size == 0 {
		c.Size = 28
	}
	if len(c.Widths) == 0 {
		c.Widths = []int{16, 32, 64}
	}
	if c.Blocks == 0 {
		c.Blocks = 1
	}
	return c
}

// block is a ResNet basic block: conv3×3(stride)-BN-ReLU-conv3×3-BN plus a
// shortcut (identity, or conv1×1(stride)-BN when the shape changes), then
// ReLU.
type block struct {
	conv1, conv2 *nn.Conv2d
	bn1, bn2     *nn.BatchNorm2d
	down         *nn.Conv2d // nil for an identity shortcut
	downBN       *nn.BatchNorm2d
}

func newBlock(in, out, stride int, rng *rand.Rand) *block {
	b := &block{
		conv1: nn.NewConv2d(in, out, 3, stride, 1, false, rng), bn1: nn.NewBatchNorm2d(out),
		conv2: nn.NewConv2d(out, out, 3, 1, 1, false, rng), bn2: nn.NewBatchNorm2d(out),
	}
	if stride != 1 || in != out {
		b.down, b.downBN = nn.NewConv2d(in, out, 1, stride, 0, false, rng), nn.NewBatchNorm2d(out)
	}
	return b
}

func (b *block) forward(tp *nn.Tape, x *nn.Tensor) *nn.Tensor {
	h := tp.ReLU(b.bn1.Forward(tp, b.conv1.Forward(tp, x)))
	h = b.bn2.Forward(tp, b.conv2.Forward(tp, h))
	sc := x
	if b.down != nil {
		sc = b.downBN.Forward(tp, b.down.Forward(tp, x))
	}
	return tp.ReLU(tp.Add(h, sc))
}

func (b *block) params(buffers bool) []nn.NamedParam {
	get := func(m interface {
		Parameters() []nn.NamedParam
		Buffers() []nn.NamedParam
	}) []nn.NamedParam {
		if buffers {
			return m.Buffers()
		}
		return m.Parameters()
	}
	var ps []nn.NamedParam
	if !buffers {
		ps = append(ps, nn.Prefix("conv1", b.conv1.Parameters())...)
	}
	ps = append(ps, nn.Prefix("bn1", get(b.bn1))...)
	if !buffers {
		ps = append(ps, nn.Prefix("conv2", b.conv2.Parameters())...)
	}
	ps = append(ps, nn.Prefix("bn2", get(b.bn2))...)
	if b.down != nil {
		if !buffers {
			ps = append(ps, nn.Prefix("shortcut.0", b.down.Parameters())...)
		}
		ps = append(ps, nn.Prefix("shortcut.1", get(b.downBN))...)
	}
	return ps
}

// Net is a small ResNet for grey images: a 3×3 stem (conv-BN-ReLU), stages
// of basic blocks (the first stage at full resolution, each later one
// halving it with a stride-2 block), global average pooling and a linear
// layer to two logits (normal, pneumonia). Parameter names follow the
// PyTorch peer in bench/imaging_torch.py, so weights map one to one.
type Net struct {
	Config NetConfig
	stem   *nn.Conv2d
	stemBN *nn.BatchNorm2d
	stages [][]*block
	fc     *nn.Linear
}

// NewNet returns a Net initialised from seed.
func NewNet(cfg NetConfig, seed uint64) *Net {
	cfg = cfg.withDefaults()
	rng := nn.NewRand(seed)
	n := &Net{Config: cfg, stem: nn.NewConv2d(1, cfg.Widths[0], 3, 1, 1, false, rng), stemBN: nn.NewBatchNorm2d(cfg.Widths[0])}
	in := cfg.Widths[0]
	for s, w := range cfg.Widths {
		var st []*block
		for k := range cfg.Blocks {
			stride := 1
			if s > 0 && k == 0 {
				stride = 2
			}
			st = append(st, newBlock(in, w, stride, rng))
			in = w
		}
		n.stages = append(n.stages, st)
	}
	n.fc = nn.NewLinear(in, 2, true, rng)
	return n
}

// Features runs the network up to the last stage: x [N,1,S,S] (pixels
// scaled by Normalize) gives the feature maps [N,C,s,s] that Grad-CAM
// explains, and logits [N,2].
func (n *Net) Features(tp *nn.Tape, x *nn.Tensor) (feat, logits *nn.Tensor) {
	h := tp.ReLU(n.stemBN.Forward(tp, n.stem.Forward(tp, x)))
	for _, st := range n.stages {
		for _, b := range st {
			h = b.forward(tp, h)
		}
	}
	feat = h
	N, C, H, W := h.Shape[0], h.Shape[1], h.Shape[2], h.Shape[3]
	pooled := tp.MeanAxis(tp.Reshape(h, N, C, H*W), 2)
	return feat, n.fc.Forward(tp, pooled)
}

// Forward returns the logits [N,2] of x [N,1,S,S].
func (n *Net) Forward(tp *nn.Tape, x *nn.Tensor) *nn.Tensor {
	_, l := n.Features(tp, x)
	return l
}

// Parameters returns the trainable tensors under PyTorch state_dict names.
func (n *Net) Parameters() []nn.NamedParam { return n.named(false) }

// Buffers returns the batch-norm running statistics (nn.BufferModule).
func (n *Net) Buffers() []nn.NamedParam { return n.named(true) }

func (n *Net) named(buffers bool) []nn.NamedParam {
	var ps []nn.NamedParam
	if buffers {
		ps = nn.Prefix("bn1", n.stemBN.Buffers())
	} else {
		ps = append(nn.Prefix("conv1", n.stem.Parameters()), nn.Prefix("bn1", n.stemBN.Parameters())...)
	}
	for s, st := range n.stages {
		for k, b := range st {
			ps = append(ps, nn.Prefix("layer"+strconv.Itoa(s+1)+"."+strconv.Itoa(k), b.params(buffers))...)
		}
	}
	if !buffers {
		ps = append(ps, nn.Prefix("fc", n.fc.Parameters())...)
	}
	return ps
}

// Pixel normalisation: x = (p/255 - pixelMean) / pixelStd.
const (
	pixelMean = 0.5
	pixelStd  = 0.25
)

// Normalize writes the network input of 8-bit grey pixels into dst.
func Normalize(dst []float32, px []uint8) {
	for i, p := range px {
		dst[i] = (float32(p)/255 - pixelMean) / pixelStd
	}
}
