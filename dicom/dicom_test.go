package dicom

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const samples = "../../shared/data/dicom-samples"

func le16s(vs ...int) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	return b
}

func be16s(vs ...int) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.BigEndian.AppendUint16(b, uint16(v))
	}
	return b
}

// grey returns the pixel module of a grey image.
func grey(bo binary.ByteOrder, rows, cols, bits, stored, signed int, photometric string) []el {
	return []el{
		{tag: TagSamplesPerPixel, vr: "US", val: us(bo, 1)},
		{tag: TagPhotometric, vr: "CS", val: text(photometric)},
		{tag: TagRows, vr: "US", val: us(bo, uint16(rows))},
		{tag: TagColumns, vr: "US", val: us(bo, uint16(cols))},
		{tag: TagBitsAllocated, vr: "US", val: us(bo, uint16(bits))},
		{tag: TagBitsStored, vr: "US", val: us(bo, uint16(stored))},
		{tag: TagHighBit, vr: "US", val: us(bo, uint16(stored-1))},
		{tag: TagPixelRepresentation, vr: "US", val: us(bo, uint16(signed))},
	}
}

func withPixels(module []el, extra []el, pixels el) []el {
	ds := slices.Concat(extra, module, []el{pixels})
	slices.SortStableFunc(ds, func(a, b el) int { return int(int64(a.tag) - int64(b.tag)) })
	return ds
}

// rle16 encodes 16-bit values as an RLE Lossless frame: header, MSB
// segment, LSB segment.
func rle16(vs []int) []byte {
	var hi, lo []byte
	for _, v := range vs {
		hi, lo = append(hi, byte(v>>8)), append(lo, byte(v))
	}
	s0, s1 := pad(packBitsLiteral(hi), 0), pad(packBitsLiteral(lo), 0)
	h := make([]byte, 64)
	binary.LittleEndian.PutUint32(h, 2)
	binary.LittleEndian.PutUint32(h[4:], 64)
	binary.LittleEndian.PutUint32(h[8:], uint32(64+len(s0)))
	return slices.Concat(h, s0, s1)
}

var le, be = binary.LittleEndian, binary.BigEndian

