package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/api"
	"github.com/galenhealth/galen/inference"
)

func TestDeidentifyRoute(t *testing.T) {
	env := newOutcomeEnv(t)
	note := "Seen by Dr. Abernathy on 3/4/98. Call (617) 555-0143. Strength 5/5."
	post := func(t *testing.T, ct, path, body string) (*http.Response, []byte) {
		return env.post(t, galen.RoleClinician, path, ct, "", []byte(body))
	}
	t.Run("tag", func(t *testing.T) {
		b, _ := json.Marshal(api.DeidentifyRequest{Text: note})
		resp, body := post(t, "application/json", "/v1/text/deidentify", string(b))
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		var out api.DeidentifyResponse
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatal(err)
		}
		want := "Seen by Dr. [**NAME**] on [**DATE**]. Call [**PHONE**]. Strength 5/5."
		if out.Text != want || out.Mode != "tag" || len(out.Spans) != 3 || out.Explanation == "" {
			t.Errorf("got %+v, want text %q", out, want)
		}
		if strings.Contains(string(body), "Abernathy") {
			t.Error("the answer echoes the name")
		}
	})
	t.Run("surrogates consistent per patient", func(t *testing.T) {
		var outs []string
		for range 2 {
			b, _ := json.Marshal(api.DeidentifyRequest{Text: note, Mode: "surrogate", Patient: "p-1"})
			resp, body := post(t, "application/json", "/v1/text/deidentify", string(b))
			if resp.StatusCode != 200 {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			var out api.DeidentifyResponse
			json.Unmarshal(body, &out)
			outs = append(outs, out.Text)
		}
		if outs[0] != outs[1] || strings.Contains(outs[0], "Abernathy") || strings.Contains(outs[0], "3/4/98") {
			t.Errorf("surrogates %q and %q", outs[0], outs[1])
		}
	})
	t.Run("fhir document reference", func(t *testing.T) {
		doc := `{"resourceType":"DocumentReference","status":"current","subject":{"reference":"Patient/7"},"content":[{"attachment":{"contentType":"text/plain","data":"` +
			base64.StdEncoding.EncodeToString([]byte(note)) + `"}}]}`
		resp, body := post(t, "application/fhir+json", "/v1/text/deidentify?mode=redact", doc)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != mediaFHIR {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		var res struct {
			Meta    struct{ Security []struct{ Code string } }
			Content []struct{ Attachment struct{ Data string } }
		}
		json.Unmarshal(body, &res)
		text, _ := base64.StdEncoding.DecodeString(res.Content[0].Attachment.Data)
		if string(text) != "Seen by Dr. ********* on ******. Call **************. Strength 5/5." || len(res.Meta.Security) != 1 || res.Meta.Security[0].Code != "REDACTED" {
			t.Errorf("got %q %+v", text, res.Meta)
		}
	})
	t.Run("fhir binary", func(t *testing.T) {
		bin := `{"resourceType":"Binary","contentType":"text/plain","data":"` + base64.StdEncoding.EncodeToString([]byte(note)) + `"}`
		resp, body := post(t, "application/fhir+json", "/v1/text/deidentify", bin)
		if resp.StatusCode != 200 || !strings.Contains(string(body), base64.StdEncoding.EncodeToString([]byte("Seen by Dr. [**NAME**]"))[:20]) {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	bad := []struct {
		name, ct, path, body, want string
		status                     int
	}{
		{name: "empty", ct: "application/json", path: "/v1/text/deidentify", body: "", want: "empty", status: 400},
		{name: "malformed", ct: "application/json", path: "/v1/text/deidentify", body: `{"text":`, want: "malformed JSON", status: 400},
		{name: "unknown field", ct: "application/json", path: "/v1/text/deidentify", body: `{"txt":"a"}`, want: "unknown field", status: 400},
		{name: "bad mode", ct: "application/json", path: "/v1/text/deidentify", body: `{"text":"a","mode":"blur"}`, want: "want tag, redact or surrogate", status: 400},
		{name: "bad query", ct: "application/json", path: "/v1/text/deidentify?x=1", body: `{"text":"a"}`, want: "unknown query parameter", status: 400},
		{name: "content type", ct: "text/plain", path: "/v1/text/deidentify", body: `a`, want: "Content-Type", status: 415},
		{name: "fhir wrong resource", ct: "application/fhir+json", path: "/v1/text/deidentify", body: `{"resourceType":"Patient"}`, want: "want DocumentReference or Binary", status: 400},
		{name: "fhir url attachment", ct: "application/fhir+json", path: "/v1/text/deidentify", body: `{"resourceType":"DocumentReference","content":[{"attachment":{"contentType":"text/plain","url":"http://x"}}]}`, want: "data: missing", status: 400},
		{name: "fhir not base64", ct: "application/fhir+json", path: "/v1/text/deidentify", body: `{"resourceType":"Binary","contentType":"text/plain","data":"%%%"}`, want: "not base64", status: 400},
		{name: "fhir pdf", ct: "application/fhir+json", path: "/v1/text/deidentify", body: `{"resourceType":"Binary","contentType":"application/pdf","data":"AA=="}`, want: "is not text", status: 400},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := post(t, tc.ct, tc.path, tc.body)
			if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.want) {
				t.Errorf("got %d %s, want %d with %q", resp.StatusCode, body, tc.status, tc.want)
			}
		})
	}
}

// TestModelTextFlag: a text route with Deidentify set hands its model the
// tagged text; without the flag, the text as sent.
func TestModelTextFlag(t *testing.T) {
	env := newEnv(t, Config{}, inference.Config{}, nil)
	for _, tc := range []struct {
		name string
		flag bool
		want string
	}{
		{name: "flag set", flag: true, want: "Seen by Dr. [**NAME**] on [**DATE**]."},
		{name: "flag unset", flag: false, want: "Seen by Dr. Abernathy on 3/4/98."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := route{Method: "POST", Pattern: "/v1/test/text", Roles: predictRoles, Deidentify: tc.flag,
				Handler: func(w http.ResponseWriter, r *http.Request) error {
					b, err := requestBody(r)
					if err != nil {
						return err
					}
					text, err := env.srv.modelText(r, string(b))
					if err != nil {
						return err
					}
					_, err = w.Write([]byte(text))
					return err
				}}
			hs := httptest.NewServer(env.srv.wrap(rt))
			defer hs.Close()
			req, _ := http.NewRequest("POST", hs.URL+"/v1/test/text", strings.NewReader("Seen by Dr. Abernathy on 3/4/98."))
			req.Header.Set("Authorization", "Bearer "+env.keys["clinician"])
			resp, body := send(t, req)
			if resp.StatusCode != 200 || string(body) != tc.want {
				t.Errorf("got %d %q, want %q", resp.StatusCode, body, tc.want)
			}
		})
	}
}
