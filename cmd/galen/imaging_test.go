package main

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galenhealth/galen/imaging"
)

const pneumoniaNPZ = "../../../shared/data/pneumoniamnist/pneumoniamnist.npz"

// writeNPZ writes sets as a MedMNIST .npz (version 1.0 .npy members, uint8).
func writeNPZ(tb testing.TB, path string, sets map[string]*imaging.Set) {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	member := func(name, shape string, data []byte) {
		h := fmt.Sprintf("{'descr': '|u1', 'fortran_order': False, 'shape': %s, }", shape)
		h += strings.Repeat(" ", 63-(10+len(h))%64) + "\n"
		w, err := zw.Create(name + ".npy")
		if err != nil {
			tb.Fatal(err)
		}
		b := binary.LittleEndian.AppendUint16([]byte("\x93NUMPY\x01\x00"), uint16(len(h)))
		w.Write(append(append(b, h...), data...))
	}
	for name, s := range sets {
		member(name+"_images", fmt.Sprintf("(%d, %d, %d)", s.N, s.H, s.W), s.Pixels)
		labels := make([]byte, s.N)
		for i, l := range s.Labels {
			labels[i] = byte(l)
		}
		member(name+"_labels", fmt.Sprintf("(%d, 1)", s.N), labels)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
}

func every(s *imaging.Set, k int) *imaging.Set {
	out := &imaging.Set{H: s.H, W: s.W}
	for i := 0; i < s.N; i += k {
		out.Pixels = append(out.Pixels, s.Image(i)...)
		out.Labels = append(out.Labels, s.Labels[i])
		out.N++
	}
	return out
}

func TestTrainEvalPredictImaging(t *testing.T) {
	d, err := imaging.ReadMedMNISTFile(pneumoniaNPZ)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tiny := filepath.Join(dir, "tiny.npz")
	writeNPZ(t, tiny, map[string]*imaging.Set{"train": every(d.Train, 30), "val": every(d.Val, 8), "test": every(d.Test, 8)})
	code, stdout, stderr := galenCmd(t, nil, "train", "imaging", "--data", tiny, "--epochs", "1", "--data-dir", dir, "--name", "px-test")
	if code != 0 {
		t.Fatalf("train exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "registered px-test:1") || !strings.Contains(stdout, "test  AUC") || !strings.Contains(stderr, "epoch 1/1") {
		t.Errorf("train output %q, stderr %q", stdout, stderr)
	}
	code, stdout, stderr = galenCmd(t, nil, "eval", "imaging", "--data", tiny, "--model", "px-test:1", "--data-dir", dir, "--json")
	if code != 0 {
		t.Fatalf("eval exit %d: %s", code, stderr)
	}
	var got map[string]float64
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"auc", "acc", "sensitivity", "specificity", "n"} {
		if _, ok := got[k]; !ok {
			t.Errorf("eval --json lacks %q: %s", k, stdout)
		}
	}
	if got["n"] != float64(every(d.Test, 8).N) {
		t.Errorf("n = %v", got["n"])
	}

	// The built-in model on every 8th validation image (the whole split is
	// imaging.TestBuiltin's).
	code, stdout, stderr = galenCmd(t, nil, "eval", "imaging", "--data", tiny, "--split", "val", "--json")
	if code != 0 {
		t.Fatalf("eval exit %d: %s", code, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || got["auc"] < 0.95 || got["n"] != float64(every(d.Val, 8).N) {
		t.Errorf("built-in on val: %s %v", stdout, err)
	}

	// predict: a PNG and a DICOM file, with overlays; a text file fails.
	g := image.NewGray(image.Rect(0, 0, 28, 28))
	copy(g.Pix, d.Test.Image(0))
	var pb bytes.Buffer
	png.Encode(&pb, g)
	pngPath, bad := filepath.Join(dir, "x.png"), filepath.Join(dir, "notes.txt")
	os.WriteFile(pngPath, pb.Bytes(), 0o644)
	os.WriteFile(bad, []byte("not an image"), 0o644)
	dcm := "../../../shared/data/dicom-samples/MR_small_RLE.dcm"
	code, stdout, stderr = galenCmd(t, nil, "predict", "imaging", "--saliency", dir, pngPath, dcm)
	if code != 0 {
		t.Fatalf("predict exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("predict printed %q", stdout)
	}
	for i, l := range lines {
		var p struct {
			File, Class   string
			Probabilities map[string]float64
		}
		if err := json.Unmarshal([]byte(l), &p); err != nil || (p.Class != "normal" && p.Class != "pneumonia") || len(p.Probabilities) != 2 {
			t.Errorf("line %d: %q %v", i, l, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.png.saliency.png")); err != nil {
		t.Error(err)
	}
	code, _, stderr = galenCmd(t, nil, "predict", "imaging", bad)
	if code == 0 || !strings.Contains(stderr, "notes.txt: image: not PNG, JPEG or DICOM") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	code, _, _ = galenCmd(t, nil, "eval", "imaging", "--data", tiny, "--split", "dev")
	if code != 2 {
		t.Errorf("bad split: exit %d, want 2", code)
	}
}
