package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/galenhealth/galen"
)

// InferTensor is one input or output tensor of the Open Inference Protocol
// v2. Data holds the elements in row-major order as a JSON array, flat or
// nested; Decode checks it against Shape and Datatype.
type InferTensor struct {
	Name       string          `json:"name"`
	Shape      []int64         `json:"shape"`
	Datatype   string          `json:"datatype"`
	Parameters map[string]any  `json:"parameters,omitempty"`
	Data       json.RawMessage `json:"data"`
}

// maxElements bounds the element count a shape may claim, so that a
// malicious shape cannot make the server allocate without limit.
const maxElements = 1 << 28

// NewInferTensor encodes t with flat data.
func NewInferTensor(t galen.Tensor) (InferTensor, error) {
	var data any
	switch t.Datatype {
	case galen.DatatypeFP32, galen.DatatypeFP64:
		data = nonNil(t.Floats)
	case galen.DatatypeINT32, galen.DatatypeINT64, galen.DatatypeUINT8:
		data = nonNil(t.Ints)
	case galen.DatatypeBOOL:
		b := make([]bool, len(t.Ints))
		for i, v := range t.Ints {
			b[i] = v != 0
		}
		data = b
	case galen.DatatypeBYTES:
		data = nonNil(t.Strings)
	default:
		return InferTensor{}, galen.Errorf(galen.EINVALID, "tensor %q: unsupported datatype %q", t.Name, t.Datatype)
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return InferTensor{}, fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	return InferTensor{Name: t.Name, Shape: t.Shape, Datatype: t.Datatype, Data: raw}, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Decode checks the tensor and returns it in Galen's form. Errors are
// EINVALID and name the tensor: an unknown datatype, a negative dimension,
// data that is not an array, elements of the wrong type or range, or an
// element count that does not match the shape.
func (t InferTensor) Decode() (galen.Tensor, error) {
	bad := func(format string, args ...any) error {
		return galen.Errorf(galen.EINVALID, "tensor %q: %s", t.Name, fmt.Sprintf(format, args...))
	}
	if t.Name == "" {
		return galen.Tensor{}, galen.Errorf(galen.EINVALID, "tensor without a name")
	}
	want := int64(1)
	for i, d := range t.Shape {
		if d < 0 {
			return galen.Tensor{}, bad("shape[%d] is %d, must be >= 0", i, d)
		}
		if d > 0 && want > maxElements/d {
			return galen.Tensor{}, bad("shape %v has more than %d elements", t.Shape, maxElements)
		}
		want *= d
	}
	if t.Shape == nil {
		return galen.Tensor{}, bad("shape is missing")
	}
	if len(bytes.TrimSpace(t.Data)) == 0 {
		return galen.Tensor{}, bad("data is missing")
	}
	if out, ok := decodeNumbersFast(t, want); ok {
		return out, nil
	}
	return t.decodeTree(want)
}

// decodeTree is the general path of Decode, after the checks of name and
// shape: the data is decoded into a tree of any values, flattened and
// converted, with an error naming the first element that does not fit.
func (t InferTensor) decodeTree(want int64) (galen.Tensor, error) {
	bad := func(format string, args ...any) error {
		return galen.Errorf(galen.EINVALID, "tensor %q: %s", t.Name, fmt.Sprintf(format, args...))
	}
	dec := json.NewDecoder(bytes.NewReader(t.Data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return galen.Tensor{}, bad("data is not valid JSON: %v", err)
	}
	if _, ok := v.([]any); !ok {
		return galen.Tensor{}, bad("data must be a JSON array")
	}
	var flat []any
	if err := flatten(v, &flat, 0); err != nil {
		return galen.Tensor{}, bad("%v", err)
	}
	if int64(len(flat)) != want {
		return galen.Tensor{}, bad("shape %v needs %d elements, data has %d", t.Shape, want, len(flat))
	}
	out := galen.Tensor{Name: t.Name, Datatype: t.Datatype, Shape: t.Shape}
	switch t.Datatype {
	case galen.DatatypeFP32, galen.DatatypeFP64:
		out.Floats = make([]float64, len(flat))
		for i, e := range flat {
			n, ok := e.(json.Number)
			if !ok {
				return galen.Tensor{}, bad("element %d is %s, want a number", i, kind(e))
			}
			f, err := strconv.ParseFloat(string(n), 64)
			if err != nil || (t.Datatype == galen.DatatypeFP32 && math.Abs(f) > math.MaxFloat32) {
				return galen.Tensor{}, bad("element %d (%s) is out of range for %s", i, n, t.Datatype)
			}
			out.Floats[i] = f
		}
	case galen.DatatypeINT32, galen.DatatypeINT64, galen.DatatypeUINT8:
		out.Ints = make([]int64, len(flat))
		for i, e := range flat {
			n, ok := e.(json.Number)
			if !ok {
				return galen.Tensor{}, bad("element %d is %s, want an integer", i, kind(e))
			}
			x, err := strconv.ParseInt(string(n), 10, 64)
			if err != nil {
				return galen.Tensor{}, bad("element %d (%s) is not an integer in range for %s", i, n, t.Datatype)
			}
			if t.Datatype == galen.DatatypeINT32 && (x < math.MinInt32 || x > math.MaxInt32) {
				return galen.Tensor{}, bad("element %d (%s) is out of range for INT32", i, n)
			}
			if t.Datatype == galen.DatatypeUINT8 && (x < 0 || x > math.MaxUint8) {
				return galen.Tensor{}, bad("element %d (%s) is out of range for UINT8", i, n)
			}
			out.Ints[i] = x
		}
	case galen.DatatypeBOOL:
		out.Ints = make([]int64, len(flat))
		for i, e := range flat {
			b, ok := e.(bool)
			if !ok {
				return galen.Tensor{}, bad("element %d is %s, want true or false", i, kind(e))
			}
			if b {
				out.Ints[i] = 1
			}
		}
	case galen.DatatypeBYTES:
		out.Strings = make([]string, len(flat))
		for i, e := range flat {
			s, ok := e.(string)
			if !ok {
				return galen.Tensor{}, bad("element %d is %s, want a string", i, kind(e))
			}
			out.Strings[i] = s
		}
	default:
		return galen.Tensor{}, bad("unsupported datatype %q (want BOOL, UINT8, INT32, INT64, FP32, FP64 or BYTES)", t.Datatype)
	}
	return out, nil
}

// maxDepth bounds the nesting of data arrays.
const maxDepth = 32

func flatten(v any, out *[]any, depth int) error {
	a, ok := v.([]any)
	if !ok {
		*out = append(*out, v)
		return nil
	}
	if depth >= maxDepth {
		return fmt.Errorf("data is nested deeper than %d levels", maxDepth)
	}
	for _, e := range a {
		if err := flatten(e, out, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case map[string]any:
		return "an object"
	default:
		return fmt.Sprintf("%T", v)
	}
}
