package deid

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"unicode"

	"github.com/galenhealth/galen/nn"
	"github.com/galenhealth/galen/nn/safetensors"
)

// labels of the tagger: O and one per category (IO tagging).
var tagLabels = []Category{"", CatName, CatDate, CatAge, CatContact, CatID, CatLocation}

// catType is the type a tagger span gets (the category's most common
// type); overlapping rule spans keep their finer type.
var catType = map[Category]Type{CatName: Name, CatDate: Date, CatAge: Age, CatContact: Phone, CatID: ID, CatLocation: Location}

// TaggerConfig is the tagger's architecture and decision threshold.
type TaggerConfig struct {
	WordBuckets int     `json:"word_buckets"` // hashed lower-cased words
	ShapeBucket int     `json:"shape_buckets"`
	SufBuckets  int     `json:"suffix_buckets"`
	WordDim     int     `json:"word_dim"`
	ShapeDim    int     `json:"shape_dim"`
	SufDim      int     `json:"suffix_dim"`
	Hidden      int     `json:"hidden"`    // per direction
	Threshold   float64 `json:"threshold"` // a token is PHI when P(O) < Threshold
	MaxLen      int     `json:"max_len"`   // tokens per sentence
}

// DefaultTaggerConfig is the shipped architecture.
var DefaultTaggerConfig = TaggerConfig{WordBuckets: 8192, ShapeBucket: 512, SufBuckets: 2048, WordDim: 32, ShapeDim: 12, SufDim: 16, Hidden: 48, Threshold: 0.5, MaxLen: 64}

// numDense is the number of dense features per token (see features).
const numDense = 14 + 7

// Tagger is a BiLSTM token classifier over hashed word, shape and suffix
// embeddings, dictionary flags and the rules' labels.
type Tagger struct {
	Cfg              TaggerConfig
	Word, Shape, Suf *nn.Embedding
	Fwd, Bwd         *nn.LSTM
	Out              *nn.Linear
}

// NewTagger returns an untrained tagger initialised from seed.
func NewTagger(cfg TaggerConfig, seed uint64) *Tagger {
	rng := nn.NewRand(seed)
	in := cfg.WordDim + cfg.ShapeDim + cfg.SufDim + numDense
	return &Tagger{
		Cfg:   cfg,
		Word:  nn.NewEmbedding(cfg.WordBuckets, cfg.WordDim, rng),
		Shape: nn.NewEmbedding(cfg.ShapeBucket, cfg.ShapeDim, rng),
		Suf:   nn.NewEmbedding(cfg.SufBuckets, cfg.SufDim, rng),
		Fwd:   nn.NewLSTM(in, cfg.Hidden, 1, rng),
		Bwd:   nn.NewLSTM(in, cfg.Hidden, 1, rng),
		Out:   nn.NewLinear(2*cfg.Hidden, len(tagLabels), true, rng),
	}
}

// Parameters returns the tagger's parameters by name.
func (t *Tagger) Parameters() []nn.NamedParam {
	ps := nn.Prefix("word", t.Word.Parameters())
	ps = append(ps, nn.Prefix("shape", t.Shape.Parameters())...)
	ps = append(ps, nn.Prefix("suffix", t.Suf.Parameters())...)
	ps = append(ps, nn.Prefix("fwd", t.Fwd.Parameters())...)
	ps = append(ps, nn.Prefix("bwd", t.Bwd.Parameters())...)
	return append(ps, nn.Prefix("out", t.Out.Parameters())...)
}

// seqFeat is one sentence's inputs.
type seqFeat struct {
	word, shape, suf []int
	dense            []float32 // len(word) * numDense
	label            []int     // gold labels, or nil
	toks             []Token   // the sentence's tokens (byte offsets in the text)
}

func hashMod(s string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(s))
	return int(h.Sum32() % uint32(n))
}

