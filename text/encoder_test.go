package text

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/galenhealth/galen/nn"
)

// toyCorpus makes n texts per class: class 0 mentions the heart, class 1
// the kidney, class 2 the knee, each among random filler words.
func toyCorpus(n int, seed uint64) []Example {
	rng := rand.New(rand.NewPCG(seed, 1))
	filler := strings.Fields("patient was seen today for follow up and the history was reviewed with the family in clinic")
	topics := [][]string{
		strings.Fields("cardiac murmur echocardiogram atrial fibrillation chest pain troponin"),
		strings.Fields("renal creatinine dialysis kidney proteinuria nephrotic"),
		strings.Fields("knee arthroscopy meniscus ligament cartilage fracture"),
	}
	labels := []string{"Cardiology", "Nephrology", "Orthopedics"}
	var out []Example
	for i := range n {
		for c, words := range topics {
			var w []string
			for range 12 {
				w = append(w, filler[rng.IntN(len(filler))])
			}
			for range 3 {
				w = append(w, words[rng.IntN(len(words))])
			}
			rng.Shuffle(len(w), func(a, b int) { w[a], w[b] = w[b], w[a] })
			out = append(out, Example{Line: len(out) + 2, Text: strings.Join(w, " ") + fmt.Sprintf(". Seen %d times.", i), Label: labels[c]})
		}
	}
	return out
}

func smallEncoderConfig() EncoderTrainConfig {
	return EncoderTrainConfig{Encoder: EncoderConfig{DModel: 16, Heads: 2, FFN: 32, Layers: 1, MaxLen: 24, Dropout: 0},
		VocabSize: 200, PretrainEpochs: 2, Epochs: 20, Batch: 8, LR: 3e-3, Seed: 3}
}

func TestEncoderLearnsToyTask(t *testing.T) {
	ex := toyCorpus(40, 1)
	c, rep, err := Run(context.Background(), ex, TrainConfig{Seed: 5, ModelType: ModelTransformer, Encoder: smallEncoderConfig()})
	if err != nil {
		t.Fatal(err)
	}
	if m := rep.Models[0].Test; m.MacroF1 < 0.9 {
		t.Errorf("toy task test macro-F1 %.3f, want >= 0.9 (topic words decide the class)", m.MacroF1)
	}
	t.Run("round trip", func(t *testing.T) {
		art, err := c.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		c2, err := Parse(art)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ex[:5] {
			a := Analyze(e.Text)
			p1, p2 := c.Probs(a), c2.Probs(a)
			for k := range p1 {
				if p1[k] != p2[k] {
					t.Fatalf("probabilities differ after a round trip: %v vs %v", p1, p2)
				}
			}
		}
		// a loaded encoder is frozen: explanations run concurrently (go test -race)
		want := c2.Classify(ex[0].Text, 1, 3).Explanation
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				got := c2.Classify(ex[0].Text, 1, 3).Explanation
				if len(got) != len(want) || got[0].Weight != want[0].Weight {
					t.Errorf("concurrent explanation %+v, want %+v", got, want)
				}
			})
		}
		wg.Wait()
	})
	t.Run("explanation points at a topic word", func(t *testing.T) {
		note := "patient was seen today for follow up with dialysis and creatinine reviewed"
		r := c.Classify(note, 1, 3)
		if r.Top[0].Label != "Nephrology" {
			t.Fatalf("top %+v, want Nephrology", r.Top)
		}
		top := note[r.Explanation[0].Spans[0].Start:r.Explanation[0].Spans[0].End]
		if top != "dialysis" && top != "creatinine" {
			t.Errorf("strongest token %q, want dialysis or creatinine (all %+v)", top, r.Explanation)
		}
	})
}

// TestIntegratedGradientsCompleteness checks the completeness axiom of
// integrated gradients (Sundararajan et al. 2017): attributions add up to
// the logit difference between the input and the baseline.
func TestIntegratedGradientsCompleteness(t *testing.T) {
	wp := LearnWordPiece([]string{"chest pain and fever with cough"}, 60)
	cfg := EncoderConfig{DModel: 8, Heads: 2, FFN: 16, Layers: 2, MaxLen: 16}
	e := NewEncoder(cfg, wp, 3, nn.NewRand(9))
	ids, _ := e.ids(Tokenize("chest pain and fever with cough"))
	logitOf := func(x *nn.Tensor, c int) float64 {
		return float64(e.classify(nil, x, nil).Data[c])
	}
	s, d := len(ids), cfg.DModel
	tok := e.Tok.Forward(nil, ids, 1, s)
	pos := make([]int, s)
	for i := range pos {
		pos[i] = i
	}
	base := e.Pos.Forward(nil, pos, 1, s)
	full := nn.New(1, s, d)
	for i := range full.Data {
		full.Data[i] = base.Data[i] + tok.Data[i]
	}
	for c := range 3 {
		t.Run(fmt.Sprint("class ", c), func(t *testing.T) {
			var sum float64
			for _, a := range e.integratedGradients(ids, c, 256) {
				sum += a
			}
			want := logitOf(full, c) - logitOf(base, c)
			if math.Abs(sum-want) > 0.01*math.Abs(want)+1e-3 {
				t.Errorf("attributions sum to %.5f, logit difference %.5f", sum, want)
			}
		})
	}
}

