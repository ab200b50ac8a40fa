package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDeidCommands runs galen deid and galen eval deid on a hand-written
// PhysioNet file and gold file.
func TestDeidCommands(t *testing.T) {
	dir := t.TempDir()
	notes := filepath.Join(dir, "notes.txt")
	// record 2's note starts with a multi-byte character: offsets count characters
	in := "START_OF_RECORD=7||||1||||\nPt seen by Dr. Abernathy on 3/4/98.\n||||END_OF_RECORD\n" +
		"START_OF_RECORD=7||||2||||\nÉté: Dr. Abernathy called 3/14/98.\n||||END_OF_RECORD\n"
	if err := os.WriteFile(notes, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := galenCmd(t, nil, "deid", notes, "--format", "physionet", "--json")
	if code != 0 {
		t.Fatalf("deid: %d %s", code, errOut)
	}
	var recs []struct {
		Patient, Record string
		Spans           []struct {
			Start, End int
			Type, Text string
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r struct {
			Patient, Record string
			Spans           []struct {
				Start, End int
				Type, Text string
			}
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		recs = append(recs, r)
	}
	// expected offsets counted by hand
	want := [][]string{{"15 24 NAME Abernathy", "28 34 DATE 3/4/98"}, {"9 18 NAME Abernathy", "26 33 DATE 3/14/98"}}
	if len(recs) != 2 {
		t.Fatalf("got %d records: %s", len(recs), out)
	}
	for i, r := range recs {
		var got []string
		for _, s := range r.Spans {
			got = append(got, strings.Join([]string{itoa(s.Start), itoa(s.End), s.Type, s.Text}, " "))
		}
		if r.Patient != "7" || strings.Join(got, "|") != strings.Join(want[i], "|") {
			t.Errorf("record %d: got %s %v, want %v", i+1, r.Patient, got, want[i])
		}
	}
	// surrogates: the same fake doctor in both of the patient's notes,
	// dates 10 days apart as before
	key := filepath.Join(dir, "key")
	os.WriteFile(key, []byte("secret"), 0o600)
	code, out, errOut = galenCmd(t, nil, "deid", notes, "--format", "physionet", "--mode", "surrogate", "--key-file", key)
	if code != 0 || strings.Contains(out, "Abernathy") || strings.Contains(out, "3/4/98") || !strings.Contains(out, "START_OF_RECORD=7||||2||||") {
		t.Fatalf("surrogate: %d %s %s", code, out, errOut)
	}
	gold := filepath.Join(dir, "gold.txt")
	// gold has one span the detector cannot know is PHI ("Pt") and lacks
	// none: span recall 4/5, precision 4/4
	os.WriteFile(gold, []byte("7 1 0 2 NAME Pt\n7 1 15 24 DOCTOR Abernathy\n7 1 28 34 DATE 3/4/98\n7 2 9 18 NAME Abernathy\n7 2 26 33 DATE 3/14/98\n"), 0o644)
	code, out, errOut = galenCmd(t, nil, "eval", "deid", "--data", notes, "--gold", gold, "--json")
	if code != 0 {
		t.Fatalf("eval: %d %s", code, errOut)
	}
	var sc struct {
		Span map[string]struct {
			Recall, Precision float64
			Gold              int
		}
	}
	if err := json.Unmarshal([]byte(out), &sc); err != nil {
		t.Fatal(err)
	}
	if a := sc.Span["all"]; a.Gold != 5 || a.Recall != 0.8 || a.Precision != 1 {
		t.Errorf("eval: %+v", sc.Span["all"])
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{name: "bad mode", args: []string{"deid", notes, "--mode", "blur"}, code: 2, want: "want tag, redact or surrogate"},
		{name: "no file", args: []string{"deid"}, code: 2, want: "no FILE"},
		{name: "bad physionet", args: []string{"deid", gold, "--format", "physionet"}, code: 1, want: "line 1: text outside a record"},
		{name: "gold past the end", args: []string{"eval", "deid", "--data", notes, "--gold", writeFile(t, dir, "g2", "7 1 0 999 NAME x\n")}, code: 1, want: "ends past"},
		{name: "gold unknown record", args: []string{"eval", "deid", "--data", notes, "--gold", writeFile(t, dir, "g3", "9 9 0 1 NAME x\n")}, code: 1, want: "lacks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := galenCmd(t, nil, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Errorf("got %d %q, want %d with %q", code, errOut, tc.code, tc.want)
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func writeFile(t *testing.T, dir, name, content string) string {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
