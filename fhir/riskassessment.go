package fhir

import "encoding/json"

// RiskAssessment is a predicted outcome for a patient, e.g. the risk of
// in-hospital death, with the data it was based on.
type RiskAssessment struct {
	ID                 string           `json:"id,omitempty"`
	Status             string           `json:"status"`
	Method             *CodeableConcept `json:"method,omitempty"`
	Code               *CodeableConcept `json:"code,omitempty"`
	Subject            Reference        `json:"subject"`
	Encounter          *Reference       `json:"encounter,omitempty"`
	OccurrenceDateTime string           `json:"occurrenceDateTime,omitempty"`
	Performer          *Reference       `json:"performer,omitempty"`
	Basis              []Reference      `json:"basis,omitempty"`
	Prediction         []RiskPrediction `json:"prediction,omitempty"`
	Mitigation         string           `json:"mitigation,omitempty"`
	Note               []Annotation     `json:"note,omitempty"`
}

// RiskPrediction is one predicted outcome of a RiskAssessment.
type RiskPrediction struct {
	Outcome            *CodeableConcept `json:"outcome,omitempty"`
	ProbabilityDecimal *float64         `json:"probabilityDecimal,omitempty"`
	QualitativeRisk    *CodeableConcept `json:"qualitativeRisk,omitempty"`
	RelativeRisk       *float64         `json:"relativeRisk,omitempty"`
	WhenPeriod         *Period          `json:"whenPeriod,omitempty"`
	Rationale          string           `json:"rationale,omitempty"`
}

// ResourceType implements Resource.
func (*RiskAssessment) ResourceType() string { return "RiskAssessment" }

// MarshalJSON writes the assessment with its resourceType.
func (r *RiskAssessment) MarshalJSON() ([]byte, error) {
	type plain RiskAssessment
	return json.Marshal(struct {
		ResourceType string `json:"resourceType"`
		*plain
	}{"RiskAssessment", (*plain)(r)})
}

// SystemRiskProbability is the code system of RiskPrediction.qualitativeRisk
// (codes negligible, low, moderate, high, certain).
const SystemRiskProbability = "http://terminology.hl7.org/CodeSystem/risk-probability"

// RiskAssessmentStatuses are the values of RiskAssessment.status.
var RiskAssessmentStatuses = []string{"registered", "preliminary", "final", "amended",
	"corrected", "cancelled", "entered-in-error", "unknown"}

var (
	riskAssessmentFields = fields(domainFields, "identifier basedOn parent status method code subject "+
		"encounter occurrenceDateTime occurrencePeriod condition performer reasonCode reasonReference "+
		"basis prediction mitigation note")
	riskPredictionFields = fields(backboneFields, "outcome probabilityDecimal probabilityRange "+
		"qualitativeRisk relativeRisk whenPeriod whenRange rationale")
)

func decodeRiskAssessment(d *decoder, obj int) Resource {
	d.check(obj, riskAssessmentFields)
	d.oneOf(obj, "occurrence", "DateTime", "Period")
	r := &RiskAssessment{
		ID:                 d.str(obj, "id", false),
		Status:             d.code(obj, "status", true, RiskAssessmentStatuses...),
		Method:             d.codeableConceptAt(obj, "method", false),
		Code:               d.codeableConceptAt(obj, "code", false),
		Encounter:          d.referenceAt(obj, "encounter", false),
		OccurrenceDateTime: d.dateTime(obj, "occurrenceDateTime"),
		Performer:          d.referenceAt(obj, "performer", false),
		Basis:              d.referenceList(obj, "basis"),
		Mitigation:         d.str(obj, "mitigation", false),
		Note:               d.annotations(obj, "note"),
	}
	if s := d.referenceAt(obj, "subject", true); s != nil {
		r.Subject = *s
	}
	d.array(obj, "prediction", false, func(m int) {
		d.check(m, riskPredictionFields)
		d.oneOf(m, "probability", "Decimal", "Range")
		d.oneOf(m, "when", "Period", "Range")
		pr := RiskPrediction{
			Outcome:            d.codeableConceptAt(m, "outcome", false),
			ProbabilityDecimal: d.decimal(m, "probabilityDecimal", false),
			QualitativeRisk:    d.codeableConceptAt(m, "qualitativeRisk", false),
			RelativeRisk:       d.decimal(m, "relativeRisk", false),
			WhenPeriod:         d.periodAt(m, "whenPeriod"),
			Rationale:          d.str(m, "rationale", false),
		}
		if v := pr.ProbabilityDecimal; v != nil && (*v < 0 || *v > 100) {
			d.add(CodeValue, d.at("probabilityDecimal"), "must be between 0 and 100 (ras-2)")
		}
		r.Prediction = append(r.Prediction, pr)
	})
	return r
}
