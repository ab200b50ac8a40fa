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
	out, n, ok := countNumbersFast(t, want)
	switch {
	case ok && n == want:
		return out, nil
	case ok:
		return galen.Tensor{}, bad("shape %v needs %d elements, data has %d", t.Shape, want, n)
	}
	return t.decodeTree(want)
}

// decodeTree is the general path of Decode, after the checks of name and
// shape. It streams the data twice, keeping no tree of values, so that its
// memory is the tensor it returns whatever the body holds: once to check
// that it is an array nested at most maxDepth deep and to count its
// elements, then, if the count matches the shape, to convert each element,
// with an error naming the first that does not fit. (It once decoded the
// data into a tree of any values: a 30 MB body took 1.6 GB.)
func (t InferTensor) decodeTree(want int64) (galen.Tensor, error) {
	bad := func(format string, args ...any) error {
		return galen.Errorf(galen.EINVALID, "tensor %q: %s", t.Name, fmt.Sprintf(format, args...))
	}
	n, err := t.walk(func(int64, any) error { return nil })
	if err != nil {
		return galen.Tensor{}, bad("%v", err)
	}
	if n != want {
		return galen.Tensor{}, bad("shape %v needs %d elements, data has %d", t.Shape, want, n)
	}
	out := galen.Tensor{Name: t.Name, Datatype: t.Datatype, Shape: t.Shape}
	var convert func(i int64, e any) error
	switch t.Datatype {
	case galen.DatatypeFP32, galen.DatatypeFP64:
		out.Floats = make([]float64, n)
		convert = func(i int64, e any) error {
			num, ok := e.(json.Number)
			if !ok {
				return fmt.Errorf("element %d is %s, want a number", i, kind(e))
			}
			f, err := strconv.ParseFloat(string(num), 64)
			if err != nil || (t.Datatype == galen.DatatypeFP32 && math.Abs(f) > math.MaxFloat32) {
				return fmt.Errorf("element %d (%s) is out of range for %s", i, num, t.Datatype)
			}
			out.Floats[i] = f
			return nil
		}
	case galen.DatatypeINT32, galen.DatatypeINT64, galen.DatatypeUINT8:
		out.Ints = make([]int64, n)
		convert = func(i int64, e any) error {
			num, ok := e.(json.Number)
			if !ok {
				return fmt.Errorf("element %d is %s, want an integer", i, kind(e))
			}
			x, err := strconv.ParseInt(string(num), 10, 64)
			if err != nil {
				return fmt.Errorf("element %d (%s) is not an integer in range for %s", i, num, t.Datatype)
			}
			if t.Datatype == galen.DatatypeINT32 && (x < math.MinInt32 || x > math.MaxInt32) {
				return fmt.Errorf("element %d (%s) is out of range for INT32", i, num)
			}
			if t.Datatype == galen.DatatypeUINT8 && (x < 0 || x > math.MaxUint8) {
				return fmt.Errorf("element %d (%s) is out of range for UINT8", i, num)
			}
			out.Ints[i] = x
			return nil
		}
	case galen.DatatypeBOOL:
		out.Ints = make([]int64, n)
		convert = func(i int64, e any) error {
			b, ok := e.(bool)
			if !ok {
				return fmt.Errorf("element %d is %s, want true or false", i, kind(e))
			}
			if b {
				out.Ints[i] = 1
			}
			return nil
		}
	case galen.DatatypeBYTES:
		out.Strings = make([]string, n)
		convert = func(i int64, e any) error {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("element %d is %s, want a string", i, kind(e))
			}
			out.Strings[i] = s
			return nil
		}
	default:
		return galen.Tensor{}, bad("unsupported datatype %q (want BOOL, UINT8, INT32, INT64, FP32, FP64 or BYTES)", t.Datatype)
	}
	if _, err := t.walk(convert); err != nil {
		return galen.Tensor{}, bad("%v", err)
	}
	return out, nil
}

// maxDepth bounds the nesting of data arrays.
const maxDepth = 32

// walk streams the data, which must be a JSON array nested at most
// maxDepth deep, calling visit with each element in row-major order (an
// object counts as one element, seen as an empty map), and returns the
// number of elements.
func (t InferTensor) walk(visit func(i int64, e any) error) (int64, error) {
	dec := json.NewDecoder(bytes.NewReader(t.Data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return 0, fmt.Errorf("data is not valid JSON: %v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return 0, fmt.Errorf("data must be a JSON array")
	}
	var i int64
	for open := 1; open > 0; {
		tok, err := dec.Token()
		if err != nil {
			return 0, fmt.Errorf("data is not valid JSON: %v", err)
		}
		var e any = tok
		switch tok {
		case json.Delim('['):
			if open >= maxDepth {
				return 0, fmt.Errorf("data is nested deeper than %d levels", maxDepth)
			}
			open++
			continue
		case json.Delim(']'):
			open--
			continue
		case json.Delim('{'):
			if err := skipObject(dec); err != nil {
				return 0, fmt.Errorf("data is not valid JSON: %v", err)
			}
			e = map[string]any{}
		}
		if err := visit(i, e); err != nil {
			return 0, err
		}
		i++
	}
	return i, nil
}

// skipObject reads the rest of an object whose '{' was just read.
func skipObject(dec *json.Decoder) error {
	for open := 1; open > 0; {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			open++
		case json.Delim('}'), json.Delim(']'):
			open--
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