func TestImageSynthetic(t *testing.T) {
	patient := []el{
		{tag: TagPatientName, vr: "PN", val: text("Doe^Jane")},
		{tag: TagStudyInstanceUID, vr: "UI", val: pad([]byte("1.2.3.4"), 0)},
		{tag: TagSeriesInstanceUID, vr: "UI", val: pad([]byte("1.2.3.4.5"), 0)},
	}
	nested := el{tag: NewTag(0x0008, 0x1140), vr: "SQ", undefined: true, items: [][]el{
		{{tag: NewTag(0x0008, 0x1150), vr: "UI", val: pad([]byte("1.2"), 0)},
			{tag: NewTag(0x0040, 0xA730), vr: "SQ", items: [][]el{{{tag: NewTag(0x0040, 0xA160), vr: "UT", val: text("x")}}}}},
		{{tag: NewTag(0x0008, 0x1155), vr: "UI", val: pad([]byte("1.3"), 0)}},
	}}
	tests := []struct {
		name   string
		ts     string
		ds     []el
		frame  int
		rows   int
		cols   int
		values []float32
		gray   []uint8 // nil: not checked
	}{
		{name: "explicit LE int16 window", ts: ExplicitVRLittleEndian,
			ds: withPixels(grey(le, 2, 2, 16, 16, 1, "MONOCHROME2"), append(patient[:3:3],
				el{tag: TagWindowCenter, vr: "DS", val: text("10\\40")}, el{tag: TagWindowWidth, vr: "DS", val: text("20\\80")}),
				el{tag: TagPixelData, vr: "OW", val: le16s(0, 5, 10, 30)}),
			rows: 2, cols: 2, values: []float32{0, 5, 10, 30},
			// c=10, w=20: 0 at or below 0, 1 above 19, (x-9.5)/19+0.5 between.
			gray: []uint8{0, 67, 134, 255}},
		{name: "explicit LE rescale negative", ts: ExplicitVRLittleEndian,
			ds: withPixels(grey(le, 1, 4, 16, 16, 1, "MONOCHROME2"),
				[]el{{tag: TagRescaleIntercept, vr: "DS", val: text("-1024")}, {tag: TagRescaleSlope, vr: "DS", val: text("2")}},
				el{tag: TagPixelData, vr: "OW", val: le16s(-5, 0, 3, 600)}),
			rows: 1, cols: 4, values: []float32{-1034, -1024, -1018, 176}},
		{name: "implicit LE uint8 MONOCHROME1", ts: ImplicitVRLittleEndian,
			ds: withPixels(grey(le, 1, 3, 8, 8, 0, "MONOCHROME1"), []el{nested},
				el{tag: TagPixelData, vr: "OB", val: []byte{0, 128, 255, 0}}),
			rows: 1, cols: 3, values: []float32{0, 128, 255}, gray: []uint8{255, 127, 0}},
		{name: "explicit BE 12 of 16 bits", ts: ExplicitVRBigEndian,
			ds: withPixels(grey(be, 1, 3, 16, 12, 0, "MONOCHROME2"), patient,
				el{tag: TagPixelData, vr: "OW", val: be16s(0xF123, 0x0FFF, 0x0001)}),
			rows: 1, cols: 3, values: []float32{0x123, 0xFFF, 1}},
		{name: "explicit BE signed 12 bits", ts: ExplicitVRBigEndian,
			ds: withPixels(grey(be, 1, 3, 16, 12, 1, "MONOCHROME2"), nil,
				el{tag: TagPixelData, vr: "OW", val: be16s(0x0FFF, 0x0800, 0x07FF)}),
			rows: 1, cols: 3, values: []float32{-1, -2048, 2047}},
		{name: "deflated nested sequences int8", ts: DeflatedExplicitVRLittleEndian,
			ds: withPixels(grey(le, 2, 2, 8, 8, 1, "MONOCHROME2"), []el{nested},
				el{tag: TagPixelData, vr: "OB", val: []byte{0x80, 0xFF, 0x00, 0x7F}}),
			rows: 2, cols: 2, values: []float32{-128, -1, 0, 127}},
		{name: "RGB planar", ts: ExplicitVRLittleEndian,
			ds: withPixels([]el{
				{tag: TagSamplesPerPixel, vr: "US", val: us(le, 3)}, {tag: TagPhotometric, vr: "CS", val: text("RGB")},
				{tag: TagPlanarConfiguration, vr: "US", val: us(le, 1)},
				{tag: TagRows, vr: "US", val: us(le, 1)}, {tag: TagColumns, vr: "US", val: us(le, 2)},
				{tag: TagBitsAllocated, vr: "US", val: us(le, 8)}, {tag: TagBitsStored, vr: "US", val: us(le, 8)},
				{tag: TagPixelRepresentation, vr: "US", val: us(le, 0)}}, nil,
				el{tag: TagPixelData, vr: "OB", val: []byte{10, 20, 30, 40, 50, 60}}),
			rows: 1, cols: 2, values: []float32{10, 30, 50, 20, 40, 60},
			// luma 0.299 R + 0.587 G + 0.114 B
			gray: []uint8{26, 36}}, // 2.99+17.61+5.7, 5.98+23.48+6.84
		{name: "multi-frame frame 2", ts: ExplicitVRLittleEndian, frame: 2,
			ds: withPixels(grey(le, 1, 2, 8, 8, 0, "MONOCHROME2"), []el{{tag: TagNumberOfFrames, vr: "IS", val: text("3")}},
				el{tag: TagPixelData, vr: "OB", val: []byte{1, 2, 3, 4, 5, 6}}),
			rows: 1, cols: 2, values: []float32{5, 6}},
		{name: "RLE 16 bit", ts: RLELossless,
			ds: withPixels(grey(le, 2, 2, 16, 16, 0, "MONOCHROME2"), patient,
				el{tag: TagPixelData, frags: [][]byte{rle16([]int{0x0102, 0xFF00, 7, 0x8000})}}),
			rows: 2, cols: 2, values: []float32{0x0102, 0xFF00, 7, 0x8000}},
		{name: "RLE 16 bit multi-frame", ts: RLELossless, frame: 1,
			ds: withPixels(grey(le, 1, 2, 16, 16, 1, "MONOCHROME2"), []el{{tag: TagNumberOfFrames, vr: "IS", val: text("2")}},
				el{tag: TagPixelData, frags: [][]byte{rle16([]int{1, 2}), rle16([]int{-3, 300})}}),
			rows: 1, cols: 2, values: []float32{-3, 300}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse(part10(tt.ts, tt.ds))
			if err != nil {
				t.Fatal(err)
			}
			if f.TransferSyntax != tt.ts {
				t.Errorf("transfer syntax %q, want %q", f.TransferSyntax, tt.ts)
			}
			im, err := f.Image(Options{Frame: tt.frame})
			if err != nil {
				t.Fatal(err)
			}
			if im.Rows != tt.rows || im.Columns != tt.cols || !slices.Equal(im.Values, tt.values) {
				t.Errorf("got %dx%d %v, want %dx%d %v", im.Rows, im.Columns, im.Values, tt.rows, tt.cols, tt.values)
			}
			if tt.gray != nil {
				if g := im.Gray8(); !slices.Equal(g, tt.gray) {
					t.Errorf("Gray8 %v, want %v", g, tt.gray)
				}
			}
		})
	}
}

