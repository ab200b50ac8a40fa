package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/api"
	"github.com/galenhealth/galen/fhir"
	"github.com/galenhealth/galen/fhir/icustay"
	"github.com/galenhealth/galen/inference"
	"github.com/galenhealth/galen/outcome"
)

func init() { addRoutes((*Server).outcomeRoutes) }

// DefaultOutcomeModel is the model /v1/outcome/predict and the CDS service
// use when the request names none.
const DefaultOutcomeModel = "icu-mortality"

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

// Problem is one thing wrong with a request body, at a JSON path.
type Problem struct {
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
}

// ProblemsError is the 4xx body that lists every problem of a request.
type ProblemsError struct {
	Error    string    `json:"error"`
	Problems []Problem `json:"problems"`
}

func problemsBody(ps []Problem) ProblemsError {
	msg := fmt.Sprintf("%d problems in the request", len(ps))
	if len(ps) == 1 {
		msg = "1 problem in the request"
	}
	if len(ps) > 0 {
		msg += ": " + ps[0].Path + ": " + ps[0].Message
		if ps[0].Path == "" {
			msg = ps[0].Message
		}
	}
	return ProblemsError{Error: msg, Problems: ps}
}

// writeFHIR answers with a FHIR resource.
func writeFHIR(w http.ResponseWriter, status int, r fhir.Resource) error {
	w.Header().Set("Content-Type", mediaFHIR)
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(r)
}

// fhirIssuesFrom turns problems into OperationOutcome issues.
func fhirIssuesFrom(ps []Problem, code string) []fhir.Issue {
	out := make([]fhir.Issue, len(ps))
	for i, p := range ps {
		out[i] = fhir.Issue{Severity: fhir.SeverityError, Code: code, Path: p.Path, Message: p.Message}
	}
	return out
}

func problemsFrom(is []fhir.Issue) []Problem {
	out := make([]Problem, 0, len(is))
	for _, i := range is {
		out = append(out, Problem{Path: i.Path, Message: i.Message})
	}
	return out
}

