package deid

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Detector finds PHI in text: the rules, the dictionaries, and, when
// Tagger is set, the trained token classifier for what they miss. The
// union of all three is reported: recall comes first.
type Detector struct {
	// Tagger is the trained token classifier; nil runs rules and
	// dictionaries only.
	Tagger *Tagger
	// NoRules turns the rules and dictionaries off (to measure the
	// tagger alone).
	NoRules bool
}

// NewDetector returns a detector with the built-in tagger.
func NewDetector() (*Detector, error) {
	t, err := BuiltinTagger()
	if err != nil {
		return nil, err
	}
	return &Detector{Tagger: t}, nil
}

// Detect returns the PHI spans of text, sorted and not overlapping, with
// character offsets.
func (d *Detector) Detect(text string) []Span {
	return toSpans(text, d.detect(text))
}

func (d *Detector) detect(text string) []bspan {
	toks := Tokenize(text)
	var spans []bspan
	if !d.NoRules {
		spans = ruleSpans(text)
		spans = append(spans, dictSpans(text, toks)...)
	}
	if d.Tagger != nil {
		spans = append(spans, d.Tagger.spans(text, toks, spans)...)
	}
	spans = mergeSpans(spans)
	spans = mergeSpans(append(spans, propagate(text, spans)...))
	return snapToWords(text, spans)
}

// ruleSpans runs every rule over text.
func ruleSpans(text string) []bspan {
	d := loadDicts()
	var out []bspan
	for i := range rules {
		r := &rules[i]
		for _, m := range r.re.FindAllStringSubmatchIndex(text, -1) {
			s, e := m[2*r.group], m[2*r.group+1]
			if s < 0 || s == e {
				continue
			}
			typ := r.typ
			if r.check != nil {
				t, ok := r.check(text, m, s, e)
				if !ok {
					continue
				}
				if t != "" {
					typ = t
				}
			}
			if typ == Hospital || r.name == "city-state" {
				s = trimLeadingLower(text, s, e)
			} else if typ == Name || typ == City {
				var ok bool
				if s, e, ok = trimName(text, s, e, d); !ok {
					continue
				}
				if typ == Name && r.name != "name-last-first" && r.name != "name-field" {
					// a name ends before a credential or a comma
					s, e = cutNameTail(text, s, e)
				}
			}
			out = append(out, bspan{s, e, typ, "rule:" + r.name})
		}
	}
	return out
}

// cutNameTail keeps a name from running into a state or a hospital word.
func cutNameTail(text string, s, e int) (int, int) {
	toks := Tokenize(text[s:e])
	for i, t := range toks {
		if i > 0 && (hospitalHeads[lower(t.Text)] || t.Text == ",") {
			return s, s + toks[i-1].End
		}
	}
	return s, e
}

// dictSpans tags capitalised words found in the name and place lists that
// are not ordinary clinical vocabulary.
func dictSpans(text string, toks []Token) []bspan {
	d := loadDicts()
	var out []bspan
	for i := 0; i < len(toks); i++ {
		t := toks[i].Text
		if !isCapitalised(t) || utf8.RuneCountInString(t) < 2 {
			continue
		}
		lw := lower(t)
		allCaps := strings.ToUpper(t) == t
		if allCaps && utf8.RuneCountInString(t) < 3 {
			continue
		}
		common := d.common(t)
		// places of up to three words: "Fall River", "Salt Lake City"
		if n, ok := placeAt(text, toks, i, d); ok {
			out = append(out, bspan{toks[i].Start, toks[i+n-1].End, City, "dict:places"})
			i += n - 1
			continue
		}
		switch {
		case common:
		case allCaps:
			// header names: both neighbours or this one in the lists
			if d.first[lw] && i+1 < len(toks) && isAllCapsWord(toks[i+1].Text) && (d.last[lower(toks[i+1].Text)] || !d.common(toks[i+1].Text)) {
				out = append(out, bspan{toks[i].Start, toks[i+1].End, Name, "dict:names"})
				i++
			}
		case usStates[t] || eponymAt(toks, i):
		case d.first[lw] || d.last[lw]:
			out = append(out, bspan{toks[i].Start, toks[i].End, Name, "dict:names"})
		}
	}
	return out
}