func TestNestedSequences(t *testing.T) {
	inner := el{tag: NewTag(0x0040, 0xA730), vr: "SQ", undefined: true, items: [][]el{{{tag: NewTag(0x0040, 0xA160), vr: "UT", val: text("deep")}}}}
	ds := []el{
		{tag: NewTag(0x0008, 0x1140), vr: "SQ", items: [][]el{{{tag: NewTag(0x0008, 0x1150), vr: "UI", val: pad([]byte("1.2"), 0)}, inner}}},
		{tag: TagStudyInstanceUID, vr: "UI", val: pad([]byte("1.2.3"), 0)},
	}
	for _, ts := range []string{ExplicitVRLittleEndian, ImplicitVRLittleEndian, ExplicitVRBigEndian, DeflatedExplicitVRLittleEndian} {
		t.Run(ts, func(t *testing.T) {
			f, err := Parse(part10(ts, ds))
			if err != nil {
				t.Fatal(err)
			}
			sq := f.Dataset.Find(NewTag(0x0008, 0x1140))
			if sq == nil || len(sq.Items) != 1 {
				t.Fatalf("sequence %+v", sq)
			}
			in := sq.Items[0].Find(NewTag(0x0040, 0xA730))
			if in == nil || len(in.Items) != 1 {
				t.Fatalf("inner sequence %+v", in)
			}
			if s, _ := in.Items[0].Text(NewTag(0x0040, 0xA160)); s != "deep" {
				t.Errorf("deep text %q", s)
			}
			if s, _ := f.Dataset.Text(TagStudyInstanceUID); s != "1.2.3" {
				t.Errorf("element after the sequence: %q", s)
			}
		})
	}
}

