package api

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// FuzzDecodeNumbersFast checks the numeric fast path against the general
// one: whatever it takes, decodeTree must decode to the same tensor.
func FuzzDecodeNumbersFast(f *testing.F) {
	f.Add("FP32", "[[1,2],[3,4.5e-1]]", int64(4))
	f.Add("INT32", "[1, -2147483648, 2147483647]", int64(3))
	f.Add("INT64", "[[[]],[9223372036854775807]]", int64(1))
	f.Add("FP64", "[-0, 1e308]", int64(2))
	f.Add("FP32", "[1e39]", int64(1))
	f.Add("BOOL", "[true]", int64(1))
	f.Add("UINT8", "[[0, 255], [256, -1]]", int64(4))
	f.Fuzz(func(t *testing.T, datatype, data string, want int64) {
		if !json.Valid([]byte(data)) {
			return // an InferTensor's data is always one JSON value
		}
		it := InferTensor{Name: "x", Datatype: datatype, Shape: []int64{want}, Data: json.RawMessage(data)}
		if _, n, ok := countNumbersFast(it, want); ok && n != want && want >= 0 {
			// A count the fast path finds wrong, the general path finds
			// the same.
			_, err := it.decodeTree(want)
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("needs %d elements, data has %d", want, n)) {
				t.Fatalf("fast path counted %d elements of %s, general path: %v", n, data, err)
			}
		}
		got, ok := decodeNumbersFast(it, want)
		if !ok {
			return
		}
		ref, err := it.decodeTree(want)
		if err != nil {
			t.Fatalf("fast path took %s %s, general path: %v", datatype, data, err)
		}
		if !reflect.DeepEqual(got, ref) {
			t.Fatalf("%s %s:\nfast %+v\ngeneral %+v", datatype, data, got, ref)
		}
	})
}

// BenchmarkDecodeTensor decodes an FP32 [1, 48, 37] tensor, the size of
// the outcome model's inputs, by the fast and the general path.
func BenchmarkDecodeTensor(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("[[")
	for i := range 48 {
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString("[")
		for j := range 37 {
			if j > 0 {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, "%g", float64(i*37+j)/7)
		}
		sb.WriteString("]")
	}
	sb.WriteString("]]")
	it := InferTensor{Name: "values", Datatype: "FP32", Shape: []int64{1, 48, 37}, Data: json.RawMessage(sb.String())}
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			if _, ok := decodeNumbersFast(it, 48*37); !ok {
				b.Fatal("refused")
			}
		}
	})
	b.Run("general", func(b *testing.B) {
		for b.Loop() {
			if _, err := it.decodeTree(48 * 37); err != nil {
				b.Fatal(err)
			}
		}
	})
}
