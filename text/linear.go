package text

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
)

// LinearConfig is one hyper-parameter setting of the TF-IDF + logistic
// regression model.
type LinearConfig struct {
	NGram       int     `json:"ngram"`
	MinDF       int     `json:"min_df"`
	MaxFeatures int     `json:"max_features"`
	C           float64 `json:"c"`
	Balanced    bool    `json:"balanced"`
}

func (c LinearConfig) String() string {
	return fmt.Sprintf("ngram=%d min_df=%d max_features=%d C=%g balanced=%v", c.NGram, c.MinDF, c.MaxFeatures, c.C, c.Balanced)
}

// LinearGrid is the hyper-parameter grid searched on validation data.
func LinearGrid() []LinearConfig {
	var g []LinearConfig
	for _, ng := range []int{1, 2} {
		for _, c := range []float64{3, 10, 30, 100} {
			for _, bal := range []bool{false, true} {
				g = append(g, LinearConfig{NGram: ng, MinDF: 2, MaxFeatures: 20000, C: c, Balanced: bal})
			}
		}
	}
	return g
}

// Linear is TF-IDF features of Terms and a multinomial logistic
// regression.
type Linear struct {
	Config LinearConfig
	Vec    *TFIDF
	LR     *LogReg
}

// TrainLinear fits the model on term lists docs with labels y.
func TrainLinear(ctx context.Context, docs [][]string, y []int, classes int, cfg LinearConfig) (*Linear, error) {
	vec := FitTFIDF(docs, cfg.NGram, cfg.MinDF, cfg.MaxFeatures, true)
	xs := make([]SparseVec, len(docs))
	for i, d := range docs {
		xs[i] = vec.Transform(d)
	}
	lr, err := FitLogReg(ctx, xs, y, classes, len(vec.Terms), LogRegConfig{C: cfg.C, Balanced: cfg.Balanced})
	if err != nil {
		return nil, err
	}
	return &Linear{Config: cfg, Vec: vec, LR: lr}, nil
}

// Logits returns the class scores of a document's terms.
func (l *Linear) Logits(terms []string) []float64 { return l.LR.Logits(l.Vec.Transform(terms)) }

// Attribution is how much one feature pushed the predicted class: for the
// linear model x_j·(W[c,j] − Σ_k p_k·W[k,j]), the feature's effect on
// log p_c to first order; for the transformer, integrated gradients summed
// over the feature's pieces. Spans are the feature's places in the
// original text (byte offsets).
type Attribution struct {
	Term   string  `json:"term"`
	Weight float64 `json:"weight"`
	Spans  []Span  `json:"spans"`
}

// explain returns the k features that pushed class c most (by absolute
// weight), with the places of their tokens.
func (l *Linear) explain(toks []Token, probs []float64, c, k int) []Attribution {
	terms, at := termsAt(toks)
	grams, first, last := ngrams(terms, l.Vec.NGram)
	v := l.Vec.Transform(terms)
	weight := map[int32]float64{}
	for n, j := range v.Idx {
		var mean float64
		for kk := range l.LR.Classes {
			mean += probs[kk] * float64(l.LR.W[kk*l.LR.Features+int(j)])
		}
		weight[j] = float64(v.Val[n]) * (float64(l.LR.W[c*l.LR.Features+int(j)]) - mean)
	}
	spans := map[int32][]Span{}
	for g, gram := range grams {
		j, ok := l.Vec.index[gram]
		if !ok {
			continue
		}
		spans[j] = append(spans[j], Span{toks[at[first[g]]].Start, toks[at[last[g]]].End})
	}
	out := make([]Attribution, 0, len(weight))
	for j, w := range weight {
		out = append(out, Attribution{Term: l.Vec.Terms[j], Weight: w, Spans: spans[j]})
	}
	slices.SortFunc(out, func(a, b Attribution) int {
		if c := cmp.Compare(math.Abs(b.Weight), math.Abs(a.Weight)); c != 0 {
			return c
		}
		return cmp.Compare(a.Term, b.Term)
	})
	return out[:min(k, len(out))]
}
