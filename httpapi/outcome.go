package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/api"
	"github.com/galenhealth/galen/fhir"
	"github.com/galenhealth/galen/fhir/icustay"
	"github.com/galenhealth/galen/inference"
	"github.com/galenhealth/galen/outcome"
)

// DefaultOutcomeModel is the model /v1/outcome/predict and the CDS service
// use when the request names none.
const DefaultOutcomeModel = outcome.BuiltinName

// Media types of FHIR JSON.
const (
	mediaFHIR       = "application/fhir+json"
	mediaFHIRLegacy = "application/json+fhir" // DSTU2-era clients
)

func (s *Server) outcomeRoutes() []route {
	return []route{
		{Method: "POST", Pattern: "/v1/outcome/predict", Roles: predictRoles, Audit: true, Handler: s.handleOutcomePredict, Tag: "outcome",
			Produces: []string{"application/json", mediaFHIR, mediaFHIRLegacy},
			Summary: "ICU in-hospital mortality risk with per-variable explanation, from PhysioNet-style observations or a FHIR R4 Bundle " +
				"(Content-Type application/fhir+json); Accept: application/fhir+json answers a RiskAssessment",
			Request: api.OutcomeRequest{}, Response: api.OutcomeResponse{}, Query: []string{"model", "version", "admission"}},
	}
}

// writeFHIR answers with a FHIR resource.
func writeFHIR(w http.ResponseWriter, status int, r fhir.Resource) error {
	w.Header().Set("Content-Type", mediaFHIR)
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(r)
}

// answerError writes err for a caller that speaks FHIR as an
// OperationOutcome (its problems as issues, else one issue of the code's
// FHIR issue type); other callers, and server-side failures, get the
// server's usual JSON error.
func (s *Server) answerError(w http.ResponseWriter, r *http.Request, speaksFHIR bool, err error) error {
	err = tooLarge(err)
	var fe *fhir.Error
	if errors.As(err, &fe) {
		err = galen.ProblemsError(galen.EINVALID, fe.Issues)
	}
	code := galen.ErrorCode(err)
	status := api.StatusForCode(code)
	if !speaksFHIR || status >= 500 {
		return err
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	issues := galen.ErrorProblems(err)
	if len(issues) == 0 {
		issues = []galen.Problem{{Code: api.FHIRIssueCode(code), Message: galen.ErrorMessage(err)}}
	}
	return writeFHIR(w, status, fhir.NewOperationOutcome(issues))
}

// accepts reports whether the Accept header names one of the media types.
func accepts(r *http.Request, types ...string) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && slices.Contains(types, mt) {
			return true
		}
	}
	return false
}

// outcomeInput is a decoded /v1/outcome/predict request.
type outcomeInput struct {
	stay     *outcome.Stay
	bundle   *icustay.Result // the conversion of a FHIR Bundle; nil for plain JSON
	warnings []string        // about the input
	wantFHIR bool            // answer, and report errors, in FHIR
}