// wordShape maps letters to X/x and digits to d, runs cut at three.
func wordShape(s string) string {
	var sb strings.Builder
	var last rune
	run := 0
	for _, r := range s {
		c := r
		switch {
		case unicode.IsUpper(r):
			c = 'X'
		case unicode.IsLower(r):
			c = 'x'
		case unicode.IsDigit(r):
			c = 'd'
		}
		if c == last {
			run++
			if run >= 3 {
				continue
			}
		} else {
			run = 0
		}
		last = c
		sb.WriteRune(c)
	}
	return sb.String()
}

// features builds the inputs of each sentence of text; rule gives the
// rules' and dictionaries' spans, gold (optional) the labels.
func (t *Tagger) features(text string, toks []Token, rule []bspan, gold []bspan) []seqFeat {
	d := loadDicts()
	ruleCat := make([]int, len(toks))
	goldCat := make([]int, len(toks))
	label := func(spans []bspan, out []int) {
		j := 0
		for i, tk := range toks {
			for j < len(spans) && spans[j].end <= tk.Start {
				j++
			}
			for k := j; k < len(spans) && spans[k].start < tk.End; k++ {
				if spans[k].end > tk.Start {
					out[i] = labelIndex(spans[k].typ.Category())
					break
				}
			}
		}
	}
	label(rule, ruleCat)
	if gold != nil {
		label(gold, goldCat)
	}
	var out []seqFeat
	for _, se := range Sentences(text, toks, t.Cfg.MaxLen) {
		n := se[1] - se[0]
		f := seqFeat{word: make([]int, n), shape: make([]int, n), suf: make([]int, n), dense: make([]float32, n*numDense), toks: toks[se[0]:se[1]]}
		if gold != nil {
			f.label = goldCat[se[0]:se[1]]
		}
		for i := range n {
			tk := toks[se[0]+i]
			w := tk.Text
			lw := lower(w)
			f.word[i] = 1 + hashMod(lw, t.Cfg.WordBuckets-1)
			f.shape[i] = hashMod(wordShape(w), t.Cfg.ShapeBucket)
			rs := []rune(lw)
			f.suf[i] = hashMod(string(rs[max(0, len(rs)-3):]), t.Cfg.SufBuckets)
			x := f.dense[i*numDense : (i+1)*numDense]
			r0 := rs[0]
			set := func(k int, b bool) {
				if b {
					x[k] = 1
				}
			}
			set(0, d.first[lw])
			set(1, d.last[lw])
			set(2, d.places[lw])
			set(3, d.clinical[lw])
			set(4, d.clinicalCap[lw])
			set(5, isAllCapsWord(w) && len(w) > 1)
			set(6, unicode.IsUpper([]rune(w)[0]))
			set(7, strings.ContainsAny(w, "0123456789"))
			set(8, !isWordRune(r0))
			set(9, i == 0)
			set(10, usStates[w])
			set(11, hospitalWords[lw])
			set(12, stopCaps[lw])
			x[13] = float32(math.Min(float64(len(rs)), 12)) / 12
			x[14+ruleCat[se[0]+i]] = 1
		}
		out = append(out, f)
	}
	return out
}

func labelIndex(c Category) int {
	for i, l := range tagLabels {
		if l == c {
			return i
		}
	}
	return 0
}

