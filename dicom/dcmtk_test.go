package dicom

import (
	"bufio"
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// requireDcmtk skips the test when Debian's dcmtk is not installed, unless
// GALEN_REQUIRE_DCMTK is set (by .ci/run after installing it): then a
// missing dcmtk fails.
func requireDcmtk(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"dcmdump", "dcm2pnm"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("GALEN_REQUIRE_DCMTK") != "" {
				t.Fatalf("GALEN_REQUIRE_DCMTK is set but %s is not on PATH", tool)
			}
			t.Skipf("dcmtk's %s is not installed (apt-get install dcmtk); the reader is not compared with dcmtk", tool)
		}
	}
}

var dumpLine = regexp.MustCompile(`^\((\w{4}),(\w{4})\) (\w\w) (?:\[([^\]]*)\]|(\S+))`)

// dcmdump returns the values dcmdump prints for the given tags.
func dcmdump(t *testing.T, path string, tags ...Tag) map[Tag]string {
	args := []string{"-q"}
	for _, tg := range tags {
		args = append(args, "+P", strings.Trim(tg.String(), "()"))
	}
	out, err := exec.Command("dcmdump", append(args, path)...).Output()
	if err != nil {
		t.Fatalf("dcmdump %s: %v", path, err)
	}
	got := map[Tag]string{}
	for _, line := range strings.Split(string(out), "\n") {
		m := dumpLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		g, _ := strconv.ParseUint(m[1], 16, 16)
		e, _ := strconv.ParseUint(m[2], 16, 16)
		v := m[4]
		if v == "" {
			v = m[5]
		}
		got[NewTag(uint16(g), uint16(e))] = v
	}
	return got
}

// dcm2pnm returns the ASCII PNM (P2 or P3) dcm2pnm writes with args.
func dcm2pnm(t *testing.T, path string, args ...string) (w, h, maxv int, vals []int) {
	out, err := exec.Command("dcm2pnm", append(args, path)...).Output()
	if err != nil {
		t.Fatalf("dcm2pnm %s: %v", path, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Split(bufio.ScanWords)
	var words []string
	for sc.Scan() {
		words = append(words, sc.Text())
	}
	if len(words) < 4 || (words[0] != "P2" && words[0] != "P3") {
		t.Fatalf("dcm2pnm %s: not an ASCII PNM", path)
	}
	nums := make([]int, len(words)-1)
	for i, s := range words[1:] {
		if nums[i], err = strconv.Atoi(s); err != nil {
			t.Fatalf("dcm2pnm %s: %q", path, s)
		}
	}
	return nums[0], nums[1], nums[2], nums[3:]
}

// TestAgainstDcmtk compares the reader with dcmtk on every sample file:
// the header values dcmdump prints (transfer syntax, rows, columns,
// photometric interpretation, bits, rescale, window) and the pixels
// dcm2pnm renders: grey images through a min-max window into 16 bits
// (+Wm +opw), which our values must match after the same linear mapping
// within 0.2% of the range; RGB images as stored (8-bit), exactly.
func TestAgainstDcmtk(t *testing.T) {
	requireDcmtk(t)
	files, err := filepath.Glob(filepath.Join(samples, "*.dcm"))
	if err != nil || len(files) != 6 {
		t.Fatalf("%d sample files: %v", len(files), err)
	}
	tsNames := map[string]string{
		"LittleEndianExplicit": ExplicitVRLittleEndian, "LittleEndianImplicit": ImplicitVRLittleEndian,
		"BigEndianExplicit": ExplicitVRBigEndian, "RLELossless": RLELossless, "DeflatedLittleEndianExplicit": DeflatedExplicitVRLittleEndian,
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			im, err := f.Image(Options{})
			if err != nil {
				t.Fatal(err)
			}
			d := dcmdump(t, path, TagTransferSyntaxUID, TagRows, TagColumns, TagPhotometric, TagBitsAllocated,
				TagBitsStored, TagPixelRepresentation, TagSamplesPerPixel, TagRescaleSlope, TagRescaleIntercept, TagWindowCenter, TagWindowWidth)
			ts := strings.TrimPrefix(d[TagTransferSyntaxUID], "=")
			if name, ok := tsNames[ts]; ok {
				ts = name
			}
			if ts != f.TransferSyntax {
				t.Errorf("transfer syntax %q, dcmdump %q", f.TransferSyntax, ts)
			}
			ints := map[Tag]int{TagRows: im.Rows, TagColumns: im.Columns, TagBitsAllocated: im.BitsAllocated, TagBitsStored: im.BitsStored, TagSamplesPerPixel: im.Samples}
			for tg, v := range ints {
				if d[tg] != "" && d[tg] != strconv.Itoa(v) {
					t.Errorf("%s = %d, dcmdump %s", tg, v, d[tg])
				}
			}
			if d[TagPhotometric] != im.Photometric {
				t.Errorf("photometric %q, dcmdump %q", im.Photometric, d[TagPhotometric])
			}
			if s := d[TagRescaleIntercept]; s != "" {
				if v, _ := strconv.ParseFloat(s, 64); v != im.Intercept {
					t.Errorf("intercept %v, dcmdump %v", im.Intercept, s)
				}
			}
			if s := d[TagWindowCenter]; s != "" && im.HasWindow {
				if v, _ := strconv.ParseFloat(strings.Split(s, `\`)[0], 64); v != im.WindowCenter {
					t.Errorf("window centre %v, dcmdump %v", im.WindowCenter, s)
				}
			}
			if im.Photometric == "RGB" {
				w, h, _, vals := dcm2pnm(t, path, "+opb")
				if w != im.Columns || h != im.Rows || len(vals) != len(im.Values) {
					t.Fatalf("dcm2pnm %dx%d with %d values, ours %dx%d with %d", w, h, len(vals), im.Columns, im.Rows, len(im.Values))
				}
				for i, v := range vals {
					if float32(v) != im.Values[i] {
						t.Fatalf("value %d: %v, dcm2pnm %d", i, im.Values[i], v)
					}
				}
				t.Logf("%dx%d RGB, %d values equal to dcm2pnm's", im.Rows, im.Columns, len(vals))
				return
			}
			w, h, maxv, vals := dcm2pnm(t, path, "+Wm", "+opw")
			if w != im.Columns || h != im.Rows || len(vals) != len(im.Values) {
				t.Fatalf("dcm2pnm %dx%d with %d values, ours %dx%d with %d", w, h, len(vals), im.Columns, im.Rows, len(im.Values))
			}
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, v := range im.Values {
				lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
			}
			var worst, sum float64
			for i, v := range vals {
				ours := (float64(im.Values[i]) - lo) / (hi - lo)
				if im.Photometric == "MONOCHROME1" {
					ours = 1 - ours
				}
				diff := math.Abs(ours - float64(v)/float64(maxv))
				worst, sum = math.Max(worst, diff), sum+diff
			}
			if worst > 0.002 {
				t.Errorf("pixels differ from dcm2pnm's min-max rendering by up to %.4f of the range (mean %.5f)", worst, sum/float64(len(vals)))
			}
			t.Logf("%dx%d %s, values %v..%v; dcm2pnm +Wm: max difference %.5f, mean %.6f of the range", im.Rows, im.Columns, f.TransferSyntax, lo, hi, worst, sum/float64(len(vals)))
		})
	}
}
