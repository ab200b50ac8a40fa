package imaging

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/nn"
	"github.com/galenhealth/galen/nn/safetensors"
)

// Format names the artifact of a Model: a safetensors file with the Net's
// weights and the Model's settings and card in its metadata.
const Format = "imaging-resnet/v1"

// Class names, in logit order.
const (
	ClassNormal    = "normal"
	ClassPneumonia = "pneumonia"
)

// Bands of the pneumonia probability; cut-offs fixed on validation.
const (
	BandLow      = "low"
	BandModerate = "moderate"
	BandHigh     = "high"
)

// Settings are what a Model decides with besides its weights, all fixed on
// the validation split.
type Settings struct {
	Net NetConfig `json:"net"`
	// Threshold on the pneumonia probability: at or above it the image is
	// classed pneumonia (maximises validation balanced accuracy).
	Threshold float64 `json:"threshold"`
	// BandLow and BandHigh cut the probability into bands: below BandLow
	// validation sensitivity stays >= 0.98 (rule-out), at or above BandHigh
	// validation specificity >= 0.98 (rule-in).
	BandLow  float64 `json:"band_low"`
	BandHigh float64 `json:"band_high"`
	// UncertainLow and UncertainHigh bound the probabilities near the
	// threshold that are flagged uncertain (the 10% of validation images
	// nearest the threshold, in logit distance).
	UncertainLow  float64 `json:"uncertain_low"`
	UncertainHigh float64 `json:"uncertain_high"`
	// TTA averages the probabilities of the image and its mirror image.
	TTA bool `json:"tta"`
}

// Model is a trained image classifier with its decision settings and card.
type Model struct {
	net      *Net
	settings Settings
	card     galen.ModelCard
}

// Settings returns the model's decision settings.
func (m *Model) Settings() Settings { return m.settings }

// Card returns the model card.
func (m *Model) Card() galen.ModelCard { return m.card }

// Net returns the network (shared, not a copy).
func (m *Model) Net() *Net { return m.net }

// Size is the side of the square grey images the model takes.
func (m *Model) Size() int { return m.net.Config.Size }

// Save writes the model's artifact.
func (m *Model) Save() ([]byte, error) {
	s, err := json.Marshal(m.settings)
	if err != nil {
		return nil, err
	}
	c, err := json.Marshal(m.card)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	meta := map[string]string{"format": Format, "settings": string(s), "card": string(c)}
	if err := nn.SaveCheckpoint(&buf, m.net, nil, meta); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Load reads an artifact written by Save. A corrupt, truncated or
// inconsistent artifact is an EINVALID error.
func Load(artifact []byte) (*Model, error) {
	// The settings size the network, so read the metadata first.
	f, err := safetensors.Load(artifact)
	if err != nil {
		return nil, galen.Errorf(galen.EINVALID, "imaging: artifact: %s", galen.ErrorMessage(err))
	}
	md := f.Metadata
	if md["format"] != Format {
		return nil, galen.Errorf(galen.EINVALID, "imaging: artifact format %q, want %q", md["format"], Format)
	}
	var s Settings
	if err := json.Unmarshal([]byte(md["settings"]), &s); err != nil {
		return nil, galen.Errorf(galen.EINVALID, "imaging: artifact settings: %v", err)
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	var card galen.ModelCard
	if err := json.Unmarshal([]byte(md["card"]), &card); err != nil {
		return nil, galen.Errorf(galen.EINVALID, "imaging: artifact card: %v", err)
	}
	net := NewNet(s.Net, 1)
	if _, err := nn.LoadCheckpoint(artifact, net, nil); err != nil {
		return nil, err
	}
	for _, p := range append(net.Parameters(), net.Buffers()...) {
		for _, v := range p.Tensor.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, galen.Errorf(galen.EINVALID, "imaging: artifact tensor %q is not finite", p.Name)
			}
		}
	}
	return &Model{net: net, settings: s, card: card}, nil
}

// check bounds the settings so that a hostile artifact cannot size a huge
// network.
func (s Settings) check() error {
	n := s.Net
	if n.Size < 8 || n.Size > 256 || len(n.Widths) < 1 || len(n.Widths) > 5 || n.Blocks < 1 || n.Blocks > 4 {
		return galen.Errorf(galen.EINVALID, "imaging: artifact network %+v out of range", n)
	}
	for _, w := range n.Widths {
		if w < 1 || w > 512 {
			return galen.Errorf(galen.EINVALID, "imaging: artifact width %d out of range", w)
		}
	}
	for _, v := range []float64{s.Threshold, s.BandLow, s.BandHigh, s.UncertainLow, s.UncertainHigh} {
		if !(v >= 0 && v <= 1) {
			return galen.Errorf(galen.EINVALID, "imaging: artifact cut-off %v outside [0, 1]", v)
		}
	}
	return nil
}