// forward returns logits [B*T, labels] for a batch of sentences padded to
// T. dropWord (training) replaces word ids by the unknown id 0 with that
// probability.
func (t *Tagger) forward(tp *nn.Tape, batch []seqFeat, dropWord, dropRule float64, rng *rand.Rand) (*nn.Tensor, int) {
	b := len(batch)
	T := 0
	for _, s := range batch {
		T = max(T, len(s.word))
	}
	lengths := make([]int, b)
	ids := [2][3][]int{}
	for dir := range 2 {
		for k := range 3 {
			ids[dir][k] = make([]int, b*T)
		}
	}
	dense := [2][]float32{make([]float32, b*T*numDense), make([]float32, b*T*numDense)}
	gather := make([]int, b*T)
	for i, s := range batch {
		L := len(s.word)
		lengths[i] = L
		for p := range T {
			gather[i*T+p] = i*T + p
		}
		for p := range L {
			w := s.word[p]
			if dropWord > 0 && rng.Float64() < dropWord {
				w = 0
			}
			q := L - 1 - p // position in the reversed sequence
			noRule := dropRule > 0 && rng.Float64() < dropRule
			for dir, pos := range [2]int{p, q} {
				ids[dir][0][i*T+pos] = w
				ids[dir][1][i*T+pos] = s.shape[p]
				ids[dir][2][i*T+pos] = s.suf[p]
				x := dense[dir][(i*T+pos)*numDense : (i*T+pos+1)*numDense]
				copy(x, s.dense[p*numDense:(p+1)*numDense])
				if noRule {
					// hide the rules' label, so the tagger learns to find
					// PHI the rules miss
					clear(x[14:])
					x[14] = 1
				}
			}
			gather[i*T+p] = i*T + q
		}
	}
	var outs [2]*nn.Tensor
	for dir, lstm := range []*nn.LSTM{t.Fwd, t.Bwd} {
		x := tp.Concat(2,
			t.Word.Forward(tp, ids[dir][0], b, T),
			t.Shape.Forward(tp, ids[dir][1], b, T),
			t.Suf.Forward(tp, ids[dir][2], b, T),
			nn.FromSlice(dense[dir], b, T, numDense))
		o, _ := lstm.Forward(tp, x, lengths)
		outs[dir] = o
	}
	// put the backward direction's outputs back in reading order
	bw := tp.Embedding(tp.Reshape(outs[1], b*T, t.Cfg.Hidden), gather, b, T)
	h := tp.Concat(2, outs[0], bw)
	return t.Out.Forward(tp, tp.Reshape(h, b*T, 2*t.Cfg.Hidden)), T
}

// predict labels each token of the sentences: the most likely PHI label
// when P(O) < threshold, else 0.
func (t *Tagger) predict(seqs []seqFeat) [][]int {
	out := make([][]int, len(seqs))
	const batchSize = 64
	tp := nn.AcquireTape()
	defer tp.Release()
	for lo := 0; lo < len(seqs); lo += batchSize {
		tp.Reset()
		batch := seqs[lo:min(lo+batchSize, len(seqs))]
		logits, T := t.forward(tp, batch, 0, 0, nil)
		probs := tp.Softmax(logits)
		c := len(tagLabels)
		for i, s := range batch {
			lab := make([]int, len(s.word))
			for p := range lab {
				row := probs.Data[(i*T+p)*c : (i*T+p+1)*c]
				if float64(row[0]) >= t.Cfg.Threshold {
					continue
				}
				best := 1
				for k := 2; k < c; k++ {
					if row[k] > row[best] {
						best = k
					}
				}
				lab[p] = best
			}
			out[lo+i] = lab
		}
	}
	return out
}

// spans runs the tagger over text and returns the runs of tokens with the
// same PHI label.
func (t *Tagger) spans(text string, toks []Token, rule []bspan) []bspan {
	if len(toks) == 0 {
		return nil
	}
	seqs := t.features(text, toks, mergeSpans(append([]bspan(nil), rule...)), nil)
	labs := t.predict(seqs)
	var out []bspan
	for i, s := range seqs {
		for p := 0; p < len(s.toks); {
			l := labs[i][p]
			if l == 0 {
				p++
				continue
			}
			q := p + 1
			for q < len(s.toks) && labs[i][q] == l {
				q++
			}
			// a run of punctuation alone is not PHI, nor is a measurement
			st, en := s.toks[p].Start, s.toks[q-1].End
			if (q-p > 1 || isWordRune([]rune(s.toks[p].Text)[0])) && !measurement(text, st, en) {
				out = append(out, bspan{st, en, catType[tagLabels[l]], "model"})
			}
			p = q
		}
	}
	return out
}

