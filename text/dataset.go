package text

import (
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/galenhealth/galen"
)

// Example is one labelled text; Line is its line in the file it came from.
type Example struct {
	Line  int
	Text  string
	Label string
}

// ReadReport counts the rows ReadCSV skipped.
type ReadReport struct {
	Rows       int // data rows read
	EmptyText  int // text empty or "NA"
	EmptyLabel int // label empty or "NA"
}

// MaxCSVField is the longest text ReadCSV accepts in one field (1 MiB).
const MaxCSVField = 1 << 20

// ReadCSV reads labelled texts from a CSV file with a header row. Rows with
// an empty or "NA" text or label are skipped and counted; a missing column,
// a row with the wrong number of fields, text that is not UTF-8 or a field
// over MaxCSVField is an EINVALID error naming the line.
func ReadCSV(r io.Reader, textCol, labelCol string) ([]Example, ReadReport, error) {
	var rep ReadReport
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, rep, galen.Errorf(galen.EINVALID, "csv: empty file, want a header row")
	}
	if err != nil {
		return nil, rep, csvError(err)
	}
	ti, li := -1, -1
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))
		if h == textCol {
			ti = i
		}
		if h == labelCol {
			li = i
		}
	}
	var missing []string
	if ti < 0 {
		missing = append(missing, fmt.Sprintf("text column %q", textCol))
	}
	if li < 0 {
		missing = append(missing, fmt.Sprintf("label column %q", labelCol))
	}
	if len(missing) > 0 {
		return nil, rep, galen.Errorf(galen.EINVALID, "csv line 1: no %s in header %q", strings.Join(missing, " and no "), header)
	}
	var out []Example
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, rep, csvError(err)
		}
		line, _ := cr.FieldPos(ti)
		rep.Rows++
		txt, lab := rec[ti], strings.TrimSpace(rec[li])
		for _, f := range []struct{ name, v string }{{textCol, txt}, {labelCol, lab}} {
			if !utf8.ValidString(f.v) {
				return nil, rep, galen.Errorf(galen.EINVALID, "csv line %d: column %q is not valid UTF-8", line, f.name)
			}
			if len(f.v) > MaxCSVField {
				return nil, rep, galen.Errorf(galen.EINVALID, "csv line %d: column %q has %d bytes, more than %d", line, f.name, len(f.v), MaxCSVField)
			}
		}
		switch {
		case strings.TrimSpace(txt) == "" || txt == "NA":
			rep.EmptyText++
		case lab == "" || lab == "NA":
			rep.EmptyLabel++
		default:
			out = append(out, Example{Line: line, Text: txt, Label: lab})
		}
	}
	return out, rep, nil
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return galen.Errorf(galen.EINVALID, "csv line %d, column %d: %v", pe.Line, pe.Column, pe.Err)
	}
	return galen.Errorf(galen.EINVALID, "csv: %v", err)
}

// ResolveReport says what Resolve kept and dropped, and why.
type ResolveReport struct {
	Examples         int            // examples in
	DistinctTexts    int            // texts after whitespace normalisation
	Duplicates       int            // examples that repeat a text with the same label (kept once)
	DroppedLabel     int            // distinct texts whose only labels were in drop
	Ambiguous        int            // distinct texts with two or more remaining labels (dropped)
	SmallClasses     map[string]int // classes under the minimum, with their sizes (dropped)
	Kept             int
	ClassSizes       map[string]int
	DroppedLabels    []string
	MinClassExamples int
}

