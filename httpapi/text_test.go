package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/api"
	"github.com/galenhealth/galen/inference"
	"github.com/galenhealth/galen/text"
)

// newTextEnv is a real server with the built-in clinical-specialty model.
func newTextEnv(tb testing.TB) *testEnv {
	tb.Helper()
	env := newEnv(tb, Config{}, inference.Config{}, map[string]galen.Loader{text.Format: text.Loader})
	if err := env.models.Seed(context.Background(), []inference.Builtin{{Name: DefaultTextModel, Task: "text", Format: text.Format,
		Card: text.BuiltinCard(), Artifact: text.BuiltinArtifact()}}); err != nil {
		tb.Fatal(err)
	}
	return env
}

// eyeNote is an ophthalmology operative note with a negated finding, a
// non-ASCII character before it (so character and byte offsets differ)
// and the usual headers.
const eyeNote = "PREOPERATIVE DIAGNOSIS: Visually significant cataract, right eye (café-au-lait spots noted).\n" +
	"PROCEDURE: Phacoemulsification with intraocular lens implantation, right eye.\n" +
	"HISTORY: The patient denies eye pain but has blurred vision. No diplopia.\n" +
	"MEDICATIONS: Prednisolone acetate 1% drops q.i.d.\n" +
	"The anterior chamber was entered, the lens nucleus was removed by phacoemulsification and a posterior chamber intraocular lens was placed in the capsular bag."

func TestTextClassify(t *testing.T) {
	env := newTextEnv(t)
	body, _ := json.Marshal(api.TextClassifyRequest{Text: eyeNote})
	resp, b := env.do(t, "clinician", "POST", "/v1/text/classify", "application/json", body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	var out api.TextClassifyResponse
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	runes := []rune(eyeNote)
	t.Run("top label", func(t *testing.T) {
		if len(out.Labels) != 3 || out.Labels[0].Label != "Ophthalmology" {
			t.Errorf("labels %+v, want 3 with Ophthalmology first", out.Labels)
		}
		if out.Model != DefaultTextModel || out.Version != 1 {
			t.Errorf("model %s:%d", out.Model, out.Version)
		}
	})
	t.Run("explanation offsets are characters", func(t *testing.T) {
		if len(out.Explanation) == 0 {
			t.Fatal("no explanation")
		}
		found := false
		for _, e := range out.Explanation {
			for _, s := range e.Spans {
				if string(runes[s.Start:s.End]) != s.Text {
					t.Errorf("span %+v: text at those characters is %q", s, string(runes[s.Start:s.End]))
				}
				if strings.Contains(strings.ToLower(s.Text), "phaco") || strings.Contains(strings.ToLower(s.Text), "cataract") || strings.Contains(strings.ToLower(s.Text), "intraocular") {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("no eye word among the explanation %+v", out.Explanation)
		}
	})
	t.Run("negated findings", func(t *testing.T) {
		want := map[string]string{"eye pain": "history_of_present_illness", "diplopia": "history_of_present_illness"}
		got := map[string]string{}
		for _, f := range out.Negated {
			got[f.Text] = f.Section
			if string(runes[f.Start:f.End]) != f.Text {
				t.Errorf("finding %+v: text at those characters is %q", f, string(runes[f.Start:f.End]))
			}
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("negated %q in section %q, want %q (all: %+v)", k, got[k], v, out.Negated)
			}
		}
		if _, ok := got["blurred vision"]; ok {
			t.Error("blurred vision is affirmed, not negated")
		}
	})
	t.Run("sections", func(t *testing.T) {
		var names []string
		for _, s := range out.Sections {
			names = append(names, s.Name)
		}
		if strings.Join(names, ",") != "diagnosis,procedure,history_of_present_illness,medications" {
			t.Errorf("sections %v", names)
		}
	})
}

func TestTextClassifyFHIR(t *testing.T) {
	env := newTextEnv(t)
	body, _ := json.Marshal(api.TextClassifyRequest{Text: eyeNote})
	req, _ := http.NewRequest("POST", env.url+"/v1/text/classify", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/fhir+json")
	req.Header.Set("Authorization", "Bearer "+env.keys["clinician"])
	resp, b := send(t, req)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/fhir+json" {
		t.Fatalf("status %d, type %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	var bundle struct {
		ResourceType string
		Type         string
		Entry        []struct {
			Resource struct {
				ResourceType       string
				VerificationStatus struct {
					Coding []struct{ System, Code string }
				}
				Code    struct{ Text string }
				Subject struct{ Display string }
			}
		}
	}
	if err := json.Unmarshal(b, &bundle); err != nil {
		t.Fatal(err)
	}
	if bundle.ResourceType != "Bundle" || bundle.Type != "collection" || len(bundle.Entry) != 2 {
		t.Fatalf("bundle %s", b)
	}
	for _, e := range bundle.Entry {
		r := e.Resource
		if r.ResourceType != "Condition" || len(r.VerificationStatus.Coding) != 1 || r.VerificationStatus.Coding[0].Code != "refuted" ||
			r.VerificationStatus.Coding[0].System != "http://terminology.hl7.org/CodeSystem/condition-ver-status" || r.Code.Text == "" || r.Subject.Display == "" {
			t.Errorf("condition %+v", r)
		}
	}
}

func TestTextClassifyBadInput(t *testing.T) {
	env := newTextEnv(t)
	huge, _ := json.Marshal(api.TextClassifyRequest{Text: strings.Repeat("pain ", text.MaxTextBytes/5+1)})
	tests := []struct {
		name        string
		contentType string
		query       string
		body        string
		status      int
		want        string
	}{
		{"empty body", "application/json", "", "", 400, "request body is empty"},
		{"empty text", "application/json", "", `{"text":""}`, 400, "text is empty"},
		{"blank text", "application/json", "", `{"text":"  \n\t "}`, 400, "text is empty"},
		{"no text field", "application/json", "", `{}`, 400, "text is empty"},
		{"not utf-8", "application/json", "", "{\"text\":\"caf\xe9\"}", 400, "not valid UTF-8"},
		{"lone surrogate", "application/json", "", `{"text":"pain \ud800 here"}`, 400, "surrogate"},
		{"escaped backslash is fine", "application/json", "", `{"text":"pain \\ud800 here"}`, 200, ""},
		{"too large", "application/json", "", string(huge), 413, "limit"},
		{"unknown field", "application/json", "", `{"text":"pain","x":1}`, 400, "x"},
		{"malformed", "application/json", "", `{"text":`, 400, "JSON"},
		{"top_k range", "application/json", "", `{"text":"pain","top_k":1000}`, 400, "top_k"},
		{"wrong content type", "text/plain", "", `{"text":"pain"}`, 415, "Content-Type"},
		{"unknown query", "application/json", "?foo=1", `{"text":"pain"}`, 400, "foo"},
		{"not a text model", "application/json", "?model=lin", `{"text":"pain"}`, 400, "not a text classifier"},
		{"unknown model", "application/json", "?model=nope", `{"text":"pain"}`, 404, "nope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := env.do(t, "clinician", "POST", "/v1/text/classify"+tc.query, tc.contentType, []byte(tc.body))
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, b)
			}
			if tc.want != "" && !strings.Contains(errorOf(t, resp, b), tc.want) {
				t.Errorf("error %q does not mention %q", errorOf(t, resp, b), tc.want)
			}
		})
	}
	t.Run("auditor may not classify", func(t *testing.T) {
		resp, b := env.do(t, "auditor", "POST", "/v1/text/classify", "application/json", []byte(`{"text":"pain"}`))
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("status %d: %s", resp.StatusCode, b)
		}
	})
}

