package dicom

import (
	"encoding/binary"

	"github.com/galenhealth/galen"
	"math"
	"strings"
)

// DefaultMaxPixels bounds rows × columns × samples of one decoded frame
// unless Options say otherwise.
const DefaultMaxPixels = 1 << 24

// Options tune Image.
type Options struct {
	Frame     int // 0-based frame of a multi-frame image [0]
	MaxPixels int // rows × columns × samples per pixel of one frame, at most [DefaultMaxPixels]
}

// Image is one decoded frame.
type Image struct {
	Rows, Columns  int
	Samples        int    // 1 (grey) or 3 (RGB)
	Photometric    string // MONOCHROME1, MONOCHROME2 or RGB
	Frames         int    // in the file
	BitsAllocated  int
	BitsStored     int
	Signed         bool
	Slope          float64 // rescale slope (1 when absent)
	Intercept      float64 // rescale intercept (0 when absent)
	WindowCenter   float64 // first window of the file; HasWindow tells if there was one
	WindowWidth    float64
	HasWindow      bool
	TransferSyntax string
	// Values holds the frame's values row by row (for RGB, R, G, B of
	// each pixel in turn): stored values with the rescale applied for
	// grey images (modality values, e.g. Hounsfield units), stored values
	// for RGB.
	Values []float32
}

