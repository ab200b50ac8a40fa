package deid

import (
	"bytes"
	"context"
	"testing"
)

// TestTaggerLearns trains on a tiny slice and checks that the tagger alone
// finds most of the PHI tokens of that slice, which an untrained one does
// not, and that a saved tagger loads back with the same predictions.
func TestTaggerLearns(t *testing.T) {
	docs := Generate(mtsamples(t), GenConfig{Seed: 3, Split: Train, Notes: 4, Nursing: 16, Patients: 5})
	cfg := DefaultTaggerConfig
	cfg.Hidden, cfg.WordBuckets = 16, 512
	untrained := NewTagger(cfg, 1)
	before := EvaluateDocs(&Detector{Tagger: untrained, NoRules: true}, docs).Token["all"]
	tg := NewTagger(cfg, 1)
	tc := DefaultTrainConfig
	tc.Epochs, tc.Batch, tc.KeepNoPHI, tc.Log = 15, 8, 0, testWriter{t}
	if err := tg.Train(context.Background(), docs, tc); err != nil {
		t.Fatal(err)
	}
	after := EvaluateDocs(&Detector{Tagger: tg, NoRules: true}, docs).Token["all"]
	if after.Recall() < 0.6 || after.F1() <= before.F1() {
		t.Errorf("tagger alone on its training slice: recall %.3f F1 %.3f (untrained F1 %.3f)", after.Recall(), after.F1(), before.F1())
	}
	var buf bytes.Buffer
	if err := tg.Save(&buf, nil); err != nil {
		t.Fatal(err)
	}
	loaded, _, err := LoadTagger(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs[:3] {
		a := (&Detector{Tagger: tg, NoRules: true}).Detect(d.Text)
		b := (&Detector{Tagger: loaded, NoRules: true}).Detect(d.Text)
		if len(a) != len(b) {
			t.Fatalf("loaded tagger differs: %d vs %d spans", len(a), len(b))
		}
	}
	if _, _, err := LoadTagger(buf.Bytes()[:buf.Len()/2]); err == nil {
		t.Error("a truncated tagger loaded")
	}
}

func TestBuiltinTagger(t *testing.T) {
	d, err := NewDetector()
	if err != nil {
		t.Fatal(err)
	}
	spans := d.Detect("Pt seen by Dr. Quarshie on 3/4/98.")
	found := false
	for _, s := range spans {
		found = found || s.Type == Name && s.Text == "Quarshie"
	}
	if !found {
		t.Errorf("built-in detector missed the doctor: %v", spans)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) { w.t.Log(string(b)); return len(b), nil }