// Resolve turns raw examples into a clean single-label set. Texts are
// compared after collapsing whitespace; a text that appears several times
// is one example, so that no copy of a test text is trained on. The labels
// in drop (e.g. note types such as "Surgery" or "Discharge Summary" that
// are not specialties) are removed from each text's label set; a text left
// with exactly one label keeps it, a text left with none or with two or
// more (which label is right cannot be told) is dropped. Classes with
// fewer than minPerClass texts are then dropped. Examples come back in the
// order of their first appearance.
func Resolve(in []Example, drop []string, minPerClass int) ([]Example, ResolveReport) {
	rep := ResolveReport{Examples: len(in), SmallClasses: map[string]int{}, ClassSizes: map[string]int{}, DroppedLabels: slices.Sorted(slices.Values(drop)), MinClassExamples: minPerClass}
	dropSet := map[string]bool{}
	for _, d := range drop {
		dropSet[d] = true
	}
	type group struct {
		first  Example
		labels map[string]bool
	}
	var order []string
	groups := map[string]*group{}
	for _, e := range in {
		key := strings.Join(strings.Fields(e.Text), " ")
		g := groups[key]
		if g == nil {
			g = &group{first: e, labels: map[string]bool{}}
			groups[key] = g
			order = append(order, key)
		} else if g.labels[e.Label] {
			rep.Duplicates++
		}
		g.labels[e.Label] = true
	}
	rep.DistinctTexts = len(order)
	var kept []Example
	for _, key := range order {
		g := groups[key]
		var labels []string
		for l := range g.labels {
			if !dropSet[l] {
				labels = append(labels, l)
			}
		}
		switch len(labels) {
		case 0:
			rep.DroppedLabel++
		case 1:
			e := g.first
			e.Label = labels[0]
			kept = append(kept, e)
		default:
			rep.Ambiguous++
		}
	}
	sizes := map[string]int{}
	for _, e := range kept {
		sizes[e.Label]++
	}
	out := kept[:0]
	for _, e := range kept {
		if sizes[e.Label] >= minPerClass {
			out = append(out, e)
		}
	}
	for l, n := range sizes {
		if n < minPerClass {
			rep.SmallClasses[l] = n
		} else {
			rep.ClassSizes[l] = n
		}
	}
	rep.Kept = len(out)
	return out, rep
}

// Labels returns the sorted distinct labels of examples.
func Labels(ex []Example) []string {
	set := map[string]bool{}
	for _, e := range ex {
		set[e.Label] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// StratifiedSplit splits the indexes of labels into two parts, about frac of
// each class in the second; each class with at least two members has at
// least one in each part. The split depends only on the labels and the
// seed. Both parts come back sorted.
func StratifiedSplit(labels []string, frac float64, seed uint64) (first, second []int) {
	byClass := map[string][]int{}
	for i, l := range labels {
		byClass[l] = append(byClass[l], i)
	}
	rng := rand.New(rand.NewPCG(seed, 0x7e47))
	for _, l := range slices.Sorted(maps.Keys(byClass)) {
		idx := byClass[l]
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		k := int(frac*float64(len(idx)) + 0.5)
		if len(idx) >= 2 {
			k = min(max(k, 1), len(idx)-1)
		}
		second = append(second, idx[:k]...)
		first = append(first, idx[k:]...)
	}
	slices.Sort(first)
	slices.Sort(second)
	return first, second
}

// Split is the fixed partition of a labelled set: test is held out (a
// stratified fraction of all), validation is a stratified fraction of the
// rest, which chooses hyper-parameters, thresholds and calibration; the
// final model trains on train+validation.
type Split struct {
	Train, Validation, Test []int
}

// MakeSplit returns the stratified split with test fraction testFrac and
// validation fraction valFrac of the remainder, from seed.
func MakeSplit(labels []string, testFrac, valFrac float64, seed uint64) Split {
	rest, test := StratifiedSplit(labels, testFrac, seed)
	sub := make([]string, len(rest))
	for i, r := range rest {
		sub[i] = labels[r]
	}
	tr, va := StratifiedSplit(sub, valFrac, seed+1)
	s := Split{Test: test}
	for _, i := range tr {
		s.Train = append(s.Train, rest[i])
	}
	for _, i := range va {
		s.Validation = append(s.Validation, rest[i])
	}
	slices.SortFunc(s.Train, cmp.Compare)
	return s
}

// MTSamplesNoteTypes are the mtsamples labels that name a kind of note or
// report rather than a clinical specialty; Resolve drops them, so that a
// note filed under both "Surgery" and "Urology" is a Urology note.
// "Radiology" is here too: its notes are imaging reports filed alongside
// the organ's specialty (Neurology, Cardiovascular / Pulmonary ...).
var MTSamplesNoteTypes = []string{
	"Surgery", "Consult - History and Phy.", "SOAP / Chart / Progress Notes", "Discharge Summary",
	"Office Notes", "Letters", "Emergency Room Reports", "IME-QME-Work Comp etc.", "Radiology",
	"Autopsy", "Lab Medicine - Pathology",
}

// MTSamplesMinPerClass is the smallest specialty the built-in model keeps:
// with 30 notes, the 20 % test split holds 6, the validation split 5.
const MTSamplesMinPerClass = 30
