package imaging

import (
	"bytes"
	"image"
	"image/draw"
	_ "image/jpeg" // registers JPEG for image.Decode
	_ "image/png"  // registers PNG for image.Decode

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/dicom"
)

// DefaultMaxPixels bounds the pixels of an input image unless Limits say
// otherwise.
const DefaultMaxPixels = 1 << 24

// Kinds of input image.
const (
	KindPNG   = "png"
	KindJPEG  = "jpeg"
	KindDICOM = "dicom"
)

// Input is a decoded input image: grey pixels (0 black, 255 white) and,
// for DICOM, the study and series instance UIDs when the file has them.
// Nothing else of a DICOM header is kept.
type Input struct {
	Kind              string
	Width, Height     int
	Gray              []uint8
	StudyInstanceUID  string
	SeriesInstanceUID string
}

// Decode reads a PNG, JPEG or DICOM image, detected from its bytes
// ("DICM" at offset 128, the PNG signature, the JPEG SOI marker). Colour
// images are turned into grey (BT.601 luma); DICOM images are windowed
// (Image.Gray8). An image with more than maxPixels pixels (0 for
// DefaultMaxPixels) is refused before its pixels are decoded, with an
// ETOOLARGE error; anything malformed is EINVALID.
func Decode(b []byte, maxPixels int) (*Input, error) {
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	switch {
	case len(b) >= 132 && string(b[128:132]) == "DICM":
		return decodeDICOM(b, maxPixels)
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")), bytes.HasPrefix(b, []byte{0xFF, 0xD8}):
		cfg, kind, err := image.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			return nil, galen.Errorf(galen.EINVALID, "image: %v", err)
		}
		if cfg.Width < 1 || cfg.Height < 1 {
			return nil, galen.Errorf(galen.EINVALID, "image: %dx%d pixels", cfg.Width, cfg.Height)
		}
		if int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
			return nil, tooLarge(cfg.Width, cfg.Height, maxPixels)
		}
		img, _, err := image.Decode(bytes.NewReader(b))
		if err != nil {
			return nil, galen.Errorf(galen.EINVALID, "image: %s: %v", kind, err)
		}
		g := image.NewGray(img.Bounds())
		draw.Draw(g, g.Bounds(), img, img.Bounds().Min, draw.Src)
		w, h := g.Bounds().Dx(), g.Bounds().Dy()
		gray := make([]uint8, w*h)
		for y := range h {
			copy(gray[y*w:(y+1)*w], g.Pix[y*g.Stride:y*g.Stride+w])
		}
		return &Input{Kind: kind, Width: w, Height: h, Gray: gray}, nil
	}
	return nil, galen.Errorf(galen.EINVALID, "image: not PNG, JPEG or DICOM Part 10 (no signature at offset 0 or \"DICM\" at offset 128)")
}

func tooLarge(w, h, limit int) error {
	return galen.Errorf(galen.ETOOLARGE, "image too large: %dx%d pixels, the limit is %d", w, h, limit)
}

func decodeDICOM(b []byte, maxPixels int) (*Input, error) {
	f, err := dicom.Parse(b)
	if err != nil {
		return nil, err
	}
	im, err := f.Image(dicom.Options{MaxPixels: maxPixels * 3})
	if err != nil {
		return nil, err
	}
	if im.Rows*im.Columns > maxPixels {
		return nil, tooLarge(im.Columns, im.Rows, maxPixels)
	}
	in := &Input{Kind: KindDICOM, Width: im.Columns, Height: im.Rows, Gray: im.Gray8()}
	in.StudyInstanceUID, _ = f.Dataset.Text(dicom.TagStudyInstanceUID)
	in.SeriesInstanceUID, _ = f.Dataset.Text(dicom.TagSeriesInstanceUID)
	return in, nil
}

// Resize returns the image scaled to size×size by area averaging (each
// output pixel the mean of the input area it covers); a non-square image
// is centre-cropped to a square first, as MedMNIST's images are.
func (in *Input) Resize(size int) []uint8 {
	w, h := in.Width, in.Height
	side := min(w, h)
	x0, y0 := (w-side)/2, (h-side)/2
	out := make([]uint8, size*size)
	scale := float64(side) / float64(size)
	for oy := range size {
		fy0, fy1 := float64(oy)*scale, float64(oy+1)*scale
		for ox := range size {
			fx0, fx1 := float64(ox)*scale, float64(ox+1)*scale
			var sum, area float64
			for y := int(fy0); y < min(side, int(fy1+0.999999)); y++ {
				wy := min(fy1, float64(y+1)) - max(fy0, float64(y))
				if wy <= 0 {
					continue
				}
				row := in.Gray[(y0+y)*w+x0:]
				for x := int(fx0); x < min(side, int(fx1+0.999999)); x++ {
					wx := min(fx1, float64(x+1)) - max(fx0, float64(x))
					if wx <= 0 {
						continue
					}
					sum += wx * wy * float64(row[x])
					area += wx * wy
				}
			}
			out[oy*size+ox] = uint8(sum/area + 0.5)
		}
	}
	return out
}