func (s *Server) handleOutcomePredict(w http.ResponseWriter, r *http.Request) error {
	in, err := decodeOutcomeInput(r)
	if err != nil {
		return s.answerError(w, r, in.wantFHIR, err)
	}
	q := r.URL.Query()
	pred, v, err := s.predictOutcome(r.Context(), q.Get("model"), q.Get("version"), in.stay)
	if err != nil {
		return s.answerError(w, r, in.wantFHIR, err)
	}
	if in.bundle != nil && in.bundle.Uncertain != "" {
		// No value had a time of day: the model saw one time point.
		pred.Uncertain = true
		pred.Warnings = append(pred.Warnings, in.bundle.Uncertain)
	}
	warnings := append(in.warnings, pred.Warnings...)
	if in.wantFHIR {
		return writeFHIR(w, http.StatusOK, icustay.RiskAssessment(pred, v, in.bundle, warnings, time.Now()))
	}
	out := api.OutcomeResponse{Risk: pred.Risk, Uncertain: pred.Uncertain, Band: pred.Band, Model: v.ModelName, Version: v.Version,
		Explanation: make([]api.OutcomeContribution, len(pred.Contributions)), Warnings: warnings}
	for i, c := range pred.Contributions {
		out.Explanation[i] = api.OutcomeContribution(c)
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	return writeJSON(w, http.StatusOK, out)
}

// decodeOutcomeInput reads a prediction request: a FHIR Bundle (by
// Content-Type, or a JSON body whose resourceType is Bundle) converted by
// icustay, or plain JSON turned into a stay by outcome.NewStay. FHIR in
// means FHIR out (answers and errors), unless the caller asks for plain
// JSON by name; Accept: application/fhir+json always gets FHIR. wantFHIR
// is set even when the request is refused.
func decodeOutcomeInput(r *http.Request) (outcomeInput, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	in := outcomeInput{wantFHIR: accepts(r, mediaFHIR, mediaFHIRLegacy) || ((mt == mediaFHIR || mt == mediaFHIRLegacy) && !accepts(r, "application/json"))}
	if err != nil || (mt != "application/json" && mt != mediaFHIR && mt != mediaFHIRLegacy) {
		return in, galen.Errorf(galen.EUNSUPPORTED, "Content-Type must be application/json or application/fhir+json, not %q", r.Header.Get("Content-Type"))
	}
	q := r.URL.Query()
	for k := range q {
		if k != "model" && k != "version" && k != "admission" {
			return in, galen.Errorf(galen.EINVALID, "unknown query parameter %q (want model, version, admission)", k)
		}
	}
	body, err := requestBody(r)
	if err != nil {
		return in, err
	}
	fhirIn := mt != "application/json" || isBundle(body)
	in.wantFHIR = accepts(r, mediaFHIR, mediaFHIRLegacy) || (fhirIn && !accepts(r, "application/json"))
	if fhirIn {
		return in, in.fromBundle(body, q.Get("admission"))
	}
	if q.Get("admission") != "" {
		return in, galen.Errorf(galen.EINVALID, "admission applies to FHIR Bundles only; plain observations carry times since admission")
	}
	var ps []galen.Problem
	if in.stay, ps = parseOutcomeRequest(body); len(ps) > 0 {
		return in, galen.ProblemsError(galen.EINVALID, ps)
	}
	return in, nil
}

// fromBundle decodes a FHIR Bundle and converts it to a stay, with times
// from admission (RFC 3339; "" for the earliest observation).
func (in *outcomeInput) fromBundle(body []byte, admission string) error {
	var adm time.Time
	if admission != "" {
		var err error
		if adm, err = time.Parse(time.RFC3339Nano, admission); err != nil {
			return galen.Errorf(galen.EINVALID, "admission %q: want an RFC 3339 time such as 2012-05-01T08:00:00Z", admission)
		}
	}
	b, err := fhir.DecodeBundle(body)
	if err != nil {
		return err
	}
	res, err := icustay.FromBundle(b, icustay.Options{Admission: adm})
	if err != nil {
		return err
	}
	in.stay, in.bundle = res.Stay, res
	for _, i := range res.Issues {
		in.warnings = append(in.warnings, i.String())
	}
	return nil
}

// isBundle reports whether a JSON body's top-level resourceType is Bundle.
func isBundle(body []byte) bool {
	if !bytes.Contains(body, []byte(`"resourceType"`)) {
		return false
	}
	var probe struct {
		ResourceType string `json:"resourceType"`
	}
	return json.Unmarshal(body, &probe) == nil && probe.ResourceType == "Bundle"
}

// parseOutcomeRequest strictly decodes the plain-JSON body and turns it
// into a stay with outcome.NewStay, returning every problem with its path.
func parseOutcomeRequest(body []byte) (*outcome.Stay, []galen.Problem) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, []galen.Problem{{Message: "request body is empty; want a JSON object with observations"}}
	}
	req, ok := decodeOutcomeFast(body)
	if !ok {
		var err error
		if req, err = decodeOutcomeJSON(body); err != nil {
			return nil, []galen.Problem{{Message: galen.ErrorMessage(err)}}
		}
	}
	obs := make([]outcome.TimedValue, len(req.Observations))
	for i, o := range req.Observations {
		obs[i] = outcome.TimedValue(o)
	}
	return outcome.NewStay(req.Descriptors, obs)
}

// decodeOutcomeJSON decodes a plain request with encoding/json: unknown
// fields and data after the object are errors (EINVALID).
func decodeOutcomeJSON(body []byte) (*api.OutcomeRequest, error) {
	var req api.OutcomeRequest
	if err := decodeBody(bytes.NewReader(body), &req, true); err != nil {
		return nil, err
	}
	return &req, nil
}

// outcomeModel resolves a model version (by number, alias, or the
// production alias) and loads it through the inference cache. EINVALID when
// the version is not an outcome model.
func (s *Server) outcomeModel(ctx context.Context, name, version string) (*outcome.Model, *inference.Loaded, error) {
	if name == "" {
		name = DefaultOutcomeModel
	}
	v, err := s.models.Resolve(ctx, name, version)
	if err != nil {
		return nil, nil, err
	}
	if err := outcome.CheckFormat(v); err != nil {
		return nil, nil, err
	}
	l, err := s.models.GetVersion(ctx, v)
	if err != nil {
		return nil, nil, err
	}
	m, err := outcome.FromLoaded(l.Version, l.Predictor)
	if err != nil {
		return nil, nil, err
	}
	return m, l, nil
}

// predictOutcome runs an explained prediction through the model's bounded
// queue, with the inference deadline, and records the model for the audit log.
func (s *Server) predictOutcome(ctx context.Context, name, version string, stay *outcome.Stay) (outcome.Prediction, *galen.ModelVersion, error) {
	m, l, err := s.outcomeModel(ctx, name, version)
	if err != nil {
		return outcome.Prediction{}, nil, err
	}
	ri := infoFrom(ctx)
	ri.model, ri.version = l.Version.ModelName, l.Version.Version
	var p outcome.Prediction
	start := time.Now()
	err = s.models.Do(ctx, l, func(ctx context.Context) error {
		var err error
		p, err = m.Predict(ctx, stay)
		return err
	})
	if err != nil {
		return outcome.Prediction{}, nil, err
	}
	s.metrics.observeInference(l.Version.ModelName, time.Since(start))
	return p, l.Version, nil
}
