package deid

import (
	"unicode"
	"unicode/utf8"
)

// This file holds the minimal tokeniser and sentence splitter that
// de-identification needs. It is to be unified with the clinical text
// pipeline (package text) once that lands, so that Galen keeps one
// tokeniser.

// Token is a word, a number or one punctuation character, with its byte
// offsets in the text.
type Token struct {
	Start, End int
	Text       string
}

// Tokenize splits text into tokens: runs of letters and digits (with an
// apostrophe or hyphen inside a word kept, as in O'Brien), and every other
// non-space character on its own.
func Tokenize(text string) []Token {
	var toks []Token
	i := 0
	for i < len(text) {
		r, n := utf8.DecodeRuneInString(text[i:])
		switch {
		case unicode.IsSpace(r):
			i += n
		case isWordRune(r):
			j := i + n
			for j < len(text) {
				r2, n2 := utf8.DecodeRuneInString(text[j:])
				if isWordRune(r2) {
					j += n2
					continue
				}
				// an apostrophe between letters stays inside the word
				if r2 == '\'' && j+n2 < len(text) {
					r3, _ := utf8.DecodeRuneInString(text[j+n2:])
					p, _ := utf8.DecodeLastRuneInString(text[i:j])
					if unicode.IsLetter(r3) && unicode.IsLetter(p) && !(r3 == 's' && (j+n2+1 >= len(text) || !isWordByte(text[j+n2+1]))) {
						j += n2
						continue
					}
				}
				break
			}
			toks = append(toks, Token{i, j, text[i:j]})
			i = j
		default:
			toks = append(toks, Token{i, i + n, text[i : i+n]})
			i += n
		}
	}
	return toks
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b >= 0x80
}

// abbreviations end with a period that does not end a sentence.
var abbreviations = map[string]bool{
	"dr": true, "mr": true, "mrs": true, "ms": true, "st": true, "jr": true, "sr": true, "prof": true, "vs": true,
	"no": true, "apt": true, "ave": true, "rd": true, "blvd": true, "ft": true, "mt": true, "e.g": true, "i.e": true,
	"approx": true, "pt": true, "hx": true, "fig": true, "inc": true, "co": true, "dept": true, "ext": true,
}

// Sentences splits tokens into sentences: at a line break, and after ".",
// "!" or "?" followed by a capital letter or digit, unless the period ends
// an abbreviation or an initial. No sentence is longer than maxLen tokens
// (longer runs are cut into pieces); maxLen <= 0 means no limit. Each
// sentence is a [start, end) range of token indices.
func Sentences(text string, toks []Token, maxLen int) [][2]int {
	var out [][2]int
	start := 0
	cut := func(end int) {
		for maxLen > 0 && end-start > maxLen {
			out = append(out, [2]int{start, start + maxLen})
			start += maxLen
		}
		if end > start {
			out = append(out, [2]int{start, end})
		}
		start = end
	}
	for i := range toks {
		if i > start && hasNewline(text[toks[i-1].End:toks[i].Start]) {
			cut(i)
		}
		t := toks[i].Text
		if (t == "." || t == "!" || t == "?") && i+1 < len(toks) {
			gap := text[toks[i].End:toks[i+1].Start]
			if gap == "" {
				continue
			}
			next, _ := utf8.DecodeRuneInString(toks[i+1].Text)
			if !unicode.IsUpper(next) && !unicode.IsDigit(next) {
				continue
			}
			if t == "." && i > 0 && toks[i-1].End == toks[i].Start {
				prev := toks[i-1].Text
				if abbreviations[lower(prev)] || utf8.RuneCountInString(prev) == 1 && unicode.IsUpper([]rune(prev)[0]) {
					continue
				}
			}
			cut(i + 1)
		}
	}
	cut(len(toks))
	return out
}

func hasNewline(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return true
		}
	}
	return false
}
