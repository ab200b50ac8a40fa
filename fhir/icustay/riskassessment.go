package icustay

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/fhir"
	"github.com/galenhealth/galen/outcome"
)

// RiskAssessment writes a prediction of model version v as a FHIR
// RiskAssessment made at now: its subject and basis from res (the
// conversion of the request's Bundle; nil for a plain request), the
// variables that moved the risk as its rationale, and the warnings as
// notes.
func RiskAssessment(p outcome.Prediction, v *galen.ModelVersion, res *Result, warnings []string, now time.Time) *fhir.RiskAssessment {
	risk := math.Round(p.Risk*1e4) / 1e4
	ra := &fhir.RiskAssessment{
		Status:             "final",
		Subject:            fhir.Reference{Display: "the ICU stay in the request"},
		OccurrenceDateTime: now.UTC().Format(time.RFC3339),
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
