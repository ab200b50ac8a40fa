package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/api"
	"github.com/galenhealth/galen/fhir"
	"github.com/galenhealth/galen/fhir/icustay"
	"github.com/galenhealth/galen/inference"
	"github.com/galenhealth/galen/outcome"
)

// outcomeEnv is a real server on 127.0.0.1:0 with a SQLite store, the
// built-in ICU mortality model, and one key per role.
type outcomeEnv struct {
	url   string
	store galen.Store
	keys  map[galen.Role]string
}

func newOutcomeEnv(tb testing.TB) *outcomeEnv {
	tb.Helper()
	env, _, _ := newCDSEnv(tb, CDSConfig{})
	return env
}

func (e *outcomeEnv) post(tb testing.TB, role galen.Role, path, contentType, accept string, body []byte) (*http.Response, []byte) {
	tb.Helper()
	req, err := http.NewRequest("POST", e.url+path, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	req.Header.Set("Authorization", "Bearer "+e.keys[role])
	return send(tb, req)
}

// sampleStay is a plausible 48-hour stay: hourly vitals and urine, GCS every
// four hours, labs and blood gases twice a day.
func sampleStay() *outcome.Stay {
	s := &outcome.Stay{Descriptors: map[string]float64{"Age": 71, "Gender": 1, "Height": 175, "ICUType": 3, "Weight": 82}}
	add := func(m int, p string, v float64) {
		s.Observations = append(s.Observations, outcome.Observation{Minutes: m, Parameter: p, Value: v})
	}
	for h := 0; h < 48; h++ {
		m := h*60 + 7
		add(m, "HR", 96+float64(h%5))
		add(m, "SysABP", 104-float64(h%4))
		add(m, "DiasABP", 55)
		add(m, "MAP", 71)
		add(m, "RespRate", 22)
		add(m, "Urine", 35)
		if h%4 == 0 {
			add(m, "GCS", 11)
			add(m, "Temp", 38.1)
			add(m, "MechVent", 1)
		}
		if h%12 == 1 {
			for _, l := range []struct {
				p string
				v float64
			}{{"BUN", 38}, {"Creatinine", 2.1}, {"Na", 134}, {"K", 4.9}, {"HCO3", 19}, {"Glucose", 182}, {"HCT", 29},
				{"Platelets", 121}, {"WBC", 16.2}, {"Lactate", 3.4}, {"pH", 7.29}, {"PaO2", 78}, {"PaCO2", 36}, {"FiO2", 0.5}, {"Mg", 1.9}} {
				add(m, l.p, l.v)
			}
		}
	}
	return s
}

// plainBody writes a stay as the plain-JSON request, with "HH:MM" times.
func plainBody(tb testing.TB, s *outcome.Stay) []byte {
	tb.Helper()
	req := api.OutcomeRequest{Descriptors: s.Descriptors}
	for _, o := range s.Observations {
		v := o.Value
		t, _ := json.Marshal(fmt.Sprintf("%02d:%02d", o.Minutes/60, o.Minutes%60))
		req.Observations = append(req.Observations, api.OutcomeObservation{Time: t, Parameter: o.Parameter, Value: &v})
	}
	b, err := json.Marshal(req)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func bundleBody(tb testing.TB, s *outcome.Stay) []byte {
	tb.Helper()
	b, err := json.Marshal(icustay.BundleFromStay(s, time.Date(2012, 5, 1, 8, 0, 0, 0, time.UTC)))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

const obsPrefix = `{"resourceType":"Bundle","type":"collection","entry":[`

func fhirObs(code, at, value string) string {
	return `{"resource":{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"` + code +
		`"}]},"effectiveDateTime":"` + at + `","valueQuantity":` + value + `}}`
}

func TestOutcomePredict(t *testing.T) {
	env := newOutcomeEnv(t)
	stay := sampleStay()
	plain := plainBody(t, stay)
	bundle := bundleBody(t, stay)

	unsorted := sampleStay()
	unsorted.Observations[0], unsorted.Observations[len(unsorted.Observations)-1] = unsorted.Observations[len(unsorted.Observations)-1], unsorted.Observations[0]
	impossible := sampleStay()
	impossible.Observations = append(impossible.Observations, outcome.Observation{Minutes: 90, Parameter: "HR", Value: 900},
		outcome.Observation{Minutes: 95, Parameter: "Temp", Value: 3})
	sparse := &outcome.Stay{Descriptors: map[string]float64{"Age": 60}, Observations: []outcome.Observation{{Minutes: 5, Parameter: "HR", Value: 88}}}
	unknownParam := sampleStay()
	unknownParam.Observations = append(unknownParam.Observations, outcome.Observation{Minutes: 5, Parameter: "SpO2", Value: 97})

	mixedBundle := obsPrefix + fhirObs("8867-4", "2012-05-01T08:00:00Z", `{"value":90,"unit":"/min"}`) + "," +
		fhirObs("1234-5", "2012-05-01T08:00:00Z", `{"value":1,"unit":"mg"}`) + "," +
		fhirObs("2345-7", "2012-05-01T09:00:00Z", `{"value":1,"system":"http://unitsofmeasure.org","code":"g/L"}`) + "]}"
	unknownOnly := obsPrefix + fhirObs("1234-5", "2012-05-01T08:00:00Z", `{"value":1,"unit":"mg"}`) + "]}"

	const (
		jsonCT = "application/json"
		fhirCT = "application/fhir+json"
	)
	tests := []struct {
		name        string
		query       string
		ct, accept  string
		body        []byte
		wantStatus  int
		wantFHIR    bool     // the answer is FHIR (RiskAssessment or OperationOutcome)
		wantInBody  []string // substrings of the body
		wantPaths   []string // problem paths (plain) or issue expressions (FHIR), in order
		checkResult func(t *testing.T, r api.OutcomeResponse)
	}{
		{name: "plain observations", ct: jsonCT, body: plain, wantStatus: 200, checkResult: func(t *testing.T, r api.OutcomeResponse) {
			if r.Risk <= 0 || r.Risk >= 1 || r.Model != DefaultOutcomeModel || r.Version != 1 || len(r.Explanation) < 10 || r.Uncertain {
				t.Errorf("response %+v", r)
			}
		}},
		{name: "minutes as numbers", ct: jsonCT, body: []byte(`{"observations":[{"time":0,"parameter":"HR","value":80},{"time":65,"parameter":"GCS","value":15},
			{"time":"01:10","parameter":"MAP","value":80},{"time":"02:00","parameter":"Temp","value":37},{"time":130,"parameter":"RespRate","value":16}],
			"descriptors":{"Age":50,"Gender":0,"Height":-1}}`), wantStatus: 200},
		{name: "PhysioNet descriptor lines", ct: jsonCT, body: []byte(`{"observations":[{"time":"00:00","parameter":"RecordID","value":132539},
			{"time":"00:00","parameter":"Age","value":54},{"time":"00:00","parameter":"Weight","value":-1},{"time":"00:07","parameter":"HR","value":73}]}`), wantStatus: 200},
		{name: "FHIR bundle", ct: fhirCT, body: bundle, wantStatus: 200, wantFHIR: true,
			wantInBody: []string{`"resourceType":"RiskAssessment"`, `"probabilityDecimal"`, `"Patient/p1"`, `risk-probability`}},
		{name: "FHIR bundle sent as application/json", ct: jsonCT, body: bundle, wantStatus: 200, wantFHIR: true, wantInBody: []string{`"RiskAssessment"`}},
		{name: "FHIR bundle, plain JSON wanted", ct: fhirCT, accept: jsonCT, body: bundle, wantStatus: 200, checkResult: func(t *testing.T, r api.OutcomeResponse) {
			if r.Risk <= 0 || len(r.Explanation) == 0 {
				t.Errorf("response %+v", r)
			}
		}},
		{name: "plain in, RiskAssessment out", ct: jsonCT, accept: "application/fhir+json", body: plain, wantStatus: 200, wantFHIR: true,
			wantInBody: []string{`"RiskAssessment"`, `the ICU stay in the request`}},
		{name: "same risk from both forms", ct: fhirCT, accept: jsonCT, body: bundle, wantStatus: 200, checkResult: func(t *testing.T, r api.OutcomeResponse) {
			_, b := env.post(t, galen.RoleClinician, "/v1/outcome/predict", jsonCT, "", plain)
			var p api.OutcomeResponse
			if err := json.Unmarshal(b, &p); err != nil || fmt.Sprintf("%.9f", p.Risk) != fmt.Sprintf("%.9f", r.Risk) {
				t.Errorf("plain risk %v, FHIR risk %v (%v)", p.Risk, r.Risk, err)
			}
		}},
		{name: "unsorted times", ct: jsonCT, body: plainBody(t, unsorted), wantStatus: 200, wantInBody: []string{"not in time order"}},
		{name: "out-of-range values", ct: jsonCT, body: plainBody(t, impossible), wantStatus: 200, wantInBody: []string{"HR: 1 physiologically impossible", "Temp: 1 physiologically impossible"}},
		{name: "missing variables", ct: jsonCT, body: plainBody(t, sparse), wantStatus: 200, wantInBody: []string{`"uncertain":true`, "time-series variables observed"}},
		{name: "unknown parameter", ct: jsonCT, body: plainBody(t, unknownParam), wantStatus: 200, wantInBody: []string{`unknown parameter \"SpO2\"`}},
		{name: "unknown and unconvertible LOINC among good ones", ct: fhirCT, accept: jsonCT, body: []byte(mixedBundle), wantStatus: 200,
			wantInBody: []string{"LOINC 1234-5 is not used", `unit \"g/L\" cannot be converted`}},
		{name: "only unknown LOINC codes", ct: fhirCT, body: []byte(unknownOnly), wantStatus: 400, wantFHIR: true,
			wantPaths: []string{"Bundle.entry"}, wantInBody: []string{"LOINC 1234-5 is not used", `"severity":"warning"`}},
		{name: "empty bundle", ct: fhirCT, body: []byte(`{"resourceType":"Bundle","type":"collection"}`), wantStatus: 400, wantFHIR: true, wantPaths: []string{"Bundle.entry"}},
		{name: "invalid FHIR lists every problem", ct: fhirCT, body: []byte(obsPrefix + `{"resource":{"resourceType":"Observation","code":{"text":"HR"},"valueQuantity":{"value":"80"}}},{"resource":{"resourceType":"Obs"}}]}`),
			wantStatus: 400, wantFHIR: true,
			wantPaths: []string{"Bundle.entry[0].resource.status", "Bundle.entry[0].resource.valueQuantity.value", "Bundle.entry[1].resource.resourceType"}},
		{name: "FHIR error, plain JSON wanted", ct: fhirCT, accept: jsonCT, body: []byte(`{"resourceType":"Bundle","type":"collection"}`), wantStatus: 400,
			wantPaths: []string{"Bundle.entry"}},
		{name: "malformed FHIR JSON", ct: fhirCT, body: []byte(`{"resourceType":"Bundle",`), wantStatus: 400, wantFHIR: true, wantInBody: []string{"malformed JSON"}},
		{name: "malformed JSON", ct: jsonCT, body: []byte(`{"observations":[`), wantStatus: 400, wantInBody: []string{"malformed JSON"}},
		{name: "empty body", ct: jsonCT, body: nil, wantStatus: 400, wantInBody: []string{"empty"}},
		{name: "wrong field type", ct: jsonCT, body: []byte(`{"observations":{}}`), wantStatus: 400, wantInBody: []string{"observations"}},
		{name: "unknown field", ct: jsonCT, body: []byte(`{"observations":[],"stay":1}`), wantStatus: 400, wantInBody: []string{"unknown field"}},
		{name: "every problem of plain input", ct: jsonCT, body: []byte(`{"observations":[{"time":"25:61","parameter":"HR","value":80},{"parameter":"","value":null},
			{"time":-5,"parameter":"GCS","value":15},{"time":1.5,"parameter":"GCS","value":15}],"descriptors":{"Sex":1}}`), wantStatus: 400,
			wantPaths: []string{"descriptors.Sex", "observations[0].time", "observations[1].time", "observations[1].parameter", "observations[1].value",
				"observations[2].time", "observations[3].time"}},
		{name: "no observations", ct: jsonCT, body: []byte(`{"observations":[],"descriptors":{"Age":40}}`), wantStatus: 400, wantPaths: []string{"observations"}},
		{name: "only descriptors", ct: jsonCT, body: []byte(`{"observations":[{"time":"00:00","parameter":"Age","value":40}]}`), wantStatus: 400, wantPaths: []string{"observations"}},
		{name: "plain problems as OperationOutcome", ct: jsonCT, accept: fhirCT, body: []byte(`{"observations":[{"time":"x","parameter":"HR","value":1}]}`),
			wantStatus: 400, wantFHIR: true, wantPaths: []string{"observations[0].time"}},
		{name: "wrong content type", ct: "text/plain", body: plain, wantStatus: 415, wantInBody: []string{"Content-Type"}},
		{name: "wrong content type, FHIR caller", ct: "text/csv", accept: fhirCT, body: plain, wantStatus: 415, wantFHIR: true, wantInBody: []string{"not-supported"}},
		{name: "no content type", body: plain, wantStatus: 415},
		{name: "unknown query parameter", query: "?modle=x", ct: jsonCT, body: plain, wantStatus: 400, wantInBody: []string{"modle"}},
		{name: "unknown model", query: "?model=nope", ct: jsonCT, body: plain, wantStatus: 404},
		{name: "unknown version", query: "?version=99", ct: jsonCT, body: plain, wantStatus: 404},
		{name: "explicit version and alias", query: "?model=icu-mortality&version=production", ct: jsonCT, body: plain, wantStatus: 200},
		{name: "admission for a bundle", query: "?admission=2012-05-01T07:00:00Z", ct: fhirCT, accept: jsonCT, body: bundle, wantStatus: 200},
		{name: "bad admission", query: "?admission=yesterday", ct: fhirCT, body: bundle, wantStatus: 400, wantFHIR: true},
		{name: "admission for plain input", query: "?admission=2012-05-01T07:00:00Z", ct: jsonCT, body: plain, wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := env.post(t, galen.RoleClinician, "/v1/outcome/predict"+tt.query, tt.ct, tt.accept, tt.body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, b)
			}
			ct := resp.Header.Get("Content-Type")
			if tt.wantFHIR != (ct == "application/fhir+json") {
				t.Errorf("Content-Type %q, want FHIR %v", ct, tt.wantFHIR)
			}
			for _, s := range tt.wantInBody {
				if !strings.Contains(string(b), s) {
					t.Errorf("body lacks %q: %s", s, b)
				}
			}
			if tt.wantPaths != nil {
				var got []string
				if tt.wantFHIR {
					oo, err := fhir.Decode(b)
					if err != nil {
						t.Fatalf("answer is not valid FHIR: %v\n%s", err, b)
					}
					for _, i := range oo.(*fhir.OperationOutcome).Issue {
						if i.Severity == fhir.SeverityError {
							got = append(got, strings.Join(i.Expression, ","))
						}
					}
				} else {
					var pe api.Error
					if err := json.Unmarshal(b, &pe); err != nil || pe.Error == "" {
						t.Fatalf("not a problems body: %s", b)
					}
					for _, p := range pe.Problems {
						got = append(got, p.Path)
					}
				}
				if strings.Join(got, " ") != strings.Join(tt.wantPaths, " ") {
					t.Errorf("paths %q, want %q\n%s", got, tt.wantPaths, b)
				}
			}
			switch {
			case resp.StatusCode >= 400 && !tt.wantFHIR:
				var e struct{ Error string }
				if json.Unmarshal(b, &e) != nil || e.Error == "" {
					t.Errorf("error body %s is not {\"error\": ...}", b)
				}
			case resp.StatusCode == 200 && tt.wantFHIR:
				r, err := fhir.Decode(b)
				if err != nil {
					t.Fatalf("our RiskAssessment does not decode strictly: %v\n%s", err, b)
				}
				ra := r.(*fhir.RiskAssessment)
				if p := ra.Prediction[0].ProbabilityDecimal; p == nil || *p <= 0 || *p >= 1 {
					t.Errorf("probability %v", p)
				}
			case resp.StatusCode == 200:
				var r api.OutcomeResponse
				if err := json.Unmarshal(b, &r); err != nil {
					t.Fatal(err)
				}
				if r.Band != outcome.BandLow && r.Band != outcome.BandModerate && r.Band != outcome.BandHigh {
					t.Errorf("band %q", r.Band)
				}
				if r.Warnings == nil || r.Explanation == nil {
					t.Errorf("warnings and explanation must be arrays: %s", b)
				}
				if tt.checkResult != nil {
					tt.checkResult(t, r)
				}
			}
		})
	}
}

func TestOutcomePredictRolesAndAudit(t *testing.T) {
	env := newOutcomeEnv(t)
	body := plainBody(t, sampleStay())
	tests := []struct {
		name string
		role galen.Role
		want int
	}{
		{"clinician", galen.RoleClinician, 200},
		{"scientist", galen.RoleScientist, 200},
		{"admin", galen.RoleAdmin, 200},
		{"auditor may not predict", galen.RoleAuditor, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := env.post(t, tt.role, "/v1/outcome/predict", "application/json", "", body)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.want, b)
			}
		})
	}
	model := DefaultOutcomeModel
	var evs []*galen.AuditEvent
	for range 50 { // the audit event is written after the answer
		var err error
		evs, _, err = env.store.FindAuditEvents(context.Background(), galen.AuditFilter{Model: &model})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) >= 3 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	sum := sha256.Sum256(body)
	if len(evs) < 3 {
		t.Fatalf("%d audit events for the model, want 3", len(evs))
	}
	for _, e := range evs {
		if e.Route != "/v1/outcome/predict" || e.ModelVersion != 1 || e.InputSHA256 != hex.EncodeToString(sum[:]) || e.Status != 200 {
			t.Errorf("audit event %+v", e)
		}
	}
}

