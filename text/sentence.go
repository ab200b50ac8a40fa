package text

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Span is a part of a text by byte offsets: text[Start:End].
type Span struct{ Start, End int }

// Sentences splits a tokenised text into sentences, as spans of toks
// (indexes [From, To)). A sentence ends after '.', '!' or '?' when the next
// token does not start with a lower-case letter, at a blank line, and
// before a section header. Abbreviations ("Dr.", "b.i.d.") and decimals
// ("0.5 mg") are tokens of their own, so their periods never end a
// sentence. Leading punctuation is not part of a sentence and sentences
// of punctuation only are dropped.
func Sentences(s string, toks []Token, sections []Section) []TokenRange {
	headerAt := map[int]bool{}
	for _, sec := range sections {
		headerAt[sec.HeaderStart] = true
	}
	var out []TokenRange
	from := 0
	flush := func(to int) {
		for from < to && toks[from].Kind == Punct && !strings.ContainsAny(toks[from].Text, "(\"'[") {
			from++
		}
		if from < to {
			out = append(out, TokenRange{From: from, To: to})
		}
		from = to
	}
	for i := range toks {
		if i > from && (headerAt[toks[i].Start] || strings.Count(s[toks[i-1].End:toks[i].Start], "\n") >= 2) {
			flush(i)
		}
		t := toks[i]
		if t.Kind == Punct && (t.Text == "." || t.Text == "!" || t.Text == "?") {
			if i+1 == len(toks) || !startsLower(toks[i+1].Text) {
				flush(i + 1)
			}
		}
	}
	flush(len(toks))
	return out
}

// TokenRange is a run of tokens toks[From:To].
type TokenRange struct{ From, To int }

// Span returns the byte span of the range in the text.
func (r TokenRange) Span(toks []Token) Span {
	return Span{Start: toks[r.From].Start, End: toks[r.To-1].End}
}

func startsLower(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLower(r)
}
