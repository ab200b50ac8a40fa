package imaging

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

const pneumoniaNPZ = "../../shared/data/pneumoniamnist/pneumoniamnist.npz"

// npy writes a version 1.0 .npy file by hand: magic, header padded with
// spaces to a multiple of 64 and ending in a newline, then data.
func npy(descr, shape string, data []byte) []byte {
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape)
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	b := []byte("\x93NUMPY\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(h)))
	return append(append(b, h...), data...)
}

func npz(t testing.TB, members map[string][]byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(members))
	for n := range members {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(members[n])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadNPY(t *testing.T) {
	f32 := binary.LittleEndian.AppendUint32(nil, math.Float32bits(1.5))
	f32 = binary.LittleEndian.AppendUint32(f32, math.Float32bits(-2))
	tests := []struct {
		name  string
		in    []byte
		shape []int
		want  []float64
		err   string
	}{
		{name: "uint8 2x2", in: npy("|u1", "(2, 2)", []byte{0, 1, 254, 255}), shape: []int{2, 2}, want: []float64{0, 1, 254, 255}},
		{name: "int64 column", in: npy("<i8", "(2, 1)", binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, 1), math.MaxUint64)), shape: []int{2, 1}, want: []float64{1, -1}},
		{name: "big endian int16", in: npy(">i2", "(2,)", []byte{0xFF, 0xFE, 0x01, 0x00}), shape: []int{2}, want: []float64{-2, 256}},
		{name: "float32", in: npy("<f4", "(2,)", f32), shape: []int{2}, want: []float64{1.5, -2}},
		{name: "scalar", in: npy("|u1", "()", []byte{7}), shape: []int{}, want: []float64{7}},
		{name: "short data", in: npy("|u1", "(2, 2)", []byte{1, 2, 3}), err: "needs 4 data bytes, file has 3"},
		{name: "long data", in: npy("|u1", "(1,)", []byte{1, 2}), err: "needs 1 data bytes"},
		{name: "no magic", in: []byte("NUMPY\x01\x00xxxx"), err: "magic"},
		{name: "fortran", in: []byte(strings.Replace(string(npy("|u1", "(1,)", []byte{1})), "False", "True ", 1)), err: "fortran_order"},
		{name: "object dtype", in: npy("|O", "(1,)", []byte{1}), err: "dtype"},
		{name: "huge shape", in: npy("|u1", "(1000000, 1000000, 1000000)", nil), err: "too large"},
		{name: "header past end", in: []byte("\x93NUMPY\x01\x00\xff\x00{}"), err: "runs past the end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ReadNPY(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(a.Shape, tt.shape) || !slices.Equal(a.Values, tt.want) {
				t.Errorf("got %v %v, want %v %v", a.Shape, a.Values, tt.shape, tt.want)
			}
		})
	}
}

func TestReadMedMNIST(t *testing.T) {
	good := map[string][]byte{
		"train_images.npy": npy("|u1", "(2, 2, 2)", []byte{1, 2, 3, 4, 5, 6, 7, 8}), "train_labels.npy": npy("|u1", "(2, 1)", []byte{0, 1}),
		"val_images.npy": npy("|u1", "(1, 2, 2)", []byte{9, 9, 9, 9}), "val_labels.npy": npy("<i8", "(1,)", binary.LittleEndian.AppendUint64(nil, 1)),
		"test_images.npy": npy("|u1", "(1, 2, 2)", []byte{0, 0, 0, 0}), "test_labels.npy": npy("|u1", "(1, 1)", []byte{0}),
	}
	with := func(k string, v []byte) map[string][]byte {
		m := map[string][]byte{}
		for a, b := range good {
			m[a] = b
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name    string
		members map[string][]byte
		err     string
	}{
		{name: "good", members: good},
		{name: "missing val labels", members: with("val_labels.npy", nil), err: "missing val_images or val_labels"},
		{name: "label 2", members: with("train_labels.npy", npy("|u1", "(2, 1)", []byte{0, 2})), err: "train_labels[1] = 2"},
		{name: "labels do not fit", members: with("test_labels.npy", npy("|u1", "(2, 1)", []byte{0, 1})), err: "does not fit 1 images"},
		{name: "float images", members: with("val_images.npy", npy("<f4", "(1, 1, 1)", make([]byte, 4))), err: "must be uint8"},
		{name: "other size", members: with("test_images.npy", npy("|u1", "(1, 1, 4)", []byte{0, 0, 0, 0})), err: "different image sizes"},
		{name: "not npy member", members: with("notes.txt", []byte("x")), err: "not a .npy file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := npz(t, tt.members)
			m, err := ReadMedMNIST(bytes.NewReader(b), int64(len(b)))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Train.N != 2 || m.Train.H != 2 || !slices.Equal(m.Train.Image(1), []uint8{5, 6, 7, 8}) || !slices.Equal(m.Train.Labels, []int{0, 1}) || m.Val.Labels[0] != 1 {
				t.Errorf("read %+v", m.Train)
			}
		})
	}
}

// TestPneumoniaMNIST checks the shipped file against the sizes and class
// counts in its SOURCE.md.
func TestPneumoniaMNIST(t *testing.T) {
	m, err := ReadMedMNISTFile(pneumoniaNPZ)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		set      *Set
		n, zeros int
	}{
		{"train", m.Train, 3882, 388},
		{"val", m.Val, 524, 135},
		{"test", m.Test, 624, 234},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.set.N != tt.n || tt.set.H != 28 || tt.set.W != 28 || count(tt.set.Labels, 0) != tt.zeros {
				t.Errorf("%d images %dx%d, %d normal; want %d 28x28, %d normal", tt.set.N, tt.set.H, tt.set.W, count(tt.set.Labels, 0), tt.n, tt.zeros)
			}
		})
	}
}

func FuzzReadNPY(f *testing.F) {
	f.Add(npy("|u1", "(2, 2)", []byte{0, 1, 2, 3}))
	f.Add(npy("<f8", "(1,)", make([]byte, 8)))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ReadNPY(b)
		if err != nil {
			return
		}
		n := 1
		for _, d := range a.Shape {
			n *= d
		}
		if len(a.Values) != n {
			t.Fatalf("%d values for shape %v", len(a.Values), a.Shape)
		}
	})
}

func FuzzReadMedMNIST(f *testing.F) {
	f.Add(npz(f, map[string][]byte{
		"train_images.npy": npy("|u1", "(1, 1, 1)", []byte{1}), "train_labels.npy": npy("|u1", "(1, 1)", []byte{1}),
		"val_images.npy": npy("|u1", "(1, 1, 1)", []byte{1}), "val_labels.npy": npy("|u1", "(1, 1)", []byte{0}),
		"test_images.npy": npy("|u1", "(1, 1, 1)", []byte{1}), "test_labels.npy": npy("|u1", "(1, 1)", []byte{1}),
	}))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ReadMedMNIST(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		for _, s := range []*Set{m.Train, m.Val, m.Test} {
			if len(s.Pixels) != s.N*s.H*s.W || len(s.Labels) != s.N {
				t.Fatalf("set %d images of %dx%d with %d pixels", s.N, s.H, s.W, len(s.Pixels))
			}
		}
	})
}
