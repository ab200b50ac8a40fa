package text

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/nn/safetensors"
)

// Format is the artifact format of a text classifier.
const Format = "text-classifier/v1"

// Model types.
const (
	ModelLinear      = "linear"
	ModelTransformer = "transformer"
	ModelBest        = "best"
)

// Analysis is what the pipeline finds in a note: its tokens, sections,
// sentences and negated findings. Offsets are bytes into the text.
type Analysis struct {
	Text      string
	Tokens    []Token
	Sections  []Section
	Sentences []TokenRange
	Negated   []Finding
}

// Analyze runs the pipeline on a note.
func Analyze(s string) *Analysis {
	a := &Analysis{Text: s, Tokens: Tokenize(s), Sections: Sections(s)}
	a.Sentences = Sentences(s, a.Tokens, a.Sections)
	a.Negated = Negations(s, a.Tokens, a.Sentences)
	return a
}

// Classifier predicts a label for a text with either backend, calibrated
// by a temperature; answers whose top probability is under Threshold are
// flagged uncertain. Both were fitted on validation data.
type Classifier struct {
	Labels      []string
	ModelType   string
	Temperature float64
	Threshold   float64
	Linear      *Linear
	Encoder     *Encoder
	Meta        map[string]string // training facts for the model card: split, seed, metrics
}

// Logits returns the uncalibrated class scores of an analysed text.
func (c *Classifier) Logits(a *Analysis) []float64 {
	if c.ModelType == ModelTransformer {
		return c.Encoder.Logits(a.Tokens)
	}
	return c.Linear.Logits(Terms(a.Tokens))
}

// Probs returns the calibrated class probabilities of an analysed text.
func (c *Classifier) Probs(a *Analysis) []float64 { return Softmax(c.Logits(a), c.Temperature) }

// LabelProb is one label and its probability.
type LabelProb struct {
	Label string  `json:"label"`
	Prob  float64 `json:"probability"`
}

// Result is a classified, explained and analysed text.
type Result struct {
	Top         []LabelProb
	Uncertain   bool
	Explanation []Attribution // for the top label
	Analysis    *Analysis
}

// Classify returns the k most probable labels, whether the answer is
// uncertain, and the nExplain features that pushed the top label most.
func (c *Classifier) Classify(s string, k, nExplain int) *Result {
	a := Analyze(s)
	p := c.Probs(a)
	order := make([]int, len(p))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int { return cmp.Compare(p[y], p[x]) })
	r := &Result{Analysis: a, Uncertain: p[order[0]] < c.Threshold}
	for _, i := range order[:min(k, len(order))] {
		r.Top = append(r.Top, LabelProb{c.Labels[i], p[i]})
	}
	if nExplain > 0 {
		if c.ModelType == ModelTransformer {
			r.Explanation = c.Encoder.explain(a.Tokens, order[0], nExplain)
		} else {
			r.Explanation = c.Linear.explain(a.Tokens, p, order[0], nExplain)
		}
		for i := range r.Explanation { // in calibrated log-odds
			r.Explanation[i].Weight /= c.Temperature
		}
	}
	return r
}

