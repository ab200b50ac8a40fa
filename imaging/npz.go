package imaging

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/galenhealth/galen"
)

// Limits on NPZ input: an archive member or array larger than this is
// refused before it is read, so a lying header cannot make the reader
// allocate more.
const (
	maxNPYBytes   = 1 << 30
	maxNPYMembers = 64
)

// Array is one NumPy array read from a .npy file: its shape and its values
// as float64 in C order. Uint8 arrays also keep their bytes in U8.
type Array struct {
	Shape  []int
	Values []float64
	U8     []uint8 // set when the dtype is uint8
}

// ReadNPZ reads every .npy member of a NumPy .npz archive (zip, stored or
// deflated) into arrays keyed by member name without ".npy". Supported
// dtypes: bool, (u)int8/16/32/64 and float32/64 in either byte order, C
// order only. Every problem is an EINVALID error naming the member.
func ReadNPZ(r io.ReaderAt, size int64) (map[string]*Array, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, galen.Errorf(galen.EINVALID, "npz: not a zip archive: %v", err)
	}
	if len(zr.File) > maxNPYMembers {
		return nil, galen.Errorf(galen.EINVALID, "npz: %d members, at most %d", len(zr.File), maxNPYMembers)
	}
	out := map[string]*Array{}
	for _, f := range zr.File {
		name, ok := strings.CutSuffix(f.Name, ".npy")
		if !ok {
			return nil, galen.Errorf(galen.EINVALID, "npz: member %q is not a .npy file", f.Name)
		}
		if _, dup := out[name]; dup {
			return nil, galen.Errorf(galen.EINVALID, "npz: member %q twice", f.Name)
		}
		if f.UncompressedSize64 > maxNPYBytes {
			return nil, galen.Errorf(galen.EINVALID, "npz: member %q is %d bytes, at most %d", f.Name, f.UncompressedSize64, maxNPYBytes)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, galen.Errorf(galen.EINVALID, "npz: member %q: %v", f.Name, err)
		}
		b, err := io.ReadAll(io.LimitReader(rc, maxNPYBytes+1))
		rc.Close()
		if err != nil {
			return nil, galen.Errorf(galen.EINVALID, "npz: member %q: %v", f.Name, err)
		}
		a, err := ReadNPY(b)
		if err != nil {
			return nil, galen.Errorf(galen.EINVALID, "npz: member %q: %s", f.Name, galen.ErrorMessage(err))
		}
		out[name] = a
	}
	return out, nil
}

