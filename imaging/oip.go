package imaging

import (
	"context"
	"math"

	"github.com/galenhealth/galen"
)

// Open Inference Protocol v2 tensors of the image classifier; N is the
// batch size and S the model's input side (28):
//
//	input  "image"          FP32  [N, 1, S, S]  grey pixels, 0 black to 255 white
//	                        (UINT8 is taken too, and is the compact form)
//	output "probabilities"  FP32  [N, 2]        P(normal), P(pneumonia)
const (
	InputImage          = "image"
	OutputProbabilities = "probabilities"
	maxBatch            = 256
)

// Loader builds an OIP v2 predictor from an "imaging-resnet/v1" artifact.
func Loader(ctx context.Context, v *galen.ModelVersion, artifact []byte) (galen.Predictor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if v != nil && v.Format != "" && v.Format != Format {
		return nil, galen.Errorf(galen.EINVALID, "imaging: model version format %q, want %q", v.Format, Format)
	}
	m, err := Load(artifact)
	if err != nil {
		return nil, err
	}
	return &predictor{m: m}, nil
}

type predictor struct{ m *Model }

// FromPredictor returns the Model behind a Predictor made by Loader; ok is
// false for any other Predictor.
func FromPredictor(p galen.Predictor) (m *Model, ok bool) {
	pp, ok := p.(*predictor)
	if !ok {
		return nil, false
	}
	return pp.m, true
}

func (p *predictor) Inputs() []galen.TensorSpec {
	S := int64(p.m.Size())
	return []galen.TensorSpec{{Name: InputImage, Datatype: galen.DatatypeFP32, Shape: []int64{-1, 1, S, S}}}
}

func (p *predictor) Outputs() []galen.TensorSpec {
	return []galen.TensorSpec{{Name: OutputProbabilities, Datatype: galen.DatatypeFP32, Shape: []int64{-1, 2}}}
}

// Infer classifies a batch of grey images.
func (p *predictor) Infer(ctx context.Context, inputs []galen.Tensor) ([]galen.Tensor, error) {
	if len(inputs) != 1 || inputs[0].Name != InputImage {
		return nil, galen.Errorf(galen.EINVALID, "want exactly one input, %q", InputImage)
	}
	in := inputs[0]
	S := int64(p.m.Size())
	if len(in.Shape) != 4 || in.Shape[0] < 1 || in.Shape[0] > maxBatch || in.Shape[1] != 1 || in.Shape[2] != S || in.Shape[3] != S {
		return nil, galen.Errorf(galen.EINVALID, "input %q has shape %v, want [N, 1, %d, %d] with 1 <= N <= %d", InputImage, in.Shape, S, S, maxBatch)
	}
	n := int(in.Shape[0])
	px := make([]uint8, n*int(S*S))
	switch in.Datatype {
	case galen.DatatypeUINT8:
		if len(in.Ints) != len(px) {
			return nil, galen.Errorf(galen.EINVALID, "input %q has %d values, want %d", InputImage, len(in.Ints), len(px))
		}
		for i, v := range in.Ints {
			if v < 0 || v > 255 {
				return nil, galen.Errorf(galen.EINVALID, "input %q value %d is %d, outside 0-255", InputImage, i, v)
			}
			px[i] = uint8(v)
		}
	case galen.DatatypeFP32, galen.DatatypeFP64:
		if len(in.Floats) != len(px) {
			return nil, galen.Errorf(galen.EINVALID, "input %q has %d values, want %d", InputImage, len(in.Floats), len(px))
		}
		for i, v := range in.Floats {
			if !(v >= 0 && v <= 255) {
				return nil, galen.Errorf(galen.EINVALID, "input %q value %d is %v, outside 0-255", InputImage, i, v)
			}
			px[i] = uint8(math.Round(v))
		}
	default:
		return nil, galen.Errorf(galen.EINVALID, "input %q has datatype %s, want UINT8 or FP32", InputImage, in.Datatype)
	}
	probs, err := p.m.Probabilities(ctx, px, n)
	if err != nil {
		return nil, err
	}
	out := galen.Tensor{Name: OutputProbabilities, Datatype: galen.DatatypeFP32, Shape: []int64{int64(n), 2}, Floats: make([]float64, 2*n)}
	for i, q := range probs {
		out.Floats[2*i], out.Floats[2*i+1] = float64(float32(1-q)), float64(float32(q))
	}
	return []galen.Tensor{out}, nil
}
