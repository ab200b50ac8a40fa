// Package safetensors reads and writes checkpoints in the safetensors format
// (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header naming each tensor's dtype, shape and byte
// range, optional "__metadata__" strings, then the raw little-endian data.
//
// Galen keeps every tensor as float32 in memory. Save writes F32; Load also
// accepts F16, BF16, F64, I64 and I32 and converts them to float32. Load
// checks the file completely (header size, JSON, dtypes, shapes, byte ranges
// that must tile the data section exactly) and returns an error for anything
// wrong, never a panic.
package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/galenhealth/galen"
)

// DType is a safetensors element type name as it appears in the header.
type DType string

// The element types Load understands. Save always writes F32.
const (
	F32  DType = "F32"
	F16  DType = "F16"
	BF16 DType = "BF16"
	F64  DType = "F64"
	I64  DType = "I64"
	I32  DType = "I32"
)

// size returns the byte size of one element, or 0 for an unknown dtype.
func (d DType) size() int {
	switch d {
	case F32, I32:
		return 4
	case F16, BF16:
		return 2
	case F64, I64:
		return 8
	}
	return 0
}

// MaxHeader is the largest JSON header Load accepts (100 MB, the limit of
// the reference implementation).
const MaxHeader = 100 << 20

// metadataKey is the reserved header entry for free-form string metadata.
const metadataKey = "__metadata__"

// Tensor is one named array: its shape, its values as float32, and the dtype
// it had in the file it was loaded from (F32 for tensors to be saved).
type Tensor struct {
	DType DType
	Shape []int
	Data  []float32
}

// File is the content of one safetensors file.
type File struct {
	Tensors  map[string]Tensor
	Metadata map[string]string
}

// Names returns the tensor names in sorted order.
func (f *File) Names() []string {
	names := make([]string, 0, len(f.Tensors))
	for n := range f.Tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

type headerEntry struct {
	DType   DType   `json:"dtype"`
	Shape   []int   `json:"shape"`
	Offsets []int64 `json:"data_offsets"`
}

// numel returns the element count of shape, or an error when a dimension
// is negative or the count overflows limit.
func numel(shape []int, limit int64) (int64, error) {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension %d in shape %v", d, shape)
		}
		if d != 0 && n > limit/int64(d) {
			return 0, fmt.Errorf("shape %v is larger than the file", shape)
		}
		n *= int64(d)
	}
	return n, nil
}

// Save writes tensors (as F32, sorted by name) and metadata to w.
func Save(w io.Writer, tensors map[string]Tensor, metadata map[string]string) error {
	names := make([]string, 0, len(tensors))
	for n := range tensors {
		if n == metadataKey {
			return galen.Errorf(galen.EINVALID, "safetensors: tensor name %q is reserved", n)
		}
		names = append(names, n)
	}
	sort.Strings(names)
	header := make(map[string]any, len(tensors)+1)
	if len(metadata) > 0 {
		header[metadataKey] = metadata
	}
	var off int64
	for _, n := range names {
		t := tensors[n]
		cnt, err := numel(t.Shape, math.MaxInt64/4)
		if err != nil {
			return galen.Errorf(galen.EINVALID, "safetensors: tensor %q: %v", n, err)
		}
		if cnt != int64(len(t.Data)) {
			return galen.Errorf(galen.EINVALID, "safetensors: tensor %q has %d values for shape %v", n, len(t.Data), t.Shape)
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		header[n] = headerEntry{DType: F32, Shape: shape, Offsets: []int64{off, off + 4*cnt}}
		off += 4 * cnt
	}
	js, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("safetensors: encode header: %w", err)
	}
	// Pad the header with spaces so the data starts 8-byte aligned, as the
	// reference implementation does.
	if pad := (8 - len(js)%8) % 8; pad > 0 {
		js = append(js, bytes.Repeat([]byte{' '}, pad)...)
	}
	buf := make([]byte, 8, 8+len(js))
	binary.LittleEndian.PutUint64(buf, uint64(len(js)))
	buf = append(buf, js...)
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("safetensors: write header: %w", err)
	}
	chunk := make([]byte, 0, 1<<16)
	for _, n := range names {
		for _, v := range tensors[n].Data {
			chunk = binary.LittleEndian.AppendUint32(chunk, math.Float32bits(v))
			if len(chunk) == cap(chunk) {
				if _, err := w.Write(chunk); err != nil {
					return fmt.Errorf("safetensors: write data: %w", err)
				}
				chunk = chunk[:0]
			}
		}
	}
	if _, err := w.Write(chunk); err != nil {
		return fmt.Errorf("safetensors: write data: %w", err)
	}
	return nil
}

// Load parses a whole safetensors file held in memory.
func Load(data []byte) (*File, error) {
	if len(data) < 8 {
		return nil, corrupt("file is %d bytes, shorter than the 8-byte header length", len(data))
	}
	n := binary.LittleEndian.Uint64(data)
	if n > MaxHeader {
		return nil, corrupt("header length %d is over the %d-byte limit", n, MaxHeader)
	}
	if n > uint64(len(data)-8) {
		return nil, corrupt("header length %d is past the end of the %d-byte file", n, len(data))
	}
	entries, meta, err := parseHeader(data[8 : 8+n])
	if err != nil {
		return nil, err
	}
	return build(entries, meta, data[8+n:])
}

