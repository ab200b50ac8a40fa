package fhir

import "encoding/json"

// DiagnosticReport is the findings of a diagnostic study, e.g. an AI
// reading of a chest X-ray, written (not decoded) by Galen.
type DiagnosticReport struct {
	ID                string            `json:"id,omitempty"`
	Status            string            `json:"status"`
	Category          []CodeableConcept `json:"category,omitempty"`
	Code              CodeableConcept   `json:"code"`
	Subject           *Reference        `json:"subject,omitempty"`
	EffectiveDateTime string            `json:"effectiveDateTime,omitempty"`
	Issued            string            `json:"issued,omitempty"`
	Performer         []Reference       `json:"performer,omitempty"`
	ImagingStudy      []Reference       `json:"imagingStudy,omitempty"`
	Conclusion        string            `json:"conclusion,omitempty"`
	ConclusionCode    []CodeableConcept `json:"conclusionCode,omitempty"`
	PresentedForm     []Attachment      `json:"presentedForm,omitempty"`
}

// Attachment is inline or linked content, e.g. a PNG image (Data is
// base64 in JSON).
type Attachment struct {
	ContentType string `json:"contentType,omitempty"`
	Data        []byte `json:"data,omitempty"`
	Title       string `json:"title,omitempty"`
}

// ResourceType implements Resource.
func (*DiagnosticReport) ResourceType() string { return "DiagnosticReport" }

// MarshalJSON writes the report with its resourceType.
func (r *DiagnosticReport) MarshalJSON() ([]byte, error) {
	type plain DiagnosticReport
	return json.Marshal(struct {
		ResourceType string `json:"resourceType"`
		*plain
	}{"DiagnosticReport", (*plain)(r)})
}

// SystemDiagnosticService is the code system of DiagnosticReport.category
// (HL7 v2 table 0074, e.g. RAD for radiology).
const SystemDiagnosticService = "http://terminology.hl7.org/CodeSystem/v2-0074"
