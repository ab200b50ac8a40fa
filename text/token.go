package text

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind is what a token is.
type Kind uint8

// Token kinds.
const (
	Word   Kind = iota // letters and digits, with inner hyphens or apostrophes: "Roux-en-Y", "patient's", "L4-L5"
	Number             // a number with its unit or dose when it has one: "5 mg", "120/80 mmHg", "0.5", "5-10 mg"
	Abbrev             // a clinical abbreviation with periods or slashes: "b.i.d.", "q.d.", "s/p", "Dr."
	Punct              // one punctuation or symbol character
)

func (k Kind) String() string {
	switch k {
	case Word:
		return "word"
	case Number:
		return "number"
	case Abbrev:
		return "abbrev"
	}
	return "punct"
}

// Token is one token of a text. Start and End are byte offsets into the
// original text, so text[Start:End] == Text; Norm is the normalised,
// lower-case form used for features (NFKC, typographic punctuation folded,
// the space inside "5 mg" kept as one space).
type Token struct {
	Text       string
	Norm       string
	Kind       Kind
	Start, End int
}

// periodWords are abbreviations written as one word and a period.
var periodWords = map[string]bool{
	"dr.": true, "mr.": true, "mrs.": true, "ms.": true, "vs.": true, "etc.": true, "approx.": true,
	"st.": true, "jr.": true, "sr.": true, "prof.": true, "fig.": true, "hrs.": true, "yrs.": true,
}

// openDotted are dotted abbreviations also written without their final period.
var openDotted = map[string]bool{
	"b.i.d": true, "t.i.d": true, "q.i.d": true, "q.d": true, "q.o.d": true, "q.h.s": true, "p.r.n": true,
	"p.o": true, "n.p.o": true, "q.a.m": true, "q.p.m": true,
}

// units are the units a number keeps: the first part of a compound unit
// ("mg" of "mg/kg/day").
var units = map[string]bool{
	"mg": true, "mcg": true, "µg": true, "μg": true, "ug": true, "g": true, "gm": true, "gram": true, "grams": true, "kg": true, "ng": true,
	"ml": true, "cc": true, "l": true, "dl": true, "mmhg": true, "mm": true, "cm": true, "%": true,
	"unit": true, "units": true, "iu": true, "meq": true, "mmol": true, "bpm": true, "lb": true, "lbs": true,
	"tab": true, "tabs": true, "tablet": true, "tablets": true, "cap": true, "caps": true, "capsule": true, "capsules": true,
	"puff": true, "puffs": true, "drop": true, "drops": true, "mgs": true, "°f": true, "°c": true, "mw": true, "mv": true,
}

// perUnits are the later parts of a compound unit: "/kg", "/day", "/min".
var perUnits = map[string]bool{
	"kg": true, "day": true, "d": true, "min": true, "hr": true, "h": true, "hour": true, "m2": true, "l": true, "dl": true,
	"ml": true, "dose": true, "week": true, "wk": true, "mmol": true, "s": true, "sec": true,
}

func isAlnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) }

// runeAt decodes the rune at byte i (utf8.RuneError, 1 past the end or for
// invalid bytes).
func runeAt(s string, i int) (rune, int) {
	if i >= len(s) {
		return utf8.RuneError, 0
	}
	return utf8.DecodeRuneInString(s[i:])
}

// alnumEnd returns the end of the run of letters and digits starting at i.
func alnumEnd(s string, i int) int {
	for i < len(s) {
		r, n := runeAt(s, i)
		if r == utf8.RuneError || !isAlnum(r) {
			break
		}
		i += n
	}
	return i
}

// boundary reports whether no letter or digit starts at byte i.
func boundary(s string, i int) bool {
	r, n := runeAt(s, i)
	return n == 0 || r == utf8.RuneError || !isAlnum(r)
}

// Tokenize splits s into tokens. Whitespace separates tokens and is not a
// token; bytes that are not valid UTF-8 are skipped. Tokens come in order,
// do not overlap and cover every other character of s.
func Tokenize(s string) []Token {
	var toks []Token
	for i := 0; i < len(s); {
		r, n := runeAt(s, i)
		if r == utf8.RuneError || unicode.IsSpace(r) || unicode.IsControl(r) {
			i += n
			continue
		}
		end, kind := i+n, Punct
		switch {
		case unicode.IsDigit(r):
			end, kind = scanNumber(s, i)
		case unicode.IsLetter(r):
			if e := scanAbbrev(s, i); e > i {
				end, kind = e, Abbrev
			} else {
				end, kind = scanWord(s, i), Word
			}
		}
		toks = append(toks, Token{Text: s[i:end], Norm: normToken(s[i:end]), Kind: kind, Start: i, End: end})
		i = end
	}
	return toks
}