// Marshal writes the classifier as a safetensors file; the vocabularies,
// labels and settings go in its metadata.
func (c *Classifier) Marshal() ([]byte, error) {
	meta := map[string]string{"format": Format, "model_type": c.ModelType,
		"temperature": strconv.FormatFloat(c.Temperature, 'g', -1, 64), "threshold": strconv.FormatFloat(c.Threshold, 'g', -1, 64)}
	for k, v := range c.Meta {
		meta["card."+k] = v
	}
	tensors := map[string]safetensors.Tensor{}
	put := func(key string, v any) error {
		b, err := json.Marshal(v)
		meta[key] = string(b)
		return err
	}
	if err := put("labels", c.Labels); err != nil {
		return nil, err
	}
	switch c.ModelType {
	case ModelLinear:
		l := c.Linear
		if err := put("linear.config", l.Config); err != nil {
			return nil, err
		}
		if err := put("linear.terms", l.Vec.Terms); err != nil {
			return nil, err
		}
		tensors["linear.idf"] = safetensors.Tensor{DType: safetensors.F32, Shape: []int{len(l.Vec.IDF)}, Data: l.Vec.IDF}
		tensors["linear.weight"] = safetensors.Tensor{DType: safetensors.F32, Shape: []int{l.LR.Classes, l.LR.Features}, Data: l.LR.W}
		tensors["linear.bias"] = safetensors.Tensor{DType: safetensors.F32, Shape: []int{l.LR.Classes}, Data: l.LR.B}
	case ModelTransformer:
		if err := c.Encoder.save(meta, tensors); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("text: model type %q", c.ModelType)
	}
	var buf bytes.Buffer
	if err := safetensors.Save(&buf, tensors, meta); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Parse reads a classifier written by Marshal; anything missing or
// inconsistent is an EINVALID error.
func Parse(artifact []byte) (*Classifier, error) {
	f, err := safetensors.Load(artifact)
	if err != nil {
		return nil, galen.Errorf(galen.EINVALID, "text: %v", err)
	}
	bad := func(format string, args ...any) error {
		return galen.Errorf(galen.EINVALID, "text: artifact: "+format, args...)
	}
	meta := f.Metadata
	if meta["format"] != Format {
		return nil, bad("format %q, want %q", meta["format"], Format)
	}
	c := &Classifier{ModelType: meta["model_type"], Meta: map[string]string{}}
	for k, v := range meta {
		if len(k) > 5 && k[:5] == "card." {
			c.Meta[k[5:]] = v
		}
	}
	if c.Temperature, err = strconv.ParseFloat(meta["temperature"], 64); err != nil || !(c.Temperature > 0) {
		return nil, bad("temperature %q", meta["temperature"])
	}
	if c.Threshold, err = strconv.ParseFloat(meta["threshold"], 64); err != nil || c.Threshold < 0 || c.Threshold > 1 {
		return nil, bad("threshold %q", meta["threshold"])
	}
	if err := json.Unmarshal([]byte(meta["labels"]), &c.Labels); err != nil || len(c.Labels) < 2 {
		return nil, bad("labels: want a JSON list of at least two")
	}
	tensor := func(name string, shape ...int) ([]float32, error) {
		t, ok := f.Tensors[name]
		if !ok {
			return nil, bad("no tensor %q", name)
		}
		if !slices.Equal(t.Shape, shape) {
			return nil, bad("tensor %q has shape %v, want %v", name, t.Shape, shape)
		}
		return t.Data, nil
	}
	switch c.ModelType {
	case ModelLinear:
		l := &Linear{Vec: &TFIDF{}}
		if err := json.Unmarshal([]byte(meta["linear.config"]), &l.Config); err != nil {
			return nil, bad("linear.config: %v", err)
		}
		if err := json.Unmarshal([]byte(meta["linear.terms"]), &l.Vec.Terms); err != nil {
			return nil, bad("linear.terms: %v", err)
		}
		l.Vec.NGram, l.Vec.Sublinear = l.Config.NGram, true
		k, v := len(c.Labels), len(l.Vec.Terms)
		if l.Vec.IDF, err = tensor("linear.idf", v); err != nil {
			return nil, err
		}
		l.LR = &LogReg{Classes: k, Features: v}
		if l.LR.W, err = tensor("linear.weight", k, v); err != nil {
			return nil, err
		}
		if l.LR.B, err = tensor("linear.bias", k); err != nil {
			return nil, err
		}
		l.Vec.buildIndex()
		if len(l.Vec.index) != v {
			return nil, bad("linear.terms has duplicates")
		}
		c.Linear = l
	case ModelTransformer:
		e, err := loadEncoder(meta, f, len(c.Labels))
		if err != nil {
			return nil, bad("%v", err)
		}
		c.Encoder = e
	default:
		return nil, bad("model_type %q, want %q or %q", c.ModelType, ModelLinear, ModelTransformer)
	}
	return c, nil
}
