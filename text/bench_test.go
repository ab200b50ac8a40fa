package text

import (
	"strings"
	"testing"
)

// note500 is a 500-word cardiology-style note built from one paragraph.
func note500() string {
	para := strings.Fields("HISTORY OF PRESENT ILLNESS: The patient is a 68-year-old man with exertional chest pressure for two months. " +
		"He denies syncope, palpitations or orthopnea. No chest pain at rest but has dyspnea on exertion. No increase in leg swelling. " +
		"MEDICATIONS: Metoprolol 25 mg b.i.d., aspirin 81 mg q.d., atorvastatin 40 mg daily. ASSESSMENT: Stable angina; echocardiogram shows " +
		"an ejection fraction of 55% with mild mitral regurgitation. PLAN: Stress test, continue beta-blocker, follow up in two weeks.")
	var w []string
	for len(w) < 500 {
		w = append(w, para...)
	}
	return strings.Join(w[:500], " ")
}

// BenchmarkClassifyBuiltin is one explained classification of a 500-word
// note by the built-in model, with sections and negations, in process.
func BenchmarkClassifyBuiltin(b *testing.B) {
	c, err := Builtin()
	if err != nil {
		b.Fatal(err)
	}
	note := note500()
	b.ReportAllocs()
	for b.Loop() {
		c.Classify(note, 3, 10)
	}
}

// BenchmarkAnalyze is the pipeline alone (tokens, sections, sentences,
// negations) on a 500-word note.
func BenchmarkAnalyze(b *testing.B) {
	note := note500()
	b.ReportAllocs()
	for b.Loop() {
		Analyze(note)
	}
}
