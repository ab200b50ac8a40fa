package deid

import (
	"strings"
	"testing"
)

// TestDetectRules pins what the rules and dictionaries find, on
// hand-written sentences: want lists "TYPE=text" for each identifier that
// must be found (as a span covering it, of that type), notWant lists text
// that must not be inside any span.
func TestDetectRules(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		want    []string
		notWant []string
	}{
		{name: "doctor title", text: "Seen today by Dr. Abernathy in clinic.", want: []string{"NAME=Abernathy"}, notWant: []string{"clinic"}},
		{name: "name field", text: "Patient Name: Jane Q. Doe\nMRN: 4432198", want: []string{"NAME=Jane Q. Doe", "MRN=4432198"}},
		{name: "credential", text: "Electronically signed: Maria Gonzalez, MD", want: []string{"NAME=Maria Gonzalez"}},
		{name: "relative", text: "Her daughter Priyanka will pick her up.", want: []string{"NAME=Priyanka"}},
		{name: "last first", text: "Referring: Kowalski, Thomas", want: []string{"NAME=Kowalski, Thomas"}},
		{name: "dates numeric", text: "Admitted on 3/4 and discharged 3-14-98; follow-up 2019-05-06.", want: []string{"DATE=3/4", "DATE=3-14-98", "DATE=2019-05-06"}},
		{name: "dates words", text: "Surgery on March 3rd, 2019, seen again the 14th and on Monday, 4 Jan 2020.", want: []string{"DATE=March 3rd, 2019", "DATE=14th", "DATE=Monday", "DATE=4 Jan 2020"}},
		{name: "holiday", text: "She fell on Christmas Eve.", want: []string{"DATE=Christmas Eve"}},
		{name: "scores are not dates", text: "Strength 5/5 bilaterally, BP 120/80, pain 7/10, took 1/2 tablet, 20/20 vision.", notWant: []string{"5/5", "120/80", "7/10", "1/2", "20/20"}},
		{name: "age over 89", text: "A 94 yo man; her mother, aged 101, and a 92-year-old.", want: []string{"AGE=94", "AGE=101", "AGE=92"}},
		{name: "age under 90 kept", text: "A 64-year-old man.", notWant: []string{"64"}},
		{name: "phone and fax", text: "Call (617) 555-1234 or fax 617.555.9876, pager 4-2211.", want: []string{"PHONE=(617) 555-1234", "FAX=617.555.9876"}},
		{name: "email url ip", text: "Mail jdoe@example.com, see https://mercy.org/pt?id=4 from 10.0.0.12.", want: []string{"EMAIL=jdoe@example.com", "URL=https://mercy.org/pt?id=4", "IP=10.0.0.12"}},
		{name: "ssn", text: "SSN 123-45-6789.", want: []string{"SSN=123-45-6789"}},
		{name: "ids with context", text: "Medicare ID 1EG4-TE5-MK73, account no. 88812345, DEA AB1234563, serial number PX12345678, VIN 1HGCM82633A004352.", want: []string{"HEALTHPLAN=1EG4-TE5-MK73", "ACCOUNT=88812345", "LICENSE=AB1234563", "DEVICE=PX12345678", "VEHICLE=1HGCM82633A004352"}},
		{name: "address", text: "Lives at 42 Elm Street, Apt 3B, Springfield, MA 01103.", want: []string{"STREET=42 Elm Street, Apt 3B", "CITY=Springfield", "ZIP=01103"}, notWant: []string{"MA"}},
		{name: "hospital", text: "Transferred from Mercy General Hospital to the emergency department.", want: []string{"HOSPITAL=Mercy General Hospital"}, notWant: []string{"emergency"}},
		{name: "eponyms are not names", text: "A Foley catheter was placed; history of Parkinson disease and Crohn disease.", notWant: []string{"Foley", "Parkinson", "Crohn"}},
		{name: "name repeated in the note", text: "Mr. Oyelaran was seen. Oyelaran denies pain.", want: []string{"NAME=Oyelaran", "NAME=Oyelaran"}},
	}
	d := &Detector{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spans := d.Detect(tc.text)
			runes := []rune(tc.text)
			covered := func(typ, v string, from int) (int, bool) {
				i := strings.Index(string(runes[from:]), v)
				if i < 0 {
					t.Fatalf("test text lacks %q", v)
				}
				s := from + len([]rune(string(runes[from:])[:i]))
				e := s + len([]rune(v))
				for _, sp := range spans {
					if sp.Start <= s && sp.End >= e && (typ == "" || string(sp.Type) == typ) {
						return e, true
					}
				}
				return e, false
			}
			from := 0
			for _, w := range tc.want {
				typ, v, _ := strings.Cut(w, "=")
				e, ok := covered(typ, v, from)
				if !ok {
					t.Errorf("missed %s; got %v", w, spans)
				}
				from = e
			}
			for _, v := range tc.notWant {
				i := strings.Index(tc.text, v)
				s := len([]rune(tc.text[:i]))
				for _, sp := range spans {
					if sp.Start < s+len([]rune(v)) && sp.End > s {
						t.Errorf("%q tagged as %s (%s)", v, sp.Type, sp.Source)
					}
				}
			}
		})
	}
}
