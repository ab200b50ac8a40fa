package dicom

import (
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse and Image: never a panic, and
// never a frame larger than the pixel limit.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(samples, "*.dcm"))
	for _, p := range files {
		f.Add(sampleFile(f, filepath.Base(p)))
	}
	f.Add(part10(DeflatedExplicitVRLittleEndian, withPixels(grey(le, 2, 2, 8, 8, 1, "MONOCHROME2"), nil,
		el{tag: TagPixelData, vr: "OB", val: []byte{1, 2, 3, 4}})))
	f.Add(part10(RLELossless, withPixels(grey(le, 1, 2, 16, 16, 0, "MONOCHROME2"), nil,
		el{tag: TagPixelData, frags: [][]byte{rle16([]int{1, 2})}})))
	const limit = 1 << 16
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Parse(b)
		if err != nil {
			return
		}
		im, err := file.Image(Options{MaxPixels: limit})
		if err != nil {
			return
		}
		if len(im.Values) > limit || len(im.Values) != im.Rows*im.Columns*im.Samples {
			t.Fatalf("%d values for %dx%dx%d", len(im.Values), im.Rows, im.Columns, im.Samples)
		}
		if g := im.Gray8(); len(g) != im.Rows*im.Columns {
			t.Fatalf("Gray8 has %d pixels", len(g))
		}
	})
}
