package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/galenhealth/galen"
)

// TestGolden reads a file written by tools/torchref/gen_safetensors_golden.py
// from PyTorch tensors, one per dtype.
func TestGolden(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "golden.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := Load(data)
	if err != nil {
		t.Fatal(err)
	}
	vals := []float32{0.5, -1.25, 3, 65504, float32(math.Ldexp(1, -24)), float32(math.Copysign(0, -1))}
	tests := []struct {
		name  string
		dtype DType
		shape []int
		want  []float32
	}{
		{"f32", F32, []int{2, 3}, vals},
		{"f16", F16, []int{2, 3}, vals},
		{"f64", F64, []int{2, 3}, vals},
		{"bf16", BF16, []int{3}, []float32{1, -2.5, 3.140625}},
		{"i64", I64, []int{2, 2}, []float32{1, -2, 300, 4}},
		{"scalar", F32, []int{}, []float32{7}},
		{"empty", F32, []int{0, 3}, []float32{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := f.Tensors[tt.name]
			if !ok {
				t.Fatalf("missing; file has %v", f.Names())
			}
			if got.DType != tt.dtype || !slices.Equal(got.Shape, tt.shape) {
				t.Fatalf("dtype %s shape %v, want %s %v", got.DType, got.Shape, tt.dtype, tt.shape)
			}
			if len(got.Data) != len(tt.want) {
				t.Fatalf("len %d, want %d", len(got.Data), len(tt.want))
			}
			for i := range tt.want {
				if math.Float32bits(got.Data[i]) != math.Float32bits(tt.want[i]) {
					t.Errorf("[%d] = %v, want %v", i, got.Data[i], tt.want[i])
				}
			}
		})
	}
	if f.Metadata["format"] != "pt" || f.Metadata["note"] != "galen golden" {
		t.Errorf("metadata = %v", f.Metadata)
	}
	if len(f.Tensors) != len(tests) {
		t.Errorf("file has %d tensors, want %d", len(f.Tensors), len(tests))
	}
}

func TestRoundTrip(t *testing.T) {
	in := map[string]Tensor{
		"enc.0.weight": {Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, float32(math.Inf(-1))}},
		"enc.0.bias":   {Shape: []int{2}, Data: []float32{-1, 0.25}},
		"step":         {Shape: nil, Data: []float32{42}},
		"none":         {Shape: []int{0}, Data: nil},
	}
	var buf bytes.Buffer
	if err := Save(&buf, in, map[string]string{"epoch": "3"}); err != nil {
		t.Fatal(err)
	}
	if hl := binary.LittleEndian.Uint64(buf.Bytes()); hl%8 != 0 {
		t.Errorf("header length %d not 8-aligned", hl)
	}
	for _, load := range []struct {
		name string
		fn   func([]byte) (*File, error)
	}{
		{"Load", Load},
		{"Read", func(b []byte) (*File, error) { return Read(bytes.NewReader(b)) }},
	} {
		t.Run(load.name, func(t *testing.T) {
			f, err := load.fn(buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if f.Metadata["epoch"] != "3" {
				t.Errorf("metadata = %v", f.Metadata)
			}
			if !slices.Equal(f.Names(), []string{"enc.0.bias", "enc.0.weight", "none", "step"}) {
				t.Errorf("names = %v", f.Names())
			}
			for name, want := range in {
				got := f.Tensors[name]
				if got.DType != F32 || len(got.Shape) != len(want.Shape) || !slices.Equal(got.Data, append([]float32{}, want.Data...)) {
					t.Errorf("%s = %+v, want %+v", name, got, want)
				}
			}
		})
	}
}

func TestSaveErrors(t *testing.T) {
	tests := []struct {
		name    string
		tensors map[string]Tensor
	}{
		{"wrong length", map[string]Tensor{"w": {Shape: []int{2, 2}, Data: []float32{1}}}},
		{"negative dim", map[string]Tensor{"w": {Shape: []int{-1}, Data: nil}}},
		{"reserved name", map[string]Tensor{"__metadata__": {Shape: []int{1}, Data: []float32{1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Save(&bytes.Buffer{}, tt.tensors, nil); galen.ErrorCode(err) != galen.EINVALID {
				t.Fatalf("err = %v, want EINVALID", err)
			}
		})
	}
}

// file builds a raw safetensors file from a header string and a data size.
func file(header string, data int) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, make([]byte, data)...)
}

func TestLoadErrors(t *testing.T) {
	huge := binary.LittleEndian.AppendUint64(nil, 1<<40)
	tests := []struct {
		name, want string
		data       []byte
	}{
		{"empty", "shorter than", nil},
		{"huge header", "over the", huge},
		{"header past end", "past the end", file(`{}`, 0)[:9]},
		{"not json", "not a JSON object", file(`[1]`, 0)},
		{"bad json", "header JSON", file(`{"a":`, 0)},
		{"bad metadata", "__metadata__", file(`{"__metadata__":{"a":1}}`, 0)},
		{"unknown field", "unknown field", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}`, 4)},
		{"unknown dtype", "unsupported dtype", file(`{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}`, 8)},
		{"no shape", "missing shape", file(`{"a":{"dtype":"F32","data_offsets":[0,4]}}`, 4)},
		{"three offsets", "2 values", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, 8)},
		{"offsets past end", "outside", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 4)},
		{"reversed offsets", "outside", file(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}`, 4)},
		{"shape size mismatch", "needs 12 bytes", file(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, 8)},
		{"negative dim", "negative dimension", file(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4)},
		{"overflowing shape", "larger than the file", file(`{"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,4]}}`, 4)},
		{"overlap", "overlap", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8)},
		{"gap", "gap", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8)},
		{"trailing bytes", "cover 4", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 8)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, load := range []func([]byte) (*File, error){Load, func(b []byte) (*File, error) { return Read(bytes.NewReader(b)) }} {
				_, err := load(tt.data)
				if galen.ErrorCode(err) != galen.EINVALID || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want EINVALID containing %q", err, tt.want)
				}
			}
		})
	}
}

