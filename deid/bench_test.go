package deid

import (
	"strings"
	"testing"
)

// note500 returns a 500-word note: a generated test-split note (real
// mtsamples text with surrogate PHI), cut at 500 words.
func note500(b *testing.B) string {
	docs := Generate(mtsamples(b), GenConfig{Seed: 1, Split: Test, Notes: 40, Patients: 10})
	for _, d := range docs {
		if w := strings.Fields(d.Text); len(w) >= 500 {
			return strings.Join(w[:500], " ")
		}
	}
	b.Fatal("no note of 500 words")
	return ""
}

// BenchmarkDetect500Words measures notes per second for one 500-word note
// on one goroutine: rules and dictionaries alone, and with the tagger
// (the shipped detector).
func BenchmarkDetect500Words(b *testing.B) {
	text := note500(b)
	tagger, err := BuiltinTagger()
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		d    *Detector
	}{{"rules", &Detector{}}, {"rules+tagger", &Detector{Tagger: tagger}}} {
		b.Run(c.name, func(b *testing.B) {
			c.d.Detect(text) // load the lists
			b.ResetTimer()
			for b.Loop() {
				c.d.Detect(text)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notes/s")
		})
	}
}

// BenchmarkSurrogate500Words measures detection plus surrogate output.
func BenchmarkSurrogate500Words(b *testing.B) {
	text := note500(b)
	d, err := NewDetector()
	if err != nil {
		b.Fatal(err)
	}
	s := NewSurrogator([]byte("bench"))
	d.Detect(text)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Apply(text, d.Detect(text), ModeSurrogate, s, "p1"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notes/s")
}
