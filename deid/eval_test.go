package deid

import (
	"math"
	"testing"
)

// TestEvaluate checks the metrics on a hand-counted example.
func TestEvaluate(t *testing.T) {
	text := "John Smith seen 3/4/98 by Dr Jones in Boston."
	// gold: NAME "John Smith" (0-10), DATE "3/4/98" (16-22), NAME "Jones" (29-34), CITY "Boston" (38-44)
	gold := []Span{{0, 10, Name, "John Smith", ""}, {16, 22, Date, "3/4/98", ""}, {29, 34, Name, "Jones", ""}, {38, 44, City, "Boston", ""}}
	// predicted: "John" only, the date, "seen" (wrong), and Boston as a NAME
	pred := []Span{{0, 4, Name, "John", ""}, {11, 15, Name, "seen", ""}, {16, 22, Date, "3/4/98", ""}, {38, 44, Name, "Boston", ""}}
	sc := Evaluate([]string{text}, [][]Span{gold}, [][]Span{pred})
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		// span level: found = date, Boston (John Smith half covered, Jones missed) -> 2/4
		{name: "span recall all", got: sc.Span["all"].Recall(), want: 2.0 / 4},
		// predicted spans inside gold: John, date, Boston -> 3/4
		{name: "span precision all", got: sc.Span["all"].Precision(), want: 3.0 / 4},
		// tokens of gold: John Smith 3 4 98 Jones Boston = 7; found: John 3 4 98 Boston = 5
		{name: "token recall all", got: sc.Token["all"].Recall(), want: 5.0 / 7},
		// predicted tokens: John seen 3 4 98 Boston = 6, 5 inside gold
		{name: "token precision all", got: sc.Token["all"].Precision(), want: 5.0 / 6},
		// NAME gold tokens John Smith Jones: found John -> 1/3
		{name: "token recall NAME", got: sc.Token["NAME"].Recall(), want: 1.0 / 3},
		// CITY gold Boston found (as a NAME) -> 1
		{name: "token recall CITY", got: sc.Token["CITY"].Recall(), want: 1},
		{name: "span recall DATE", got: sc.Span["DATE"].Recall(), want: 1},
		// predicted NAME spans: John (right), seen (wrong), Boston (right) -> 2/3
		{name: "span precision NAME", got: sc.Span["NAME"].Precision(), want: 2.0 / 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if math.Abs(tc.got-tc.want) > 1e-9 {
				t.Errorf("got %.4f, want %.4f", tc.got, tc.want)
			}
		})
	}
}
