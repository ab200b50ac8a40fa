package httpapi

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/cdshooks"
	"github.com/galenhealth/galen/fhir"
	"github.com/galenhealth/galen/fhir/icustay"
	"github.com/galenhealth/galen/outcome"
)

// cdsService is one CDS Hooks service: its discovery entry and the function
// that answers a validated request. Files of this package add services with
// addCDSService from init; each gets POST /cds-services/{id} and
// POST /cds-services/{id}/feedback in the route table.
type cdsService struct {
	Info   cdshooks.Service
	Answer func(s *Server, r *http.Request, req *cdshooks.Request) (*cdshooks.Response, error)
}

var cdsServices []cdsService

func addCDSService(svc cdsService) { cdsServices = append(cdsServices, svc) }

func init() {
	addRoutes((*Server).cdsRoutes)
	addCDSService(cdsService{Info: icuMortalityService(), Answer: (*Server).answerICUMortality})
}

func (s *Server) cdsRoutes() []route {
	rs := []route{{Method: "GET", Pattern: "/cds-services", Roles: anyRole, Handler: s.handleCDSDiscovery, Authn: s.cdsAuthenticate, Tag: "cds-hooks",
		Summary: "CDS Hooks 2.0 discovery: the services, their hooks and prefetch templates", Response: cdshooks.Discovery{}}}
	for _, svc := range cdsServices {
		rs = append(rs,
			route{Method: "POST", Pattern: "/cds-services/" + svc.Info.ID, Roles: predictRoles, Audit: true, Handler: s.cdsHandler(svc), Authn: s.cdsAuthenticate, Tag: "cds-hooks",
				Summary: "CDS Hooks " + svc.Info.Hook + " service: " + svc.Info.Title + " (412 when prefetch is missing)",
				Request: cdshooks.Request{}, Response: cdshooks.Response{}},
			route{Method: "POST", Pattern: "/cds-services/" + svc.Info.ID + "/feedback", Roles: predictRoles, Audit: true, Handler: s.handleCDSFeedback, Authn: s.cdsAuthenticate, Tag: "cds-hooks",
				Summary: "CDS Hooks feedback on the cards of " + svc.Info.ID, Request: cdshooks.Feedback{}},
		)
	}
	return rs
}

func (s *Server) handleCDSDiscovery(w http.ResponseWriter, r *http.Request) error {
	d := cdshooks.Discovery{Services: []cdshooks.Service{}}
	for _, svc := range cdsServices {
		d.Services = append(d.Services, svc.Info)
	}
	return writeJSON(w, http.StatusOK, d)
}

// cdsProblems answers a request the decoder rejected, listing every problem.
func cdsProblems(w http.ResponseWriter, err error) error {
	var ce *cdshooks.Error
	if !errors.As(err, &ce) {
		return galen.WrapError(galen.EINVALID, "bad CDS Hooks request", err)
	}
	ps := make([]Problem, len(ce.Problems))
	for i, p := range ce.Problems {
		ps[i] = Problem{Path: p.Path, Message: p.Message}
	}
	return writeJSON(w, http.StatusBadRequest, problemsBody(ps))
}

// prefetchError marks a request the service cannot answer because data it
// needs was not prefetched and it will not or cannot fetch it: HTTP 412,
// per the spec.
type prefetchError struct{ msg string }

func (e *prefetchError) Error() string { return e.msg }

func (s *Server) cdsHandler(svc cdsService) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := requireJSON(r); err != nil {
			return err
		}
		body, err := requestBody(r)
		if err != nil {
			return err
		}
		req, err := cdshooks.DecodeRequest(body)
		if err != nil {
			return cdsProblems(w, err)
		}
		if req.Hook != svc.Info.Hook {
			return writeJSON(w, http.StatusBadRequest, problemsBody([]Problem{{Path: "hook",
				Message: fmt.Sprintf("%q; service %s answers %s", req.Hook, svc.Info.ID, svc.Info.Hook)}}))
		}
		resp, err := svc.Answer(s, r, req)
		var (
			pe  *prefetchError
			fte *fetchError
			fe  *fhir.Error
		)
		switch {
		case errors.As(err, &pe):
			return writeJSON(w, http.StatusPreconditionFailed, ProblemsError{Error: pe.msg, Problems: []Problem{{Path: "prefetch", Message: pe.msg}}})
		case errors.As(err, &fte):
			// The message names the failure, never the patient or the token.
			s.logger.Warn("cds fhir fetch failed", "request_id", info(r).id, "service", svc.Info.ID, "reason", fte.msg)
			ps := fte.problems
			if len(ps) == 0 {
				ps = []Problem{{Path: "fhirServer", Message: fte.msg}}
			}
			return writeJSON(w, http.StatusPreconditionFailed, ProblemsError{Error: fte.msg, Problems: ps})
		case errors.As(err, &fe):
			return writeJSON(w, http.StatusBadRequest, problemsBody(problemsFrom(fe.Issues)))
		case err != nil:
			return err
		}
		if err := resp.Validate(); err != nil {
			return galen.WrapError(galen.EINTERNAL, "", fmt.Errorf("service %s made an invalid response: %w", svc.Info.ID, err))
		}
		return writeJSON(w, http.StatusOK, resp)
	}
}

