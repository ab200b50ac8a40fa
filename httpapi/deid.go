package httpapi

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/api"
	"github.com/galenhealth/galen/deid"
	"github.com/galenhealth/galen/fhir"
)

// deidState is the server's de-identifier, built on first use: the
// built-in detector and a surrogator keyed by Config.DeidKey (or, without
// one, a random key for the server's lifetime).
type deidState struct {
	once sync.Once
	det  *deid.Detector
	sur  *deid.Surrogator
	err  error
}

func (s *Server) deidentifier() (*deid.Detector, *deid.Surrogator, error) {
	st := &s.deid
	st.once.Do(func() {
		st.det, st.err = deid.NewDetector()
		key := s.cfg.DeidKey
		if len(key) == 0 {
			key = make([]byte, 32)
			_, _ = rand.Read(key)
		}
		st.sur = deid.NewSurrogator(key)
	})
	return st.det, st.sur, st.err
}

func (s *Server) deidRoutes() []route {
	return []route{
		{Method: "POST", Pattern: "/v1/text/deidentify", Roles: predictRoles, Audit: true, Handler: s.handleDeidentify, Tag: "text",
			Summary: "de-identify a clinical note (HIPAA Safe Harbor identifiers): tag, redact or replace with consistent surrogates; " +
				"plain JSON, or a FHIR DocumentReference or Binary with text/plain data (Content-Type application/fhir+json)",
			Request: api.DeidentifyRequest{}, Response: api.DeidentifyResponse{}, Query: []string{"mode", "patient", "keep_weekdays"}},
	}
}

// modelText returns the text a model of route rt may see: de-identified
// (tag mode) when the route's Deidentify flag is set, else as it is.
func (s *Server) modelText(r *http.Request, text string) (string, error) {
	if !info(r).route.Deidentify {
		return text, nil
	}
	det, _, err := s.deidentifier()
	if err != nil {
		return "", err
	}
	return deid.Apply(text, det.Detect(text), deid.ModeTag, nil, "")
}

// maxDeidChars bounds one note (characters); longer texts are 413.
const maxDeidChars = 1 << 20

func (s *Server) handleDeidentify(w http.ResponseWriter, r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	fhirIn := err == nil && (mt == mediaFHIR || mt == mediaFHIRLegacy)
	if err != nil || (mt != "application/json" && !fhirIn) {
		return galen.Errorf(galen.EUNSUPPORTED, "Content-Type must be application/json or application/fhir+json, not %q", r.Header.Get("Content-Type"))
	}
	q := r.URL.Query()
	for k := range q {
		if k != "mode" && k != "patient" && k != "keep_weekdays" {
			return s.answerError(w, r, fhirIn, galen.Errorf(galen.EINVALID, "unknown query parameter %q (want mode, patient, keep_weekdays)", k))
		}
	}
	body, err := requestBody(r)
	if err != nil {
		return s.answerError(w, r, fhirIn, err)
	}
	det, sur, err := s.deidentifier()
	if err != nil {
		return err
	}
	if fhirIn {
		return s.deidentifyFHIR(w, r, body, det, sur)
	}
	var req api.DeidentifyRequest
	if len(bytes.TrimSpace(body)) == 0 {
		return galen.Errorf(galen.EINVALID, "request body is empty; want {\"text\": ...}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return galen.Errorf(galen.EINVALID, "malformed JSON: more data after the first value")
	}
	mode, patient, weekdays, err := deidOptions(req.Mode, req.Patient, req.KeepWeekdays, q.Get("mode"), q.Get("patient"), q.Get("keep_weekdays"))
	if err != nil {
		return err
	}
	out, err := deidentifyOne(det, sur, req.Text, mode, patient, weekdays)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// deidOptions merges the body's options with the query's (the query wins
// where both are given) and checks them.
func deidOptions(mode, patient string, weekdays bool, qMode, qPatient, qWeekdays string) (deid.Mode, string, bool, error) {
	if qMode != "" {
		mode = qMode
	}
	if mode == "" {
		mode = string(deid.ModeTag)
	}
	if qPatient != "" {
		patient = qPatient
	}
	switch qWeekdays {
	case "":
	case "true", "1":
		weekdays = true
	case "false", "0":
		weekdays = false
	default:
		return "", "", false, galen.Errorf(galen.EINVALID, "keep_weekdays %q: want true or false", qWeekdays)
	}
	m, err := deid.ParseMode(mode)
	if err != nil {
		return "", "", false, galen.Errorf(galen.EINVALID, "%v", err)
	}
	return m, patient, weekdays, nil
}

func deidentifyOne(det *deid.Detector, sur *deid.Surrogator, text string, mode deid.Mode, patient string, weekdays bool) (*api.DeidentifyResponse, error) {
	if !utf8.ValidString(text) {
		return nil, galen.Errorf(galen.EINVALID, "text is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(text); n > maxDeidChars {
		return nil, galen.Errorf(galen.ETOOLARGE, "text has %d characters; at most %d per request", n, maxDeidChars)
	}
	spans := det.Detect(text)
	if weekdays && mode == deid.ModeSurrogate {
		sur = sur.WithKeepWeekdays()
	}
	out, err := deid.Apply(text, spans, mode, sur, patient)
	if err != nil {
		return nil, err
	}
	resp := &api.DeidentifyResponse{Text: out, Mode: string(mode), Spans: make([]api.DeidentifySpan, len(spans)), Explanation: explainSpans(spans)}
	for i, sp := range spans {
		resp.Spans[i] = api.DeidentifySpan{Start: sp.Start, End: sp.End, Type: string(sp.Type), Source: sp.Source}
	}
	return resp, nil
}

// explainSpans says how many identifiers of each type were found and by
// which methods, without quoting them.
func explainSpans(spans []deid.Span) string {
	if len(spans) == 0 {
		return "no identifiers found by the rules, the name and place lists or the tagger"
	}
	byType := map[deid.Type]int{}
	byMethod := map[string]int{}
	for _, s := range spans {
		byType[s.Type]++
		m, _, _ := strings.Cut(s.Source, ":")
		byMethod[m]++
	}
	var parts []string
	for _, t := range deid.Types {
		if n := byType[t]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, t))
		}
	}
	var methods []string
	for m, n := range byMethod {
		methods = append(methods, fmt.Sprintf("%s %d", m, n))
	}
	sort.Strings(methods)
	return fmt.Sprintf("%d identifiers (%s); found by %s", len(spans), strings.Join(parts, ", "), strings.Join(methods, ", "))
}