// Image decodes frame opts.Frame of the pixel data. Native (uncompressed)
// and RLE Lossless pixel data of 8 or 16 bits, signed or unsigned,
// MONOCHROME1, MONOCHROME2 and RGB are supported; other encapsulated
// syntaxes (JPEG, JPEG-LS, JPEG 2000, ...) are an EINVALID error naming the
// pixel data element and its offset. A frame of more than opts.MaxPixels
// values is an ETOOLARGE error, raised before anything is allocated.
func (f *File) Image(opts Options) (*Image, error) {
	d := f.Dataset
	if opts.MaxPixels <= 0 {
		opts.MaxPixels = DefaultMaxPixels
	}
	pe := d.Find(TagPixelData)
	if pe == nil {
		return nil, fail(TagPixelData, 0, "no pixel data")
	}
	im := &Image{TransferSyntax: f.TransferSyntax, Slope: 1}
	geti := func(t Tag, def int, required bool) (int, error) {
		v, ok, err := d.Int(t)
		if err != nil {
			return 0, err
		}
		if !ok {
			if required {
				return 0, fail(t, 0, "required for pixel data but absent")
			}
			return def, nil
		}
		return v, nil
	}
	var err error
	if im.Rows, err = geti(TagRows, 0, true); err != nil {
		return nil, err
	}
	if im.Columns, err = geti(TagColumns, 0, true); err != nil {
		return nil, err
	}
	if im.BitsAllocated, err = geti(TagBitsAllocated, 0, true); err != nil {
		return nil, err
	}
	if im.BitsStored, err = geti(TagBitsStored, im.BitsAllocated, false); err != nil {
		return nil, err
	}
	if im.Samples, err = geti(TagSamplesPerPixel, 1, false); err != nil {
		return nil, err
	}
	planar, err := geti(TagPlanarConfiguration, 0, false)
	if err != nil {
		return nil, err
	}
	rep, err := geti(TagPixelRepresentation, 0, false)
	if err != nil {
		return nil, err
	}
	if im.Frames, err = geti(TagNumberOfFrames, 1, false); err != nil {
		return nil, err
	}
	im.Signed = rep == 1
	im.Photometric, _ = d.Text(TagPhotometric)
	if im.Photometric == "" {
		im.Photometric = "MONOCHROME2"
	}
	at := func(t Tag) int64 {
		if e := d.Find(t); e != nil {
			return e.Offset
		}
		return 0
	}
	switch {
	case im.Rows < 1 || im.Columns < 1:
		return nil, fail(TagRows, at(TagRows), "image of %d rows and %d columns", im.Rows, im.Columns)
	case im.BitsAllocated != 8 && im.BitsAllocated != 16:
		return nil, fail(TagBitsAllocated, at(TagBitsAllocated), "%d bits allocated; 8 and 16 are supported", im.BitsAllocated)
	case im.BitsStored < 1 || im.BitsStored > im.BitsAllocated:
		return nil, fail(TagBitsStored, at(TagBitsStored), "%d bits stored of %d allocated", im.BitsStored, im.BitsAllocated)
	case rep != 0 && rep != 1:
		return nil, fail(TagPixelRepresentation, at(TagPixelRepresentation), "pixel representation %d, want 0 or 1", rep)
	case im.Frames < 1:
		return nil, fail(TagNumberOfFrames, at(TagNumberOfFrames), "%d frames", im.Frames)
	case opts.Frame < 0 || opts.Frame >= im.Frames:
		return nil, fail(TagNumberOfFrames, at(TagNumberOfFrames), "frame %d asked for, the file has %d", opts.Frame, im.Frames)
	case planar != 0 && planar != 1:
		return nil, fail(TagPlanarConfiguration, at(TagPlanarConfiguration), "planar configuration %d", planar)
	}
	switch im.Photometric {
	case "MONOCHROME1", "MONOCHROME2":
		if im.Samples != 1 {
			return nil, fail(TagSamplesPerPixel, at(TagSamplesPerPixel), "%s with %d samples per pixel", im.Photometric, im.Samples)
		}
	case "RGB":
		if im.Samples != 3 {
			return nil, fail(TagSamplesPerPixel, at(TagSamplesPerPixel), "RGB with %d samples per pixel", im.Samples)
		}
	default:
		return nil, fail(TagPhotometric, at(TagPhotometric), "photometric interpretation %q not supported (MONOCHROME1, MONOCHROME2, RGB)", clip(im.Photometric))
	}
	n := im.Rows * im.Columns * im.Samples
	if n > opts.MaxPixels {
		return nil, failCode(galen.ETOOLARGE, TagRows, at(TagRows), "%d×%d×%d values per frame, more than the limit %d", im.Rows, im.Columns, im.Samples, opts.MaxPixels)
	}
	bps := im.BitsAllocated / 8
	frameBytes := n * bps
	var raw []byte
	var bo binary.ByteOrder = d.byteOrder
	native := f.TransferSyntax == ImplicitVRLittleEndian || f.TransferSyntax == ExplicitVRLittleEndian ||
		f.TransferSyntax == ExplicitVRBigEndian || f.TransferSyntax == DeflatedExplicitVRLittleEndian
	switch {
	case native && !pe.Undefined:
		if im.Frames > len(pe.Value)/frameBytes {
			return nil, fail(TagPixelData, pe.Offset, "%d bytes of pixel data, %d frames of %d bytes need %d", len(pe.Value), im.Frames, frameBytes, im.Frames*frameBytes)
		}
		raw = pe.Value[opts.Frame*frameBytes : (opts.Frame+1)*frameBytes]
		if planar == 1 {
			raw = interleave(raw, im.Rows*im.Columns, bps)
		}
	case f.TransferSyntax == RLELossless && pe.Undefined:
		frag, err := frameFragment(pe, im.Frames, opts.Frame)
		if err != nil {
			return nil, err
		}
		raw, err = decodeRLE(frag, im.Rows*im.Columns, im.Samples, bps)
		if err != nil {
			return nil, fail(TagPixelData, pe.Offset, "RLE frame %d: %v", opts.Frame, err)
		}
		bo = binary.LittleEndian
	default:
		return nil, fail(TagPixelData, pe.Offset, "transfer syntax %s (%s) is compressed in a way Galen does not decode; convert the file to an uncompressed or RLE transfer syntax", clip(f.TransferSyntax), syntaxName(f.TransferSyntax))
	}
	if im.Photometric != "RGB" {
		if v, ok, err := d.Floats(TagRescaleSlope); err != nil {
			return nil, err
		} else if ok && v[0] != 0 {
			im.Slope = v[0]
		}
		if v, ok, err := d.Floats(TagRescaleIntercept); err != nil {
			return nil, err
		} else if ok {
			im.Intercept = v[0]
		}
		c, okc, err := d.Floats(TagWindowCenter)
		if err != nil {
			return nil, err
		}
		w, okw, err := d.Floats(TagWindowWidth)
		if err != nil {
			return nil, err
		}
		if okc && okw && w[0] >= 1 {
			im.WindowCenter, im.WindowWidth, im.HasWindow = c[0], w[0], true
		}
	}
	im.Values = make([]float32, n)
	mask := uint32(1)<<im.BitsStored - 1
	sign := uint32(1) << (im.BitsStored - 1)
	for i := range n {
		var u uint32
		if bps == 1 {
			u = uint32(raw[i])
		} else {
			u = uint32(bo.Uint16(raw[2*i:]))
		}
		u &= mask
		v := float64(u)
		if im.Signed && u&sign != 0 {
			v = float64(int64(u) - int64(mask) - 1)
		}
		if im.Photometric != "RGB" {
			v = v*im.Slope + im.Intercept
		}
		im.Values[i] = float32(v)
	}
	return im, nil
}

