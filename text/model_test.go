package text

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/galenhealth/galen"
)

func TestReadCSV(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Example
		wantErr string
	}{
		{"ok", "id,note,spec\n1,chest pain,Cardio\n2,\"knee, left\",Ortho\n", []Example{{2, "chest pain", "Cardio"}, {3, "knee, left", "Ortho"}}, ""},
		{"NA and empty skipped", "note,spec\nNA,Cardio\n,Cardio\nfine,NA\nok,Uro\n", []Example{{5, "ok", "Uro"}}, ""},
		{"multi-line field keeps its first line", "note,spec\n\"a\nb\",X\nc,Y\n", []Example{{2, "a\nb", "X"}, {4, "c", "Y"}}, ""},
		{"byte-order mark", "\ufeffnote,spec\nx,Y\n", []Example{{2, "x", "Y"}}, ""},
		{"missing text column", "txt,spec\nx,Y\n", nil, `no text column "note"`},
		{"missing both", "a,b\nx,Y\n", nil, `no text column "note" and no label column "spec"`},
		{"wrong field count", "note,spec\nx,Y\nz\n", nil, "line 3"},
		{"not utf-8", "note,spec\nx\xff,Y\n", nil, `line 2: column "note" is not valid UTF-8`},
		{"bare quote", "note,spec\nx\"y,Y\n", nil, "line 2"},
		{"empty file", "", nil, "empty file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := ReadCSV(strings.NewReader(tc.in), "note", "spec")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || galen.ErrorCode(err) != galen.EINVALID {
					t.Fatalf("err = %v, want EINVALID containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Add("note,spec\n1,a\n")
	f.Add("note,spec\n\"x\"\"y\",b\nNA,c\n")
	f.Add("spec,note\n\xff,\n")
	f.Fuzz(func(t *testing.T, s string) {
		ex, _, err := ReadCSV(strings.NewReader(s), "note", "spec")
		if err != nil {
			if galen.ErrorCode(err) != galen.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		for _, e := range ex {
			if e.Label == "" || strings.TrimSpace(e.Text) == "" || e.Line < 2 {
				t.Fatalf("bad example %+v", e)
			}
		}
	})
}

func TestResolve(t *testing.T) {
	in := []Example{
		{1, "knee  pain", "Surgery"}, {2, "knee pain", "Orthopedic"}, // note type + specialty: Orthopedic
		{3, "chest pain", "Cardio"}, {4, "chest pain", "Cardio"}, // repeat, same label: once
		{5, "headache", "Neuro"}, {6, "headache", "Radiology"}, {7, "headache", "Psych"}, // two specialties: ambiguous
		{8, "consult only", "Surgery"}, // only a dropped label
		{9, "hip", "Orthopedic"}, {10, "rare", "Rare"}, {11, "dyspnea", "Cardio"},
	}
	got, rep := Resolve(in, []string{"Surgery", "Radiology"}, 2)
	want := []Example{{1, "knee  pain", "Orthopedic"}, {3, "chest pain", "Cardio"}, {9, "hip", "Orthopedic"}, {11, "dyspnea", "Cardio"}}
	if !slices.Equal(got, want) {
		t.Errorf("kept %+v, want %+v", got, want)
	}
	tests := []struct {
		name      string
		got, want int
	}{
		{"distinct", rep.DistinctTexts, 7}, {"duplicates", rep.Duplicates, 1}, {"dropped label", rep.DroppedLabel, 1},
		{"ambiguous", rep.Ambiguous, 1}, {"small classes", len(rep.SmallClasses), 1}, {"kept", rep.Kept, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("%d, want %d", tc.got, tc.want)
			}
		})
	}
}

func TestStratifiedSplit(t *testing.T) {
	var labels []string
	for i := range 100 {
		labels = append(labels, "a")
		if i < 30 {
			labels = append(labels, "b")
		}
		if i < 2 {
			labels = append(labels, "c")
		}
	}
	tr, te := StratifiedSplit(labels, 0.2, 7)
	count := func(ix []int, l string) int {
		n := 0
		for _, i := range ix {
			if labels[i] == l {
				n++
			}
		}
		return n
	}
	tests := []struct {
		name  string
		label string
		train int
		test  int
	}{{"large", "a", 80, 20}, {"medium", "b", 24, 6}, {"two members: one each side", "c", 1, 1}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if a, b := count(tr, tc.label), count(te, tc.label); a != tc.train || b != tc.test {
				t.Errorf("%s: %d/%d, want %d/%d", tc.label, a, b, tc.train, tc.test)
			}
		})
	}
	tr2, te2 := StratifiedSplit(labels, 0.2, 7)
	if !slices.Equal(tr, tr2) || !slices.Equal(te, te2) {
		t.Error("same seed, different split")
	}
	_, te3 := StratifiedSplit(labels, 0.2, 8)
	if slices.Equal(te, te3) {
		t.Error("another seed gave the same split")
	}
	s := MakeSplit(labels, 0.2, 0.25, 7)
	all := append(append(append([]int(nil), s.Train...), s.Validation...), s.Test...)
	slices.Sort(all)
	for i, v := range all {
		if v != i {
			t.Fatalf("split is not a partition of the indexes")
		}
	}
}