func TestPretrainLowersMaskedLoss(t *testing.T) {
	var texts []string
	for i := range 60 {
		texts = append(texts, fmt.Sprintf("blood pressure is normal and heart rate is regular case %d", i%7))
	}
	cfg := smallEncoderConfig()
	cfg.PretrainEpochs = 8
	wp := LearnWordPiece(texts, 80)
	e := NewEncoder(cfg.Encoder, wp, 2, nn.NewRand(1))
	var seqs [][]int
	for _, s := range texts {
		ids, _ := e.ids(Tokenize(s))
		seqs = append(seqs, ids)
	}
	losses, err := e.Pretrain(context.Background(), seqs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(losses) != 8 || !(losses[7] < 0.6*losses[0]) {
		t.Errorf("masked-piece loss per epoch %v: want the last under 60%% of the first on repetitive text", losses)
	}
}

func TestRunLinear(t *testing.T) {
	ex := toyCorpus(30, 2)
	c, rep, err := Run(context.Background(), ex, TrainConfig{Seed: 11, ModelType: ModelLinear})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ok   bool
	}{
		{"80/20 split", rep.NTrain == 72 && rep.NTest == 18},
		{"labels", strings.Join(rep.Labels, ",") == "Cardiology,Nephrology,Orthopedics"},
		{"separable toy task", rep.Models[0].Test.MacroF1 >= 0.9},
		{"temperature positive", c.Temperature > 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.ok {
				t.Errorf("report %+v", rep)
			}
		})
	}
	t.Run("explanation offsets", func(t *testing.T) {
		note := "Follow up for atrial fibrillation; echocardiogram reviewed."
		r := c.Classify(note, 2, 5)
		if r.Top[0].Label != "Cardiology" {
			t.Fatalf("top %+v", r.Top)
		}
		words := map[string]bool{}
		for _, a := range r.Explanation[:2] {
			for _, s := range a.Spans {
				words[note[s.Start:s.End]] = true
			}
		}
		if !words["atrial"] && !words["fibrillation"] && !words["echocardiogram"] {
			t.Errorf("top explanation spans %v, want heart words", words)
		}
	})
	t.Run("round trip", func(t *testing.T) {
		art, err := c.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		c2, err := Parse(art)
		if err != nil {
			t.Fatal(err)
		}
		a := Analyze(ex[0].Text)
		p1, p2 := c.Probs(a), c2.Probs(a)
		for k := range p1 {
			if math.Abs(p1[k]-p2[k]) > 1e-12 {
				t.Fatalf("probabilities differ after a round trip: %v vs %v", p1, p2)
			}
		}
	})
}

func TestParseRejects(t *testing.T) {
	c, _, err := Run(context.Background(), toyCorpus(10, 3), TrainConfig{Seed: 1, ModelType: ModelLinear})
	if err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(c *Classifier)) []byte {
		cc := *c
		lin := *c.Linear
		cc.Linear = &lin
		f(&cc)
		b, err := cc.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	good, _ := c.Marshal()
	tests := []struct {
		name string
		art  []byte
		want string
	}{
		{"garbage", []byte("not a model"), "text:"},
		{"truncated", good[:len(good)/2], "text:"},
		{"bad temperature", mutate(func(c *Classifier) { c.Temperature = -1 }), "temperature"},
		{"bad threshold", mutate(func(c *Classifier) { c.Threshold = 2 }), "threshold"},
		{"one label", mutate(func(c *Classifier) { c.Labels = c.Labels[:1] }), "labels"},
		{"label count does not fit the weights", mutate(func(c *Classifier) { c.Labels = append(c.Labels, "x") }), "shape"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Parse(tc.art); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	c, _, err := Run(context.Background(), toyCorpus(6, 4), TrainConfig{Seed: 1, ModelType: ModelLinear})
	if err != nil {
		f.Fatal(err)
	}
	art, _ := c.Marshal()
	f.Add(art)
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b)
		if err != nil {
			return
		}
		c.Classify("chest pain, denies fever", 3, 3)
	})
}
