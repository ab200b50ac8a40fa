package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/api"
	"github.com/galenhealth/galen/imaging"
	"github.com/galenhealth/galen/inference"
)

// newImagingEnv is a real server with the built-in pneumonia-xray model.
func newImagingEnv(tb testing.TB, cfg Config) *testEnv {
	tb.Helper()
	env := newEnv(tb, cfg, inference.Config{}, map[string]galen.Loader{imaging.Format: imaging.Loader})
	if err := env.models.Seed(context.Background(), []inference.Builtin{{Name: DefaultImagingModel, Task: "imaging",
		Format: imaging.Format, Card: imaging.BuiltinCard(), Artifact: imaging.BuiltinArtifact()}}); err != nil {
		tb.Fatal(err)
	}
	return env
}

func testImages(tb testing.TB) *imaging.Set {
	tb.Helper()
	d, err := imaging.ReadMedMNISTFile("../../shared/data/pneumoniamnist/pneumoniamnist.npz")
	if err != nil {
		tb.Fatal(err)
	}
	return d.Test
}

func grayPNG(tb testing.TB, px []uint8, side int) []byte {
	g := image.NewGray(image.Rect(0, 0, side, side))
	copy(g.Pix, px)
	var buf bytes.Buffer
	if err := png.Encode(&buf, g); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func (e *testEnv) classify(tb testing.TB, query, contentType, accept string, body []byte) (*http.Response, []byte) {
	tb.Helper()
	req, err := http.NewRequest("POST", e.url+"/v1/imaging/classify"+query, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	req.Header.Set("Authorization", "Bearer "+e.keys["clinician"])
	return send(tb, req)
}

// TestImagingClassify sends test-split images the model never trained on:
// the answer matches the model run directly on the same pixels, most
// images get their label, and DICOM, JPEG and multipart bodies work.
func TestImagingClassify(t *testing.T) {
	env := newImagingEnv(t, Config{})
	set := testImages(t)
	m, err := imaging.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	right := 0
	const n = 20
	for i := range n {
		px := set.Image(i)
		resp, body := env.classify(t, "", "image/png", "", grayPNG(t, px, 28))
		if resp.StatusCode != 200 {
			t.Fatalf("image %d: %d %s", i, resp.StatusCode, body)
		}
		var out api.ImagingResponse
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatal(err)
		}
		want, err := m.Predict(context.Background(), px, false)
		if err != nil {
			t.Fatal(err)
		}
		if out.Class != want.Class || out.Probabilities["pneumonia"] != want.Probabilities["pneumonia"] || out.Band != want.Band ||
			out.Model != DefaultImagingModel || out.Version != 1 || out.Input.Kind != "png" || out.Explanation == "" || out.DICOM != nil {
			t.Errorf("image %d: %+v, model says %+v", i, out, want)
		}
		if (out.Class == "pneumonia") == (set.Labels[i] == 1) {
			right++
		}
	}
	if right < n*8/10 {
		t.Errorf("%d of %d test images classified as labelled", right, n)
	}

	var jp bytes.Buffer
	g := image.NewGray(image.Rect(0, 0, 28, 28))
	copy(g.Pix, set.Image(0))
	if err := jpeg.Encode(&jp, g, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	ct, err := os.ReadFile("../../shared/data/dicom-samples/CT_small.dcm")
	if err != nil {
		t.Fatal(err)
	}
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("note", "ignored")
	fw, _ := mw.CreateFormFile("image", "xray.png")
	fw.Write(grayPNG(t, set.Image(1), 28))
	mw.Close()
	tests := []struct {
		name, contentType string
		body              []byte
		kind              string
		dicom             bool
	}{
		{"jpeg", "image/jpeg", jp.Bytes(), "jpeg", false},
		{"dicom", "application/dicom", ct, "dicom", true},
		{"multipart", mw.FormDataContentType(), mp.Bytes(), "png", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := env.classify(t, "", tt.contentType, "", tt.body)
			if resp.StatusCode != 200 {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			var out api.ImagingResponse
			if err := json.Unmarshal(body, &out); err != nil {
				t.Fatal(err)
			}
			if out.Input.Kind != tt.kind || (out.DICOM != nil) != tt.dicom {
				t.Errorf("got %+v", out)
			}
			if tt.dicom {
				if out.DICOM.StudyInstanceUID == "" || out.DICOM.SeriesInstanceUID == "" || out.Input.Width != 128 {
					t.Errorf("dicom %+v input %+v", out.DICOM, out.Input)
				}
				// CT_small's header names a patient and an ID: never echoed.
				if strings.Contains(string(body), "CompressedSamples") || strings.Contains(string(body), "1CT1") {
					t.Errorf("patient data echoed: %s", body)
				}
			}
		})
	}
}

func TestImagingSaliencyAndFHIR(t *testing.T) {
	env := newImagingEnv(t, Config{})
	img := grayPNG(t, testImages(t).Image(2), 28)
	resp, body := env.classify(t, "?saliency=true", "image/png", "", img)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	var out api.ImagingResponse
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	if out.Saliency == nil || len(out.Saliency.Grid) != 28*28 || out.Saliency.Method != "grad-cam" {
		t.Fatalf("saliency %+v", out.Saliency)
	}
	if ov, err := png.Decode(bytes.NewReader(out.Saliency.PNG)); err != nil || ov.Bounds().Dx() < 28 {
		t.Errorf("overlay PNG: %v", err)
	}
	resp, body = env.classify(t, "?saliency=1", "image/png", "application/fhir+json", img)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != mediaFHIR {
		t.Fatalf("%d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var dr struct {
		ResourceType   string `json:"resourceType"`
		Status         string `json:"status"`
		Conclusion     string `json:"conclusion"`
		ConclusionCode []struct {
			Coding []struct{ System, Code string } `json:"coding"`
		} `json:"conclusionCode"`
		Performer     []struct{ Display string } `json:"performer"`
		PresentedForm []struct {
			ContentType string `json:"contentType"`
			Data        []byte `json:"data"`
		} `json:"presentedForm"`
	}
	if err := json.Unmarshal(body, &dr); err != nil {
		t.Fatal(err)
	}
	code := ""
	if len(dr.ConclusionCode) == 1 && len(dr.ConclusionCode[0].Coding) == 1 {
		code = dr.ConclusionCode[0].Coding[0].Code
	}
	wantCode := map[string]string{"pneumonia": "233604007", "normal": "17621005"}[out.Class]
	if dr.ResourceType != "DiagnosticReport" || !strings.HasPrefix(dr.Conclusion, out.Class) || code != wantCode ||
		len(dr.Performer) != 1 || !strings.Contains(dr.Performer[0].Display, "pneumonia-xray version 1") ||
		len(dr.PresentedForm) != 1 || dr.PresentedForm[0].ContentType != "image/png" {
		t.Errorf("DiagnosticReport %s", body)
	}
}

func TestImagingRejects(t *testing.T) {
	env := newImagingEnv(t, Config{ImagingMaxBytes: 30000, ImagingMaxPixels: 100 * 100})
	set := testImages(t)
	small := grayPNG(t, set.Image(0), 28)
	big := grayPNG(t, make([]uint8, 101*101), 101)
	ct, err := os.ReadFile("../../shared/data/dicom-samples/CT_small.dcm")
	if err != nil {
		t.Fatal(err)
	}
	mr, err := os.ReadFile("../../shared/data/dicom-samples/MR_small.dcm")
	if err != nil {
		t.Fatal(err)
	}
	// The transfer syntax element (VR UI, length 20) rewritten to JPEG
	// baseline (length 22); the reader does not use the group length.
	jpegDICOM := bytes.Replace(mr, []byte("UI\x14\x001.2.840.10008.1.2.1\x00"), []byte("UI\x16\x001.2.840.10008.1.2.4.50"), 1)
	if bytes.Equal(jpegDICOM, mr) {
		t.Fatal("no transfer syntax element to rewrite")
	}
	tests := []struct {
		name, query, contentType string
		body                     []byte
		status                   int
		want                     string
	}{
		{"bytes over the limit", "", "application/dicom", ct, 413, "over the limit of 30000"},
		{"pixels over the limit", "", "image/png", big, 413, "101x101 pixels, the limit is 10000"},
		{"wrong content type", "", "application/json", small, 415, "Content-Type must be"},
		{"truncated dicom", "", "application/dicom", mr[:2000], 400, "offset"},
		{"jpeg dicom", "", "application/dicom", jpegDICOM, 400, "(7FE0,0010)"},
		{"not an image", "", "image/png", []byte("hello"), 400, "not PNG, JPEG or DICOM"},
		{"empty", "", "image/png", nil, 400, "empty"},
		{"unknown query", "?zoom=2", "image/png", small, 400, "unknown query parameter"},
		{"bad saliency", "?saliency=maybe", "image/png", small, 400, "saliency"},
		{"unknown model", "?model=nope", "image/png", small, 404, "nope"},
		{"not an image model", "?model=lin", "image/png", small, 400, "not an image classifier"},
		{"multipart without file", "", "multipart/form-data; boundary=xyz", []byte("--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--xyz--\r\n"), 400, "no part named image"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := env.classify(t, tt.query, tt.contentType, "", tt.body)
			if resp.StatusCode != tt.status || !strings.Contains(errorOf(t, resp, body), tt.want) {
				t.Errorf("%d %s, want %d containing %q", resp.StatusCode, body, tt.status, tt.want)
			}
		})
	}
	// A FHIR caller gets an OperationOutcome.
	resp, body := env.classify(t, "", "image/png", "application/fhir+json", big)
	if resp.StatusCode != 413 || !strings.Contains(string(body), "OperationOutcome") {
		t.Errorf("FHIR 413: %d %s", resp.StatusCode, body)
	}
}

// TestImagingOIP runs the model through OIP v2 infer with UINT8 and FP32
// tensors.
func TestImagingOIP(t *testing.T) {
	env := newImagingEnv(t, Config{})
	set := testImages(t)
	m, _ := imaging.Builtin()
	want, err := m.Probabilities(context.Background(), set.Pixels[:2*784], 2)
	if err != nil {
		t.Fatal(err)
	}
	ints, floats := make([]int, 2*784), make([]float64, 2*784)
	for i, v := range set.Pixels[:2*784] {
		ints[i], floats[i] = int(v), float64(v)
	}
	for _, tc := range []struct {
		name, datatype string
		data           any
		status         int
	}{
		{"uint8", "UINT8", ints, 200},
		{"fp32", "FP32", floats, 200},
		{"int64", "INT64", ints, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, _ := json.Marshal(tc.data)
			req := api.InferenceRequest{Inputs: []api.InferTensor{{Name: "image", Datatype: tc.datatype, Shape: []int64{2, 1, 28, 28}, Data: data}}}
			b, _ := json.Marshal(req)
			resp, body := env.do(t, "clinician", "POST", "/v2/models/pneumonia-xray/infer", "application/json", b)
			if resp.StatusCode != tc.status {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			if tc.status != 200 {
				return
			}
			var out struct {
				Outputs []struct {
					Name  string    `json:"name"`
					Shape []int64   `json:"shape"`
					Data  []float64 `json:"data"`
				} `json:"outputs"`
			}
			if err := json.Unmarshal(body, &out); err != nil {
				t.Fatal(err)
			}
			o := out.Outputs[0]
			if o.Name != "probabilities" || len(o.Data) != 4 || float32(o.Data[1]) != float32(want[0]) || float32(o.Data[3]) != float32(want[1]) {
				t.Errorf("got %+v, want P(pneumonia) %v", o, want)
			}
		})
	}
}