// answerError writes err for a caller that speaks FHIR as an
// OperationOutcome; other callers, and server-side failures, get the
// server's usual JSON error.
func (s *Server) answerError(w http.ResponseWriter, r *http.Request, speaksFHIR bool, err error) error {
	err = tooLarge(err)
	var fe *fhir.Error
	switch {
	case errors.As(err, &fe) && speaksFHIR:
		return writeFHIR(w, http.StatusBadRequest, fe.OperationOutcome())
	case errors.As(err, &fe):
		return writeJSON(w, http.StatusBadRequest, problemsBody(problemsFrom(fe.Issues)))
	}
	status := errorStatus(galen.ErrorCode(err))
	if !speaksFHIR || status >= 500 {
		return err
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	code := map[int]string{http.StatusNotFound: "not-found", http.StatusTooManyRequests: "throttled",
		http.StatusRequestEntityTooLarge: "too-costly", http.StatusUnsupportedMediaType: "not-supported",
		http.StatusUnprocessableEntity: "processing"}[status]
	if code == "" {
		code = fhir.CodeInvalid
	}
	return writeFHIR(w, status, fhir.NewOperationOutcome([]fhir.Issue{{Severity: fhir.SeverityError, Code: code, Message: galen.ErrorMessage(err)}}))
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

func (s *Server) handleOutcomePredict(w http.ResponseWriter, r *http.Request) error {
	// FHIR in, FHIR out (answers and errors), unless the caller asks for
	// plain JSON by name; Accept: application/fhir+json always gets FHIR.
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	wantFHIR := accepts(r, mediaFHIR, mediaFHIRLegacy) || ((mt == mediaFHIR || mt == mediaFHIRLegacy) && !accepts(r, "application/json"))
	if err != nil || (mt != "application/json" && mt != mediaFHIR && mt != mediaFHIRLegacy) {
		return s.answerError(w, r, wantFHIR, galen.Errorf(galen.EUNSUPPORTED,
			"Content-Type must be application/json or application/fhir+json, not %q", r.Header.Get("Content-Type")))
	}
	q := r.URL.Query()
	for k := range q {
		if k != "model" && k != "version" && k != "admission" {
			return s.answerError(w, r, wantFHIR, galen.Errorf(galen.EINVALID, "unknown query parameter %q (want model, version, admission)", k))
		}
	}
	body, err := requestBody(r)
	if err != nil {
		return s.answerError(w, r, wantFHIR, err)
	}
	fhirIn := mt != "application/json" || isBundle(body)
	wantFHIR = accepts(r, mediaFHIR, mediaFHIRLegacy) || (fhirIn && !accepts(r, "application/json"))

	var (
		stay     *outcome.Stay
		warnings []string
		res      *icustay.Result
	)
	if fhirIn {
		var adm time.Time
		if a := q.Get("admission"); a != "" {
			if adm, err = time.Parse(time.RFC3339Nano, a); err != nil {
				return s.answerError(w, r, wantFHIR, galen.Errorf(galen.EINVALID, "admission %q: want an RFC 3339 time such as 2012-05-01T08:00:00Z", a))
			}
		}
		b, err := fhir.DecodeBundle(body)
		if err != nil {
			return s.answerError(w, r, wantFHIR, err)
		}
		if res, err = icustay.FromBundle(b, icustay.Options{Admission: adm}); err != nil {
			return s.answerError(w, r, wantFHIR, err)
		}
		stay = res.Stay
		for _, i := range res.Issues {
			warnings = append(warnings, i.String())
		}
	} else {
		if q.Get("admission") != "" {
			return s.answerError(w, r, wantFHIR, galen.Errorf(galen.EINVALID, "admission applies to FHIR Bundles only; plain observations carry times since admission"))
		}
		var ps []Problem
		stay, ps = parseOutcomeRequest(body)
		if len(ps) > 0 {
			if wantFHIR {
				return writeFHIR(w, http.StatusBadRequest, fhir.NewOperationOutcome(fhirIssuesFrom(ps, fhir.CodeInvalid)))
			}
			return writeJSON(w, http.StatusBadRequest, problemsBody(ps))
		}
	}

	pred, v, err := s.predictOutcome(r, q.Get("model"), q.Get("version"), stay)
	if err != nil {
		return s.answerError(w, r, wantFHIR, err)
	}
	warnings = append(warnings, pred.Warnings...)
	if wantFHIR {
		return writeFHIR(w, http.StatusOK, riskAssessment(pred, v, res, warnings))
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

// maxOutcomeMinutes bounds times; the model reads the first 48 hours, but
// later values are accepted and reported by the model.
const maxOutcomeMinutes = 100 * 24 * 60

// parseOutcomeRequest strictly decodes the plain-JSON body and returns
// every problem with its path. Descriptor lines in PhysioNet style (Age,
// Gender, Height, ICUType at any time, Weight at 00:00) become descriptors;
// RecordID lines are ignored.
func parseOutcomeRequest(body []byte) (*outcome.Stay, []Problem) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, []Problem{{Message: "request body is empty; want a JSON object with observations"}}
	}
	req, ok := decodeOutcomeFast(body)
	if !ok {
		var err error
		if req, err = decodeOutcomeJSON(body); err != nil {
			return nil, []Problem{{Message: galen.ErrorMessage(err)}}
		}
	}
	var ps []Problem
	add := func(path, format string, args ...any) {
		ps = append(ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	stay := &outcome.Stay{Descriptors: map[string]float64{}}
	descriptor := map[string]bool{}
	for _, k := range outcome.DescriptorNames() {
		descriptor[k] = true
	}
	for _, k := range slices.Sorted(maps.Keys(req.Descriptors)) {
		v := req.Descriptors[k]
		switch {
		case !descriptor[k]:
			add("descriptors."+k, "unknown descriptor (want %s)", strings.Join(outcome.DescriptorNames(), ", "))
		case v == -1:
		default:
			stay.Descriptors[k] = v
		}
	}
	if len(req.Observations) == 0 {
		add("observations", "no observations; send the stay's vitals and labs as {time, parameter, value}")
	}
	weightSeen := false
	for i, o := range req.Observations {
		p := "observations[" + strconv.Itoa(i) + "]"
		m, ok := parseMinutes(o.Time)
		if !ok {
			if len(o.Time) == 0 {
				add(p+".time", "missing; want \"HH:MM\" or minutes since ICU admission")
			} else {
				add(p+".time", "%s is not \"HH:MM\" or a whole number of minutes from 0 to %d", truncateBytes(o.Time, 20), maxOutcomeMinutes)
			}
		}
		if strings.TrimSpace(o.Parameter) == "" {
			add(p+".parameter", "missing; want a PhysioNet 2012 name such as HR, GCS or Lactate")
		}
		if o.Value == nil {
			add(p+".value", "missing")
		}
		if !ok || o.Value == nil || o.Parameter == "" {
			continue
		}
		switch {
		case o.Parameter == "RecordID":
			continue
		case o.Parameter == "Weight":
			// As in the PhysioNet files: the first weight at 00:00 is the
			// admission descriptor, unless descriptors gave one.
			if _, given := req.Descriptors["Weight"]; !given && !weightSeen && m == 0 {
				weightSeen = true
				if *o.Value != -1 {
					stay.Descriptors["Weight"] = *o.Value
				}
				continue
			}
		case descriptor[o.Parameter]:
			if _, set := stay.Descriptors[o.Parameter]; !set && *o.Value != -1 {
				stay.Descriptors[o.Parameter] = *o.Value
			}
			continue
		}
		stay.Observations = append(stay.Observations, outcome.Observation{Minutes: m, Parameter: o.Parameter, Value: *o.Value})
	}
	if len(ps) == 0 && len(stay.Observations) == 0 {
		add("observations", "only descriptors; the model needs time-series observations")
	}
	return stay, ps
}

// decodeOutcomeJSON decodes a plain request with encoding/json: unknown
// fields and data after the object are errors (EINVALID).
func decodeOutcomeJSON(body []byte) (*api.OutcomeRequest, error) {
	var req api.OutcomeRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, galen.Errorf(galen.EINVALID, "malformed JSON: more data after the first value")
	}
	return &req, nil
}

// parseMinutes reads "HH:MM" or a whole number of minutes from a JSON
// value. It reads plain strings and numbers directly (one request has
// hundreds of times) and leaves escapes to encoding/json.
func parseMinutes(raw json.RawMessage) (int, bool) {
	if len(raw) == 0 {
		return 0, false
	}
	switch c := raw[0]; {
	case c == '"':
		if len(raw) >= 2 && raw[len(raw)-1] == '"' && bytes.IndexByte(raw[1:len(raw)-1], '\\') < 0 && bytes.IndexByte(raw[1:len(raw)-1], '"') < 0 {
			return parseHHMM(raw[1 : len(raw)-1])
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
		return parseHHMM([]byte(s))
	case c == '-' || (c >= '0' && c <= '9'):
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil || f != math.Trunc(f) || f < 0 || f > maxOutcomeMinutes {
			return 0, false
		}
		return int(f), true
	}
	return 0, false
}

// parseHHMM reads 1 to 3 digits of hours, a colon and two digits of minutes
// (00 to 59).
func parseHHMM(s []byte) (int, bool) {
	i := bytes.IndexByte(s, ':')
	if i < 1 || i > 3 || len(s) != i+3 || s[i+1] < '0' || s[i+1] > '5' || !isDigit(s[i+2]) {
		return 0, false
	}
	h := 0
	for _, c := range s[:i] {
		if !isDigit(c) {
			return 0, false
		}
		h = 10*h + int(c-'0')
	}
	t := h*60 + int(s[i+1]-'0')*10 + int(s[i+2]-'0')
	return t, t <= maxOutcomeMinutes
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func truncateBytes(b []byte, n int) string {
	s := []rune(string(b))
	if len(s) > n {
		return string(s[:n]) + "…"
	}
	return string(s)
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
	if v.Format != outcome.Format {
		return nil, nil, galen.Errorf(galen.EINVALID, "model %q version %d has format %q, not an ICU outcome model (%s)", v.ModelName, v.Version, v.Format, outcome.Format)
	}
	l, err := s.models.GetVersion(ctx, v)
	if err != nil {
		return nil, nil, err
	}
	m, ok := outcome.FromPredictor(l.Predictor)
	if !ok {
		return nil, nil, galen.Errorf(galen.EINTERNAL, "model %q version %d did not load as an outcome model", v.ModelName, v.Version)
	}
	return m, l, nil
}

// predictOutcome runs an explained prediction through the model's bounded
// queue, with the inference deadline, and records the model for the audit log.
func (s *Server) predictOutcome(r *http.Request, name, version string, stay *outcome.Stay) (outcome.Prediction, *galen.ModelVersion, error) {
	m, l, err := s.outcomeModel(r.Context(), name, version)
	if err != nil {
		return outcome.Prediction{}, nil, err
	}
	ri := info(r)
	ri.model, ri.version = l.Version.ModelName, l.Version.Version
	var p outcome.Prediction
	start := time.Now()
	err = s.models.Do(r.Context(), l, func(ctx context.Context) error {
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

// riskAssessment writes a prediction as a FHIR RiskAssessment.
func riskAssessment(p outcome.Prediction, v *galen.ModelVersion, res *icustay.Result, warnings []string) *fhir.RiskAssessment {
	risk := math.Round(p.Risk*1e4) / 1e4
	ra := &fhir.RiskAssessment{
		Status:             "final",
		Subject:            fhir.Reference{Display: "the ICU stay in the request"},
		OccurrenceDateTime: time.Now().UTC().Format(time.RFC3339),
		Code:               &fhir.CodeableConcept{Text: "ICU in-hospital mortality risk from the first 48 hours"},
		Method:             &fhir.CodeableConcept{Text: fmt.Sprintf("Galen %s version %d (%s)", v.ModelName, v.Version, v.Format)},
		Prediction: []fhir.RiskPrediction{{
			Outcome: &fhir.CodeableConcept{
				Coding: []fhir.Coding{{System: fhir.SystemSNOMED, Code: "419099009", Display: "Dead"}},
				Text:   "In-hospital death",
			},
			ProbabilityDecimal: &risk,
			QualitativeRisk: &fhir.CodeableConcept{
				Coding: []fhir.Coding{{System: fhir.SystemRiskProbability, Code: p.Band}},
			},
			Rationale: rationale(p.Contributions, 5),
		}},
	}
	if res != nil {
		if res.Patient != nil {
			ra.Subject = *res.Patient
		}
		ra.Basis = res.Basis
	}
	if p.Uncertain {
		ra.Note = append(ra.Note, fhir.Annotation{Text: "Uncertain: too little data, or the model's components disagree; interpret with care."})
	}
	for _, w := range warnings {
		ra.Note = append(ra.Note, fhir.Annotation{Text: "Warning: " + w})
	}
	return ra
}

// rationale names the n variables that moved the risk most.
func rationale(cs []outcome.Contribution, n int) string {
	if len(cs) == 0 {
		return ""
	}
	var parts []string
	for i, c := range cs {
		if i == n {
			break
		}
		parts = append(parts, fmt.Sprintf("%s %+.1f points", c.Variable, 100*c.Contribution))
	}
	return "Variables that moved the risk most (occlusion): " + strings.Join(parts, ", ")
}
