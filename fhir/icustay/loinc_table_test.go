package icustay_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/galenhealth/galen/fhir/icustay"
)

const (
	loincDoc   = "../../docs/outcome.md"
	loincBegin = "<!-- BEGIN LOINC: generated from icustay.Codes by `go test ./fhir/icustay -run TestLOINCTable -update` -->\n"
	loincEnd   = "<!-- END LOINC -->"
)

// loincTable renders Codes as the LOINC map of docs/outcome.md: each
// variable, its LOINC code, the other codes read as it, its unit, and the
// units converted to it.
func loincTable(codes []icustay.Code) string {
	rows := [][]string{{"variable", "LOINC", "also read", "unit (UCUM)", "converted from"}}
	for _, c := range codes {
		loinc := c.LOINC
		if loinc == "" {
			loinc = "-"
		}
		from := slices.DeleteFunc(c.Units(), func(u string) bool { return u == c.Unit })
		rows = append(rows, []string{c.Variable, loinc, strings.Join(c.Aliases, ", "), c.Unit, strings.Join(from, ", ")})
	}
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, cell := range r {
			width[i] = max(width[i], len([]rune(cell)))
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		for i, cell := range cells {
			b.WriteString("| " + cell + strings.Repeat(" ", width[i]-len([]rune(cell))) + " ")
		}
		b.WriteString("|\n")
	}
	line(rows[0])
	dashes := make([]string, len(width))
	for i, w := range width {
		dashes[i] = strings.Repeat("-", w)
	}
	b.WriteString("|-" + strings.Join(dashes, "-|-") + "-|\n")
	for _, r := range rows[1:] {
		line(r)
	}
	return b.String()
}

// TestLOINCTable keeps the LOINC map in docs/outcome.md equal to Codes;
// run with -update after changing Codes.
func TestLOINCTable(t *testing.T) {
	b, err := os.ReadFile(loincDoc)
	if err != nil {
		t.Fatalf("read %s: %v", loincDoc, err)
	}
	doc := string(b)
	i, j := strings.Index(doc, loincBegin), strings.Index(doc, loincEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the LOINC table markers %q ... %q", loincDoc, loincBegin, loincEnd)
	}
	want := loincTable(icustay.Codes)
	if doc[i+len(loincBegin):j] == want {
		return
	}
	if *update {
		if err := os.WriteFile(loincDoc, []byte(doc[:i+len(loincBegin)]+want+doc[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the LOINC table of %s is out of date; run: go test ./fhir/icustay -run TestLOINCTable -update\nwant:\n%s", loincDoc, want)
}

// TestLOINCTableInPackageDoc keeps the copy of the LOINC map in the
// package documentation (doc.go, for go doc) equal to Codes too.
func TestLOINCTableInPackageDoc(t *testing.T) {
	const path = "doc.go"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	first := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "//\t| variable") })
	if first < 0 {
		t.Fatalf("%s has no LOINC table", path)
	}
	last := first
	for last < len(lines) && strings.HasPrefix(lines[last], "//\t|") {
		last++
	}
	var want []string
	for _, l := range strings.Split(strings.TrimSuffix(loincTable(icustay.Codes), "\n"), "\n") {
		want = append(want, "//\t"+l)
	}
	if slices.Equal(lines[first:last], want) {
		return
	}
	if *update {
		out := slices.Concat(lines[:first], want, lines[last:])
		if err := os.WriteFile(path, []byte(strings.Join(out, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the LOINC table of %s is out of date; run: go test ./fhir/icustay -run TestLOINCTable -update", path)
}

// TestLOINCTableRows checks the rendering against rows written by hand.
func TestLOINCTableRows(t *testing.T) {
	tests := []struct {
		name     string
		variable string
		want     string
	}{
		{"plain", "HR", "| HR | 8867-4 |  | /min |  |"},
		{"aliases and a conversion", "Temp", "| Temp | 8310-5 | 8329-5, 8331-1, 8328-7, 8333-7 | Cel | [degF] |"},
		{"the unit is not the first accepted", "FiO2", "| FiO2 | 3150-0 |  | 1 | % |"},
		{"two conversions", "Mg", "| Mg | 19123-9 | 2601-3 | mg/dL | mmol/L, meq/L |"},
		{"no LOINC", "ICUType", "| ICUType | - |  | 1 |  |"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := icustay.ByVariable(tt.variable)
			if !ok {
				t.Fatalf("no variable %s", tt.variable)
			}
			lines := strings.Split(strings.TrimSpace(loincTable([]icustay.Code{c})), "\n")
			got := strings.Join(strings.Fields(lines[2]), " ")
			if got != strings.Join(strings.Fields(tt.want), " ") {
				t.Errorf("row %q, want %q", got, tt.want)
			}
		})
	}
}
