package text

import "strings"

// Finding is a phrase the note negates: "chest pain" in "denies chest
// pain". Start and End are byte offsets into the original text; Trigger is
// the negation phrase, as normalised words.
type Finding struct {
	Text       string
	Start, End int
	Trigger    string
}

// NegEx-style phrase lists (Chapman et al. 2001, and the later NegEx
// trigger lists), as normalised tokens.
var (
	// preNegations negate the words that follow them.
	preNegations = phrases(`no|not|denies|denied|deny|denying|without|negative for|free of|absence of|absent|
		no evidence of|no signs of|no sign of|no history of|no complaints of|never|none|neither|nor|not have|
		no new|no further evidence of|fails to reveal|failed to reveal|rules out|ruled out|resolution of|
		no suggestion of|no findings of|not demonstrate|did not have|does not have|has not had|cannot see`)
	// postNegations negate the words before them.
	postNegations = phrases(`was ruled out|were ruled out|is ruled out|has been ruled out|have been ruled out|
		unlikely|not seen|is absent|are absent|was absent|was negative|were negative|is negative|are negative|resolved|free`)
	// pseudoNegations look like triggers but negate nothing.
	pseudoNegations = phrases(`no increase|no change|no significant change|no interval change|no definite change|
		no suspicious change|not only|no further|not necessarily|without difficulty|without any difficulty|
		not certain if|not certain whether|not rule out|not ruled out|not been ruled out|gram negative|not cause|
		not drain|not extend|no significant interval change|without further|not clear|no longer|nothing else|
		no other|not just|not limited to|negative margins|negative for malignancy but`)
	// terminations end a negation's scope.
	terminations = phrases(`but|however|although|though|yet|except|nevertheless|still|aside from|apart from|
		which|who|whom|secondary to|due to|because of|as the cause of|cause of|causes of|source of|etiology of|
		reason for|presents with|presented with|complains of|complained of|reports|reported|has|had|positive for|
		there is|there are|there was|with the exception of|other than`)
	// listBreaks separate the findings of one scope: "no fever, chills or
	// night sweats".
	listBreaks = map[string]bool{",": true, "or": true, "and": true, "nor": true, "/": true, "&": true}
	// scopeEnds are punctuation that ends a scope.
	scopeEnds = map[string]bool{".": true, ";": true, ":": true, "!": true, "?": true, "(": true, ")": true}
)

// negationWindow is the most word tokens a trigger's scope reaches.
const negationWindow = 8

// phraseSet is a list of phrases indexed by their first word, longest
// first.
type phraseSet map[string][][]string

func phrases(list string) phraseSet {
	var out [][]string
	for _, p := range strings.Split(list, "|") {
		if f := strings.Fields(p); len(f) > 0 {
			out = append(out, f)
		}
	}
	// longest first, so "no evidence of" wins over "no"
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && len(out[j]) > len(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	set := phraseSet{}
	for _, p := range out {
		set[p[0]] = append(set[p[0]], p)
	}
	return set
}

// matchAt returns the length in tokens of the longest phrase of ps that
// starts at toks[i] (within [i, to)), 0 when none does.
func matchAt(toks []Token, i, to int, ps phraseSet) int {
	for _, p := range ps[toks[i].Norm] {
		if i+len(p) > to {
			continue
		}
		ok := true
		for k, w := range p {
			if toks[i+k].Norm != w {
				ok = false
				break
			}
		}
		if ok {
			return len(p)
		}
	}
	return 0
}

// Negations finds the negated findings of a tokenised text, sentence by
// sentence. A pre-negation ("no", "denies", "negative for") negates the
// words after it up to a termination ("but", "however", "has"), a
// punctuation mark that ends a clause, another trigger or negationWindow
// words; a post-negation ("was ruled out", "unlikely") negates the words
// before it the same way. Pseudo-negations ("no increase", "not ruled
// out") negate nothing. A scope that lists several findings ("no fever,
// chills or night sweats") gives one Finding each.
func Negations(s string, toks []Token, sentences []TokenRange) []Finding {
	var out []Finding
	for _, sen := range sentences {
		for i := sen.From; i < sen.To; {
			if n := matchAt(toks, i, sen.To, pseudoNegations); n > 0 {
				i += n
				continue
			}
			if n := matchAt(toks, i, sen.To, preNegations); n > 0 {
				trigger := joinNorm(toks[i : i+n])
				end := scopeForward(toks, i+n, sen.To)
				out = append(out, findings(s, toks, i+n, end, trigger)...)
				i += n
				continue
			}
			if n := matchAt(toks, i, sen.To, postNegations); n > 0 {
				trigger := joinNorm(toks[i : i+n])
				start := scopeBackward(toks, sen.From, i)
				out = append(out, findings(s, toks, start, i, trigger)...)
				i += n
				continue
			}
			i++
		}
	}
	return out
}

func joinNorm(toks []Token) string {
	ws := make([]string, len(toks))
	for i, t := range toks {
		ws[i] = t.Norm
	}
	return strings.Join(ws, " ")
}

// scopeForward returns the end of the scope that starts at toks[i].
func scopeForward(toks []Token, i, to int) int {
	words := 0
	for j := i; j < to; j++ {
		t := toks[j]
		if scopeEnds[t.Norm] || matchAt(toks, j, to, terminations) > 0 || matchAt(toks, j, to, pseudoNegations) > 0 ||
			(j > i && matchAt(toks, j, to, preNegations) > 0 && !listBreaks[t.Norm]) {
			return j
		}
		if t.Kind != Punct {
			if words++; words > negationWindow {
				return j
			}
		}
	}
	return to
}

// scopeBackward returns the start of the scope that ends before toks[i].
func scopeBackward(toks []Token, from, i int) int {
	words := 0
	for j := i - 1; j >= from; j-- {
		t := toks[j]
		if scopeEnds[t.Norm] || matchAt(toks, j, i, terminations) > 0 || matchAt(toks, j, i, preNegations) > 0 && !listBreaks[t.Norm] {
			return j + 1
		}
		if t.Kind != Punct {
			if words++; words > negationWindow {
				return j + 1
			}
		}
	}
	return from
}

// findings splits the scope toks[from:to] at list breaks into findings,
// trimming stop words at either end.
func findings(s string, toks []Token, from, to int, trigger string) []Finding {
	var out []Finding
	emit := func(a, b int) {
		for a < b && (toks[a].Kind == Punct || IsStopWord(toks[a].Norm) || fillers[toks[a].Norm]) {
			a++
		}
		for b > a && (toks[b-1].Kind == Punct || IsStopWord(toks[b-1].Norm)) {
			b--
		}
		if a < b {
			out = append(out, Finding{Text: s[toks[a].Start:toks[b-1].End], Start: toks[a].Start, End: toks[b-1].End, Trigger: trigger})
		}
	}
	a := from
	for j := from; j < to; j++ {
		if listBreaks[toks[j].Norm] {
			emit(a, j)
			a = j + 1
		}
	}
	emit(a, to)
	return out
}

// fillers are words that open a negated phrase without being the finding:
// "no acute distress" keeps "acute", but "no evidence of" is a trigger and
// "any", "significant" or "other" are not part of what is denied.
var fillers = map[string]bool{"any": true, "other": true, "significant": true, "obvious": true, "further": true, "known": true, "history": true, "evidence": true, "signs": true}
