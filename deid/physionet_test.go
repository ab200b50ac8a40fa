package deid

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestReadPhysioNet(t *testing.T) {
	in := "START_OF_RECORD=1||||1||||\nPt seen by Dr. Ávila.\nline two\n||||END_OF_RECORD\n\nSTART_OF_RECORD=1||||2||||\nSecond.\n||||END_OF_RECORD\n"
	recs, err := ReadPhysioNet(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Record{{"1", "1", "Pt seen by Dr. Ávila.\nline two\n"}, {"1", "2", "Second.\n"}}
	if len(recs) != len(want) {
		t.Fatalf("got %d records", len(recs))
	}
	for i := range want {
		if recs[i] != want[i] {
			t.Errorf("record %d: got %+v, want %+v", i, recs[i], want[i])
		}
	}
	var buf bytes.Buffer
	if err := WritePhysioNet(&buf, recs); err != nil {
		t.Fatal(err)
	}
	if buf.String() != strings.Replace(in, "\n\nSTART", "\nSTART", 1) {
		t.Errorf("round trip:\n%s", buf.String())
	}
}

func TestReadPhysioNetErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "text outside", in: "hello\n", want: "line 1: text outside a record"},
		{name: "no end", in: "START_OF_RECORD=1||||1||||\nabc\n", want: "has no END_OF_RECORD"},
		{name: "nested", in: "START_OF_RECORD=1||||1||||\nSTART_OF_RECORD=1||||2||||\n", want: "line 2: START_OF_RECORD inside record"},
		{name: "bad start", in: "START_OF_RECORD=1||||\n", want: "line 1: want START_OF_RECORD=<patient>||||<record>||||"},
		{name: "end outside", in: "||||END_OF_RECORD\n", want: "line 1: END_OF_RECORD outside a record"},
		{name: "bad utf8", in: "START_OF_RECORD=1||||1||||\n\xff\n||||END_OF_RECORD\n", want: "line 2: not valid UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadPhysioNet(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestReadGold(t *testing.T) {
	g, err := ReadGold(strings.NewReader("# comment\n1 1 15 20 NAME Ávila\n1 2 0 7 DOCTOR John Q\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(g) != 2 || g[0].Start != 15 || g[0].End != 20 || g[0].Type != Name || g[0].Text != "Ávila" || g[1].Type != Name || g[1].Text != "John Q" {
		t.Errorf("got %+v", g)
	}
	for _, bad := range []string{"1 1 x 3 NAME a\n", "1 1 5 3 NAME a\n", "1 1 3\n"} {
		if _, err := ReadGold(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: got %v", bad, err)
		}
	}
}

func TestReadJSONL(t *testing.T) {
	recs, err := ReadJSONL(strings.NewReader(`{"patient":"p","record":"r","text":"a"}` + "\n\n" + `{"text":"b"}` + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0] != (Record{"p", "r", "a"}) || recs[1] != (Record{"", "3", "b"}) {
		t.Errorf("got %+v", recs)
	}
	for _, bad := range []string{`{"patient":"p"}`, `{"text":1}`, `{"text":"a","x":1}`, `{"text":"a"} {}`} {
		if _, err := ReadJSONL(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: got %v", bad, err)
		}
	}
}

// FuzzReadPhysioNet: the reader never panics, and what it accepts writes
// back to text it reads the same.
func FuzzReadPhysioNet(f *testing.F) {
	f.Add("START_OF_RECORD=1||||1||||\nabc\n||||END_OF_RECORD\n")
	f.Add("START_OF_RECORD=1||||1||||\n||||END_OF_RECORD")
	f.Add("x\n")
	f.Fuzz(func(t *testing.T, in string) {
		recs, err := ReadPhysioNet(strings.NewReader(in))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := WritePhysioNet(&buf, recs); err != nil {
			t.Fatal(err)
		}
		again, err := ReadPhysioNet(&buf)
		if err != nil || len(again) != len(recs) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func FuzzReadGold(f *testing.F) {
	f.Add("1 1 0 4 NAME John\n")
	f.Add("a b 3 2 X\n")
	f.Fuzz(func(t *testing.T, in string) {
		g, err := ReadGold(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, s := range g {
			if s.Start < 0 || s.End < s.Start {
				t.Fatalf("accepted span %d-%d", s.Start, s.End)
			}
		}
	})
}

func FuzzReadJSONL(f *testing.F) {
	f.Add(`{"patient":"p","record":"r","text":"a"}`)
	f.Fuzz(func(t *testing.T, in string) {
		_, _ = ReadJSONL(strings.NewReader(in))
	})
}

// FuzzDetect: detection never panics, and its spans are ordered, inside
// the text, and their Text is the text at their offsets.
func FuzzDetect(f *testing.F) {
	f.Add("Seen by Dr. Smith on 3/4/98, call (617) 555-1234.")
	f.Add("Ávila 94 yo, 42 Elm St, Boston, MA 02115")
	d := &Detector{}
	f.Fuzz(func(t *testing.T, in string) {
		if !utf8.ValidString(in) {
			return
		}
		spans := d.Detect(in)
		runes := []rune(in)
		end := 0
		for _, s := range spans {
			if s.Start < end || s.End <= s.Start || s.End > len(runes) {
				t.Fatalf("bad span %+v after %d in %d runes", s, end, len(runes))
			}
			if string(runes[s.Start:s.End]) != s.Text {
				t.Fatalf("span text %q, text at offsets %q", s.Text, string(runes[s.Start:s.End]))
			}
			end = s.End
		}
		if _, err := Apply(in, spans, ModeTag, nil, ""); err != nil {
			t.Fatal(err)
		}
	})
}
