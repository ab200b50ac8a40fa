package deid

import (
	"strings"
	"sync"
	"testing"
)

var (
	notesOnce sync.Once
	notesData []Note
	notesErr  error
)

// mtsamples reads the shared mtsamples corpus once.
func mtsamples(t testing.TB) []Note {
	notesOnce.Do(func() { notesData, notesErr = ReadMTSamples("../../shared/data/mtsamples/mtsamples.csv.gz") })
	if notesErr != nil {
		t.Fatal(notesErr)
	}
	return notesData
}

func TestGenerateSpans(t *testing.T) {
	docs := Generate(mtsamples(t), GenConfig{Seed: 7, Split: Train, Notes: 10, Nursing: 10, Patients: 4})
	if len(docs) != 20 {
		t.Fatalf("got %d docs", len(docs))
	}
	types := map[Type]bool{}
	for _, d := range docs {
		runes := []rune(d.Text)
		for _, s := range d.Spans {
			if s.End > len(runes) || string(runes[s.Start:s.End]) != s.Text {
				t.Fatalf("doc %s: span %+v does not match the text", d.Record, s)
			}
			types[s.Type] = true
		}
	}
	for _, want := range []Type{Name, Date, Phone} {
		if !types[want] {
			t.Errorf("no %s in 20 generated notes", want)
		}
	}
	again := Generate(mtsamples(t), GenConfig{Seed: 7, Split: Train, Notes: 10, Nursing: 10, Patients: 4})
	for i := range docs {
		if docs[i].Text != again[i].Text {
			t.Fatal("same seed, different corpus")
		}
	}
}

// TestSplitsDisjoint: the test split's notes and surrogate names are
// never in the training split.
func TestSplitsDisjoint(t *testing.T) {
	tr, te := newPools(Train), newPools(Test)
	in := map[string]bool{}
	for _, v := range append(append([]string{}, tr.first...), tr.last...) {
		in[v] = true
	}
	for _, v := range append(append([]string{}, te.first...), te.last...) {
		if in[v] {
			t.Fatalf("name %q in both train and test pools", v)
		}
	}
	train := Generate(mtsamples(t), GenConfig{Seed: 1, Split: Train, Notes: 50, Patients: 5})
	test := Generate(mtsamples(t), GenConfig{Seed: 1, Split: Test, Notes: 50, Patients: 5})
	seen := map[string]bool{}
	for _, d := range train {
		seen[d.Template] = true
	}
	for _, d := range test {
		if seen[d.Template] {
			t.Fatalf("template %s in both splits", d.Template)
		}
	}
	for _, s := range templatesOf("sentence", phiSentences, Test) {
		for _, s2 := range templatesOf("sentence", phiSentences, Train) {
			if s == s2 {
				t.Fatalf("sentence template %q in both splits", s)
			}
		}
	}
}

func TestSentences(t *testing.T) {
	text := "Seen by Dr. Smith today. She is well.\nPlan: home. J. Doe agrees."
	toks := Tokenize(text)
	var got []string
	for _, s := range Sentences(text, toks, 0) {
		got = append(got, text[toks[s[0]].Start:toks[s[1]-1].End])
	}
	want := []string{"Seen by Dr. Smith today.", "She is well.", "Plan: home.", "J. Doe agrees."}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got, want)
	}
	if toks := Tokenize("O'Brien's x-ray"); len(toks) != 6 || toks[0].Text != "O'Brien" {
		t.Errorf("tokens %v", toks)
	}
}
