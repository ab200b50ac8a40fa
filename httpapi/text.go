package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/api"
	"github.com/galenhealth/galen/fhir"
	"github.com/galenhealth/galen/inference"
	"github.com/galenhealth/galen/text"
)

// DefaultTextModel is the model /v1/text/classify uses when the request
// names none.
const DefaultTextModel = "clinical-specialty"

func (s *Server) textRoutes() []route {
	return []route{
		{Method: "POST", Pattern: "/v1/text/classify", Roles: predictRoles, Audit: true, Handler: s.handleTextClassify, Tag: "text",
			Summary: "Medical specialty of a clinical note, with the words that decided it, its sections and its negated findings; " +
				"Accept: application/fhir+json answers a Bundle of Conditions (negated findings refuted)",
			Produces: []string{"application/json", mediaFHIR, mediaFHIRLegacy},
			Request:  api.TextClassifyRequest{}, Response: api.TextClassifyResponse{}, Query: []string{"model", "version"}},
	}
}

// maxTextTopK bounds top_k.
const maxTextTopK = 100

func (s *Server) handleTextClassify(w http.ResponseWriter, r *http.Request) error {
	wantFHIR := accepts(r, mediaFHIR, mediaFHIRLegacy)
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return s.answerError(w, r, wantFHIR, galen.Errorf(galen.EUNSUPPORTED, "Content-Type must be application/json, not %q", r.Header.Get("Content-Type")))
	}
	q := r.URL.Query()
	for k := range q {
		if k != "model" && k != "version" {
			return s.answerError(w, r, wantFHIR, galen.Errorf(galen.EINVALID, "unknown query parameter %q (want model, version)", k))
		}
	}
	body, err := requestBody(r)
	if err != nil {
		return s.answerError(w, r, wantFHIR, err)
	}
	req, err := decodeTextRequest(body)
	if err != nil {
		return s.answerError(w, r, wantFHIR, err)
	}
	c, l, err := s.textModel(r.Context(), q.Get("model"), q.Get("version"))
	if err != nil {
		return s.answerError(w, r, wantFHIR, err)
	}
	ri := info(r)
	ri.model, ri.version = l.Version.ModelName, l.Version.Version
	var res *text.Result
	start := time.Now()
	err = s.models.Do(r.Context(), l, func(ctx context.Context) error {
		res = c.Classify(req.Text, req.TopK, 10)
		return nil
	})
	if err != nil {
		return s.answerError(w, r, wantFHIR, err)
	}
	s.metrics.observeInference(l.Version.ModelName, time.Since(start))
	out := textResponse(res, l.Version)
	if wantFHIR {
		return writeFHIR(w, http.StatusOK, textConditions(out))
	}
	return writeJSON(w, http.StatusOK, out)
}

// decodeTextRequest strictly decodes the body: a JSON object with a
// non-empty UTF-8 "text" of at most text.MaxTextBytes (ETOOLARGE above).
func decodeTextRequest(body []byte) (*api.TextClassifyRequest, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, galen.Errorf(galen.EINVALID, `request body is empty; want {"text": "..."}`)
	}
	if len(body) > 6*text.MaxTextBytes+4096 { // every byte escaped as \u00XX is 6
		return nil, galen.Errorf(galen.ETOOLARGE, "request body has %d bytes; the text may have at most %d", len(body), text.MaxTextBytes)
	}
	if !utf8.Valid(body) {
		return nil, galen.Errorf(galen.EINVALID, "request body is not valid UTF-8")
	}
	var req api.TextClassifyRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, galen.Errorf(galen.EINVALID, "malformed JSON: more data after the first value")
	}
	if containsLoneSurrogate(body) { // encoding/json would turn it into U+FFFD
		return nil, galen.Errorf(galen.EINVALID, "text: an unpaired UTF-16 surrogate escape is not a character; text must be UTF-8")
	}
	if req.TopK == 0 {
		req.TopK = 3
	}
	if req.TopK < 0 || req.TopK > maxTextTopK {
		return nil, galen.Errorf(galen.EINVALID, "top_k: %d, want 1 to %d", req.TopK, maxTextTopK)
	}
	if err := text.CheckText(req.Text); err != nil {
		return nil, galen.Errorf(galen.ErrorCode(err), "text: %s", galen.ErrorMessage(err))
	}
	return &req, nil
}

// containsLoneSurrogate reports whether a JSON body has a \uD800-\uDFFF
// escape that is not a high surrogate followed by a low one.
func containsLoneSurrogate(body []byte) bool {
	hex := func(b []byte) (rune, bool) {
		var r rune
		for _, c := range b {
			switch {
			case c >= '0' && c <= '9':
				r = r<<4 | rune(c-'0')
			case c >= 'a' && c <= 'f':
				r = r<<4 | rune(c-'a'+10)
			case c >= 'A' && c <= 'F':
				r = r<<4 | rune(c-'A'+10)
			default:
				return 0, false
			}
		}
		return r, true
	}
	for i := 0; i+6 <= len(body); i++ {
		if body[i] != '\\' {
			continue
		}
		if body[i+1] != 'u' {
			i++ // skip the escaped character (e.g. \\)
			continue
		}
		r, ok := hex(body[i+2 : i+6])
		if !ok || r < 0xD800 || r > 0xDFFF {
			continue
		}
		if r >= 0xDC00 {
			return true
		}
		if i+12 > len(body) || body[i+6] != '\\' || body[i+7] != 'u' {
			return true
		}
		lo, ok := hex(body[i+8 : i+12])
		if !ok || lo < 0xDC00 || lo > 0xDFFF {
			return true
		}
		i += 11
	}
	return false
}

