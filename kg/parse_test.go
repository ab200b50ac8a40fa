package kg

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestParseOBO(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "data", "disease-ontology", "HumanDO.obo"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	terms, problems, err := ParseOBO(f)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, tm := range terms {
		ids = append(ids, tm.ID)
	}
	if got, want := strings.Join(ids, " "), "DOID:4 DOID:10763 DOID:999 DOID:5"; got != want {
		t.Errorf("terms = %s, want %s (the Typedef left out)", got, want)
	}
	if len(problems) != 1 || problems[0].Line != 24 {
		t.Errorf("problems = %+v, want one at line 24", problems)
	}
	h := terms[1]
	if h.Line != 8 || h.Name != "hypertension" || h.Def != `A "vascular" disease.` || len(h.Synonyms) != 2 ||
		h.Synonyms[1] != (OBOSynonym{"HBP", "RELATED"}) || strings.Join(h.IsA, ",") != "DOID:4" ||
		strings.Join(h.Xrefs, ",") != "ICD10CM:I10,ICD9CM:401.9,OMIM:145500" {
		t.Errorf("hypertension = %+v", h)
	}
	if !terms[2].Obsolete || terms[1].Obsolete {
		t.Errorf("obsolete flags wrong")
	}
}

func TestOBOProblems(t *testing.T) {
	tests := []struct {
		name  string
		input string
		terms int
		lines []int
	}{
		{"term without id", "[Term]\nname: x\n", 0, []int{1}},
		{"unterminated synonym", "[Term]\nid: A:1\nsynonym: \"open EXACT []\n", 1, []int{3}},
		{"bad stanza header", "[Term\nid: A:1\n", 0, []int{1}},
		{"unquoted def", "[Term]\nid: A:1\ndef: plain\n", 1, []int{3}},
		{"empty file", "", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			terms, problems, err := ParseOBO(strings.NewReader(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			var lines []int
			for _, p := range problems {
				lines = append(lines, p.Line)
			}
			if len(terms) != tt.terms || !equalInts(lines, tt.lines) {
				t.Errorf("terms %d problems at %v, want %d and %v", len(terms), lines, tt.terms, tt.lines)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTable(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		need    []string
		wantErr string
		rows    []string // "line:a"
		drops   []string // "line:reason"
	}{
		{"ok", "a,b\n1,2\n3,4\n", []string{"a", "b"}, "", []string{"2:1", "3:3"}, nil},
		{"missing column", "a,c\n1,2\n", []string{"a", "b"}, "t.csv:1: missing column(s) b", nil, nil},
		{"ragged row", "a,b\n1,2\n3\n5,6\n", []string{"a"}, "", []string{"2:1", "4:5"}, []string{"3:1 fields, want 2"}},
		{"quoted newline", "a,b\n\"x\ny\",2\n7,8\n", []string{"a"}, "", []string{"2:x\ny", "4:7"}, nil},
		{"bare quote", "a,b\nx\"y,2\n7,8\n", []string{"a"}, "", []string{"3:7"}, []string{"2:malformed row: bare \" in non-quoted-field"}},
		{"empty", "", []string{"a"}, "t.csv: empty file, want a header row", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb, err := newTable(strings.NewReader(tt.input), "t.csv", ',', tt.need...)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			rep := &Report{}
			var rows []string
			if err := forEachRow(tb, rep, func(r row) error {
				rows = append(rows, itoa(r.Line)+":"+r.get("a"))
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			var drops []string
			for _, d := range rep.Examples {
				drops = append(drops, itoa(d.Line)+":"+d.Reason)
			}
			if strings.Join(rows, "|") != strings.Join(tt.rows, "|") || strings.Join(drops, "|") != strings.Join(tt.drops, "|") {
				t.Errorf("rows %q drops %q, want %q and %q", rows, drops, tt.rows, tt.drops)
			}
		})
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// FuzzParseOBO checks that no input makes the OBO parser fail or panic,
// and that every term it returns has an id.
func FuzzParseOBO(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "data", "disease-ontology", "HumanDO.obo"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte("[Term]\nid: A:1\nsynonym: \"a\\\"b\" EXACT []\nis_a: A:2 {x} ! y\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		terms, _, err := ParseOBO(bytes.NewReader(b))
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !strings.Contains(err.Error(), "token too long") {
			t.Fatalf("ParseOBO: %v", err)
		}
		for _, tm := range terms {
			if tm.ID == "" {
				t.Fatalf("term without id at line %d", tm.Line)
			}
		}
	})
}

// FuzzTable checks that the CSV/TSV reader never panics, reports every
// malformed row with a line, and returns rows as wide as the header.
func FuzzTable(f *testing.F) {
	f.Add([]byte("a,b\n1,2\n3\n\"x\ny\",4\n"), false)
	f.Add([]byte("doid\tname\nDOID:1\tx\n"), true)
	f.Fuzz(func(t *testing.T, b []byte, tab bool) {
		comma := ','
		if tab {
			comma = '\t'
		}
		tb, err := newTable(bytes.NewReader(b), "f", comma)
		if err != nil {
			return
		}
		rep := &Report{}
		err = forEachRow(tb, rep, func(r row) error {
			if len(r.fields) != len(tb.header) {
				t.Fatalf("row of %d fields, header of %d", len(r.fields), len(tb.header))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("forEachRow: %v", err)
		}
		for _, d := range rep.Examples {
			if d.Line <= 0 {
				t.Fatalf("drop without a line: %+v", d)
			}
		}
	})
}

func TestCleanText(t *testing.T) {
	tests := []struct {
		name, in, want string
		n              int
	}{
		{"ascii", "abcdef", "abc...", 3},
		{"no cut", "abc", "abc", 3},
		{"inside a character", "aé", "a...", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clip(tt.in, tt.n); got != tt.want {
				t.Errorf("clip(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
		})
	}
	if got := cleanField("a\xffb\x00c"); got != "a\uFFFDbc" {
		t.Errorf("cleanField = %q", got)
	}
}