func TestAssign(t *testing.T) {
	var buf bytes.Buffer
	err := Save(&buf, map[string]Tensor{
		"w":     {Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}},
		"b":     {Shape: []int{2}, Data: []float32{5, 6}},
		"extra": {Shape: []int{1}, Data: []float32{7}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Load(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	t.Run("mismatch", func(t *testing.T) {
		w := make([]float32, 4)
		err := f.Assign(map[string]Target{
			"w":    {Shape: []int{4}, Data: w},
			"b":    {Shape: []int{2}, Data: make([]float32, 2)},
			"gone": {Shape: []int{1}, Data: make([]float32, 1)},
		})
		var m *MismatchError
		if !errors.As(err, &m) || galen.ErrorCode(err) != galen.EINVALID {
			t.Fatalf("err = %v, want *MismatchError with EINVALID", err)
		}
		if !slices.Equal(m.Missing, []string{"gone"}) || !slices.Equal(m.Unexpected, []string{"extra"}) || len(m.Shape) != 1 || !strings.HasPrefix(m.Shape[0], "w:") {
			t.Fatalf("mismatch = %+v", m)
		}
		if w[0] != 0 {
			t.Error("copied despite mismatch")
		}
	})
	t.Run("dtype", func(t *testing.T) {
		g := &File{Tensors: map[string]Tensor{"idx": {DType: I64, Shape: []int{1}, Data: []float32{1}}}}
		var m *MismatchError
		if err := g.Assign(map[string]Target{"idx": {Shape: []int{1}, Data: make([]float32, 1)}}); !errors.As(err, &m) || len(m.DType) != 1 {
			t.Fatalf("err = %v, want dtype mismatch", err)
		}
	})
	t.Run("ok", func(t *testing.T) {
		w, b, e := make([]float32, 4), make([]float32, 2), make([]float32, 1)
		err := f.Assign(map[string]Target{"w": {Shape: []int{2, 2}, Data: w}, "b": {Shape: []int{2}, Data: b}, "extra": {Shape: []int{1}, Data: e}})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(w, []float32{1, 2, 3, 4}) || !slices.Equal(b, []float32{5, 6}) || e[0] != 7 {
			t.Errorf("w %v b %v e %v", w, b, e)
		}
	})
}

func TestHalfToFloat(t *testing.T) {
	tests := []struct {
		name string
		h    uint16
		want float32
	}{
		{"one", 0x3c00, 1},
		{"max", 0x7bff, 65504},
		{"min subnormal", 0x0001, float32(math.Ldexp(1, -24))},
		{"neg subnormal", 0x8200, -float32(math.Ldexp(1, -15))},
		{"inf", 0x7c00, float32(math.Inf(1))},
		{"minus two", 0xc000, -2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := halfToFloat(tt.h); got != tt.want {
				t.Errorf("halfToFloat(%#x) = %v, want %v", tt.h, got, tt.want)
			}
		})
	}
	if v := halfToFloat(0x7e00); !math.IsNaN(float64(v)) {
		t.Errorf("NaN converted to %v", v)
	}
}

func FuzzLoad(f *testing.F) {
	golden, err := os.ReadFile(filepath.Join("testdata", "golden.safetensors"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	var buf bytes.Buffer
	if err := Save(&buf, map[string]Tensor{"a": {Shape: []int{2}, Data: []float32{1, 2}}, "b": {Shape: []int{1}, Data: []float32{3}}}, map[string]string{"k": "v"}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(file(`{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, 4))
	f.Add(file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		f1, err1 := Load(data)
		f2, err2 := Read(bytes.NewReader(data))
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("Load err %v, Read err %v", err1, err2)
		}
		if err1 != nil {
			if galen.ErrorCode(err1) != galen.EINVALID {
				t.Fatalf("error code %q: %v", galen.ErrorCode(err1), err1)
			}
			return
		}
		if len(f1.Tensors) != len(f2.Tensors) {
			t.Fatalf("Load %d tensors, Read %d", len(f1.Tensors), len(f2.Tensors))
		}
		// What loads must save and load back to the same values.
		var out bytes.Buffer
		if err := Save(&out, f1.Tensors, f1.Metadata); err != nil {
			t.Fatal(err)
		}
		g, err := Load(out.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		for name, tn := range f1.Tensors {
			if !slices.Equal(g.Tensors[name].Shape, tn.Shape) || len(g.Tensors[name].Data) != len(tn.Data) {
				t.Fatalf("%s changed shape in round trip", name)
			}
		}
	})
}