// textModel resolves and loads a text classifier through the inference
// cache. EINVALID when the version is not a text model.
func (s *Server) textModel(ctx context.Context, name, version string) (*text.Classifier, *inference.Loaded, error) {
	if name == "" {
		name = DefaultTextModel
	}
	v, err := s.models.Resolve(ctx, name, version)
	if err != nil {
		return nil, nil, err
	}
	if v.Format != text.Format {
		return nil, nil, galen.Errorf(galen.EINVALID, "model %q version %d has format %q, not a text classifier (%s)", v.ModelName, v.Version, v.Format, text.Format)
	}
	l, err := s.models.GetVersion(ctx, v)
	if err != nil {
		return nil, nil, err
	}
	c, ok := text.FromPredictor(l.Predictor)
	if !ok {
		return nil, nil, galen.Errorf(galen.EINTERNAL, "model %q version %d did not load as a text classifier", v.ModelName, v.Version)
	}
	return c, l, nil
}

// runeOffsets converts byte offsets of s to code-point offsets.
type runeOffsets struct {
	s   string
	pos []int // pos[byte] = code points before it, for every byte index and len(s)
}

func newRuneOffsets(s string) *runeOffsets {
	ro := &runeOffsets{s: s, pos: make([]int, len(s)+1)}
	n := 0 // rune starts strictly before byte i
	for i := range len(s) {
		ro.pos[i] = n
		if utf8.RuneStart(s[i]) {
			n++
		}
	}
	ro.pos[len(s)] = n
	return ro
}

func (ro *runeOffsets) span(start, end int) api.TextSpan {
	return api.TextSpan{Start: ro.pos[start], End: ro.pos[end], Text: ro.s[start:end]}
}

func textResponse(res *text.Result, v *galen.ModelVersion) api.TextClassifyResponse {
	a := res.Analysis
	ro := newRuneOffsets(a.Text)
	out := api.TextClassifyResponse{Uncertain: res.Uncertain, Model: v.ModelName, Version: v.Version,
		Labels: []api.TextLabel{}, Explanation: []api.TextAttribution{}, Sections: []api.TextSection{}, Negated: []api.TextFinding{}}
	for _, l := range res.Top {
		out.Labels = append(out.Labels, api.TextLabel{Label: l.Label, Probability: l.Prob})
	}
	for _, e := range res.Explanation {
		at := api.TextAttribution{Term: e.Term, Weight: e.Weight, Spans: []api.TextSpan{}}
		for _, sp := range e.Spans {
			at.Spans = append(at.Spans, ro.span(sp.Start, sp.End))
		}
		out.Explanation = append(out.Explanation, at)
	}
	for _, sec := range a.Sections {
		out.Sections = append(out.Sections, api.TextSection{Name: sec.Name, Header: sec.Header, Start: ro.pos[sec.Start], End: ro.pos[sec.End]})
	}
	for _, f := range a.Negated {
		tf := api.TextFinding{Text: f.Text, Trigger: f.Trigger, Start: ro.pos[f.Start], End: ro.pos[f.End]}
		if k := text.SectionAt(a.Sections, f.Start); k >= 0 {
			tf.Section = a.Sections[k].Name
		}
		out.Negated = append(out.Negated, tf)
	}
	return out
}

// textCondition is a FHIR R4 Condition as the text route writes it.
type textCondition struct {
	VerificationStatus *fhir.CodeableConcept  `json:"verificationStatus,omitempty"`
	Category           []fhir.CodeableConcept `json:"category,omitempty"`
	Code               *fhir.CodeableConcept  `json:"code,omitempty"`
	Subject            fhir.Reference         `json:"subject"`
	Note               []fhir.Annotation      `json:"note,omitempty"`
}

func (*textCondition) ResourceType() string { return "Condition" }

func (c *textCondition) MarshalJSON() ([]byte, error) {
	type plain textCondition
	return json.Marshal(struct {
		ResourceType string `json:"resourceType"`
		*plain
	}{"Condition", (*plain)(c)})
}

const systemConditionVerStatus = "http://terminology.hl7.org/CodeSystem/condition-ver-status"

// textConditions answers a classification in FHIR: a collection Bundle
// with one Condition per negated finding (verificationStatus refuted, the
// finding as code.text, where it was found in a note).
func textConditions(out api.TextClassifyResponse) *fhir.Bundle {
	b := &fhir.Bundle{Type: "collection", Timestamp: time.Now().UTC().Format(time.RFC3339)}
	top := ""
	if len(out.Labels) > 0 {
		top = fmt.Sprintf("; the note was classified as %s (probability %.2f) by Galen %s version %d", out.Labels[0].Label, out.Labels[0].Probability, out.Model, out.Version)
	}
	for _, f := range out.Negated {
		b.Entry = append(b.Entry, fhir.BundleEntry{Resource: &textCondition{
			VerificationStatus: &fhir.CodeableConcept{Coding: []fhir.Coding{{System: systemConditionVerStatus, Code: "refuted", Display: "Refuted"}}},
			Code:               &fhir.CodeableConcept{Text: f.Text},
			Subject:            fhir.Reference{Display: "the patient of the note in the request"},
			Note:               []fhir.Annotation{{Text: fmt.Sprintf("negated by %q at characters %d-%d of the note%s", f.Trigger, f.Start, f.End, top)}},
		}})
	}
	return b
}