// placeAt reports whether a place of the list starts at token i, and its
// length in tokens (longest first).
func placeAt(text string, toks []Token, i int, d *dicts) (int, bool) {
	for n := 3; n >= 1; n-- {
		if i+n > len(toks) {
			continue
		}
		ok := true
		for k := i; k < i+n; k++ {
			if !isCapitalised(toks[k].Text) || isAllCapsWord(toks[k].Text) && len(toks[k].Text) > 1 {
				ok = false
				break
			}
			if k > i && toks[k].Start != toks[k-1].End+1 {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		phrase := text[toks[i].Start:toks[i+n-1].End]
		lp := lower(phrase)
		if !d.places[lp] || usStatesLower[lp] {
			continue
		}
		if n == 1 && (d.common(phrase) || d.first[lp] || d.last[lp]) {
			continue
		}
		if n > 1 && allCommon(toks[i:i+n], d) {
			continue
		}
		return n, true
	}
	return 0, false
}

func allCommon(toks []Token, d *dicts) bool {
	for _, t := range toks {
		if !d.common(t.Text) {
			return false
		}
	}
	return true
}

func isCapitalised(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsUpper(r)
}

func isAllCapsWord(s string) bool {
	for _, r := range s {
		if !unicode.IsUpper(r) {
			return false
		}
	}
	return s != ""
}

// propagate tags every other occurrence, in the same text, of a word of a
// name, and of the whole text of any other span: a name found once in a
// note is found everywhere in it.
func propagate(text string, spans []bspan) []bspan {
	d := loadDicts()
	seen := map[string]Type{}
	for _, s := range spans {
		v := text[s.start:s.end]
		if s.source == "model" {
			continue // only what rules and lists found is repeated
		}
		if s.typ == Name {
			for _, t := range Tokenize(v) {
				if utf8.RuneCountInString(t.Text) >= 2 && isCapitalised(t.Text) && !d.common(t.Text) {
					seen[t.Text] = Name
				}
			}
			continue
		}
		if utf8.RuneCountInString(v) >= 4 && s.typ != Date && s.typ != Age {
			seen[v] = s.typ
		}
	}
	var out []bspan
	for v, typ := range seen {
		for from := 0; ; {
			i := strings.Index(text[from:], v)
			if i < 0 {
				break
			}
			s, e := from+i, from+i+len(v)
			from = e
			if s > 0 && isWordByte(text[s-1]) || e < len(text) && isWordByte(text[e]) {
				continue
			}
			out = append(out, bspan{s, e, typ, "document"})
		}
	}
	return out
}

// snapToWords widens spans that start or end inside a word to the whole
// word, so that no part of an identifier is left behind.
func snapToWords(text string, spans []bspan) []bspan {
	for i := range spans {
		s, e := spans[i].start, spans[i].end
		for s > 0 && isAlnumByte(text[s-1]) && isAlnumByte(text[s]) {
			s--
		}
		for e < len(text) && e > 0 && isAlnumByte(text[e]) && isAlnumByte(text[e-1]) {
			e++
		}
		spans[i].start, spans[i].end = s, e
	}
	return mergeSpans(spans)
}

func isAlnumByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// trimLeadingLower drops the lower-case and stop words that start a
// care-site phrase: "the Mercy Hospital" -> "Mercy Hospital".
func trimLeadingLower(text string, s, e int) int {
	for _, t := range Tokenize(text[s:e]) {
		if isCapitalised(t.Text) && !stopCaps[lower(t.Text)] {
			return s + t.Start
		}
	}
	return s
}

// eponymAt reports whether the capitalised word at i names an instrument,
// a sign or a disease rather than a person: "two Allis clamps", "the
// Kelly incision", "a Jackson-Pratt drain".
func eponymAt(toks []Token, i int) bool {
	j := i + 1
	for j < len(toks) && (toks[j].Text == "-" || toks[j].Text == "'s" || isCapitalised(toks[j].Text) && toks[j].Start == toks[j-1].End) {
		j++
	}
	if j < len(toks) && eponymNouns[lower(toks[j].Text)] {
		return true
	}
	if i > 0 && j < len(toks) {
		p := lower(toks[i-1].Text)
		if (p == "a" || p == "an" || p == "the" || p == "two" || p == "with") && !isCapitalised(toks[j].Text) && isWordRune([]rune(toks[j].Text)[0]) {
			return true
		}
	}
	return false
}

var eponymNouns = map[string]bool{
	"clamp": true, "clamps": true, "retractor": true, "retractors": true, "needle": true, "needles": true, "elevator": true,
	"valve": true, "drain": true, "drains": true, "catheter": true, "tube": true, "tubes": true, "stitch": true, "suture": true,
	"forceps": true, "scissors": true, "incision": true, "table": true, "splint": true, "splints": true, "arm": true,
	"maneuver": true, "sign": true, "test": true, "procedure": true, "operation": true, "syndrome": true, "disease": true,
	"fracture": true, "score": true, "scale": true, "criteria": true, "classification": true, "position": true,
	"frame": true, "reflex": true, "hook": true, "hooks": true, "dissector": true, "probe": true, "stockings": true,
	"speculum": true, "blade": true, "rongeur": true, "curette": true, "cannula": true, "stent": true, "pump": true,
	"bag": true, "mask": true, "technique": true, "repair": true, "approach": true, "method": true, "disorder": true,
	"palsy": true, "phenomenon": true, "point": true, "line": true, "ligament": true, "canal": true, "node": true,
	"nodes": true, "cell": true, "cells": true, "chorea": true, "lymphoma": true, "esophagus": true, "shunt": true,
	"medical": true, "dressing": true, "closure": true, "graft": true, "plate": true, "screw": true, "screws": true,
}
