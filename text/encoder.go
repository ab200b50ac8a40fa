package text

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/galenhealth/galen/nn"
	"github.com/galenhealth/galen/nn/safetensors"
)

// EncoderConfig sizes the BERT-style encoder.
type EncoderConfig struct {
	DModel  int     `json:"d_model"`
	Heads   int     `json:"heads"`
	FFN     int     `json:"ffn"`
	Layers  int     `json:"layers"`
	MaxLen  int     `json:"max_len"` // pieces per text, [CLS] included; longer texts are cut
	Dropout float32 `json:"dropout"`
}

// DefaultEncoderConfig is small enough to pretrain and fine-tune on two
// shared CPU cores in minutes.
func DefaultEncoderConfig() EncoderConfig {
	return EncoderConfig{DModel: 64, Heads: 4, FFN: 128, Layers: 2, MaxLen: 128, Dropout: 0.1}
}

// Encoder is a small BERT-style classifier: WordPiece ids, token and
// position embeddings, a LayerNorm, a pre-norm transformer encoder
// (nn.TransformerEncoder, GELU), mean pooling over the pieces and a linear
// head.
type Encoder struct {
	Config  EncoderConfig
	WP      *WordPiece
	Tok     *nn.Embedding
	Pos     *nn.Embedding
	EmbNorm *nn.LayerNorm
	Enc     *nn.TransformerEncoder
	Head    *nn.Linear

	explainMu sync.Mutex // integrated gradients on trainable weights write their gradients
}

// Freeze marks every parameter as not trainable: explanations then need no
// parameter gradients and run concurrently. Loaded (served) encoders are
// frozen.
func (e *Encoder) Freeze() {
	for _, p := range e.Parameters() {
		p.Tensor.SetRequiresGrad(false)
	}
}

// NewEncoder returns a randomly initialised encoder for classes labels.
func NewEncoder(cfg EncoderConfig, wp *WordPiece, classes int, rng *rand.Rand) *Encoder {
	e := &Encoder{Config: cfg, WP: wp,
		Tok:     nn.NewEmbedding(len(wp.Vocab), cfg.DModel, rng),
		Pos:     nn.NewEmbedding(cfg.MaxLen, cfg.DModel, rng),
		EmbNorm: nn.NewLayerNorm(cfg.DModel),
		Enc: nn.NewTransformerEncoder(nn.TransformerConfig{DModel: cfg.DModel, Heads: cfg.Heads, FFN: cfg.FFN,
			Dropout: cfg.Dropout, Activation: "gelu", NormFirst: true}, cfg.Layers, rng),
		Head: nn.NewLinear(cfg.DModel, classes, true, rng),
	}
	e.Enc.Norm = nn.NewLayerNorm(cfg.DModel)
	// BERT initialises embeddings with N(0, 0.02)
	for _, t := range []*nn.Tensor{e.Tok.Weight, e.Pos.Weight} {
		for i := range t.Data {
			t.Data[i] = float32(rng.NormFloat64() * 0.02)
		}
	}
	return e
}

// bodyParameters are the parameters pretraining learns (all but the head).
func (e *Encoder) bodyParameters() []nn.NamedParam {
	ps := nn.Prefix("tok", e.Tok.Parameters())
	ps = append(ps, nn.Prefix("pos", e.Pos.Parameters())...)
	ps = append(ps, nn.Prefix("emb_norm", e.EmbNorm.Parameters())...)
	return append(ps, nn.Prefix("enc", e.Enc.Parameters())...)
}

// Parameters returns every parameter under state_dict-style names.
func (e *Encoder) Parameters() []nn.NamedParam {
	return append(e.bodyParameters(), nn.Prefix("head", e.Head.Parameters())...)
}

// ids returns the piece ids of a tokenised text, [CLS] first, cut to
// MaxLen, and for each the index of its token (-1 for [CLS]).
func (e *Encoder) ids(toks []Token) (ids, tokIdx []int) {
	ids, tokIdx = []int{ClsID}, []int{-1}
	for _, p := range e.WP.Encode(toks) {
		if len(ids) == e.Config.MaxLen {
			break
		}
		ids = append(ids, p.ID)
		tokIdx = append(tokIdx, p.Token)
	}
	return ids, tokIdx
}

