package imaging

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/internal/testenv"
)

func pngBytes(t testing.TB, img image.Image) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDecode(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 3, 2))
	copy(g.Pix, []uint8{0, 50, 100, 150, 200, 250})
	rgb := image.NewRGBA(image.Rect(0, 0, 2, 1))
	rgb.Set(0, 0, color.RGBA{255, 0, 0, 255})
	rgb.Set(1, 0, color.RGBA{0, 0, 255, 255})
	var jp bytes.Buffer
	flat := image.NewGray(image.Rect(0, 0, 16, 16))
	for i := range flat.Pix {
		flat.Pix[i] = 128
	}
	if err := jpeg.Encode(&jp, flat, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	ct, err := os.ReadFile("../../shared/data/dicom-samples/CT_small.dcm")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		in        []byte
		max       int
		kind      string
		w, h      int
		gray      []uint8 // nil: not checked
		code, err string
	}{
		{name: "png grey", in: pngBytes(t, g), kind: KindPNG, w: 3, h: 2, gray: []uint8{0, 50, 100, 150, 200, 250}},
		// BT.601 luma of pure red and pure blue: 0.299·255, 0.114·255.
		{name: "png rgb", in: pngBytes(t, rgb), kind: KindPNG, w: 2, h: 1, gray: []uint8{76, 29}},
		{name: "jpeg flat", in: jp.Bytes(), kind: KindJPEG, w: 16, h: 16},
		{name: "dicom ct", in: ct, kind: KindDICOM, w: 128, h: 128},
		{name: "png over the limit", in: pngBytes(t, g), max: 5, code: galen.ETOOLARGE, err: "3x2 pixels, the limit is 5"},
		{name: "dicom over the limit", in: ct, max: 1000, code: galen.ETOOLARGE, err: "limit"},
		{name: "truncated png", in: pngBytes(t, g)[:30], code: galen.EINVALID, err: "image"},
		{name: "text", in: []byte("hello"), code: galen.EINVALID, err: "not PNG, JPEG or DICOM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := Decode(tt.in, tt.max)
			if tt.err != "" {
				if galen.ErrorCode(err) != tt.code || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v (%s), want %s containing %q", err, galen.ErrorCode(err), tt.code, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if in.Kind != tt.kind || in.Width != tt.w || in.Height != tt.h || len(in.Gray) != tt.w*tt.h {
				t.Errorf("got %s %dx%d", in.Kind, in.Width, in.Height)
			}
			if tt.gray != nil && !slices.Equal(in.Gray, tt.gray) {
				t.Errorf("grey %v, want %v", in.Gray, tt.gray)
			}
		})
	}
}

func TestResize(t *testing.T) {
	tests := []struct {
		name string
		in   Input
		size int
		want []uint8
	}{
		// 4x4 to 2x2: each output pixel is the mean of a 2x2 block.
		{"halve", Input{Width: 4, Height: 4, Gray: []uint8{0, 2, 10, 10, 4, 6, 10, 10, 100, 100, 0, 0, 100, 100, 0, 255}}, 2, []uint8{3, 10, 100, 64}},
		// 4x2 centre-cropped to its middle 2x2, then kept.
		{"crop", Input{Width: 4, Height: 2, Gray: []uint8{9, 1, 2, 9, 9, 3, 4, 9}}, 2, []uint8{1, 2, 3, 4}},
		// 2x2 to 4x4: each input pixel covers a 2x2 block.
		{"enlarge", Input{Width: 2, Height: 2, Gray: []uint8{1, 2, 3, 4}}, 4, []uint8{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.Resize(tt.size); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	g := image.NewGray(image.Rect(0, 0, 4, 4))
	f.Add(pngBytes(f, g))
	var jp bytes.Buffer
	jpeg.Encode(&jp, g, nil)
	f.Add(jp.Bytes())
	mr, err := os.ReadFile("../../shared/data/dicom-samples/MR_small_RLE.dcm")
	if err != nil {
		testenv.Missing(f, "shared/data/dicom-samples/MR_small_RLE.dcm: %v", err)
	}
	f.Add(mr)
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := Decode(b, 1<<16)
		if err != nil {
			return
		}
		if in.Width*in.Height > 1<<16 || len(in.Gray) != in.Width*in.Height {
			t.Fatalf("%dx%d with %d pixels", in.Width, in.Height, len(in.Gray))
		}
		if r := in.Resize(28); len(r) != 28*28 {
			t.Fatalf("resized to %d pixels", len(r))
		}
	})
}
