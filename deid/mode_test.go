package deid

import (
	"strings"
	"testing"
	"time"
)

func TestApplyTagAndRedact(t *testing.T) {
	text := "Seen by Dr. Ávila on 3/4/98."
	spans := []Span{{Start: 12, End: 17, Type: Name}, {Start: 21, End: 27, Type: Date}}
	tests := []struct {
		name string
		mode Mode
		want string
	}{
		{name: "tag", mode: ModeTag, want: "Seen by Dr. [**NAME**] on [**DATE**]."},
		{name: "redact keeps length", mode: ModeRedact, want: "Seen by Dr. ***** on ******."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Apply(text, spans, tc.mode, nil, "")
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	if _, err := Apply(text, []Span{{Start: 20, End: 99, Type: Date}}, ModeTag, nil, ""); err == nil {
		t.Error("a span past the end of the text was accepted")
	}
}

// TestSurrogateDates checks the date shift against time arithmetic done
// here: every format moves by the patient's shift and keeps its shape.
func TestSurrogateDates(t *testing.T) {
	s := NewSurrogator([]byte("test key"))
	shift := s.ShiftDays("p1")
	if shift == 0 || shift < -365 || shift > 365 {
		t.Fatalf("shift %d out of range", shift)
	}
	base := time.Date(1998, 3, 4, 0, 0, 0, 0, time.UTC)
	n := base.AddDate(0, 0, shift)
	tests := []struct {
		name, in, want string
	}{
		{name: "m/d/yy", in: "3/4/98", want: n.Format("1/2/06")},
		{name: "mm/dd/yyyy", in: "03/04/1998", want: n.Format("01/02/2006")},
		{name: "iso", in: "1998-03-04", want: n.Format("2006-01-02")},
		{name: "month day year", in: "March 4, 1998", want: n.Format("January 2, 2006")},
		{name: "day mon yy", in: "04-Mar-98", want: n.Format("02-Jan-06")},
		{name: "all caps", in: "MARCH 4, 1998", want: strings.ToUpper(n.Format("January 2, 2006"))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.Replace("p1", Date, tc.in); got != tc.want {
				t.Errorf("%q -> %q, want %q (shift %d)", tc.in, got, tc.want, shift)
			}
		})
	}
	// intervals are kept: two dates of one patient stay 10 days apart
	a, b := s.Replace("p1", Date, "1/1/2010"), s.Replace("p1", Date, "1/11/2010")
	ta, _ := time.Parse("1/2/2006", a)
	tb, _ := time.Parse("1/2/2006", b)
	if tb.Sub(ta) != 10*24*time.Hour {
		t.Errorf("interval changed: %s -> %s", a, b)
	}
	// weekdays kept when asked
	sw := NewSurrogator([]byte("test key"))
	sw.KeepWeekdays = true
	got := sw.Replace("p1", Date, "1/1/2010")
	tg, err := time.Parse("1/2/2006", got)
	if err != nil || tg.Weekday() != time.Friday { // 1 January 2010 was a Friday
		t.Errorf("weekday not kept: %q (%v)", got, err)
	}
}

func TestSurrogateConsistency(t *testing.T) {
	s := NewSurrogator([]byte("k"))
	a1 := s.Replace("p1", Name, "John Smith")
	a2 := s.Replace("p1", Name, "Smith")
	if !strings.HasSuffix(a1, " "+a2) {
		t.Errorf("same last name, different surrogates: %q and %q", a1, a2)
	}
	if a1 == "John Smith" {
		t.Error("name not replaced")
	}
	if s.Replace("p1", Name, "John Smith") != a1 {
		t.Error("not repeatable within a patient")
	}
	if got := s.Replace("p1", Age, "94"); got != "90+" {
		t.Errorf("age 94 -> %q, want 90+", got)
	}
	if got := s.Replace("p1", Name, "SMITH"); got != strings.ToUpper(a2) {
		t.Errorf("case not kept: %q", got)
	}
	ssn := s.Replace("p1", SSN, "123-45-6789")
	if len(ssn) != 11 || ssn[3] != '-' || ssn[6] != '-' || ssn == "123-45-6789" {
		t.Errorf("ssn surrogate %q", ssn)
	}
	// across documents: the same text of one patient gets the same output
	text := "Mr. Smith was seen on 3/4/98."
	spans := (&Detector{}).Detect(text)
	o1, _ := Apply(text, spans, ModeSurrogate, s, "p1")
	o2, _ := Apply(text, spans, ModeSurrogate, NewSurrogator([]byte("k")), "p1")
	if o1 != o2 || strings.Contains(o1, "Smith") || strings.Contains(o1, "3/4/98") {
		t.Errorf("surrogate outputs %q and %q", o1, o2)
	}
}