// TestOutcomeAuditHash checks that the audit event of every outcome
// request, answered or refused, sent with a length or chunked, carries the
// SHA-256 of the body as sent.
func TestOutcomeAuditHash(t *testing.T) {
	env := newOutcomeEnv(t)
	stay := sampleStay()
	tests := []struct {
		name       string
		ct         string
		body       []byte
		chunked    bool // send without Content-Length
		wantStatus int
	}{
		{"plain", "application/json", plainBody(t, stay), false, 200},
		{"plain chunked", "application/json", plainBody(t, stay), true, 200},
		{"FHIR bundle", "application/fhir+json", bundleBody(t, stay), false, 200},
		{"problems", "application/json", []byte(`{"observations":[]}`), false, 400},
		{"malformed", "application/json", []byte(`{"observations":[`), true, 400},
		{"refused content type", "text/plain", []byte("HR 80 at 00:10"), false, 415},
		{"empty", "application/json", nil, false, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader = bytes.NewReader(tt.body)
			if tt.chunked {
				body = io.MultiReader(body) // hides the length from the client
			}
			req, err := http.NewRequest("POST", env.url+"/v1/outcome/predict", body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", tt.ct)
			req.Header.Set("Authorization", "Bearer "+env.keys[galen.RoleClinician])
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, b)
			}
			// An audited answer leaves after its event is stored.
			es, _, err := env.store.FindAuditEvents(context.Background(), galen.AuditFilter{Limit: 1})
			if err != nil || len(es) != 1 {
				t.Fatalf("audit events: %v, %v", es, err)
			}
			want := ""
			if len(tt.body) > 0 {
				sum := sha256.Sum256(tt.body)
				want = hex.EncodeToString(sum[:])
			}
			if e := es[0]; e.Route != "/v1/outcome/predict" || e.Status != tt.wantStatus || e.InputSHA256 != want {
				t.Errorf("audit event %+v, want input hash %q", e, want)
			}
		})
	}
}