// measurement reports whether a tagger span is part of a measured value
// rather than an identifier: a piece of a decimal number (38.2), a number
// before a unit or a percent (2L, 95-98%, 4 L), or a bare number of at
// most three digits. The rules still find what they find there.
func measurement(text string, s, e int) bool {
	v := text[s:e]
	if s > 0 && text[s-1] == '.' && s > 1 && isDigitByte(text[s-2]) || e+1 < len(text) && text[e] == '.' && isDigitByte(text[e+1]) {
		return true
	}
	if countDigits(v) == 0 {
		return false
	}
	rest := text[e:]
	if i := strings.IndexFunc(rest, func(r rune) bool { return !(r == '-' || r >= '0' && r <= '9') }); i > 0 {
		rest = rest[i:] // past the end of a range: 95-98%
	}
	if measureAfter.MatchString(rest) || unitAfter.MatchString(rest) {
		return true
	}
	if measureInside.MatchString(v) {
		return true
	}
	if len(v) <= 3 && countDigits(v) == len(v) {
		// a day after its month stays: "May. 7"
		prev := strings.TrimRight(text[max(0, s-12):s], " .,")
		if i := strings.LastIndexAny(prev, " \n\t"); i >= 0 {
			prev = prev[i+1:]
		}
		return monthIndex(lower(prev)) == 0
	}
	return false
}

func isDigitByte(b byte) bool { return b >= '0' && b <= '9' }

var (
	measureAfter  = regexp.MustCompile(`^\s?(?:%|L\b|lpm\b|LPM\b|NC\b|cm2\b|mm2\b|m2\b|x\d)`)
	measureInside = regexp.MustCompile(`^\d+(?:\.\d+)?\s?(?:L|mL|cc|mg|kg|cm|mm|cm2)$`)
)

// TrainConfig sets a training run.
type TrainConfig struct {
	Seed      uint64
	Epochs    int
	Batch     int
	LR        float64
	DropWord  float64 // word dropout, so unseen names are tagged by context
	DropRule  float64 // share of tokens whose rule label is hidden in training
	PHIWeight float64 // loss weight of PHI labels against O (recall first)
	KeepNoPHI float64 // share of sentences without PHI kept for training
	Log       io.Writer
}

// DefaultTrainConfig is the setting chosen on the validation split (see
// MODEL_CARD.md).
var DefaultTrainConfig = TrainConfig{Seed: 1, Epochs: 6, Batch: 32, LR: 3e-3, DropWord: 0.3, DropRule: 0.5, PHIWeight: 2, KeepNoPHI: 0.25}

// Sentences of docs as training examples, with the rules' spans as
// features.
func (t *Tagger) examples(docs []Doc, keepNoPHI float64, rng *rand.Rand) []seqFeat {
	var out []seqFeat
	for _, doc := range docs {
		toks := Tokenize(doc.Text)
		rule := mergeSpans(append(ruleSpans(doc.Text), dictSpans(doc.Text, toks)...))
		bo, _ := byteOffsets(doc.Text, doc.Spans)
		gold := make([]bspan, len(doc.Spans))
		for i, s := range doc.Spans {
			gold[i] = bspan{bo[i][0], bo[i][1], s.Type, "gold"}
		}
		gold = mergeSpans(gold)
		for _, f := range t.features(doc.Text, toks, rule, gold) {
			has := false
			for _, l := range f.label {
				has = has || l != 0
			}
			if has || rng.Float64() < keepNoPHI {
				out = append(out, f)
			}
		}
	}
	return out
}