func TestEvaluate(t *testing.T) {
	labels := []string{"a", "b", "c"}
	// true a,a,a,b,b,c ; predicted a,a,b,b,c,c (confidences below)
	y := []int{0, 0, 0, 1, 1, 2}
	probs := [][]float64{{0.9, 0.05, 0.05}, {0.6, 0.3, 0.1}, {0.2, 0.7, 0.1}, {0.1, 0.8, 0.1}, {0.3, 0.3, 0.4}, {0.1, 0.1, 0.8}}
	m := Evaluate(labels, y, probs, 0.5)
	// a: P 2/2 R 2/3 F1 0.8; b: P 1/2 R 1/2 F1 0.5; c: P 1/2 R 1 F1 2/3
	tests := []struct {
		name      string
		got, want float64
	}{
		{"accuracy", m.Accuracy, 4.0 / 6}, {"macro-F1", m.MacroF1, (0.8 + 0.5 + 2.0/3) / 3},
		{"F1 a", m.PerClass[0].F1, 0.8}, {"F1 b", m.PerClass[1].F1, 0.5}, {"F1 c", m.PerClass[2].F1, 2.0 / 3},
		{"uncertain rate", m.Uncertain, 1.0 / 6}, {"certain accuracy", m.CertainAccuracy, 4.0 / 5},
		// bins: 0.9 (right), 0.6 (right), 0.7 (wrong), 0.8 (right) and 0.8 (right) share a bin, 0.4 (wrong)
		{"ECE", m.ECE, (math.Abs(1-0.9) + math.Abs(1-0.6) + math.Abs(0-0.7) + 2*math.Abs(1-0.8) + math.Abs(0-0.4)) / 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if math.Abs(tc.got-tc.want) > 1e-9 {
				t.Errorf("%v, want %v", tc.got, tc.want)
			}
		})
	}
	if want := [][]int{{2, 1, 0}, {0, 1, 1}, {0, 0, 1}}; !slices.EqualFunc(m.Confusion, want, slices.Equal) {
		t.Errorf("confusion %v, want %v", m.Confusion, want)
	}
}

