package imaging

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"strconv"
	"sync"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/nn"
)

// Saliency is a Grad-CAM heat map of the pneumonia score over the image:
// Grid holds Height×Width values in [0, 1] (row-major, at the model's input
// resolution; 1 is the most salient pixel, all 0 when nothing in the image
// raises the score), and PNG, when asked for, an overlay of the map on the
// image.
type Saliency struct {
	Method string    `json:"method"` // "grad-cam"
	Layer  string    `json:"layer"`  // the feature maps explained
	Width  int       `json:"width"`
	Height int       `json:"height"`
	Grid   []float64 `json:"grid"`
	PNG    []byte    `json:"png,omitempty"` // base64 in JSON
}

// gradNets holds, per model, copies of its network with a recording tape
// each for Grad-CAM: a backward pass accumulates into the parameters'
// gradients, so concurrent explanations each take their own copy, and the
// tape keeps its memory from one explanation to the next.
var gradNets sync.Map // *Model -> *sync.Pool of *gradNet

type gradNet struct {
	net *Net
	tp  *nn.Tape
}

func (m *Model) borrowNet() (*gradNet, func()) {
	pv, _ := gradNets.LoadOrStore(m, &sync.Pool{New: func() any {
		c := NewNet(m.net.Config, 1)
		src := append(m.net.Parameters(), m.net.Buffers()...)
		dst := append(c.Parameters(), c.Buffers()...)
		for i := range src {
			copy(dst[i].Tensor.Data, src[i].Tensor.Data)
		}
		tp := nn.NewTape()
		tp.SetTraining(false)
		return &gradNet{net: c, tp: tp}
	}})
	pool := pv.(*sync.Pool)
	g := pool.Get().(*gradNet)
	return g, func() { nn.ZeroGrad(g.net.Parameters()); g.tp.Reset(); pool.Put(g) }
}

// GradCAM returns the Grad-CAM map (Selvaraju et al. 2017) of the
// pneumonia log-odds (logit 1 − logit 0) over the last stage's feature
// maps, upsampled bilinearly to the input size and scaled to [0, 1], with a
// PNG overlay.
func (m *Model) GradCAM(px []uint8) (*Saliency, error) {
	S := m.Size()
	if len(px) != S*S {
		return nil, galen.Errorf(galen.EINVALID, "imaging: %d pixels, want %dx%d", len(px), S, S)
	}
	g, done := m.borrowNet()
	defer done()
	x := make([]float32, S*S)
	Normalize(x, px)
	tp := g.tp
	feat, logits := g.net.Features(tp, nn.FromSlice(x, 1, 1, S, S))
	tp.BackwardFrom(logits, []float32{-1, 1})
	C, h, w := feat.Shape[1], feat.Shape[2], feat.Shape[3]
	cam := make([]float32, h*w)
	for c := range C {
		var alpha float32
		for _, v := range feat.Grad[c*h*w : (c+1)*h*w] {
			alpha += v
		}
		alpha /= float32(h * w)
		for i, a := range feat.Data[c*h*w : (c+1)*h*w] {
			cam[i] += alpha * a
		}
	}
	for i, v := range cam {
		cam[i] = max(v, 0)
	}
	grid := make([]float64, S*S)
	var peak float64
	for y := range S {
		for xx := range S {
			// Pixel centres of the input mapped onto the feature grid.
			fy := (float64(y)+0.5)*float64(h)/float64(S) - 0.5
			fx := (float64(xx)+0.5)*float64(w)/float64(S) - 0.5
			v := float64(bilinear(cam, h, w, fx, fy))
			grid[y*S+xx] = v
			peak = math.Max(peak, v)
		}
	}
	if peak > 0 {
		for i := range grid {
			grid[i] /= peak
		}
	}
	sal := &Saliency{Method: "grad-cam", Layer: "layer" + strconv.Itoa(len(m.net.stages)), Width: S, Height: S, Grid: grid}
	return sal, nil
}

// overlayScale is how many output pixels each input pixel of the overlay
// becomes.
const overlayScale = 8

// Overlay renders the saliency map over the grey image px (Width×Height)
// as a PNG, enlarged overlayScale times: the image in grey, the map in a
// blue-to-red colour scale blended in proportion to its value.
func (s *Saliency) Overlay(px []uint8) ([]byte, error) {
	if len(px) != s.Width*s.Height || len(s.Grid) != len(px) {
		return nil, galen.Errorf(galen.EINVALID, "imaging: overlay of %d pixels on a %dx%d map", len(px), s.Width, s.Height)
	}
	k := overlayScale
	img := image.NewRGBA(image.Rect(0, 0, s.Width*k, s.Height*k))
	for y := range s.Height * k {
		for x := range s.Width * k {
			i := (y/k)*s.Width + x/k
			g, v := float64(px[i]), s.Grid[i]
			r, gg, b := heat(v)
			a := 0.6 * v
			img.SetRGBA(x, y, color.RGBA{
				R: uint8((1-a)*g + a*r), G: uint8((1-a)*g + a*gg), B: uint8((1-a)*g + a*b), A: 255,
			})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// heat maps v in [0, 1] to a blue-cyan-yellow-red colour.
func heat(v float64) (r, g, b float64) {
	v = math.Min(math.Max(v, 0), 1)
	switch {
	case v < 1.0/3:
		t := v * 3
		return 0, 255 * t, 255
	case v < 2.0/3:
		t := (v - 1.0/3) * 3
		return 255 * t, 255, 255 * (1 - t)
	default:
		t := (v - 2.0/3) * 3
		return 255, 255 * (1 - t), 0
	}
}