// scanWord reads letters and digits with inner hyphens and apostrophes.
func scanWord(s string, i int) int {
	end := alnumEnd(s, i)
	for {
		r, n := runeAt(s, end)
		if r != '-' && r != '\'' && r != '\u2019' {
			return end
		}
		next := alnumEnd(s, end+n)
		if next == end+n {
			return end
		}
		end = next
	}
}

// scanAbbrev returns the end of a clinical abbreviation starting at i, or
// i when there is none: dotted short segments ("b.i.d.", "q.4h.", "e.g."),
// the open forms in openDotted ("b.i.d"), slash forms of one or two
// letters ("s/p", "n/v/d", "w/", "c/o") and the words in periodWords.
func scanAbbrev(s string, i int) int {
	// dotted: segments of 1-2 letters or digits, each followed by '.'
	j, segs := i, 0
	for {
		e := alnumEnd(s, j)
		if e == j || e-j > 2 || e >= len(s) || s[e] != '.' {
			break
		}
		j, segs = e+1, segs+1
	}
	if segs >= 2 && boundary(s, j) {
		return j
	}
	// open dotted forms: "b.i.d" before a space
	for k := i; k < len(s) && k-i <= 6; {
		r, n := runeAt(s, k)
		if !(isAlnum(r) || r == '.') {
			break
		}
		k += n
		if openDotted[strings.ToLower(s[i:k])] && boundary(s, k) && (k >= len(s) || s[k] != '.') {
			return k
		}
	}
	// slash forms: 1-2 letters "/" 1-2 letters ..., or "w/" alone
	j, segs = i, 0
	for {
		e := alnumEnd(s, j)
		if e == j || e-j > 2 || !isLetters(s[j:e]) {
			break
		}
		segs++
		j = e
		if j >= len(s) || s[j] != '/' {
			break
		}
		if boundary(s, j+1) && segs == 1 && e-i == 1 { // "w/", "s/"
			return j + 1
		}
		j++
	}
	if segs >= 2 && s[j-1] != '/' && boundary(s, j) {
		return j
	}
	// word and a period
	e := alnumEnd(s, i)
	if e < len(s) && s[e] == '.' && periodWords[strings.ToLower(s[i:e+1])] {
		return e + 1
	}
	return i
}

func isLetters(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

func digitsEnd(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// scanNumber reads a number starting at a digit: "1,000", "0.5", ratios and
// dates ("120/80", "12/05/2008"), ranges ("5-10"), then a unit when one
// follows directly, after one space or after a hyphen ("5 mg", "5mg",
// "12-mm", "120/80 mmHg", "2 mg/kg/day", "10%"). A number glued to other
// letters ("3rd", "4x") is a word.
func scanNumber(s string, i int) (int, Kind) {
	end := digitsEnd(s, i)
	if end == i { // a non-ASCII digit
		return scanWord(s, i), Word
	}
	for end+1 < len(s) && (s[end] == '.' || s[end] == ',' || s[end] == '/' || s[end] == '-' || s[end] == ':') &&
		s[end+1] >= '0' && s[end+1] <= '9' {
		if s[end] == ',' && digitsEnd(s, end+1)-(end+1) != 3 { // "3,4" is a list, "1,000" a number
			break
		}
		end = digitsEnd(s, end+1)
	}
	if e := scanUnit(s, end); e > end {
		return e, Number
	}
	if !boundary(s, end) {
		return scanWord(s, i), Word
	}
	return end, Number
}

// scanUnit returns the end of a unit that follows a number at i (after
// nothing, one space or a hyphen), or i when none does.
func scanUnit(s string, i int) int {
	if i < len(s) && s[i] == '%' {
		return i + 1
	}
	for _, gap := range []int{0, 1, 2} { // nothing, a space, a hyphen
		j := i
		switch r, n := runeAt(s, i); {
		case gap == 1 && r != '\n' && unicode.IsSpace(r), gap == 2 && r == '-':
			j += n
		case gap != 0:
			continue
		}
		u := j
		if strings.HasPrefix(s[j:], "°") {
			j += len("°")
		}
		e := alnumEnd(s, j)
		if e == j || !units[strings.ToLower(s[u:e])] {
			continue
		}
		for e < len(s) && s[e] == '/' { // compound: mg/kg/day
			f := alnumEnd(s, e+1)
			if f == e+1 || !perUnits[strings.ToLower(s[e+1:f])] {
				break
			}
			e = f
		}
		if boundary(s, e) {
			return e
		}
	}
	return i
}
