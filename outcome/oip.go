package outcome

import (
	"context"
	"fmt"
	"math"

	"github.com/galenhealth/galen"
)

// Open Inference Protocol v2 tensors of the outcome predictor. B is the
// batch size; T and F are the model's bins (48) and len(Variables()) (37).
//
//	input  "values"      FP32 [B, T, F]  bin values in PhysioNet units, variable order of Variables()
//	input  "mask"        FP32 [B, T, F]  1 where the bin has a value, 0 elsewhere (values there are ignored)
//	input  "descriptors" FP32 [B, 5]     Age, Gender, Height, ICUType, Weight; -1 = missing (optional)
//	output "risk"        FP32 [B, 1]     calibrated probability of in-hospital death
//
// Time since last observation is derived from the mask, so no "delta"
// tensor is needed.
const (
	InputValues      = "values"
	InputMask        = "mask"
	InputDescriptors = "descriptors"
	OutputRisk       = "risk"
)

// Loader builds an OIP v2 predictor from an "outcome-grud/v1" artifact.
func Loader(ctx context.Context, v *galen.ModelVersion, artifact []byte) (galen.Predictor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if v != nil && v.Format != "" && v.Format != Format {
		return nil, galen.Errorf(galen.EINVALID, "outcome: model version format %q, want %q", v.Format, Format)
	}
	m, err := Load(artifact)
	if err != nil {
		return nil, err
	}
	return &predictor{m: m}, nil
}

type predictor struct{ m *Model }

// FromPredictor returns the Model behind a Predictor made by Loader, so that
// servers can run explained predictions (Predict) on the cached, queued
// model; ok is false for any other Predictor.
func FromPredictor(p galen.Predictor) (m *Model, ok bool) {
	pp, ok := p.(*predictor)
	if !ok {
		return nil, false
	}
	return pp.m, true
}

// CheckFormat returns EINVALID when version v is not an ICU outcome model
// (its format is not Format), so that a server can refuse it before
// loading it.
func CheckFormat(v *galen.ModelVersion) error {
	if v.Format != Format {
		return galen.Errorf(galen.EINVALID, "model %q version %d has format %q, not an ICU outcome model (%s)", v.ModelName, v.Version, v.Format, Format)
	}
	return nil
}

// FromLoaded returns the Model behind p, the predictor Loader made for
// version v: EINTERNAL when p is not one.
func FromLoaded(v *galen.ModelVersion, p galen.Predictor) (*Model, error) {
	m, ok := FromPredictor(p)
	if !ok {
		return nil, galen.Errorf(galen.EINTERNAL, "model %q version %d did not load as an outcome model", v.ModelName, v.Version)
	}
	return m, nil
}

func (p *predictor) Inputs() []galen.TensorSpec {
	T, F := int64(p.m.a.Config.Bins()), int64(len(variables))
	return []galen.TensorSpec{
		{Name: InputValues, Datatype: galen.DatatypeFP32, Shape: []int64{-1, T, F}},
		{Name: InputMask, Datatype: galen.DatatypeFP32, Shape: []int64{-1, T, F}},
		{Name: InputDescriptors, Datatype: galen.DatatypeFP32, Shape: []int64{-1, int64(len(descriptorNames))}},
	}
}

func (p *predictor) Outputs() []galen.TensorSpec {
	return []galen.TensorSpec{{Name: OutputRisk, Datatype: galen.DatatypeFP32, Shape: []int64{-1, 1}}}
}

// Infer turns each batch row into a stay (one observation per masked bin,
// at the bin's start) and returns its calibrated risk.
func (p *predictor) Infer(ctx context.Context, inputs []galen.Tensor) ([]galen.Tensor, error) {
	cfg := p.m.a.Config
	T, F, D := cfg.Bins(), len(variables), len(descriptorNames)
	byName := map[string]*galen.Tensor{}
	for i := range inputs {
		in := &inputs[i]
		if _, dup := byName[in.Name]; dup {
			return nil, galen.Errorf(galen.EINVALID, "input %q given twice", in.Name)
		}
		byName[in.Name] = in
	}
	for name := range byName {
		if name != InputValues && name != InputMask && name != InputDescriptors {
			return nil, galen.Errorf(galen.EINVALID, "unknown input %q", name)
		}
	}
	B := -1
	get := func(name string, inner []int64, required bool) ([]float64, error) {
		in, ok := byName[name]
		if !ok {
			if required {
				return nil, galen.Errorf(galen.EINVALID, "input %q missing", name)
			}
			return nil, nil
		}
		if in.Datatype != galen.DatatypeFP32 {
			return nil, galen.Errorf(galen.EINVALID, "input %q has datatype %s, want FP32", name, in.Datatype)
		}
		if len(in.Shape) != 1+len(inner) || in.Shape[0] < 1 || in.Shape[0] > 1024 {
			return nil, galen.Errorf(galen.EINVALID, "input %q has shape %v, want [B %v] with 1 <= B <= 1024", name, in.Shape, inner)
		}
		for k, n := range inner {
			if in.Shape[k+1] != n {
				return nil, galen.Errorf(galen.EINVALID, "input %q has shape %v, want [B %v]", name, in.Shape, inner)
			}
		}
		if B >= 0 && int(in.Shape[0]) != B {
			return nil, galen.Errorf(galen.EINVALID, "input %q has batch size %d, want %d", name, in.Shape[0], B)
		}
		B = int(in.Shape[0])
		want := B
		for _, n := range inner {
			want *= int(n)
		}
		if len(in.Floats) != want {
			return nil, galen.Errorf(galen.EINVALID, "input %q has %d values, want %d", name, len(in.Floats), want)
		}
		for _, v := range in.Floats {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, galen.Errorf(galen.EINVALID, "input %q has a value that is not finite", name)
			}
		}
		return in.Floats, nil
	}
	vals, err := get(InputValues, []int64{int64(T), int64(F)}, true)
	if err != nil {
		return nil, err
	}
	mask, err := get(InputMask, []int64{int64(T), int64(F)}, true)
	if err != nil {
		return nil, err
	}
	desc, err := get(InputDescriptors, []int64{int64(D)}, false)
	if err != nil {
		return nil, err
	}
	out := galen.Tensor{Name: OutputRisk, Datatype: galen.DatatypeFP32, Shape: []int64{int64(B), 1}, Floats: make([]float64, B)}
	for b := range B {
		s := &Stay{RecordID: fmt.Sprint(b), Descriptors: map[string]float64{}}
		for t := range T {
			for f := range F {
				k := (b*T+t)*F + f
				switch mask[k] {
				case 0:
				case 1:
					s.Observations = append(s.Observations, Observation{Minutes: t * cfg.BinMinutes, Parameter: variables[f].Name, Value: vals[k]})
				default:
					return nil, galen.Errorf(galen.EINVALID, "input %q must hold only 0 and 1", InputMask)
				}
			}
		}
		for j, name := range descriptorNames {
			if desc != nil {
				s.Descriptors[name] = desc[b*D+j]
			}
		}
		r, err := p.m.Risk(ctx, s)
		if err != nil {
			return nil, err
		}
		out.Floats[b] = r
	}
	return []galen.Tensor{out}, nil
}