// interleave turns planar samples (R plane, G plane, B plane) into
// interleaved ones.
func interleave(raw []byte, pixels, bps int) []byte {
	out := make([]byte, len(raw))
	for s := range 3 {
		for p := range pixels {
			copy(out[(p*3+s)*bps:(p*3+s+1)*bps], raw[(s*pixels+p)*bps:(s*pixels+p+1)*bps])
		}
	}
	return out
}

// frameFragment returns the encapsulated data of one frame: fragment i when
// there is one fragment per frame, all fragments joined for a single
// frame, or the frame's span by the basic offset table.
func frameFragment(pe *Element, frames, i int) ([]byte, error) {
	switch {
	case len(pe.Fragments) == 0:
		return nil, fail(TagPixelData, pe.Offset, "encapsulated pixel data without fragments")
	case len(pe.Fragments) == frames:
		return pe.Fragments[i], nil
	case frames == 1:
		var all []byte
		for _, f := range pe.Fragments {
			all = append(all, f...)
		}
		return all, nil
	}
	return nil, fail(TagPixelData, pe.Offset, "%d fragments for %d frames; frames spanning fragments are not supported", len(pe.Fragments), frames)
}

func syntaxName(ts string) string {
	switch {
	case strings.HasPrefix(ts, "1.2.840.10008.1.2.4.8"):
		return "JPEG-LS"
	case strings.HasPrefix(ts, "1.2.840.10008.1.2.4.9"), strings.HasPrefix(ts, "1.2.840.10008.1.2.4.20"):
		return "JPEG 2000"
	case strings.HasPrefix(ts, "1.2.840.10008.1.2.4.10"):
		return "MPEG"
	case strings.HasPrefix(ts, "1.2.840.10008.1.2.4."):
		return "JPEG"
	}
	return "unknown"
}

// Gray8 renders a grey image as 8-bit display values: the file's first
// VOI window (DICOM's linear window function, PS3.3 C.11.2.1.2) when there
// is one, else the frame's minimum to maximum; MONOCHROME1 is inverted so
// that 255 is always white. RGB images are turned into luma (BT.601).
func (im *Image) Gray8() []uint8 {
	n := im.Rows * im.Columns
	out := make([]uint8, n)
	if im.Photometric == "RGB" {
		for i := range n {
			r, g, b := im.Values[3*i], im.Values[3*i+1], im.Values[3*i+2]
			out[i] = uint8(math.Round(math.Min(255, math.Max(0, float64(0.299*r+0.587*g+0.114*b)))))
		}
		return out
	}
	c, w := im.WindowCenter, im.WindowWidth
	if !im.HasWindow {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range im.Values {
			lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
		}
		c, w = (lo+hi)/2, hi-lo+1
	}
	for i, v := range im.Values {
		y := Window(float64(v), c, w)
		if im.Photometric == "MONOCHROME1" {
			y = 1 - y
		}
		out[i] = uint8(math.Round(255 * y))
	}
	return out
}

// Window is DICOM's linear VOI function scaled to [0, 1]:
// 0 at or below c − 0.5 − (w−1)/2, 1 above c − 0.5 + (w−1)/2, linear
// between.
func Window(x, c, w float64) float64 {
	if w <= 1 {
		if x > c-0.5 {
			return 1
		}
		return 0
	}
	switch {
	case x <= c-0.5-(w-1)/2:
		return 0
	case x > c-0.5+(w-1)/2:
		return 1
	}
	return (x-(c-0.5))/(w-1) + 0.5
}