// TestOutcomeBodyHeldOnce checks that an audited outcome request holds its
// body in memory once: the middleware reads it to hash it for the audit log
// and the handler decodes those bytes instead of reading a copy.
func TestOutcomeBodyHeldOnce(t *testing.T) {
	env := newEnv(t, Config{}, inference.Config{}, nil)
	// Malformed at once, so that decoding stops early and the body's copies
	// are all that grows with its size.
	body := append([]byte(`{"observations": x`), bytes.Repeat([]byte(" "), 4<<20)...)
	serve := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/v1/outcome/predict", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+env.keys["clinician"])
		rec := httptest.NewRecorder()
		env.handler.ServeHTTP(rec, req)
		return rec
	}
	serve() // the key cache and the audit log warm up
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rec := serve()
	runtime.ReadMemStats(&after)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "malformed JSON") {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("one request allocated %d bytes for a %d-byte body", alloc, len(body))
	if alloc > 2*uint64(len(body)) {
		t.Errorf("one request allocated %d bytes for a %d-byte body; want the body held once", alloc, len(body))
	}
}

// TestOutcomeBodyLimit checks that a body over --max-body is refused with
// 413 before the handler runs, with or without a declared length.
func TestOutcomeBodyLimit(t *testing.T) {
	env := newEnv(t, Config{MaxBody: 4096}, inference.Config{}, nil)
	body := plainBody(t, sampleStay())
	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("chunked=%v", chunked), func(t *testing.T) {
			var rd io.Reader = bytes.NewReader(body)
			if chunked {
				rd = io.MultiReader(rd)
			}
			req, err := http.NewRequest("POST", env.url+"/v1/outcome/predict", rd)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+env.keys["clinician"])
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d, want 413: %s", resp.StatusCode, b)
			}
			if msg := errorOf(t, resp, b); !strings.Contains(msg, "over the 4096-byte limit") {
				t.Errorf("error %q", msg)
			}
		})
	}
}

