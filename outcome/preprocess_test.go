package outcome

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
)

func testStay(id string, obs ...Observation) *Stay {
	return &Stay{RecordID: id, Descriptors: map[string]float64{"Age": 60, "Gender": 1, "ICUType": 2, "Height": -1}, Observations: obs}
}

func TestClean(t *testing.T) {
	s := testStay("1",
		Observation{10, "HR", 80},
		Observation{5, "HR", 0}, // impossible and unsorted
		Observation{20, "Temp", -17.8},
		Observation{30, "Foo", 1},
		Observation{49 * 60, "HR", 90},
		Observation{40, "pH", 7.3},
	)
	s.Descriptors["Weight"] = 5 // impossible
	c := clean(s, Config{})
	if got := len(c.obs[variableIndex["HR"]]); got != 1 {
		t.Errorf("HR kept %d, want 1", got)
	}
	is := c.issue
	if !is.Unsorted || is.OutOfWindow != 1 || is.Unknown["Foo"] != 1 || is.Implausible["HR"] != 1 || is.Implausible["Temp"] != 1 || is.Implausible["Weight"] != 1 {
		t.Errorf("issues = %+v", is)
	}
	if _, ok := c.desc["Height"]; ok {
		t.Error("Height -1 kept")
	}
}

func TestSeries(t *testing.T) {
	train := []*Stay{
		testStay("1", Observation{10, "HR", 80}, Observation{150, "HR", 100}, Observation{47*60 + 59, "Temp", 37}, Observation{48 * 60, "Temp", 38}),
		testStay("2", Observation{0, "HR", 60}),
	}
	cfg := Config{}
	n := FitNormalizer(train, cfg)
	hr := variableIndex["HR"]
	if want := 80.0; math.Abs(n.Mean[hr]-want) > 1e-12 || math.Abs(n.Std[hr]-math.Sqrt(800.0/3)) > 1e-9 {
		t.Errorf("HR mean/std = %v/%v", n.Mean[hr], n.Std[hr])
	}
	if n.Desc["Age"] != [2]float64{60, 1} {
		t.Errorf("Age = %v", n.Desc["Age"])
	}
	c := clean(train[0], cfg)
	s := n.series(&c, cfg, -1, "")
	if s.T != 48 || s.F != len(variables) {
		t.Fatalf("shape %dx%d", s.T, s.F)
	}
	F := s.F
	at := func(a []float64, tt, f int) float64 { return a[tt*F+f] }
	step := 1.0 / 48
	tests := []struct {
		name      string
		got, want float64
	}{
		{"HR mask 0", at(s.Mask, 0, hr), 1},
		{"HR mask 1", at(s.Mask, 1, hr), 0},
		{"HR mask 2", at(s.Mask, 2, hr), 1},
		{"HR value 0", at(s.Values, 0, hr), 0},
		{"HR value 2", at(s.Values, 2, hr), 20 / math.Sqrt(800.0/3)},
		{"HR delta 0", at(s.Delta, 0, hr), 0},
		{"HR delta 1", at(s.Delta, 1, hr), step},
		{"HR delta 2", at(s.Delta, 2, hr), 2 * step},
		{"HR delta 3", at(s.Delta, 3, hr), step},
		{"HR delta 5", at(s.Delta, 5, hr), 3 * step},
		{"HR last 1", at(s.Last, 1, hr), 0},
		{"HR last 9", at(s.Last, 9, hr), 20 / math.Sqrt(800.0/3)},
		{"Temp mask 47 (47:59 and 48:00)", at(s.Mask, 47, variableIndex["Temp"]), 1},
		{"Temp value 47 is the bin mean", at(s.Values, 47, variableIndex["Temp"]), 0},
		{"Static Age", s.Static[0], 0},
		{"Static male", s.Static[3], 1},
		{"Static height missing", s.Static[5], 1},
		{"Static ICU 2", s.Static[9], 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if math.Abs(tt.got-tt.want) > 1e-12 {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
	occl := n.series(&c, cfg, hr, "Age")
	if slices.Max(occl.Mask[:]) != 1 || occl.Mask[hr] != 0 || occl.Static[1] != 1 {
		t.Error("occlusion of HR and Age not applied")
	}
	sum := n.summary(&c, -1, "")
	k := len(summaryStats)
	if len(sum) != len(SummaryNames()) || sum[hr*k+6] != 1 || sum[hr*k+5] != math.Log1p(2) {
		t.Errorf("summary HR = %v", sum[hr*k:(hr+1)*k])
	}
	if got := (Config{Hours: 24, BinMinutes: 30}).Bins(); got != 48 {
		t.Errorf("Bins = %d", got)
	}
}

func TestSplit(t *testing.T) {
	deaths := make([]bool, 1000)
	for i := range 140 {
		deaths[i*7] = true
	}
	tr, va, te := Split(deaths, 2012)
	if len(tr)+len(va)+len(te) != 1000 || len(tr) != 700 || len(va) != 150 || len(te) != 150 {
		t.Fatalf("sizes %d/%d/%d", len(tr), len(va), len(te))
	}
	pos := func(ix []int) int {
		n := 0
		for _, i := range ix {
			if deaths[i] {
				n++
			}
		}
		return n
	}
	if pos(tr) != 98 || pos(va) != 21 || pos(te) != 21 {
		t.Errorf("deaths %d/%d/%d, want 98/21/21", pos(tr), pos(va), pos(te))
	}
	seen := map[int]bool{}
	for _, ix := range [][]int{tr, va, te} {
		for _, i := range ix {
			if seen[i] {
				t.Fatalf("index %d in two sets", i)
			}
			seen[i] = true
		}
	}
	tr2, _, te2 := Split(deaths, 2012)
	if !slices.Equal(tr, tr2) || !slices.Equal(te, te2) {
		t.Error("same seed, different split")
	}
	_, _, te3 := Split(deaths, 7)
	if slices.Equal(te, te3) {
		t.Error("different seed, same split")
	}
}

// TestDocTable checks that the table of variables in doc.go says what the
// variables table in variables.go does: same order, ranges and log flags.
func TestDocTable(t *testing.T) {
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "//\t| ") && !strings.HasPrefix(line, "//\t| variable") {
			rows = append(rows, line)
		}
	}
	if len(rows) != len(variables) {
		t.Fatalf("doc.go lists %d variables, variables.go %d", len(rows), len(variables))
	}
	for i, v := range variables {
		f := strings.Split(rows[i], "|")
		if len(f) != 6 {
			t.Fatalf("doc.go row %q: want 4 columns", rows[i])
		}
		log := "no"
		if v.Log {
			log = "yes"
		}
		want := fmt.Sprintf("%s %g – %g %s", v.Name, v.Min, v.Max, log)
		got := strings.TrimSpace(f[1]) + " " + strings.TrimSpace(f[3]) + " " + strings.TrimSpace(f[4])
		if got != want {
			t.Errorf("doc.go row %d: %q, want %q", i, got, want)
		}
	}
}
