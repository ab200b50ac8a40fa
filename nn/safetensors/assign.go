package safetensors

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/galenhealth/galen"
)

// Target is a model parameter to fill from a file: its expected shape and
// the storage the values are copied into (len(Data) must equal the shape's
// element count).
type Target struct {
	Shape []int
	Data  []float32
}

// MismatchError lists every way a file differs from the parameters a model
// expects. Assign returns it wrapped in a *galen.Error with code EINVALID,
// so errors.As finds it.
type MismatchError struct {
	Missing    []string // in the model, not in the file
	Unexpected []string // in the file, not in the model
	Shape      []string // "name: file [a b], model [c d]"
	DType      []string // "name: I64" (integer tensors are not parameters)
}

func (e *MismatchError) Error() string {
	var parts []string
	add := func(what string, list []string) {
		if len(list) > 0 {
			parts = append(parts, what+" "+strings.Join(list, ", "))
		}
	}
	add("missing", e.Missing)
	add("unexpected", e.Unexpected)
	add("wrong shape", e.Shape)
	add("wrong dtype", e.DType)
	return "safetensors: checkpoint does not match the model: " + strings.Join(parts, "; ")
}

// Assign copies each tensor of f into the target with the same name. It
// checks names, shapes and dtypes first (float dtypes are accepted and
// converted, integer ones are not) and, if anything differs, copies nothing
// and returns one EINVALID error listing every mismatch (a *MismatchError
// inside).
func (f *File) Assign(targets map[string]Target) error {
	var m MismatchError
	for name, t := range targets {
		ft, ok := f.Tensors[name]
		if !ok {
			m.Missing = append(m.Missing, name)
			continue
		}
		if !slices.Equal(ft.Shape, t.Shape) {
			m.Shape = append(m.Shape, fmt.Sprintf("%s: file %v, model %v", name, ft.Shape, t.Shape))
		}
		switch ft.DType {
		case F32, F16, BF16, F64:
		default:
			m.DType = append(m.DType, fmt.Sprintf("%s: %s", name, ft.DType))
		}
	}
	for name := range f.Tensors {
		if _, ok := targets[name]; !ok {
			m.Unexpected = append(m.Unexpected, name)
		}
	}
	if len(m.Missing)+len(m.Unexpected)+len(m.Shape)+len(m.DType) > 0 {
		for _, l := range [][]string{m.Missing, m.Unexpected, m.Shape, m.DType} {
			sort.Strings(l)
		}
		return galen.WrapError(galen.EINVALID, "checkpoint does not match the model", &m)
	}
	for name, t := range targets {
		src := f.Tensors[name].Data
		if len(t.Data) != len(src) {
			return galen.Errorf(galen.EINVALID, "safetensors: target %q has %d values for shape %v", name, len(t.Data), t.Shape)
		}
	}
	for name, t := range targets {
		copy(t.Data, f.Tensors[name].Data)
	}
	return nil
}
