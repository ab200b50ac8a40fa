package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/api"
	"github.com/galenhealth/galen/inference"
	"github.com/galenhealth/galen/linear"
	"github.com/galenhealth/galen/outcome"
)

// startServer serves h on 127.0.0.1:0 until the test ends and returns its URL.
func startServer(tb testing.TB, h http.Handler) string {
	tb.Helper()
	ts := httptest.NewServer(h)
	tb.Cleanup(ts.Close)
	return ts.URL
}

// TestEndToEnd runs the real Server on a real listener and a real SQLite
// store, and drives it only through api.Client: keys, model upload of a
// model trained here, aliases, inference, audit, metrics and shutdown.
func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	env := newEnv(t, Config{}, inference.Config{}, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- env.srv.Serve(ln) }()
	base := "http://" + ln.Addr().String()
	client := func(key string) *api.Client {
		c, err := api.NewClient(base, key)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	admin := client(env.keys["admin"])

	if err := client("").Ready(ctx); err != nil {
		t.Fatalf("ready: %v", err)
	}
	if _, err := client("").ListModels(ctx); galen.ErrorCode(err) != galen.EUNAUTHORIZED {
		t.Fatalf("anonymous list: %v, want EUNAUTHORIZED", err)
	}

	// The admin hands out keys; their secrets work at once.
	sk, err := admin.CreateKey(ctx, &api.CreateKeyRequest{Role: galen.RoleScientist, Name: "ds"})
	if err != nil || !strings.HasPrefix(sk.Secret, galen.KeyPrefix) {
		t.Fatalf("create key: %+v, %v", sk, err)
	}
	ck, err := admin.CreateKey(ctx, &api.CreateKeyRequest{Role: galen.RoleClinician, Name: "ehr"})
	if err != nil {
		t.Fatal(err)
	}
	scientist, clinician := client(sk.Secret), client(ck.Secret)

	// A scientist trains a logistic model here and uploads it.
	r := rand.New(rand.NewPCG(7, 8))
	var x [][]float64
	var y []float64
	for range 200 {
		a, b := r.NormFloat64(), r.NormFloat64()
		x = append(x, []float64{a, b})
		if 2*a-b+0.3*r.NormFloat64() > 0 {
			y = append(y, 1)
		} else {
			y = append(y, 0)
		}
	}
	m, err := linear.FitLogistic(x, y, 200, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	art, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := scientist.CreateModel(ctx, &api.CreateModelRequest{Name: "risk", Task: "classification"}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		v, err := scientist.UploadVersion(ctx, "risk", &api.UploadVersionRequest{Format: linear.Format, Card: testCard, Artifact: art})
		if err != nil || v.Version != i+1 || v.CreatedBy != sk.Key.ID {
			t.Fatalf("upload %d: %+v, %v", i+1, v, err)
		}
	}
	if _, err := scientist.SetAlias(ctx, "risk", "production", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := scientist.SetAlias(ctx, "risk", "production", 2); err != nil {
		t.Fatal(err)
	}
	if a, err := scientist.RollbackAlias(ctx, "risk", "production"); err != nil || a.Version != 1 {
		t.Fatalf("rollback: %+v, %v; want version 1", a, err)
	}
	if _, err := clinician.UploadVersion(ctx, "risk", &api.UploadVersionRequest{Format: linear.Format, Card: testCard, Artifact: art}); galen.ErrorCode(err) != galen.EFORBIDDEN {
		t.Fatalf("clinician upload: %v, want EFORBIDDEN", err)
	}

	// A clinician asks; the answer is the model's own prediction.
	md, err := clinician.ModelMetadata(ctx, "risk", "")
	if err != nil || md.Platform != linear.Format || len(md.Versions) != 2 || md.Inputs[0].Name != "x" {
		t.Fatalf("metadata: %+v, %v", md, err)
	}
	in, err := api.NewInferTensor(galen.Tensor{Name: "x", Datatype: "FP32", Shape: []int64{2, 2}, Floats: []float64{1, 0, -1, 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	req := &api.InferenceRequest{ID: "req-1", Inputs: []api.InferTensor{in}}
	resp, err := clinician.Infer(ctx, "risk", "", req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.ModelName != "risk" || resp.ModelVersion != "1" || resp.ID != "req-1" || len(resp.Outputs) != 1 {
		t.Fatalf("response %+v", resp)
	}
	out, err := resp.Outputs[0].Decode()
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []float64{m.Predict([]float64{1, 0}), m.Predict([]float64{-1, 0.5})} {
		if math.Abs(out.Floats[i]-want) > 1e-12 {
			t.Errorf("output %d = %g, want %g", i, out.Floats[i], want)
		}
	}
	if out.Floats[0] < 0.8 || out.Floats[1] > 0.2 {
		t.Errorf("trained model is not confident where it should be: %v", out.Floats)
	}

	// The prediction is audited with the hash of the body, never the body.
	body, _ := json.Marshal(req)
	sum := sha256.Sum256(body)
	auditor, err := admin.CreateKey(ctx, &api.CreateKeyRequest{Role: galen.RoleAuditor})
	if err != nil {
		t.Fatal(err)
	}
	al, err := client(auditor.Secret).Audit(ctx, api.AuditQuery{KeyID: ck.Key.ID, Model: "risk", Since: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, e := range al.Events {
		if e.Route == "/v2/models/{name}/infer" && e.Method == "POST" && e.Status == 200 && e.ModelVersion == 1 && e.Role == galen.RoleClinician {
			found = true
			if e.InputSHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("audit input hash %q, want %x", e.InputSHA256, sum)
			}
		}
	}
	if !found {
		t.Errorf("no audit event for the inference in %d events", len(al.Events))
	}

	// Metrics count the request under its route pattern and time the model.
	mreq, _ := http.NewRequest("GET", base+"/metrics", nil)
	mreq.Header.Set("Authorization", "Bearer "+env.keys["auditor"])
	mresp, err := http.DefaultClient.Do(mreq)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	buf := make([]byte, 1<<16)
	for {
		n, err := mresp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	mresp.Body.Close()
	for _, want := range []string{
		`galen_http_requests_total{method="POST",route="/v2/models/{name}/infer",status="200"} 1`,
		`galen_inference_duration_seconds_count{model="risk"} 1`,
		`galen_inference_queue_depth{model="risk"} 0`,
	} {
		if !strings.Contains(sb.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// A revoked key stops working at once.
	if err := admin.RevokeKey(ctx, ck.Key.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := clinician.Infer(ctx, "risk", "", req); galen.ErrorCode(err) != galen.EUNAUTHORIZED {
		t.Errorf("revoked key: %v, want EUNAUTHORIZED", err)
	}

	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := env.srv.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve after Shutdown: %v", err)
	}
}

// TestOutcomeEndToEnd drives POST /v1/outcome/predict on a real listener
// through api.Client.PredictOutcome: the answer is the built-in model's own
// prediction for the stay, errors keep their codes, and the audit event
// holds the hash of the body the client sent.
func TestOutcomeEndToEnd(t *testing.T) {
	ctx := context.Background()
	env := newOutcomeEnv(t)
	client := func(role galen.Role) *api.Client {
		c, err := api.NewClient(env.url, env.keys[role])
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	clinician := client(galen.RoleClinician)
	stay := sampleStay()
	req := &api.OutcomeRequest{Descriptors: stay.Descriptors}
	for i, o := range stay.Observations {
		v := o.Value
		at := json.RawMessage(strconv.Itoa(o.Minutes)) // both forms of time
		if i%2 == 0 {
			at = json.RawMessage(fmt.Sprintf(`"%02d:%02d"`, o.Minutes/60, o.Minutes%60))
		}
		req.Observations = append(req.Observations, api.OutcomeObservation{Time: at, Parameter: o.Parameter, Value: &v})
	}
	m, err := outcome.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.Predict(ctx, stay)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name           string
		model, version string
	}{
		{"defaults", "", ""},
		{"model and version", DefaultOutcomeModel, "1"},
		{"alias", DefaultOutcomeModel, inference.DefaultAlias},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := clinician.PredictOutcome(ctx, tt.model, tt.version, req)
			if err != nil {
				t.Fatal(err)
			}
			if got.Model != DefaultOutcomeModel || got.Version != 1 || got.Band != want.Band || got.Uncertain != want.Uncertain {
				t.Errorf("answer %+v, want model %s:1, band %s", got, DefaultOutcomeModel, want.Band)
			}
			if math.Abs(got.Risk-want.Risk) > 1e-12 {
				t.Errorf("risk %v, the model says %v", got.Risk, want.Risk)
			}
			if len(got.Explanation) != len(want.Contributions) || got.Explanation[0] != api.OutcomeContribution(want.Contributions[0]) {
				t.Errorf("explanation %v, want %v", got.Explanation, want.Contributions)
			}
			if got.Warnings == nil {
				t.Error("warnings is null, want an array")
			}
		})
	}

	// The audit event of the last call holds the hash of what the client sent.
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	es, _, err := env.store.FindAuditEvents(ctx, galen.AuditFilter{Limit: 1})
	if err != nil || len(es) != 1 || es[0].Route != "/v1/outcome/predict" || es[0].InputSHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("audit %+v, %v; want the event of the call with input hash %x", es, err, sum)
	}

	bad := &api.OutcomeRequest{Observations: []api.OutcomeObservation{{Time: json.RawMessage(`"25:61"`), Parameter: "HR"}}}
	errTests := []struct {
		name     string
		c        *api.Client
		model    string
		req      *api.OutcomeRequest
		wantCode string
		wantMsg  string // substring of the message
	}{
		{"problems", clinician, "", bad, galen.EINVALID, "observations[0].time"},
		{"unknown model", clinician, "nope", req, galen.ENOTFOUND, `"nope"`},
		{"auditor may not predict", client(galen.RoleAuditor), "", req, galen.EFORBIDDEN, "auditor"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.c.PredictOutcome(ctx, tt.model, "", tt.req)
			if galen.ErrorCode(err) != tt.wantCode || !strings.Contains(galen.ErrorMessage(err), tt.wantMsg) {
				t.Errorf("err = %v, want %s containing %q", err, tt.wantCode, tt.wantMsg)
			}
		})
	}
}
