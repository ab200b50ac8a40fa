package text

import (
	"context"
	"unicode/utf8"

	"github.com/galenhealth/galen"
)

// Open Inference Protocol v2 tensors of the text classifier (B texts):
//
//	input  "text"          BYTES [B]     UTF-8 notes, each at most MaxTextBytes
//	output "probabilities" FP32  [B, K]  calibrated, in the order of the model's labels
//	output "label"         BYTES [B]     the most probable label
//	output "uncertain"     BOOL  [B]     top probability under the threshold fixed on validation
const (
	InputText           = "text"
	OutputProbabilities = "probabilities"
	OutputLabel         = "label"
	OutputUncertain     = "uncertain"
)

// MaxTextBytes is the longest note the model takes (256 KiB, about 40,000
// words); servers answer 413 above it.
const MaxTextBytes = 256 << 10

// CheckText returns an error for text a classifier must not take: empty
// or blank (EINVALID), not UTF-8 (EINVALID) or over MaxTextBytes
// (ETOOLARGE).
func CheckText(s string) error {
	switch {
	case len(s) > MaxTextBytes:
		return galen.Errorf(galen.ETOOLARGE, "text has %d bytes, more than the %d-byte limit", len(s), MaxTextBytes)
	case !utf8.ValidString(s):
		return galen.Errorf(galen.EINVALID, "text is not valid UTF-8")
	case len(Tokenize(s)) == 0:
		return galen.Errorf(galen.EINVALID, "text is empty")
	}
	return nil
}

// Loader builds an OIP v2 predictor from a "text-classifier/v1" artifact.
func Loader(ctx context.Context, v *galen.ModelVersion, artifact []byte) (galen.Predictor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if v != nil && v.Format != "" && v.Format != Format {
		return nil, galen.Errorf(galen.EINVALID, "text: model version format %q, want %q", v.Format, Format)
	}
	c, err := Parse(artifact)
	if err != nil {
		return nil, err
	}
	return &predictor{c: c}, nil
}

type predictor struct{ c *Classifier }

// FromPredictor returns the Classifier behind a Predictor made by Loader.
func FromPredictor(p galen.Predictor) (*Classifier, bool) {
	pp, ok := p.(*predictor)
	if !ok {
		return nil, false
	}
	return pp.c, true
}

func (p *predictor) Inputs() []galen.TensorSpec {
	return []galen.TensorSpec{{Name: InputText, Datatype: galen.DatatypeBYTES, Shape: []int64{-1}}}
}

func (p *predictor) Outputs() []galen.TensorSpec {
	return []galen.TensorSpec{
		{Name: OutputProbabilities, Datatype: galen.DatatypeFP32, Shape: []int64{-1, int64(len(p.c.Labels))}},
		{Name: OutputLabel, Datatype: galen.DatatypeBYTES, Shape: []int64{-1}},
		{Name: OutputUncertain, Datatype: galen.DatatypeBOOL, Shape: []int64{-1}},
	}
}

// Infer classifies a batch of texts.
func (p *predictor) Infer(ctx context.Context, inputs []galen.Tensor) ([]galen.Tensor, error) {
	var in *galen.Tensor
	for i := range inputs {
		switch inputs[i].Name {
		case InputText:
			in = &inputs[i]
		default:
			return nil, galen.Errorf(galen.EINVALID, "unknown input %q (want %q)", inputs[i].Name, InputText)
		}
	}
	if in == nil {
		return nil, galen.Errorf(galen.EINVALID, "missing input %q (BYTES [B])", InputText)
	}
	if in.Datatype != galen.DatatypeBYTES {
		return nil, galen.Errorf(galen.EINVALID, "input %q: datatype %s, want BYTES", InputText, in.Datatype)
	}
	if len(in.Shape) != 1 || in.Shape[0] != int64(len(in.Strings)) || len(in.Strings) == 0 {
		return nil, galen.Errorf(galen.EINVALID, "input %q: shape %v with %d strings, want [B] with B >= 1", InputText, in.Shape, len(in.Strings))
	}
	k := len(p.c.Labels)
	b := len(in.Strings)
	probs := galen.Tensor{Name: OutputProbabilities, Datatype: galen.DatatypeFP32, Shape: []int64{int64(b), int64(k)}, Floats: make([]float64, 0, b*k)}
	label := galen.Tensor{Name: OutputLabel, Datatype: galen.DatatypeBYTES, Shape: []int64{int64(b)}}
	unc := galen.Tensor{Name: OutputUncertain, Datatype: galen.DatatypeBOOL, Shape: []int64{int64(b)}}
	for i, s := range in.Strings {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := CheckText(s); err != nil {
			return nil, galen.Errorf(galen.ErrorCode(err), "input %q[%d]: %s", InputText, i, galen.ErrorMessage(err))
		}
		pr := p.c.Probs(&Analysis{Text: s, Tokens: Tokenize(s)})
		top := Argmax(pr)
		probs.Floats = append(probs.Floats, pr...)
		label.Strings = append(label.Strings, p.c.Labels[top])
		u := int64(0)
		if pr[top] < p.c.Threshold {
			u = 1
		}
		unc.Ints = append(unc.Ints, u)
	}
	return []galen.Tensor{probs, label, unc}, nil
}
