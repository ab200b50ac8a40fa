package imaging

import (
	"bytes"
	"context"
	"image/png"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/galenhealth/galen"
)

func readData(t testing.TB) *MedMNIST {
	t.Helper()
	d, err := ReadMedMNISTFile(pneumoniaNPZ)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// stride returns every k-th image of s, so that a slice holds both classes.
func stride(s *Set, k, n int) *Set {
	out := &Set{H: s.H, W: s.W}
	for i := 0; i < s.N && out.N < n; i += k {
		out.Pixels = append(out.Pixels, s.Image(i)...)
		out.Labels = append(out.Labels, s.Labels[i])
		out.N++
	}
	return out
}

// TestTrainSmallSlice trains on a small slice: the model beats chance on
// images it never saw, survives a save/load round trip, and a second run
// with the same seed gives a byte-identical artifact.
func TestTrainSmallSlice(t *testing.T) {
	d := readData(t)
	small := &MedMNIST{Train: stride(d.Train, 15, 256), Val: stride(d.Val, 5, 96), Test: stride(d.Test, 6, 96)}
	cfg := TrainConfig{Seed: 3, Epochs: 3, Batch: 32, Net: NetConfig{Widths: []int{8, 16}}, EMA: 0.9}
	ctx := context.Background()
	m1, rep, err := Train(ctx, small, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("test AUC %.3f, accuracy %.3f on %d images", rep.Test.AUC, rep.Test.Acc, rep.Test.N)
	if rep.Test.N != 96 || rep.Test.AUC < 0.75 {
		t.Errorf("test AUC %.3f on %d images after 3 epochs on 256; want >= 0.75", rep.Test.AUC, rep.Test.N)
	}
	a1, err := m1.Save()
	if err != nil {
		t.Fatal(err)
	}
	m3, err := Load(a1)
	if err != nil {
		t.Fatal(err)
	}
	p1, _ := m1.Probabilities(ctx, small.Test.Pixels, small.Test.N)
	p3, _ := m3.Probabilities(ctx, small.Test.Pixels, small.Test.N)
	if !slices.Equal(p1, p3) {
		t.Error("loaded model predicts differently")
	}
	c := m3.Card()
	if c.Seed != 3 || c.DataLicense == "" || c.Metrics["test_auc"] != rep.Test.AUC {
		t.Errorf("card %+v", c)
	}
	// Reproducible byte for byte: a second run, shortened to one epoch on
	// a quarter of the slice to save time, twice.
	tiny := &MedMNIST{Train: stride(d.Train, 60, 64), Val: small.Val, Test: small.Test}
	cfg.Epochs = 1
	var arts [2][]byte
	for i := range arts {
		m, _, err := Train(ctx, tiny, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if arts[i], err = m.Save(); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(arts[0], arts[1]) {
		t.Error("two runs with one seed give different artifacts")
	}
}

// TestBuiltin checks the shipped model on the validation split (the test
// split's figures are in MODEL_CARD.md) and its card.
func TestBuiltin(t *testing.T) {
	m, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	d := readData(t)
	val, n := d.Val, 524
	if raceEnabled {
		val, n = stride(d.Val, 4, 131), 131
	}
	met, err := Evaluate(context.Background(), m, val)
	if err != nil {
		t.Fatal(err)
	}
	if met.AUC < 0.97 || met.Acc < 0.9 || met.N != n {
		t.Errorf("validation %+v, want AUC >= 0.97 and accuracy >= 0.9 on %d", met, n)
	}
	c := BuiltinCard()
	if c.Task == "" || !strings.Contains(c.DataLicense, "CC BY 4.0") || c.Metrics["test_auc"] < 0.9 || c.IntendedUse == "" || c.Limitations == "" {
		t.Errorf("card %+v", c)
	}
	a := BuiltinArtifact()
	a[0] ^= 0xFF
	if BuiltinArtifact()[0] == a[0] {
		t.Error("BuiltinArtifact returns shared memory")
	}
	s := m.Settings()
	if !(s.BandLow <= s.Threshold && s.Threshold <= s.BandHigh && s.UncertainLow <= s.Threshold && s.Threshold <= s.UncertainHigh) {
		t.Errorf("settings out of order: %+v", s)
	}
}

func TestDecide(t *testing.T) {
	m := &Model{settings: Settings{Threshold: 0.6, BandLow: 0.2, BandHigh: 0.9, UncertainLow: 0.5, UncertainHigh: 0.7}}
	tests := []struct {
		name      string
		p         float64
		class     string
		band      string
		uncertain bool
	}{
		{"low", 0.1, ClassNormal, BandLow, false},
		{"moderate normal", 0.4, ClassNormal, BandModerate, false},
		{"uncertain normal", 0.55, ClassNormal, BandModerate, true},
		{"at threshold", 0.6, ClassPneumonia, BandModerate, true},
		{"high", 0.95, ClassPneumonia, BandHigh, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := m.decide(tt.p)
			if p.Class != tt.class || p.Band != tt.band || p.Uncertain != tt.uncertain || p.Probabilities[ClassPneumonia] != tt.p || math.Abs(p.Probabilities[ClassNormal]-(1-tt.p)) > 1e-15 {
				t.Errorf("got %+v", p)
			}
		})
	}
}

func TestThresholds(t *testing.T) {
	// Hand-made scores: positives 0.9, 0.8, 0.35; negatives 0.6, 0.3, 0.1.
	p := []float64{0.9, 0.8, 0.35, 0.6, 0.3, 0.1}
	y := []bool{true, true, true, false, false, false}
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		// Cut 0.7 (between 0.6 and 0.8): sens 2/3 + spec 1 = 1.667; cut 0.325: 1 + 2/3; the first wins.
		{"balanced", balancedThreshold(p, y), 0.325},
		// Sensitivity 1 needs a cut at or below 0.35: the highest is 0.325.
		{"band low", bandLow(p, y, 0.98), 0.325},
		// Specificity 1 needs a cut above 0.6: the lowest is 0.7.
		{"band high", bandHigh(p, y, 0.98), 0.7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if math.Abs(tt.got-tt.want) > 1e-12 {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestAugment(t *testing.T) {
	src := make([]float32, 9)
	for i := range src {
		src[i] = float32(i)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name string
		a    Augment
		want []float32
	}{
		{"none", Augment{}, []float32{0, 1, 2, 3, 4, 5, 6, 7, 8}},
		{"flip", Augment{FlipP: 1}, []float32{2, 1, 0, 5, 4, 3, 8, 7, 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := make([]float32, 9)
			tt.a.apply(dst, src, 3, 3, rng)
			for i := range dst {
				if math.Abs(float64(dst[i]-tt.want[i])) > 1e-5 {
					t.Fatalf("got %v, want %v", dst, tt.want)
				}
			}
		})
	}
}

func TestLoadRejects(t *testing.T) {
	good := BuiltinArtifact()
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"truncated", good[:len(good)/2]},
		{"not safetensors", []byte("{}")},
		{"huge net", bytes.Replace(good, []byte(`\"widths\":[`), []byte(`\"widths\":[9999,`), 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Load(tt.in); galen.ErrorCode(err) != galen.EINVALID {
				t.Errorf("error %v, want EINVALID", err)
			}
		})
	}
}

func FuzzLoad(f *testing.F) {
	f.Add(BuiltinArtifact())
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Load(b)
		if err != nil {
			return
		}
		if _, err := m.Probabilities(context.Background(), make([]uint8, m.Size()*m.Size()), 1); err != nil {
			t.Fatal(err)
		}
	})
}

// lesionSet makes n noisy 28x28 images; odd ones carry a bright 6x6
// "lesion" at a random place, returned per image (-1 for none).
func lesionSet(n int, seed uint64) (*Set, [][2]int) {
	rng := rand.New(rand.NewPCG(seed, 7))
	s := &Set{N: n, H: 28, W: 28, Pixels: make([]uint8, n*784), Labels: make([]int, n)}
	at := make([][2]int, n)
	for i := range n {
		img := s.Image(i)
		for k := range img {
			img[k] = uint8(60 + rng.IntN(60))
		}
		at[i] = [2]int{-1, -1}
		if i%2 == 1 {
			y, x := 2+rng.IntN(20), 2+rng.IntN(20)
			for dy := range 6 {
				for dx := range 6 {
					img[(y+dy)*28+x+dx] = uint8(200 + rng.IntN(40))
				}
			}
			s.Labels[i], at[i] = 1, [2]int{y, x}
		}
	}
	return s, at
}

// TestGradCAMFindsLesion trains a small net to detect a synthetic lesion
// and checks that Grad-CAM puts the map's mass on it: inside the lesion's
// box (grown by 3 pixels for the 7x7 feature grid), the mean map value is
// several times the mean outside, and the peak lies in the box.
func TestGradCAMFindsLesion(t *testing.T) {
	tr, _ := lesionSet(256, 1)
	va, _ := lesionSet(64, 2)
	te, at := lesionSet(32, 3)
	m, rep, err := Train(context.Background(), &MedMNIST{Train: tr, Val: va, Test: te},
		TrainConfig{Seed: 1, Epochs: 6, Batch: 24, Net: NetConfig{Widths: []int{8, 16, 16}}, Augment: &Augment{}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Test.AUC < 0.95 {
		t.Fatalf("the net did not learn the lesion: test AUC %.3f", rep.Test.AUC)
	}
	hits, n := 0, 0
	for i := range te.N {
		if at[i][0] < 0 {
			continue
		}
		n++
		sal, err := m.GradCAM(te.Image(i))
		if err != nil {
			t.Fatal(err)
		}
		y0, x0, y1, x1 := at[i][0]-3, at[i][1]-3, at[i][0]+9, at[i][1]+9
		var in, out float64
		var nin, nout int
		peak, py, px := -1.0, 0, 0
		for y := range 28 {
			for x := range 28 {
				v := sal.Grid[y*28+x]
				if v > peak {
					peak, py, px = v, y, x
				}
				if y >= y0 && y < y1 && x >= x0 && x < x1 {
					in, nin = in+v, nin+1
				} else {
					out, nout = out+v, nout+1
				}
			}
		}
		inBox := py >= y0 && py < y1 && px >= x0 && px < x1
		if inBox && in/float64(nin) > 3*out/float64(nout) {
			hits++
		}
		if i == 1 {
			overlay, err := sal.Overlay(te.Image(i))
			if err != nil {
				t.Fatal(err)
			}
			if img, err := png.Decode(bytes.NewReader(overlay)); err != nil || img.Bounds().Dx() != 28*overlayScale {
				t.Errorf("overlay: %v", err)
			}
		}
	}
	if hits < n*8/10 {
		t.Errorf("Grad-CAM on the lesion in %d of %d images, want at least 80%%", hits, n)
	}
}

// TestGradCAMConcurrent explains images from several goroutines at once
// (each borrows its own copy of the network): the maps equal the serial
// ones. Run with -race.
func TestGradCAMConcurrent(t *testing.T) {
	m, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	set := readData(t).Test
	want := make([][]float64, 4)
	for i := range want {
		s, err := m.GradCAM(set.Image(i))
		if err != nil {
			t.Fatal(err)
		}
		want[i] = s.Grid
	}
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			i := g % 4
			s, err := m.GradCAM(set.Image(i))
			if err == nil && !slices.Equal(s.Grid, want[i]) {
				err = galen.Errorf(galen.EINTERNAL, "goroutine %d: map of image %d differs from the serial one", g, i)
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