func (s *Server) handleCDSFeedback(w http.ResponseWriter, r *http.Request) error {
	if err := requireJSON(r); err != nil {
		return err
	}
	body, err := requestBody(r)
	if err != nil {
		return err
	}
	f, err := cdshooks.DecodeFeedback(body)
	if err != nil {
		return cdsProblems(w, err)
	}
	// The audit event records who sent feedback; outcomes are counted here.
	for _, it := range f.Feedback {
		s.logger.Info("cds feedback", "request_id", info(r).id, "route", info(r).route.Pattern, "outcome", it.Outcome)
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// ICU mortality service.

const icuMortalityID = "icu-mortality-risk"

// icuMortalityService is the discovery entry of the ICU mortality service:
// a patient-view hook with the Patient and the LOINC-coded Observations as
// prefetch.
func icuMortalityService() cdshooks.Service {
	// Every code the LOINC map reads, so that template and map cannot drift.
	codes := icustay.PrefetchCodes()
	return cdshooks.Service{
		Hook:  cdshooks.HookPatientView,
		ID:    icuMortalityID,
		Title: "ICU in-hospital mortality risk",
		Description: "Estimates the risk of in-hospital death from the first 48 hours of an ICU stay (vitals and labs coded in LOINC), " +
			"with the variables that moved it most. Trained on PhysioNet/CinC 2012 set A; for decision support, not diagnosis.",
		Prefetch: map[string]string{
			"patient":      "Patient/{{context.patientId}}",
			"observations": "Observation?patient={{context.patientId}}&code=" + strings.Join(codes, ",") + "&_count=1000",
		},
		UsageRequirements: "Observations are read from the earliest one in the prefetch, taken as ICU admission.",
	}
}

func (s *Server) answerICUMortality(r *http.Request, req *cdshooks.Request) (*cdshooks.Response, error) {
	if _, sent := req.Prefetch["observations"]; !sent {
		// The Patient is optional while the Observations are prefetched;
		// when they are fetched, the Patient comes too if it is missing.
		if err := s.missingPrefetch(r.Context(), req, icuMortalityService(), "observations", "patient"); err != nil {
			return nil, err
		}
	}
	obs := req.PrefetchData("observations")
	if obs == nil {
		// CDS Hooks: a key the client has no data for is null. That is
		// an answer ("no data"), the same as an empty searchset.
		obs = json.RawMessage(`{"resourceType":"Bundle","type":"searchset","total":0}`)
	}
	bundle, err := fhir.DecodeBundle(obs)
	if err != nil {
		return nil, prefixIssues(err, "prefetch.observations.")
	}
	if raw := req.PrefetchData("patient"); raw != nil {
		res, err := fhir.Decode(raw)
		if err != nil {
			return nil, prefixIssues(err, "prefetch.patient.")
		}
		p, ok := res.(*fhir.Patient)
		if !ok {
			return nil, &fhir.Error{Issues: []fhir.Issue{{Severity: fhir.SeverityError, Code: fhir.CodeInvalid, Path: "prefetch.patient.resourceType",
				Message: fmt.Sprintf("want a Patient, got %s", res.ResourceType())}}}
		}
		bundle.Entry = append([]fhir.BundleEntry{{Resource: p}}, bundle.Entry...)
	}
	conv, err := icustay.FromBundle(bundle, icustay.Options{PatientID: req.ContextString("patientId")})
	var fe *fhir.Error
	if errors.As(err, &fe) && mixesPatients(fe) {
		return nil, prefixIssues(err, "prefetch.")
	}
	if err != nil {
		// Not enough usable data is an answer, not a failure: say so.
		label := "Galen ICU mortality model"
		if _, l, err := s.outcomeModel(r.Context(), "", ""); err == nil {
			label = sourceLabel(l.Version)
		}
		return &cdshooks.Response{Cards: []cdshooks.Card{{
			UUID:      newUUID(),
			Summary:   "ICU mortality risk not estimated: no usable vitals or labs",
			Indicator: cdshooks.IndicatorInfo,
			Source:    cdshooks.Source{Label: label},
			Detail:    "The prefetched Observations held no value the model can read. " + issuesMarkdown(err),
		}}}, nil
	}
	pred, v, err := s.predictOutcome(r, "", "", conv.Stay)
	if errors.Is(err, outcome.ErrOutsidePopulation) {
		return &cdshooks.Response{Cards: []cdshooks.Card{{
			UUID:      newUUID(),
			Summary:   fmt.Sprintf("ICU mortality risk not estimated: the model is for adults (%d and older)", outcome.MinAge),
			Indicator: cdshooks.IndicatorInfo,
			Source:    cdshooks.Source{Label: "Galen ICU mortality model"},
			Detail: fmt.Sprintf("The patient is younger than %d: outside the model's intended population. It was trained on adult ICU stays "+
				"(PhysioNet/CinC 2012) and gives no risk for children, whose normal vital signs differ.", outcome.MinAge),
		}}}, nil
	}
	if err != nil {
		return nil, err
	}
	var warnings []string
	for _, i := range conv.Issues {
		warnings = append(warnings, i.Message)
	}
	warnings = append(warnings, pred.Warnings...)
	return &cdshooks.Response{Cards: []cdshooks.Card{riskCard(pred, sourceLabel(v), warnings)}}, nil
}

func sourceLabel(v *galen.ModelVersion) string {
	return fmt.Sprintf("Galen ICU mortality model v%d", v.Version)
}

// mixesPatients reports whether a conversion failed because the data are
// about another patient, or more than one: a request error, not a card.
func mixesPatients(fe *fhir.Error) bool {
	for _, i := range fe.Issues {
		if i.Severity == fhir.SeverityError && i.Code == fhir.CodeInvalid {
			return true
		}
	}
	return false
}

// prefixIssues puts a prefix before the paths of a *fhir.Error's issues.
func prefixIssues(err error, prefix string) error {
	fe, ok := err.(*fhir.Error)
	if !ok {
		return err
	}
	out := &fhir.Error{}
	for _, i := range fe.Issues {
		i.Path = prefix + i.Path
		out.Issues = append(out.Issues, i)
	}
	return out
}

// riskCard turns a prediction into a card: the indicator follows the risk
// band (low info, moderate warning, high critical).
func riskCard(p outcome.Prediction, label string, warnings []string) cdshooks.Card {
	indicator := map[string]string{outcome.BandLow: cdshooks.IndicatorInfo, outcome.BandModerate: cdshooks.IndicatorWarning,
		outcome.BandHigh: cdshooks.IndicatorCritical}[p.Band]
	if indicator == "" {
		indicator = cdshooks.IndicatorInfo
	}
	summary := fmt.Sprintf("ICU mortality risk %s (%s)", percent(p.Risk), p.Band)
	if p.Uncertain {
		summary += ", uncertain: limited data"
	}
	var d strings.Builder
	fmt.Fprintf(&d, "**Estimated risk of in-hospital death: %s** (%s band", percent(p.Risk), p.Band)
	if p.Uncertain {
		d.WriteString("; uncertain")
	}
	d.WriteString(").\n\n")
	if len(p.Contributions) > 0 {
		d.WriteString("Variables that moved the risk most (risk with the variable minus risk without it):\n\n| variable | effect |\n|---|---|\n")
		for i, c := range p.Contributions {
			if i == 5 {
				break
			}
			fmt.Fprintf(&d, "| %s | %+.1f points |\n", c.Variable, 100*c.Contribution)
		}
	}
	if len(warnings) > 0 {
		d.WriteString("\nData notes:\n")
		writeBullets(&d, warnings, 8)
	}
	d.WriteString("\nTrained on PhysioNet/CinC 2012 ICU stays; a decision aid, not a diagnosis.")
	return cdshooks.Card{
		UUID:      newUUID(),
		Summary:   cdshooks.Summary(summary),
		Indicator: indicator,
		Source:    cdshooks.Source{Label: label},
		Detail:    d.String(),
	}
}

func percent(r float64) string {
	p := 100 * r
	if p < 1 {
		return "<1%"
	}
	return fmt.Sprintf("%.0f%%", math.Round(p))
}

func issuesMarkdown(err error) string {
	fe, ok := err.(*fhir.Error)
	if !ok {
		return ""
	}
	msgs := make([]string, len(fe.Issues))
	for i, is := range fe.Issues {
		msgs[i] = is.Message
	}
	var b strings.Builder
	b.WriteString("\n\n")
	writeBullets(&b, msgs, 8)
	return b.String()
}

// writeBullets writes the first n items as a Markdown list, then how many
// more there are.
func writeBullets(b *strings.Builder, items []string, n int) {
	for i, it := range items {
		if i == n {
			fmt.Fprintf(b, "- and %d more\n", len(items)-i)
			return
		}
		fmt.Fprintf(b, "- %s\n", it)
	}
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