// deidentifyFHIR de-identifies the text/plain data of a DocumentReference
// (each content[].attachment) or a Binary, and answers the same resource
// with the text replaced and a security label saying so.
func (s *Server) deidentifyFHIR(w http.ResponseWriter, r *http.Request, body []byte, det *deid.Detector, sur *deid.Surrogator) error {
	fail := func(path, format string, args ...any) error {
		return writeFHIR(w, http.StatusBadRequest, fhir.NewOperationOutcome([]fhir.Issue{{Severity: fhir.SeverityError, Code: fhir.CodeInvalid, Path: path, Message: fmt.Sprintf(format, args...)}}))
	}
	var res map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&res); err != nil {
		return s.answerError(w, r, true, jsonError(err))
	}
	if dec.More() {
		return fail("", "more data after the resource")
	}
	q := r.URL.Query()
	patient := q.Get("patient")
	mode, patient, weekdays, err := deidOptions("", patient, false, q.Get("mode"), "", q.Get("keep_weekdays"))
	if err != nil {
		return s.answerError(w, r, true, err)
	}
	replace := func(path string, att map[string]any) error {
		ct, _ := att["contentType"].(string)
		if mt, _, err := mime.ParseMediaType(ct); err != nil || !strings.HasPrefix(mt, "text/") {
			return fmt.Errorf("%s.contentType: %q is not text; want text/plain", path, ct)
		}
		data, ok := att["data"].(string)
		if !ok {
			return fmt.Errorf("%s.data: missing; want the note as base64 (an attachment by url is not fetched)", path)
		}
		raw, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			return fmt.Errorf("%s.data: not base64", path)
		}
		out, err := deidentifyOne(det, sur, string(raw), mode, patient, weekdays)
		if err != nil {
			return fmt.Errorf("%s.data: %s", path, galen.ErrorMessage(err))
		}
		att["data"] = base64.StdEncoding.EncodeToString([]byte(out.Text))
		delete(att, "hash") // the hash of the original text would identify it
		delete(att, "size")
		return nil
	}
	switch rt, _ := res["resourceType"].(string); rt {
	case "Binary":
		if err := replace("Binary", res); err != nil {
			return fail("Binary", "%v", err)
		}
	case "DocumentReference":
		if patient == "" {
			if subj, ok := res["subject"].(map[string]any); ok {
				patient, _ = subj["reference"].(string)
			}
		}
		content, ok := res["content"].([]any)
		if !ok || len(content) == 0 {
			return fail("DocumentReference.content", "missing; want content[].attachment with text/plain data")
		}
		for i, c := range content {
			path := fmt.Sprintf("DocumentReference.content[%d].attachment", i)
			cm, ok := c.(map[string]any)
			if !ok {
				return fail(path, "not an object")
			}
			att, ok := cm["attachment"].(map[string]any)
			if !ok {
				return fail(path, "missing")
			}
			if err := replace(path, att); err != nil {
				return fail(path, "%v", err)
			}
		}
		delete(res, "text") // the narrative may quote the note
	case "":
		return fail("resourceType", "missing; want DocumentReference or Binary")
	default:
		return fail("resourceType", "%q: want DocumentReference or Binary", rt)
	}
	label := map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "REDACTED", "display": "redacted"}
	if mode == deid.ModeSurrogate {
		label = map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "PSEUDED", "display": "pseudonymized"}
	}
	meta, _ := res["meta"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
	}
	sec, _ := meta["security"].([]any)
	meta["security"] = append(sec, label)
	res["meta"] = meta
	w.Header().Set("Content-Type", mediaFHIR)
	w.WriteHeader(http.StatusOK)
	return json.NewEncoder(w).Encode(res)
}