// batch pads sequences to the longest one: flat ids [B·S] and the padding
// mask (true = padding).
func batch(seqs [][]int) (ids []int, pad []bool, s int) {
	for _, q := range seqs {
		s = max(s, len(q))
	}
	ids = make([]int, len(seqs)*s)
	pad = make([]bool, len(seqs)*s)
	for b, q := range seqs {
		copy(ids[b*s:], q)
		for j := len(q); j < s; j++ {
			pad[b*s+j] = true
		}
	}
	return ids, pad, s
}

// embed returns token plus position embeddings [B, S, D].
func (e *Encoder) embed(tp *nn.Tape, ids []int, b, s int) *nn.Tensor {
	pos := make([]int, b*s)
	for i := range pos {
		pos[i] = i % s
	}
	return tp.Add(e.Tok.Forward(tp, ids, b, s), e.Pos.Forward(tp, pos, b, s))
}

// hidden runs embeddings x [B, S, D] through the encoder.
func (e *Encoder) hidden(tp *nn.Tape, x *nn.Tensor, pad []bool) *nn.Tensor {
	x = tp.Dropout(e.EmbNorm.Forward(tp, x), e.Config.Dropout)
	return e.Enc.Forward(tp, x, pad)
}

// classify maps embeddings to logits [B, K].
func (e *Encoder) classify(tp *nn.Tape, x *nn.Tensor, pad []bool) *nn.Tensor {
	return e.Head.Forward(tp, tp.MaskedMean(e.hidden(tp, x, pad), pad))
}

// forward returns the logits [B, K] of a batch of piece sequences.
func (e *Encoder) forward(tp *nn.Tape, seqs [][]int) *nn.Tensor {
	ids, pad, s := batch(seqs)
	return e.classify(tp, e.embed(tp, ids, len(seqs), s), pad)
}

// Logits returns the class scores of a tokenised text.
func (e *Encoder) Logits(toks []Token) []float64 {
	ids, _ := e.ids(toks)
	tp := nn.AcquireTape()
	defer tp.Release()
	out := e.forward(tp, [][]int{ids})
	z := make([]float64, len(out.Data))
	for i, v := range out.Data {
		z[i] = float64(v)
	}
	return z
}

// igSteps is the number of points of the integrated-gradients path.
const igSteps = 8

// explain attributes class c's logit to the text's tokens with integrated
// gradients (Sundararajan et al. 2017), igSteps steps, summing each
// token's pieces; it returns the k tokens of largest |attribution|.
func (e *Encoder) explain(toks []Token, c, k int) []Attribution {
	ids, tokIdx := e.ids(toks)
	perPiece := e.integratedGradients(ids, c, igSteps)
	perTok := map[int]float64{}
	for i := 1; i < len(ids); i++ { // [CLS] is no token of the text
		perTok[tokIdx[i]] += perPiece[i]
	}
	out := make([]Attribution, 0, len(perTok))
	for ti, a := range perTok {
		t := toks[ti]
		out = append(out, Attribution{Term: t.Norm, Weight: a, Spans: []Span{{t.Start, t.End}}})
	}
	slices.SortFunc(out, func(a, b Attribution) int {
		if c := cmp.Compare(math.Abs(b.Weight), math.Abs(a.Weight)); c != 0 {
			return c
		}
		return cmp.Compare(a.Spans[0].Start, b.Spans[0].Start)
	})
	return out[:min(k, len(out))]
}