// Read reads a safetensors file from r. It reads no more than the header
// says the file holds, and fails on a short file.
func Read(r io.Reader) (*File, error) {
	var lenBuf [8]byte
	if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
		return nil, corrupt("file is shorter than the 8-byte header length (%v)", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > MaxHeader {
		return nil, corrupt("header length %d is over the %d-byte limit", n, MaxHeader)
	}
	hdr, err := io.ReadAll(io.LimitReader(r, int64(n)))
	if err != nil {
		return nil, fmt.Errorf("safetensors: read header: %w", err)
	}
	if uint64(len(hdr)) != n {
		return nil, corrupt("header length %d is past the end of the file", n)
	}
	entries, meta, err := parseHeader(hdr)
	if err != nil {
		return nil, err
	}
	var size int64
	for _, e := range entries {
		if len(e.Offsets) == 2 { // build reports the other cases
			size = max(size, min(e.Offsets[1], math.MaxInt64-1))
		}
	}
	// ReadAll grows with the bytes actually present, so a header that
	// claims a huge data section cannot make us allocate it up front. One
	// byte more than needed is read to notice trailing data.
	data, err := io.ReadAll(io.LimitReader(r, size+1))
	if err != nil {
		return nil, fmt.Errorf("safetensors: read data: %w", err)
	}
	return build(entries, meta, data)
}

type namedEntry struct {
	name string
	headerEntry
}

func corrupt(format string, args ...any) error {
	return galen.Errorf(galen.EINVALID, "safetensors: "+format, args...)
}

func parseHeader(hdr []byte) ([]namedEntry, map[string]string, error) {
	if len(hdr) == 0 || hdr[0] != '{' {
		return nil, nil, corrupt("header is not a JSON object")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &raw); err != nil {
		return nil, nil, corrupt("header JSON: %v", err)
	}
	var meta map[string]string
	entries := make([]namedEntry, 0, len(raw))
	for name, msg := range raw {
		if name == metadataKey {
			if err := json.Unmarshal(msg, &meta); err != nil {
				return nil, nil, corrupt("__metadata__ must map strings to strings: %v", err)
			}
			continue
		}
		var e headerEntry
		dec := json.NewDecoder(bytes.NewReader(msg))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, nil, corrupt("tensor %q: %v", name, err)
		}
		entries = append(entries, namedEntry{name, e})
	}
	return entries, meta, nil
}

// build checks every entry against the data section and converts it.
func build(entries []namedEntry, meta map[string]string, data []byte) (*File, error) {
	var problems []string
	for _, e := range entries {
		if err := check(e.headerEntry, int64(len(data))); err != nil {
			problems = append(problems, fmt.Sprintf("tensor %q: %v", e.name, err))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, corrupt("%s", strings.Join(problems, "; "))
	}
	// The byte ranges must tile the data section: no gaps, no overlaps.
	slices.SortFunc(entries, func(a, b namedEntry) int {
		// Empty tensors sort before a tensor starting at the same offset.
		for i := range 2 {
			if a.Offsets[i] != b.Offsets[i] {
				if a.Offsets[i] < b.Offsets[i] {
					return -1
				}
				return 1
			}
		}
		return strings.Compare(a.name, b.name)
	})
	var end int64
	for _, e := range entries {
		if e.Offsets[0] != end {
			if e.Offsets[0] < end {
				return nil, corrupt("tensor %q: data_offsets [%d, %d] overlap the tensor before it", e.name, e.Offsets[0], e.Offsets[1])
			}
			return nil, corrupt("tensor %q: gap before data_offsets [%d, %d]", e.name, e.Offsets[0], e.Offsets[1])
		}
		end = e.Offsets[1]
	}
	if end != int64(len(data)) {
		return nil, corrupt("data section is %d bytes but the tensors cover %d", len(data), end)
	}
	f := &File{Tensors: make(map[string]Tensor, len(entries)), Metadata: meta}
	for _, e := range entries {
		f.Tensors[e.name] = Tensor{DType: e.DType, Shape: e.Shape, Data: convert(e.DType, data[e.Offsets[0]:e.Offsets[1]])}
	}
	return f, nil
}

func check(e headerEntry, dataLen int64) error {
	size := e.DType.size()
	if size == 0 {
		return fmt.Errorf("unsupported dtype %q", e.DType)
	}
	if e.Shape == nil {
		return fmt.Errorf("missing shape")
	}
	if len(e.Offsets) != 2 {
		return fmt.Errorf("data_offsets must have 2 values, has %d", len(e.Offsets))
	}
	b, end := e.Offsets[0], e.Offsets[1]
	if b < 0 || end < b || end > dataLen {
		return fmt.Errorf("data_offsets [%d, %d] outside the %d-byte data section", b, end, dataLen)
	}
	cnt, err := numel(e.Shape, dataLen)
	if err != nil {
		return err
	}
	if cnt*int64(size) != end-b {
		return fmt.Errorf("shape %v of %s needs %d bytes, data_offsets give %d", e.Shape, e.DType, cnt*int64(size), end-b)
	}
	return nil
}

func convert(d DType, b []byte) []float32 {
	out := make([]float32, len(b)/d.size())
	le := binary.LittleEndian
	for i := range out {
		switch d {
		case F32:
			out[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		case F64:
			out[i] = float32(math.Float64frombits(le.Uint64(b[8*i:])))
		case I64:
			out[i] = float32(int64(le.Uint64(b[8*i:])))
		case I32:
			out[i] = float32(int32(le.Uint32(b[4*i:])))
		case BF16:
			out[i] = math.Float32frombits(uint32(le.Uint16(b[2*i:])) << 16)
		case F16:
			out[i] = halfToFloat(le.Uint16(b[2*i:]))
		}
	}
	return out
}

// halfToFloat converts an IEEE 754 binary16 value to float32 exactly.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
	case frac == 0: // signed zero
		return math.Float32frombits(sign)
	}
	// Subnormal half: value is frac * 2^-24.
	v := float32(frac) * (1.0 / (1 << 24))
	if sign != 0 {
		v = -v
	}
	return v
}