// Probabilities returns P(pneumonia) of each image of a batch of N grey
// images of Size×Size pixels (uint8, image after image), with the
// mirror-image average when the model uses test-time augmentation. It
// returns ctx.Err() when cancelled.
func (m *Model) Probabilities(ctx context.Context, px []uint8, n int) ([]float64, error) {
	S := m.Size()
	if len(px) != n*S*S {
		return nil, galen.Errorf(galen.EINVALID, "imaging: %d pixels for %d images of %dx%d", len(px), n, S, S)
	}
	x := make([]float32, len(px))
	Normalize(x, px)
	return m.probabilities(ctx, x, n, m.settings.TTA)
}

// probabilities runs normalised inputs x [n,1,S,S] in chunks.
func (m *Model) probabilities(ctx context.Context, x []float32, n int, tta bool) ([]float64, error) {
	S := m.Size()
	out := make([]float64, n)
	const chunk = 128
	var flipped []float32
	for lo := 0; lo < n; lo += chunk {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hi := min(n, lo+chunk)
		xs := x[lo*S*S : hi*S*S]
		p := m.chunkProbs(xs, hi-lo)
		if tta {
			flipped = slices.Grow(flipped[:0], len(xs))[:len(xs)]
			mirror(flipped, xs, S)
			q := m.chunkProbs(flipped, hi-lo)
			for i := range p {
				p[i] = (p[i] + q[i]) / 2
			}
		}
		copy(out[lo:hi], p)
	}
	return out, nil
}

func (m *Model) chunkProbs(x []float32, n int) []float64 {
	S := m.Size()
	tp := nn.AcquireTape()
	defer tp.Release()
	logits := m.net.Forward(tp, nn.FromSlice(x, n, 1, S, S))
	p := make([]float64, n)
	for i := range n {
		p[i] = pneumoniaProb(logits.Data[2*i], logits.Data[2*i+1])
	}
	return p
}

// pneumoniaProb is softmax(l0, l1)[1].
func pneumoniaProb(l0, l1 float32) float64 { return 1 / (1 + math.Exp(float64(l0-l1))) }

// mirror writes the left-right mirror of each S×S image of src into dst.
func mirror(dst, src []float32, S int) {
	for r := 0; r < len(src)/S; r++ {
		row, out := src[r*S:(r+1)*S], dst[r*S:(r+1)*S]
		for i, v := range row {
			out[S-1-i] = v
		}
	}
}

// Prediction is the classification of one image.
type Prediction struct {
	Probabilities map[string]float64 `json:"probabilities"` // per class, summing to 1
	Class         string             `json:"class"`         // at the validation-fixed threshold
	Threshold     float64            `json:"threshold"`
	Uncertain     bool               `json:"uncertain"`
	Band          string             `json:"band"`
	Explanation   string             `json:"explanation"`
	Saliency      *Saliency          `json:"saliency,omitempty"`
}

// Predict classifies one grey image of Size×Size pixels; with saliency it
// adds the Grad-CAM map of the pneumonia score.
func (m *Model) Predict(ctx context.Context, px []uint8, saliency bool) (*Prediction, error) {
	probs, err := m.Probabilities(ctx, px, 1)
	if err != nil {
		return nil, err
	}
	p := m.decide(probs[0])
	if saliency {
		if p.Saliency, err = m.GradCAM(px); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// decide turns a pneumonia probability into a Prediction.
func (m *Model) decide(pp float64) *Prediction {
	s := m.settings
	p := &Prediction{Probabilities: map[string]float64{ClassNormal: 1 - pp, ClassPneumonia: pp}, Threshold: s.Threshold, Class: ClassNormal, Band: BandModerate}
	if pp >= s.Threshold {
		p.Class = ClassPneumonia
	}
	switch {
	case pp < s.BandLow:
		p.Band = BandLow
	case pp >= s.BandHigh:
		p.Band = BandHigh
	}
	p.Uncertain = pp >= s.UncertainLow && pp < s.UncertainHigh
	p.Explanation = fmt.Sprintf("pneumonia probability %.3f against the threshold %.3f fixed on validation: %s; band %s", pp, s.Threshold, p.Class, p.Band)
	if p.Uncertain {
		p.Explanation += "; close to the threshold, so uncertain: a radiologist should read this image"
	}
	return p
}

// Description is the registry description of the built-in model.
const Description = "Pneumonia vs normal from a frontal paediatric chest X-ray (ResNet-style CNN, 28x28, PneumoniaMNIST)"

//go:embed pneumonia-xray.safetensors
var builtinArtifact []byte

// BuiltinArtifact returns the artifact of the model shipped in the binary
// (see MODEL_CARD.md).
func BuiltinArtifact() []byte { return slices.Clone(builtinArtifact) }

// Builtin returns the model shipped in the binary.
func Builtin() (*Model, error) { return Load(builtinArtifact) }

// BuiltinCard returns the model card of the built-in model.
func BuiltinCard() galen.ModelCard {
	m, err := Builtin()
	if err != nil {
		return galen.ModelCard{}
	}
	return m.Card()
}