func TestUncertainThreshold(t *testing.T) {
	tests := []struct {
		name  string
		conf  []float64 // top probability of class 0, which is predicted
		right []bool
		want  float64
	}{
		{"all right: flag nothing", []float64{0.4, 0.6, 0.9}, []bool{true, true, true}, 0},
		{"low ones wrong", []float64{0.4, 0.45, 0.6, 0.9}, []bool{false, false, true, true}, 0.6},
		{"first cut that helps", []float64{0.4, 0.5, 0.6, 0.9}, []bool{false, true, false, true}, 0.5},
		{"ties cut together", []float64{0.4, 0.4, 0.7}, []bool{false, true, true}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var y []int
			var probs [][]float64
			for i, c := range tc.conf {
				probs = append(probs, []float64{c, (1 - c) / 2, (1 - c) / 2})
				y = append(y, map[bool]int{true: 0, false: 1}[tc.right[i]])
			}
			if got := UncertainThreshold(y, probs); got != tc.want {
				t.Errorf("threshold %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFitTemperature(t *testing.T) {
	// labels drawn from softmax(z/2): the fitted temperature of z is about 2
	rng := rand.New(rand.NewPCG(1, 2))
	var logits [][]float64
	var y []int
	for range 20000 {
		z := []float64{rng.NormFloat64() * 4, rng.NormFloat64() * 4, rng.NormFloat64() * 4}
		p := Softmax(z, 2)
		u, c := rng.Float64(), 0
		for c < 2 && u > p[c] {
			u -= p[c]
			c++
		}
		logits, y = append(logits, z), append(y, c)
	}
	if got := FitTemperature(logits, y); math.Abs(got-2) > 0.1 {
		t.Errorf("temperature %v, want about 2", got)
	}
}

// TestTFIDF compares with scikit-learn 1.2.1:
// TfidfVectorizer(sublinear_tf=True, token_pattern=r"\S+").fit_transform(docs).
func TestTFIDF(t *testing.T) {
	docs := [][]string{strings.Fields("chest pain chest"), strings.Fields("pain fever"), strings.Fields("fever cough cough cough")}
	v := FitTFIDF(docs, 1, 1, 0, true)
	if want := []string{"chest", "cough", "fever", "pain"}; !slices.Equal(v.Terms, want) {
		t.Fatalf("terms %v, want %v", v.Terms, want)
	}
	want := [][]float64{{0.912202, 0, 0, 0.409742}, {0, 0, 0.707107, 0.707107}, {0, 0.940168, 0.340712, 0}}
	for d, doc := range docs {
		t.Run(strings.Join(doc, "_"), func(t *testing.T) {
			dense := make([]float64, 4)
			sv := v.Transform(doc)
			for k, j := range sv.Idx {
				dense[j] = float64(sv.Val[k])
			}
			for j := range dense {
				if math.Abs(dense[j]-want[d][j]) > 1e-5 {
					t.Errorf("row %d = %v, want %v", d, dense, want[d])
					break
				}
			}
		})
	}
}

// TestLogReg compares with scikit-learn 1.2.1:
// LogisticRegression(C=1.0, tol=1e-10).fit(X, y).predict_proba(Q).
func TestLogReg(t *testing.T) {
	x := [][]float64{{1, 0, 0.5}, {0.9, 0.1, 0}, {0, 1, 0.2}, {0.1, 0.8, 0.9}, {0, 0, 1}, {0.2, 0.1, 0.9}, {0.5, 0.5, 0}}
	y := []int{0, 0, 1, 1, 2, 2, 0}
	sparse := func(row []float64) SparseVec {
		var s SparseVec
		for j, v := range row {
			if v != 0 {
				s.Idx, s.Val = append(s.Idx, int32(j)), append(s.Val, float32(v))
			}
		}
		return s
	}
	var xs []SparseVec
	for _, r := range x {
		xs = append(xs, sparse(r))
	}
	m, err := FitLogReg(context.Background(), xs, y, 3, 3, LogRegConfig{C: 1, Iterations: 1000})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		q    []float64
		want []float64
	}{
		{"middle", []float64{0.3, 0.3, 0.3}, []float64{0.457834, 0.274299, 0.267868}},
		{"first axis", []float64{1, 0, 0}, []float64{0.737234, 0.117251, 0.145515}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Softmax(m.Logits(sparse(tc.q)), 1)
			for c := range p {
				if math.Abs(p[c]-tc.want[c]) > 1e-4 {
					t.Fatalf("probabilities %v, want %v", p, tc.want)
				}
			}
		})
	}
}
