package deid

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Counts are the tallies behind recall and precision: TP and FN over gold
// units, PTP and FP over predicted units (a predicted unit is a true
// positive when it lies in any gold span, so PTP may differ from TP).
type Counts struct {
	TP, FN, PTP, FP int
}

// Recall is TP / (TP + FN); 1 when there is nothing to find.
func (c Counts) Recall() float64 { return ratio(c.TP, c.TP+c.FN) }

// Precision is PTP / (PTP + FP); 1 when nothing was predicted.
func (c Counts) Precision() float64 { return ratio(c.PTP, c.PTP+c.FP) }

// F1 is the harmonic mean of recall and precision.
func (c Counts) F1() float64 {
	r, p := c.Recall(), c.Precision()
	if r+p == 0 {
		return 0
	}
	return 2 * r * p / (r + p)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

func (c *Counts) add(o Counts) { c.TP += o.TP; c.FN += o.FN; c.PTP += o.PTP; c.FP += o.FP }

// Score is the result of an evaluation: per type, per category and
// overall, at span and token level. Recall of a type counts its gold units
// found by a prediction of any type (what matters for privacy); precision
// of a type counts its predicted units that lie in a gold span of any type.
type Score struct {
	Span, Token        map[string]Counts // keys: types, "cat:<category>", "all"
	Records, GoldSpans int
}

// Evaluate scores predicted spans against gold spans for each text. A
// gold span is found at span level when predictions cover all its letters
// and digits; a predicted span is right when it overlaps a gold span. At
// token level, the units are the word and number tokens of the text.
func Evaluate(texts []string, gold, pred [][]Span) Score {
	sc := Score{Span: map[string]Counts{}, Token: map[string]Counts{}, Records: len(texts)}
	for i, text := range texts {
		runes := []rune(text)
		gcov := coverage(len(runes), gold[i])
		pcov := coverage(len(runes), pred[i])
		sc.GoldSpans += len(gold[i])
		for _, g := range gold[i] {
			c := Counts{}
			if coveredAlnum(runes, pcov, g.Start, g.End) {
				c.TP = 1
			} else {
				c.FN = 1
			}
			sc.addSpan(g.Type, c, true)
		}
		for _, p := range pred[i] {
			c := Counts{}
			if anyCovered(gcov, p.Start, p.End) {
				c.PTP = 1
			} else {
				c.FP = 1
			}
			sc.addSpan(p.Type, c, false)
		}
		gtype := typeAt(len(runes), gold[i])
		ptype := typeAt(len(runes), pred[i])
		for _, t := range Tokenize(text) {
			if !isWordRune([]rune(t.Text)[0]) {
				continue
			}
			s := len([]rune(text[:t.Start]))
			e := s + len([]rune(t.Text))
			gt, pt := majority(gtype[s:e]), majority(ptype[s:e])
			if gt != "" {
				c := Counts{FN: 1}
				if pt != "" {
					c = Counts{TP: 1}
				}
				sc.addToken(gt, c)
			}
			if pt != "" {
				c := Counts{FP: 1}
				if gt != "" {
					c = Counts{PTP: 1}
				}
				sc.addToken(pt, c)
			}
		}
	}
	return sc
}

func (sc *Score) addSpan(t Type, c Counts, _ bool) {
	for _, k := range []string{string(t), "cat:" + string(t.Category()), "all"} {
		v := sc.Span[k]
		v.add(c)
		sc.Span[k] = v
	}
}

func (sc *Score) addToken(t Type, c Counts) {
	for _, k := range []string{string(t), "cat:" + string(t.Category()), "all"} {
		v := sc.Token[k]
		v.add(c)
		sc.Token[k] = v
	}
}

func coverage(n int, spans []Span) []bool {
	cov := make([]bool, n)
	for _, s := range spans {
		for i := max(s.Start, 0); i < min(s.End, n); i++ {
			cov[i] = true
		}
	}
	return cov
}

func typeAt(n int, spans []Span) []Type {
	ts := make([]Type, n)
	for _, s := range spans {
		for i := max(s.Start, 0); i < min(s.End, n); i++ {
			ts[i] = s.Type
		}
	}
	return ts
}

// majority returns the type covering most characters of a token, or ""
// when most are uncovered.
func majority(ts []Type) Type {
	cnt := map[Type]int{}
	for _, t := range ts {
		cnt[t]++
	}
	best, n := Type(""), cnt[""]
	for t, c := range cnt {
		if t != "" && c > n {
			best, n = t, c
		}
	}
	return best
}

func coveredAlnum(runes []rune, cov []bool, s, e int) bool {
	for i := max(s, 0); i < min(e, len(runes)); i++ {
		if isWordRune(runes[i]) && !cov[i] {
			return false
		}
	}
	return true
}

func anyCovered(cov []bool, s, e int) bool {
	for i := max(s, 0); i < min(e, len(cov)); i++ {
		if cov[i] {
			return true
		}
	}
	return false
}

// Keys returns the score's rows in report order: overall, categories,
// then the types that occur.
func (sc Score) Keys() []string {
	keys := []string{"all"}
	for _, c := range Categories {
		keys = append(keys, "cat:"+string(c))
	}
	var types []string
	for k := range sc.Span {
		if !strings.Contains(k, ":") && k != "all" {
			types = append(types, k)
		}
	}
	for k := range sc.Token {
		if !strings.Contains(k, ":") && k != "all" {
			if _, ok := sc.Span[k]; !ok {
				types = append(types, k)
			}
		}
	}
	sort.Strings(types)
	return append(keys, types...)
}

// WriteTable writes the score as a plain-text table.
func (sc Score) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "%-14s %7s %7s %7s %7s | %7s %7s %7s %7s\n", "type", "gold", "span R", "span P", "span F1", "tokens", "tok R", "tok P", "tok F1")
	for _, k := range sc.Keys() {
		s, t := sc.Span[k], sc.Token[k]
		fmt.Fprintf(w, "%-14s %7d %7.4f %7.4f %7.4f | %7d %7.4f %7.4f %7.4f\n", k, s.TP+s.FN, s.Recall(), s.Precision(), s.F1(), t.TP+t.FN, t.Recall(), t.Precision(), t.F1())
	}
}
