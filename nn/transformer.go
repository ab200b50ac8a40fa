package nn

import (
	"fmt"
	"math/rand/v2"
)

// TransformerConfig sizes a TransformerEncoderLayer. The zero Activation is
// "relu", PyTorch's default; "gelu" is the other choice.
type TransformerConfig struct {
	DModel, Heads, FFN int
	Dropout            float32
	Activation         string
	NormFirst          bool // pre-norm; PyTorch's default (false) is post-norm
	LayerNormEps       float32
}

// TransformerEncoderLayer is PyTorch's nn.TransformerEncoderLayer with
// batch_first=True. Post-norm (default):
//
//	x = norm1(x + dropout1(self_attn(x)))
//	x = norm2(x + dropout2(linear2(dropout(act(linear1(x))))))
//
// Parameter names match PyTorch: "self_attn.in_proj_weight", "linear1.weight",
// "norm1.bias", ...
type TransformerEncoderLayer struct {
	SelfAttn         *MultiheadAttention
	Linear1, Linear2 *Linear
	Norm1, Norm2     *LayerNorm
	Dropout          float32
	GELU             bool
	NormFirst        bool
}

// NewTransformerEncoderLayer returns a layer initialised like PyTorch's.
func NewTransformerEncoderLayer(cfg TransformerConfig, rng *rand.Rand) *TransformerEncoderLayer {
	if cfg.Activation != "" && cfg.Activation != "relu" && cfg.Activation != "gelu" {
		shapeErr("NewTransformerEncoderLayer", "activation %q, want relu or gelu", cfg.Activation)
	}
	l := &TransformerEncoderLayer{
		SelfAttn:  NewMultiheadAttention(cfg.DModel, cfg.Heads, cfg.Dropout, rng),
		Linear1:   NewLinear(cfg.DModel, cfg.FFN, true, rng),
		Linear2:   NewLinear(cfg.FFN, cfg.DModel, true, rng),
		Norm1:     NewLayerNorm(cfg.DModel),
		Norm2:     NewLayerNorm(cfg.DModel),
		Dropout:   cfg.Dropout,
		GELU:      cfg.Activation == "gelu",
		NormFirst: cfg.NormFirst,
	}
	if cfg.LayerNormEps != 0 {
		l.Norm1.Eps, l.Norm2.Eps = cfg.LayerNormEps, cfg.LayerNormEps
	}
	return l
}

// Parameters returns the PyTorch-named parameters.
func (l *TransformerEncoderLayer) Parameters() []NamedParam {
	var ps []NamedParam
	ps = append(ps, Prefix("self_attn", l.SelfAttn.Parameters())...)
	ps = append(ps, Prefix("linear1", l.Linear1.Parameters())...)
	ps = append(ps, Prefix("linear2", l.Linear2.Parameters())...)
	ps = append(ps, Prefix("norm1", l.Norm1.Parameters())...)
	ps = append(ps, Prefix("norm2", l.Norm2.Parameters())...)
	return ps
}

// Forward maps x [B, S, D] to [B, S, D]; keyPad is as in
// MultiheadAttention.Forward.
func (l *TransformerEncoderLayer) Forward(tp *Tape, x *Tensor, keyPad []bool) *Tensor {
	if l.NormFirst {
		x = tp.Add(x, l.attend(tp, l.Norm1.Forward(tp, x), keyPad))
		return tp.Add(x, l.feedForward(tp, l.Norm2.Forward(tp, x)))
	}
	x = l.Norm1.Forward(tp, tp.Add(x, l.attend(tp, x, keyPad)))
	return l.Norm2.Forward(tp, tp.Add(x, l.feedForward(tp, x)))
}

func (l *TransformerEncoderLayer) attend(tp *Tape, x *Tensor, keyPad []bool) *Tensor {
	return tp.Dropout(l.SelfAttn.Forward(tp, x, keyPad), l.Dropout)
}

func (l *TransformerEncoderLayer) feedForward(tp *Tape, x *Tensor) *Tensor {
	h := l.Linear1.Forward(tp, x)
	if l.GELU {
		h = tp.GELU(h)
	} else {
		h = tp.ReLU(h)
	}
	h = l.Linear2.Forward(tp, tp.Dropout(h, l.Dropout))
	return tp.Dropout(h, l.Dropout)
}

// TransformerEncoder is PyTorch's nn.TransformerEncoder: a stack of layers
// named "layers.<i>.", and an optional final "norm".
type TransformerEncoder struct {
	Layers []*TransformerEncoderLayer
	Norm   *LayerNorm
}

// NewTransformerEncoder returns n layers of the given configuration, each
// initialised independently (PyTorch deep-copies one layer instead, so every
// layer starts equal; load weights when parity matters).
func NewTransformerEncoder(cfg TransformerConfig, n int, rng *rand.Rand) *TransformerEncoder {
	e := &TransformerEncoder{}
	for range n {
		e.Layers = append(e.Layers, NewTransformerEncoderLayer(cfg, rng))
	}
	return e
}

// Parameters returns "layers.<i>.…" and, with a final norm, "norm.…".
func (e *TransformerEncoder) Parameters() []NamedParam {
	var ps []NamedParam
	for i, l := range e.Layers {
		ps = append(ps, Prefix(fmt.Sprintf("layers.%d", i), l.Parameters())...)
	}
	if e.Norm != nil {
		ps = append(ps, Prefix("norm", e.Norm.Parameters())...)
	}
	return ps
}

// Forward runs x [B, S, D] through every layer.
func (e *TransformerEncoder) Forward(tp *Tape, x *Tensor, keyPad []bool) *Tensor {
	for _, l := range e.Layers {
		x = l.Forward(tp, x, keyPad)
	}
	if e.Norm != nil {
		x = e.Norm.Forward(tp, x)
	}
	return x
}
