package text

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Normalize returns s in Unicode NFKC form with the typographic variants
// that clinical notes pasted from word processors carry mapped to plain
// ASCII: curly quotes, dashes, non-breaking and other spaces, the
// ellipsis. Control characters other than tab and newline are removed and
// CRLF becomes LF. Normalize is for text that is shown or stored; the
// tokeniser normalises each token itself so that its offsets stay in the
// original text.
func Normalize(s string) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		switch {
		case r == '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				continue
			}
			b.WriteByte('\n')
		case r == '\t' || r == '\n':
			b.WriteRune(r)
		case unicode.IsControl(r) || r == '\uFEFF' || r == '\u200B' || r == '\u200C' || r == '\u200D':
			// dropped: controls, byte-order mark, zero-width characters
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		default:
			b.WriteString(foldRune(r))
		}
	}
	return b.String()
}

// foldRune maps typographic punctuation to its ASCII form.
func foldRune(r rune) string {
	switch r {
	case '\u2018', '\u2019', '\u201A', '\u201B', '\u2032':
		return "'"
	case '\u201C', '\u201D', '\u201E', '\u201F', '\u2033':
		return `"`
	case '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212':
		return "-"
	case '\u2026':
		return "..."
	case '\u2022':
		return "*"
	}
	return string(r)
}

// normToken is the form of one token's text used for features and
// vocabularies: NFKC, typographic punctuation folded, lower case.
func normToken(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKC.String(s) {
		if unicode.IsSpace(r) {
			b.WriteByte(' ')
			continue
		}
		b.WriteString(foldRune(unicode.ToLower(r)))
	}
	return b.String()
}