func sampleFile(t testing.TB, name string) []byte {
	b, err := os.ReadFile(filepath.Join(samples, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSamples checks the six sample files against their SOURCE.md
// (transfer syntax, size from pydicom's README: CT 128x128, MR 64x64, US
// RGB 60x80 downsized) and against each other: the four MR files hold the
// same image in four syntaxes.
func TestSamples(t *testing.T) {
	tests := []struct {
		file, ts, photometric string
		rows, cols, samples   int
	}{
		{"CT_small.dcm", ExplicitVRLittleEndian, "MONOCHROME2", 128, 128, 1},
		{"MR_small.dcm", ExplicitVRLittleEndian, "MONOCHROME2", 64, 64, 1},
		{"MR_small_implicit.dcm", ImplicitVRLittleEndian, "MONOCHROME2", 64, 64, 1},
		{"MR_small_bigendian.dcm", ExplicitVRBigEndian, "MONOCHROME2", 64, 64, 1},
		{"MR_small_RLE.dcm", RLELossless, "MONOCHROME2", 64, 64, 1},
		{"ExplVR_BigEnd.dcm", ExplicitVRBigEndian, "RGB", 60, 80, 3},
	}
	var mr []float32
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := Parse(sampleFile(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			im, err := f.Image(Options{})
			if err != nil {
				t.Fatal(err)
			}
			if f.TransferSyntax != tt.ts || im.Photometric != tt.photometric || im.Rows != tt.rows || im.Columns != tt.cols || im.Samples != tt.samples {
				t.Errorf("got %s %s %dx%dx%d", f.TransferSyntax, im.Photometric, im.Rows, im.Columns, im.Samples)
			}
			if strings.HasPrefix(tt.file, "MR_small") {
				if mr == nil {
					mr = im.Values
				} else if !slices.Equal(mr, im.Values) {
					t.Errorf("pixels differ from MR_small.dcm")
				}
			}
			if g := im.Gray8(); len(g) != tt.rows*tt.cols {
				t.Errorf("Gray8 has %d pixels", len(g))
			}
		})
	}
}

func TestErrors(t *testing.T) {
	ok := withPixels(grey(le, 2, 2, 16, 16, 0, "MONOCHROME2"), []el{{tag: TagPatientName, vr: "PN", val: text("Doe^Jane")}},
		el{tag: TagPixelData, vr: "OW", val: le16s(1, 2, 3, 4)})
	good := part10(ExplicitVRLittleEndian, ok)
	pixOff := len(good) - 8 - 4 - 8 // pixel data header (12 bytes) + 8 value bytes from the end
	lying := slices.Clone(good)
	binary.LittleEndian.PutUint32(lying[pixOff+8:], 0x7FFFFFF0)
	jpeg := part10("1.2.840.10008.1.2.4.50", withPixels(grey(le, 2, 2, 8, 8, 0, "MONOCHROME2"), nil,
		el{tag: TagPixelData, frags: [][]byte{{0xFF, 0xD8, 0xFF, 0xD9}}}))
	huge := part10(ExplicitVRLittleEndian, withPixels(grey(le, 65535, 65535, 16, 16, 0, "MONOCHROME2"), nil,
		el{tag: TagPixelData, vr: "OW", val: le16s(1, 2)}))
	fewFrames := part10(ExplicitVRLittleEndian, withPixels(grey(le, 2, 2, 16, 16, 0, "MONOCHROME2"), []el{{tag: TagNumberOfFrames, vr: "IS", val: text("2")}},
		el{tag: TagPixelData, vr: "OW", val: le16s(1, 2, 3, 4)}))
	tests := []struct {
		name  string
		in    []byte
		image bool // the error comes from Image, not Parse
		want  []string
	}{
		{name: "empty", in: nil, want: []string{"offset 0", "preamble"}},
		{name: "no DICM", in: make([]byte, 200), want: []string{"offset 128", "DICM"}},
		{name: "lying pixel length", in: lying, want: []string{"(7FE0,0010)", "offset " + itoa(pixOff), "runs past"}},
		{name: "truncated in pixel data", in: good[:len(good)-3], want: []string{"(7FE0,0010)", "runs past"}},
		{name: "truncated header", in: good[:len(good)-14], want: []string{"truncated", "offset " + itoa(len(good)-20)}},
		{name: "jpeg baseline", in: jpeg, image: true, want: []string{"(7FE0,0010)", "offset ", "JPEG", "1.2.840.10008.1.2.4.50"}},
		{name: "too many pixels", in: huge, image: true, want: []string{"(0028,0010)", "limit"}},
		{name: "frames past the data", in: fewFrames, image: true, want: []string{"(7FE0,0010)", "2 frames"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse(tt.in)
			if tt.image {
				if err != nil {
					t.Fatal(err)
				}
				_, err = f.Image(Options{})
			}
			if err == nil {
				t.Fatal("no error")
			}
			var de *Error
			if !errors.As(err, &de) {
				t.Errorf("%v is not a *dicom.Error", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestNoPatientDataInErrors parses every truncation and many byte flips of
// a file that names a patient: no error message may contain the name or
// the ID, and nothing panics.
func TestNoPatientDataInErrors(t *testing.T) {
	ds := withPixels(grey(le, 2, 2, 16, 16, 0, "MONOCHROME2"), []el{
		{tag: TagPatientName, vr: "PN", val: text("Doe^Jane")},
		{tag: TagPatientID, vr: "LO", val: text("MRN12345")},
		{tag: TagWindowCenter, vr: "DS", val: text("Doe^Jane")},
	}, el{tag: TagPixelData, vr: "OW", val: le16s(1, 2, 3, 4)})
	for _, ts := range []string{ExplicitVRLittleEndian, ImplicitVRLittleEndian, ExplicitVRBigEndian} {
		good := part10(ts, ds)
		check := func(b []byte) {
			f, err := Parse(b)
			if err == nil {
				_, err = f.Image(Options{})
			}
			if err != nil && (strings.Contains(err.Error(), "Doe") || strings.Contains(err.Error(), "MRN12345")) {
				t.Fatalf("%s: error echoes patient data: %v", ts, err)
			}
		}
		for n := range len(good) {
			check(good[:n])
		}
		for i := 132; i < len(good); i++ {
			b := slices.Clone(good)
			b[i] ^= 0xA5
			check(b)
		}
	}
}

func TestWindow(t *testing.T) {
	// PS3.3 C.11.2.1.2.1 with c = 50, w = 101: 0 at or below -0.5+... , linear between.
	tests := []struct {
		name    string
		x, c, w float64
		want    float64
	}{
		{"below", -1, 50, 101, 0},
		{"low edge", -0.5, 50, 101, 0},
		{"centre", 49.5, 50, 101, 0.5},
		{"high", 99.5, 50, 101, 1},
		{"inside", 0, 50, 101, 0.005},
		{"width one", 49, 50, 1, 0},
		{"width one above", 50, 50, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Window(tt.x, tt.c, tt.w); math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("Window(%v, %v, %v) = %v, want %v", tt.x, tt.c, tt.w, got, tt.want)
			}
		})
	}
}
