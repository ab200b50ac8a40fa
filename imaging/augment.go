package imaging

import (
	"math"
	"math/rand/v2"
)

// Augment is the training-time augmentation: each image is flipped left to
// right with probability FlipP, rotated by up to ±RotateDeg degrees,
// scaled by up to ±Scale, shifted by up to ±Shift pixels (bilinear
// resampling, edges replicated), and its intensity jittered: contrast by up
// to ±Contrast and brightness by up to ±Brightness (in units of the full
// 0-1 range).
type Augment struct {
	FlipP      float64 `json:"flip_p"`
	RotateDeg  float64 `json:"rotate_deg"`
	Scale      float64 `json:"scale"`
	Shift      float64 `json:"shift"`
	Contrast   float64 `json:"contrast"`
	Brightness float64 `json:"brightness"`
}

// DefaultAugment is the augmentation the shipped model was trained with.
var DefaultAugment = Augment{FlipP: 0.5, RotateDeg: 10, Scale: 0.1, Shift: 2, Contrast: 0.15, Brightness: 0.1}

// apply writes an augmented copy of the normalised image src (h×w) into dst.
func (a Augment) apply(dst, src []float32, h, w int, rng *rand.Rand) {
	u := func(r float64) float64 { return (2*rng.Float64() - 1) * r }
	flip := rng.Float64() < a.FlipP
	th := u(a.RotateDeg) * math.Pi / 180
	sc := 1 + u(a.Scale)
	dx, dy := u(a.Shift), u(a.Shift)
	con := 1 + u(a.Contrast)
	bri := u(a.Brightness) / pixelStd
	cos, sin := math.Cos(th)/sc, math.Sin(th)/sc
	cx, cy := float64(w-1)/2, float64(h-1)/2
	for y := range h {
		for x := range w {
			// Inverse map: output pixel (x, y) samples the source at (sx, sy).
			ox, oy := float64(x)-cx-dx, float64(y)-cy-dy
			sx := cos*ox + sin*oy + cx
			sy := -sin*ox + cos*oy + cy
			if flip {
				sx = float64(w-1) - sx
			}
			v := bilinear(src, h, w, sx, sy)
			dst[y*w+x] = float32(float64(v)*con + bri)
		}
	}
}

// bilinear samples img (h×w) at (x, y), clamping to the edges.
func bilinear(img []float32, h, w int, x, y float64) float32 {
	x = min(max(x, 0), float64(w-1))
	y = min(max(y, 0), float64(h-1))
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, w-1), min(y0+1, h-1)
	fx, fy := float32(x-float64(x0)), float32(y-float64(y0))
	a := img[y0*w+x0]*(1-fx) + img[y0*w+x1]*fx
	b := img[y1*w+x0]*(1-fx) + img[y1*w+x1]*fx
	return a*(1-fy) + b*fy
}
