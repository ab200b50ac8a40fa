package deid

import (
	"context"
	"fmt"
	"io"
)

// CorpusConfig sizes the generated corpus of each split.
type CorpusConfig struct {
	Seed                   uint64
	TrainNotes, TrainNurse int
	ValidNotes, ValidNurse int
	TestNotes, TestNurse   int
}

// DefaultCorpus is the corpus the shipped tagger was trained and tested
// on.
var DefaultCorpus = CorpusConfig{Seed: 1, TrainNotes: 400, TrainNurse: 200, ValidNotes: 120, ValidNurse: 60, TestNotes: 200, TestNurse: 100}

// Corpus generates the three splits.
func Corpus(notes []Note, c CorpusConfig) (train, valid, test []Doc) {
	train = Generate(notes, GenConfig{Seed: c.Seed, Split: Train, Notes: c.TrainNotes, Nursing: c.TrainNurse, Patients: max(1, (c.TrainNotes+c.TrainNurse)/3)})
	valid = Generate(notes, GenConfig{Seed: c.Seed, Split: Valid, Notes: c.ValidNotes, Nursing: c.ValidNurse, Patients: max(1, (c.ValidNotes+c.ValidNurse)/3)})
	test = Generate(notes, GenConfig{Seed: c.Seed, Split: Test, Notes: c.TestNotes, Nursing: c.TestNurse, Patients: max(1, (c.TestNotes+c.TestNurse)/3)})
	return
}

// EvaluateDocs runs d over docs and scores it against their gold spans.
func EvaluateDocs(d *Detector, docs []Doc) Score {
	texts := make([]string, len(docs))
	gold := make([][]Span, len(docs))
	pred := make([][]Span, len(docs))
	for i, doc := range docs {
		texts[i], gold[i], pred[i] = doc.Text, doc.Spans, d.Detect(doc.Text)
	}
	return Evaluate(texts, gold, pred)
}

// TrainResult is what TrainTagger reports.
type TrainResult struct {
	Tagger    *Tagger
	Threshold float64
	Valid     Score // rules + tagger on the validation split, at the chosen threshold
}

// Thresholds are the decision thresholds tried on the validation split.
var Thresholds = []float64{0.2, 0.35, 0.5, 0.7}

// TrainTagger trains a tagger on train and chooses its threshold on valid:
// the highest recall of the combined detector whose span precision stays
// at or above 0.90, else the best F1.
func TrainTagger(ctx context.Context, train, valid []Doc, tc TaggerConfig, cfg TrainConfig, log io.Writer) (*TrainResult, error) {
	t := NewTagger(tc, cfg.Seed)
	cfg.Log = log
	if err := t.Train(ctx, train, cfg); err != nil {
		return nil, err
	}
	var best *TrainResult
	better := func(a, b Score) bool {
		pa, pb := a.Span["all"].Precision() >= 0.9, b.Span["all"].Precision() >= 0.9
		if pa != pb {
			return pa
		}
		if pa {
			return a.Span["all"].Recall() > b.Span["all"].Recall()
		}
		return a.Span["all"].F1() > b.Span["all"].F1()
	}
	for _, th := range Thresholds {
		t.Cfg.Threshold = th
		sc := EvaluateDocs(&Detector{Tagger: t}, valid)
		if log != nil {
			a := sc.Span["all"]
			fmt.Fprintf(log, "threshold %.2f: valid span recall %.4f precision %.4f\n", th, a.Recall(), a.Precision())
		}
		if best == nil || better(sc, best.Valid) {
			best = &TrainResult{Tagger: t, Threshold: th, Valid: sc}
		}
	}
	t.Cfg.Threshold = best.Threshold
	return best, nil
}