// integratedGradients returns, for each piece of ids, its integrated
// gradient for class c's logit on the token embeddings: the path runs from
// the position embeddings alone (no tokens) to the full input, in steps
// points (midpoint rule); a piece's attribution is the sum over dimensions
// of the path-averaged gradient times its token embedding. By the
// completeness axiom the attributions add up to logit(input) −
// logit(positions only), up to the path's discretisation.
func (e *Encoder) integratedGradients(ids []int, c, steps int) []float64 {
	s, d := len(ids), e.Config.DModel
	trainable := e.Tok.Weight.RequiresGrad()
	if trainable {
		e.explainMu.Lock()
		defer e.explainMu.Unlock()
	}
	tp := nn.NewTape()
	tp.SetTraining(false)
	tokEmb := e.Tok.Forward(nil, ids, 1, s).Data
	posIDs := make([]int, s)
	for i := range posIDs {
		posIDs[i] = i
	}
	posEmb := e.Pos.Forward(nil, posIDs, 1, s).Data
	x := nn.New(steps, s, d)
	for m := range steps {
		alpha := (float32(m) + 0.5) / float32(steps)
		for i := range s * d {
			x.Data[m*s*d+i] = posEmb[i] + alpha*tokEmb[i]
		}
	}
	x.SetRequiresGrad(true)
	logits := e.classify(tp, x, nil)
	k := logits.Shape[1]
	seed := make([]float32, len(logits.Data))
	for m := range steps {
		seed[m*k+c] = 1
	}
	tp.BackwardFrom(logits, seed)
	out := make([]float64, s)
	for i := range s {
		var a float64
		for m := range steps {
			for j := range d {
				a += float64(x.Grad[m*s*d+i*d+j]) * float64(tokEmb[i*d+j])
			}
		}
		out[i] = a / float64(steps)
	}
	if trainable {
		nn.ZeroGrad(e.Parameters())
	}
	return out
}

// save adds the encoder to an artifact.
func (e *Encoder) save(meta map[string]string, tensors map[string]safetensors.Tensor) error {
	cfg, err := json.Marshal(e.Config)
	if err != nil {
		return err
	}
	vocab, err := json.Marshal(e.WP.Vocab)
	if err != nil {
		return err
	}
	meta["encoder.config"], meta["encoder.vocab"] = string(cfg), string(vocab)
	for _, p := range e.Parameters() {
		tensors["encoder."+p.Name] = safetensors.Tensor{DType: safetensors.F32, Shape: p.Tensor.Shape, Data: p.Tensor.Data}
	}
	return nil
}

// loadEncoder reads an encoder written by save.
func loadEncoder(meta map[string]string, f *safetensors.File, classes int) (*Encoder, error) {
	var cfg EncoderConfig
	if err := json.Unmarshal([]byte(meta["encoder.config"]), &cfg); err != nil {
		return nil, fmt.Errorf("encoder.config: %v", err)
	}
	if cfg.DModel <= 0 || cfg.Heads <= 0 || cfg.DModel%cfg.Heads != 0 || cfg.FFN <= 0 || cfg.Layers <= 0 || cfg.Layers > 64 ||
		cfg.MaxLen < 2 || cfg.DModel > 4096 || cfg.FFN > 16384 || cfg.MaxLen > 8192 {
		return nil, fmt.Errorf("encoder.config %+v is not a valid size", cfg)
	}
	wp := &WordPiece{}
	if err := wp.UnmarshalJSON([]byte(meta["encoder.vocab"])); err != nil {
		return nil, fmt.Errorf("encoder.vocab: %v", err)
	}
	e := NewEncoder(cfg, wp, classes, nn.NewRand(0))
	targets := map[string]safetensors.Target{}
	for _, p := range e.Parameters() {
		targets["encoder."+p.Name] = safetensors.Target{Shape: p.Tensor.Shape, Data: p.Tensor.Data}
	}
	// the classifier's own tensors are not the encoder's
	sub := &safetensors.File{Tensors: map[string]safetensors.Tensor{}, Metadata: f.Metadata}
	for name, t := range f.Tensors {
		if len(name) > 8 && name[:8] == "encoder." {
			sub.Tensors[name] = t
		}
	}
	if err := sub.Assign(targets); err != nil {
		return nil, err
	}
	e.Freeze()
	return e, nil
}