func TestTextInferBytes(t *testing.T) {
	env := newTextEnv(t)
	req := map[string]any{"inputs": []map[string]any{{"name": "text", "datatype": "BYTES", "shape": []int{2},
		"data": []string{eyeNote, "Cystoscopy showed a bladder tumor; transurethral resection of the bladder tumor was done. Hematuria and prostate enlargement."}}}}
	body, _ := json.Marshal(req)
	resp, b := env.do(t, "clinician", "POST", "/v2/models/clinical-specialty/infer", "application/json", body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	var out struct {
		Outputs []struct {
			Name  string
			Shape []int
			Data  json.RawMessage
		}
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, o := range out.Outputs {
		got[o.Name] = string(o.Data)
	}
	if got["label"] != `["Ophthalmology","Urology"]` {
		t.Errorf("labels %s, want Ophthalmology then Urology", got["label"])
	}
	var probs []float64
	if err := json.Unmarshal([]byte(got["probabilities"]), &probs); err != nil || len(probs) != 26 {
		t.Errorf("probabilities %s: want 2x13 values", got["probabilities"])
	}
	t.Run("empty string is 400", func(t *testing.T) {
		body := `{"inputs":[{"name":"text","datatype":"BYTES","shape":[1],"data":[""]}]}`
		resp, b := env.do(t, "clinician", "POST", "/v2/models/clinical-specialty/infer", "application/json", []byte(body))
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "empty") {
			t.Errorf("status %d: %s", resp.StatusCode, b)
		}
	})
	if !utf8.ValidString(eyeNote) {
		t.Fatal("test note is not UTF-8")
	}
}

func FuzzDecodeTextRequest(f *testing.F) {
	for _, s := range []string{`{"text":"denies chest pain"}`, `{"text":"a","top_k":2}`, `{"text":"\ud83d\ude00 pain"}`, `{"text":"\udc00"}`, "{\"text\":\"\xff\"}", `{"text":""}`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeTextRequest(body)
		if err != nil {
			if c := galen.ErrorCode(err); c != galen.EINVALID && c != galen.ETOOLARGE {
				t.Fatalf("error code %s: %v", c, err)
			}
			return
		}
		if !utf8.ValidString(req.Text) || len(text.Tokenize(req.Text)) == 0 || req.TopK < 1 || req.TopK > maxTextTopK {
			t.Fatalf("accepted %+v", req)
		}
	})
}