// ReadNPY parses one .npy file (format versions 1.0, 2.0 and 3.0).
func ReadNPY(b []byte) (*Array, error) {
	if len(b) < 10 || !bytes.Equal(b[:6], []byte("\x93NUMPY")) {
		return nil, galen.Errorf(galen.EINVALID, "npy: no \\x93NUMPY magic at offset 0")
	}
	var hlen, start int
	switch b[6] {
	case 1:
		hlen, start = int(binary.LittleEndian.Uint16(b[8:10])), 10
	case 2, 3:
		if len(b) < 12 {
			return nil, galen.Errorf(galen.EINVALID, "npy: truncated header length at offset 8")
		}
		hlen, start = int(binary.LittleEndian.Uint32(b[8:12])), 12
	default:
		return nil, galen.Errorf(galen.EINVALID, "npy: format version %d.%d not supported", b[6], b[7])
	}
	if hlen > len(b)-start {
		return nil, galen.Errorf(galen.EINVALID, "npy: header of %d bytes at offset %d runs past the end (%d bytes)", hlen, start, len(b))
	}
	descr, fortran, shape, err := parseNPYHeader(string(b[start : start+hlen]))
	if err != nil {
		return nil, err
	}
	if fortran {
		return nil, galen.Errorf(galen.EINVALID, "npy: fortran_order arrays not supported")
	}
	if len(descr) != 3 {
		return nil, galen.Errorf(galen.EINVALID, "npy: dtype %q not supported", descr)
	}
	order, kind := descr[0], descr[1]
	width, err := strconv.Atoi(descr[2:])
	if err != nil || order != '<' && order != '>' && order != '|' && order != '=' {
		return nil, galen.Errorf(galen.EINVALID, "npy: dtype %q not supported", descr)
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if order == '>' {
		bo = binary.BigEndian
	}
	okWidth := map[byte][]int{'b': {1}, 'u': {1, 2, 4, 8}, 'i': {1, 2, 4, 8}, 'f': {4, 8}}[kind]
	if !containsInt(okWidth, width) {
		return nil, galen.Errorf(galen.EINVALID, "npy: dtype %q not supported", descr)
	}
	n := 1
	for _, d := range shape {
		if d < 0 || d > maxNPYBytes || n*max(d, 1) > maxNPYBytes {
			return nil, galen.Errorf(galen.EINVALID, "npy: shape %v too large", shape)
		}
		n *= d
	}
	data := b[start+hlen:]
	if len(data) != n*width {
		return nil, galen.Errorf(galen.EINVALID, "npy: shape %v of %s needs %d data bytes, file has %d", shape, descr, n*width, len(data))
	}
	a := &Array{Shape: shape, Values: make([]float64, n)}
	if kind == 'u' && width == 1 {
		a.U8 = append([]uint8(nil), data...)
	}
	for i := range n {
		p := data[i*width : (i+1)*width]
		var v float64
		switch {
		case kind == 'b' || kind == 'u' && width == 1:
			v = float64(p[0])
		case kind == 'i' && width == 1:
			v = float64(int8(p[0]))
		case kind == 'u' && width == 2:
			v = float64(bo.Uint16(p))
		case kind == 'i' && width == 2:
			v = float64(int16(bo.Uint16(p)))
		case kind == 'u' && width == 4:
			v = float64(bo.Uint32(p))
		case kind == 'i' && width == 4:
			v = float64(int32(bo.Uint32(p)))
		case kind == 'u' && width == 8:
			v = float64(bo.Uint64(p))
		case kind == 'i' && width == 8:
			v = float64(int64(bo.Uint64(p)))
		case kind == 'f' && width == 4:
			v = float64(math.Float32frombits(bo.Uint32(p)))
		case kind == 'f' && width == 8:
			v = math.Float64frombits(bo.Uint64(p))
		}
		a.Values[i] = v
	}
	return a, nil
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// parseNPYHeader reads the Python dict literal of a .npy header, e.g.
// {'descr': '|u1', 'fortran_order': False, 'shape': (3882, 28, 28), }.
func parseNPYHeader(h string) (descr string, fortran bool, shape []int, err error) {
	bad := func(format string, args ...any) error {
		return galen.Errorf(galen.EINVALID, "npy: header: "+format, args...)
	}
	s := strings.TrimSpace(h)
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
		return "", false, nil, bad("not a dict")
	}
	s = strings.TrimSpace(s[1 : len(s)-1])
	seen := map[string]bool{}
	for s != "" {
		key, rest, ok := cutQuoted(s)
		if !ok {
			return "", false, nil, bad("expected a quoted key at %q", clip(s))
		}
		rest = strings.TrimSpace(rest)
		if !strings.HasPrefix(rest, ":") {
			return "", false, nil, bad("expected ':' after key %q", key)
		}
		rest = strings.TrimSpace(rest[1:])
		if seen[key] {
			return "", false, nil, bad("key %q twice", key)
		}
		seen[key] = true
		switch key {
		case "descr":
			descr, rest, ok = cutQuoted(rest)
			if !ok {
				return "", false, nil, bad("descr is not a string")
			}
		case "fortran_order":
			switch {
			case strings.HasPrefix(rest, "False"):
				rest = rest[5:]
			case strings.HasPrefix(rest, "True"):
				fortran, rest = true, rest[4:]
			default:
				return "", false, nil, bad("fortran_order is not True or False")
			}
		case "shape":
			if !strings.HasPrefix(rest, "(") {
				return "", false, nil, bad("shape is not a tuple")
			}
			end := strings.IndexByte(rest, ')')
			if end < 0 {
				return "", false, nil, bad("shape tuple not closed")
			}
			shape = []int{}
			for _, f := range strings.Split(rest[1:end], ",") {
				f = strings.TrimSpace(f)
				if f == "" {
					continue
				}
				d, err := strconv.Atoi(strings.TrimSuffix(f, "L"))
				if err != nil || d < 0 {
					return "", false, nil, bad("shape dimension %q", clip(f))
				}
				shape = append(shape, d)
			}
			if len(shape) > 8 {
				return "", false, nil, bad("%d dimensions, at most 8", len(shape))
			}
			rest = rest[end+1:]
		default:
			return "", false, nil, bad("unknown key %q", key)
		}
		rest = strings.TrimSpace(rest)
		if strings.HasPrefix(rest, ",") {
			rest = strings.TrimSpace(rest[1:])
		} else if rest != "" {
			return "", false, nil, bad("expected ',' at %q", clip(rest))
		}
		s = rest
	}
	if !seen["descr"] || !seen["fortran_order"] || !seen["shape"] {
		return "", false, nil, bad("needs descr, fortran_order and shape")
	}
	return descr, fortran, shape, nil
}

func cutQuoted(s string) (val, rest string, ok bool) {
	if len(s) < 2 || s[0] != '\'' && s[0] != '"' {
		return "", s, false
	}
	end := strings.IndexByte(s[1:], s[0])
	if end < 0 {
		return "", s, false
	}
	return s[1 : 1+end], s[2+end:], true
}

func clip(s string) string {
	if len(s) > 20 {
		return s[:20] + "..."
	}
	return s
}

// Set is one split of a 2-D image classification data set: N grey images
// of H×W pixels (uint8, row-major, image after image) and a label each.
type Set struct {
	N, H, W int
	Pixels  []uint8
	Labels  []int
}

// Image returns the pixels of image i.
func (s *Set) Image(i int) []uint8 { return s.Pixels[i*s.H*s.W : (i+1)*s.H*s.W] }

// Slice returns images [lo, hi) as a new Set sharing memory with s.
func (s *Set) Slice(lo, hi int) *Set {
	return &Set{N: hi - lo, H: s.H, W: s.W, Pixels: s.Pixels[lo*s.H*s.W : hi*s.H*s.W], Labels: s.Labels[lo:hi]}
}

// MedMNIST holds the three splits of a MedMNIST .npz file.
type MedMNIST struct{ Train, Val, Test *Set }

// Split returns the split named train, val or test.
func (m *MedMNIST) Split(name string) (*Set, error) {
	switch name {
	case "train":
		return m.Train, nil
	case "val":
		return m.Val, nil
	case "test":
		return m.Test, nil
	}
	return nil, galen.Errorf(galen.EINVALID, "unknown split %q (want train, val or test)", name)
}

// ReadMedMNIST reads a MedMNIST 2-D .npz (train/val/test _images uint8
// [N,H,W], _labels [N,1] or [N]) with binary labels 0 and 1.
func ReadMedMNIST(r io.ReaderAt, size int64) (*MedMNIST, error) {
	arrs, err := ReadNPZ(r, size)
	if err != nil {
		return nil, err
	}
	var m MedMNIST
	for _, split := range []string{"train", "val", "test"} {
		s, err := medmnistSplit(arrs, split)
		if err != nil {
			return nil, err
		}
		switch split {
		case "train":
			m.Train = s
		case "val":
			m.Val = s
		default:
			m.Test = s
		}
	}
	if m.Train.H != m.Val.H || m.Train.W != m.Val.W || m.Train.H != m.Test.H || m.Train.W != m.Test.W {
		return nil, galen.Errorf(galen.EINVALID, "npz: splits have different image sizes")
	}
	return &m, nil
}

func medmnistSplit(arrs map[string]*Array, split string) (*Set, error) {
	im, lb := arrs[split+"_images"], arrs[split+"_labels"]
	if im == nil || lb == nil {
		return nil, galen.Errorf(galen.EINVALID, "npz: missing %s_images or %s_labels", split, split)
	}
	if im.U8 == nil || len(im.Shape) != 3 || im.Shape[1] < 1 || im.Shape[2] < 1 {
		return nil, galen.Errorf(galen.EINVALID, "npz: %s_images must be uint8 [N,H,W] (grey), got shape %v", split, im.Shape)
	}
	n := im.Shape[0]
	if !(len(lb.Shape) == 1 && lb.Shape[0] == n || len(lb.Shape) == 2 && lb.Shape[0] == n && lb.Shape[1] == 1) {
		return nil, galen.Errorf(galen.EINVALID, "npz: %s_labels shape %v does not fit %d images", split, lb.Shape, n)
	}
	s := &Set{N: n, H: im.Shape[1], W: im.Shape[2], Pixels: im.U8, Labels: make([]int, n)}
	for i, v := range lb.Values {
		if v != 0 && v != 1 {
			return nil, galen.Errorf(galen.EINVALID, "npz: %s_labels[%d] = %v, want 0 or 1", split, i, v)
		}
		s.Labels[i] = int(v)
	}
	return s, nil
}

// ReadMedMNISTFile reads a MedMNIST .npz file from disk.
func ReadMedMNISTFile(path string) (*MedMNIST, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	m, err := ReadMedMNIST(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// count returns how many of xs equal v.
func count(xs []int, v int) int {
	n := 0
	for _, x := range xs {
		if x == v {
			n++
		}
	}
	return n
}