// Train fits the tagger on docs. It stops early, with ctx's error, when ctx
// is done.
func (t *Tagger) Train(ctx context.Context, docs []Doc, cfg TrainConfig) error {
	rng := nn.NewRand(cfg.Seed)
	ex := t.examples(docs, cfg.KeepNoPHI, rng)
	if len(ex) == 0 {
		return fmt.Errorf("deid: no training sentences")
	}
	params := t.Parameters()
	steps := cfg.Epochs * ((len(ex) + cfg.Batch - 1) / cfg.Batch)
	opt := nn.NewAdamW(params, nn.AdamWConfig{LR: cfg.LR, WeightDecay: 1e-4})
	sched := nn.Schedule{Base: cfg.LR, Warmup: min(100, steps/10), Total: steps, Decay: nn.Cosine}
	weights := make([]float32, len(tagLabels))
	for i := range weights {
		weights[i] = float32(cfg.PHIWeight)
	}
	weights[0] = 1
	tp := nn.NewTape()
	step := 0
	for epoch := range cfg.Epochs {
		rng.Shuffle(len(ex), func(i, j int) { ex[i], ex[j] = ex[j], ex[i] })
		var total float64
		for lo := 0; lo < len(ex); lo += cfg.Batch {
			if err := ctx.Err(); err != nil {
				return err
			}
			batch := ex[lo:min(lo+cfg.Batch, len(ex))]
			tp.Reset()
			tp.Seed(cfg.Seed + uint64(step))
			logits, T := t.forward(tp, batch, cfg.DropWord, cfg.DropRule, rng)
			targets := make([]int, len(batch)*T)
			for i, s := range batch {
				for p := range T {
					targets[i*T+p] = -1
					if p < len(s.label) {
						targets[i*T+p] = s.label[p]
					}
				}
			}
			loss := tp.CrossEntropy(logits, targets, weights)
			tp.Backward(loss)
			nn.ClipGradNorm(params, 1)
			opt.SetLR(sched.At(step))
			opt.Step()
			opt.ZeroGrad()
			total += float64(loss.Item())
			step++
		}
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, "epoch %d/%d: %d sentences, mean loss %.4f\n", epoch+1, cfg.Epochs, len(ex), total/float64((len(ex)+cfg.Batch-1)/cfg.Batch))
		}
	}
	return nil
}

// Save writes the tagger as a safetensors checkpoint with its config in
// the metadata.
func (t *Tagger) Save(w io.Writer, meta map[string]string) error {
	c, _ := json.Marshal(t.Cfg)
	m := map[string]string{"deid.config": string(c)}
	for k, v := range meta {
		m[k] = v
	}
	return nn.SaveCheckpoint(w, t, nil, m)
}

// LoadTagger reads a tagger saved by Save.
func LoadTagger(data []byte) (*Tagger, map[string]string, error) {
	f, err := safetensors.Load(data)
	if err != nil {
		return nil, nil, fmt.Errorf("deid: tagger: %w", err)
	}
	var cfg TaggerConfig
	if err := json.Unmarshal([]byte(f.Metadata["deid.config"]), &cfg); err != nil {
		return nil, nil, fmt.Errorf("deid: tagger: metadata deid.config: %w", err)
	}
	if cfg.WordBuckets < 2 || cfg.ShapeBucket < 1 || cfg.SufBuckets < 1 || cfg.Hidden < 1 || cfg.MaxLen < 1 || cfg.WordDim < 1 || cfg.ShapeDim < 1 || cfg.SufDim < 1 ||
		cfg.WordBuckets > 1<<20 || cfg.Hidden > 4096 {
		return nil, nil, fmt.Errorf("deid: tagger: metadata deid.config out of range")
	}
	t := NewTagger(cfg, 0)
	meta, err := nn.LoadCheckpoint(data, t, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("deid: tagger: %w", err)
	}
	return t, meta, nil
}

//go:embed model/deid-tagger.safetensors
var builtinTagger []byte

var (
	builtinOnce sync.Once
	builtinT    *Tagger
	builtinErr  error
)

// BuiltinTagger returns the shipped tagger (model/deid-tagger.safetensors,
// see MODEL_CARD.md), loaded once.
func BuiltinTagger() (*Tagger, error) {
	builtinOnce.Do(func() {
		if len(builtinTagger) == 0 {
			builtinErr = fmt.Errorf("deid: no built-in tagger")
			return
		}
		builtinT, _, builtinErr = LoadTagger(bytes.Clone(builtinTagger))
	})
	return builtinT, builtinErr
}