// FuzzOutcomeRequest checks that the plain-JSON parser never panics and
// that it either reports problems or yields observations.
func FuzzOutcomeRequest(f *testing.F) {
	f.Add(plainBody(f, sampleStay()))
	f.Add([]byte(`{"observations":[{"time":"00:00","parameter":"Weight","value":-1},{"time":3,"parameter":"HR","value":1}]}`))
	f.Add([]byte(`{"observations":[{"time":null}],"descriptors":{"Age":-1}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		stay, ps := parseOutcomeRequest(data)
		if len(ps) == 0 && (stay == nil || len(stay.Observations) == 0) {
			t.Fatal("no problems and no observations")
		}
	})
}

// BenchmarkOutcomePredict measures one explained prediction over HTTP on
// loopback, plain JSON and FHIR.
func BenchmarkOutcomePredict(b *testing.B) {
	env := newOutcomeEnv(b)
	stay := sampleStay()
	for _, bc := range []struct {
		name, ct string
		body     []byte
	}{
		{"plain", "application/json", plainBody(b, stay)},
		{"fhir", "application/fhir+json", bundleBody(b, stay)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if resp, body := env.post(b, galen.RoleClinician, "/v1/outcome/predict", bc.ct, "", bc.body); resp.StatusCode != 200 {
					b.Fatalf("status %d: %s", resp.StatusCode, body)
				}
			}
		})
	}
}

// BenchmarkOutcomeCompute separates the model's share of a request: Risk
// alone (one pass, what OIP v2 infer runs) and Predict with its occlusion
// explanation (one pass per observed variable and descriptor).
func BenchmarkOutcomeCompute(b *testing.B) {
	m, err := outcome.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	stay := sampleStay()
	ctx := context.Background()
	b.Run("risk", func(b *testing.B) {
		for b.Loop() {
			if _, err := m.Risk(ctx, stay); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("predict", func(b *testing.B) {
		for b.Loop() {
			if _, err := m.Predict(ctx, stay); err != nil {
				b.Fatal(err)
			}
		}
	})
}
