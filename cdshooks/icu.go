package cdshooks

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/fhir"
	"github.com/galenhealth/galen/fhir/icustay"
	"github.com/galenhealth/galen/outcome"
)

// ICUMortalityID is the id of the ICU mortality service.
const ICUMortalityID = "icu-mortality-risk"

// ICUModel is what the ICU mortality service needs of the server's models.
type ICUModel struct {
	// Predict runs the default outcome model on a stay, returning the
	// prediction and the model version that made it.
	Predict func(ctx context.Context, stay *outcome.Stay) (outcome.Prediction, *galen.ModelVersion, error)
	// Version returns the default outcome model's version, for the card's
	// source when there is nothing to predict from.
	Version func(ctx context.Context) (*galen.ModelVersion, error)
}

// ICUMortality is the ICU mortality service: a patient-view hook whose
// card gives the risk of in-hospital death and the variables that moved it.
func ICUMortality(m ICUModel) Handler {
	return Handler{Service: icuMortalityService(), Answer: m.answer}
}

// icuMortalityService is the discovery entry of the ICU mortality service:
// a patient-view hook with the Patient and the LOINC-coded Observations as
// prefetch.
func icuMortalityService() Service {
	// Every code the LOINC map reads, so that template and map cannot drift.
	codes := icustay.PrefetchCodes()
	return Service{
		Hook:  HookPatientView,
		ID:    ICUMortalityID,
		Title: "ICU in-hospital mortality risk",
		Description: "Estimates the risk of in-hospital death from the first 48 hours of an ICU stay (vitals and labs coded in LOINC), " +
			"with the variables that moved it most. Trained on PhysioNet/CinC 2012 set A; for decision support, not diagnosis.",
		Prefetch: map[string]string{
			"patient":      "Patient/{{context.patientId}}",
			"observations": "Observation?patient={{context.patientId}}&code=" + strings.Join(codes, ",") + "&_count=1000",
		},
		UsageRequirements: "ICU admission is taken as the earliest prefetched Observation with a time of day, and the 48 hours after it are read. For adults (16 and older).",
	}
}

func (m ICUModel) answer(ctx context.Context, req *Request, fetch *Fetcher) (*Response, error) {
	if _, sent := req.Prefetch["observations"]; !sent {
		// The Patient is optional while the Observations are prefetched;
		// when they are fetched, the Patient comes too if it is missing.
		if err := fetch.FetchMissing(ctx, req, icuMortalityService(), "observations", "patient"); err != nil {
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
		if v, err := m.Version(ctx); err == nil {
			label = sourceLabel(v)
		}
		return &Response{Cards: []Card{{
			UUID:      newUUID(),
			Summary:   "ICU mortality risk not estimated: no usable vitals or labs",
			Indicator: IndicatorInfo,
			Source:    Source{Label: label},
			Detail:    "The prefetched Observations held no value the model can read. " + issuesMarkdown(err),
		}}}, nil
	}
	pred, v, err := m.Predict(ctx, conv.Stay)
	if errors.Is(err, outcome.ErrOutsidePopulation) {
		// Not a request error: the answer is that the model does not apply.
		label := "Galen ICU mortality model"
		if v, err := m.Version(ctx); err == nil {
			label = sourceLabel(v)
		}
		return &Response{Cards: []Card{{
			UUID:      newUUID(),
			Summary:   fmt.Sprintf("ICU mortality risk not estimated: the model is for adults (%d and older)", outcome.MinAge),
			Indicator: IndicatorInfo,
			Source:    Source{Label: label},
			Detail: fmt.Sprintf("The patient is younger than %d: outside the model's intended population. It was trained on adult ICU stays "+
				"(PhysioNet/CinC 2012) and gives no risk for children, whose normal vital signs differ.", outcome.MinAge),
		}}}, nil
	}
	if err != nil {
		return nil, err
	}
	var warnings []string
	if conv.Uncertain != "" { // first, so the card's notes show it
		pred.Uncertain = true
		warnings = append(warnings, conv.Uncertain)
	}
	for _, i := range conv.Issues {
		warnings = append(warnings, i.Message)
	}
	warnings = append(warnings, pred.Warnings...)
	return &Response{Cards: []Card{riskCard(pred, sourceLabel(v), warnings)}}, nil
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
	var fe *fhir.Error
	if !errors.As(err, &fe) {
		return err
	}
	return &fhir.Error{Issues: galen.PrefixProblems(fe.Issues, prefix)}
}

// riskCard turns a prediction into a card: the indicator follows the risk
// band (low info, moderate warning, high critical).
func riskCard(p outcome.Prediction, label string, warnings []string) Card {
	indicator := map[string]string{outcome.BandLow: IndicatorInfo, outcome.BandModerate: IndicatorWarning,
		outcome.BandHigh: IndicatorCritical}[p.Band]
	if indicator == "" {
		indicator = IndicatorInfo
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
	return Card{
		UUID:      newUUID(),
		Summary:   Summary(summary),
		Indicator: indicator,
		Source:    Source{Label: label},
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
	var fe *fhir.Error
	if !errors.As(err, &fe) {
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
