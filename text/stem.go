package text

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/kljensen/snowball/english"
)

// stopWords is the English stop-word list of the Snowball project
// (snowballstem.org/algorithms/english/stop.txt) with the contractions
// the tokeniser splits off, plus the transcription filler "patient".
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`i me my myself we our ours ourselves you your yours yourself yourselves
		he him his himself she her hers herself it its itself they them their theirs themselves what which who whom
		this that these those am is are was were be been being have has had having do does did doing would should could
		ought a an the and but if or because as until while of at by for with about against between into through during
		before after above below to from up down in out on off over under again further then once here there when where
		why how all any both each few more most other some such no nor not only own same so than too very s t can will
		just don now`) {
		m[w] = true
	}
	return m
}()

// IsStopWord reports whether the normalised word w is an English stop word.
func IsStopWord(w string) bool { return stopWords[w] }

// Stem returns the Snowball (Porter2) English stem of the normalised word w.
// Words that are not purely letters (numbers, "l4-l5", "b.i.d.") are
// returned unchanged.
func Stem(w string) string {
	for _, r := range w {
		if (r < 'a' || r > 'z') && r != '\'' {
			return w
		}
	}
	if s, ok := stemCache.Load(w); ok {
		return s.(string)
	}
	s := english.Stem(w, true)
	if stemCacheSize.Add(1) <= maxStemCache { // bounded: outside text cannot grow it forever
		stemCache.Store(w, s)
	}
	return s
}

// stemCache remembers the stems of the first maxStemCache words seen.
var (
	stemCache     sync.Map
	stemCacheSize atomic.Int64
)

const maxStemCache = 200_000

// Terms returns the features of a text for bag-of-words models: each word,
// abbreviation and number token normalised, stop words and punctuation
// dropped, words stemmed; numbers become "<num>" or "<num> unit" so that a
// dose's unit counts, not its value.
func Terms(toks []Token) []string {
	terms, _ := termsAt(toks)
	return terms
}

// termsAt returns Terms and, for each term, the index of its token.
func termsAt(toks []Token) (terms []string, at []int) {
	terms = make([]string, 0, len(toks))
	at = make([]int, 0, len(toks))
	for i, t := range toks {
		var term string
		switch t.Kind {
		case Punct:
			continue
		case Number:
			term = numberTerm(t.Norm)
		case Abbrev:
			term = t.Norm
		default:
			if IsStopWord(t.Norm) || len(t.Norm) < 2 {
				continue
			}
			term = Stem(t.Norm)
		}
		terms = append(terms, term)
		at = append(at, i)
	}
	return terms, at
}

// numberTerm maps "5 mg" to "<num> mg", "12-mm" to "<num> mm", "120/80" to
// "<num>".
func numberTerm(norm string) string {
	i := strings.IndexFunc(norm, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r == '.' || r == ',' || r == '/' || r == '-' || r == ':' || r == ' ')
	})
	if i < 0 {
		return "<num>"
	}
	return "<num> " + norm[i:]
}
