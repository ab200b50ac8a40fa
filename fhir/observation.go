package fhir

import "encoding/json"

// Observation is a measurement or assertion about a patient: a vital sign,
// a laboratory result, a score.
type Observation struct {
	ID                   string                 `json:"id,omitempty"`
	Status               string                 `json:"status"`
	Category             []CodeableConcept      `json:"category,omitempty"`
	Code                 CodeableConcept        `json:"code"`
	Subject              *Reference             `json:"subject,omitempty"`
	Encounter            *Reference             `json:"encounter,omitempty"`
	EffectiveDateTime    string                 `json:"effectiveDateTime,omitempty"`
	EffectivePeriod      *Period                `json:"effectivePeriod,omitempty"`
	EffectiveInstant     string                 `json:"effectiveInstant,omitempty"`
	Issued               string                 `json:"issued,omitempty"`
	ValueQuantity        *Quantity              `json:"valueQuantity,omitempty"`
	ValueCodeableConcept *CodeableConcept       `json:"valueCodeableConcept,omitempty"`
	ValueString          string                 `json:"valueString,omitempty"`
	ValueBoolean         *bool                  `json:"valueBoolean,omitempty"`
	ValueInteger         *int64                 `json:"valueInteger,omitempty"`
	DataAbsentReason     *CodeableConcept       `json:"dataAbsentReason,omitempty"`
	Interpretation       []CodeableConcept      `json:"interpretation,omitempty"`
	Note                 []Annotation           `json:"note,omitempty"`
	Component            []ObservationComponent `json:"component,omitempty"`
}

// ObservationComponent is one part of a panel observation, e.g. the
// systolic value of a blood pressure.
type ObservationComponent struct {
	Code                 CodeableConcept   `json:"code"`
	ValueQuantity        *Quantity         `json:"valueQuantity,omitempty"`
	ValueCodeableConcept *CodeableConcept  `json:"valueCodeableConcept,omitempty"`
	ValueString          string            `json:"valueString,omitempty"`
	ValueBoolean         *bool             `json:"valueBoolean,omitempty"`
	ValueInteger         *int64            `json:"valueInteger,omitempty"`
	DataAbsentReason     *CodeableConcept  `json:"dataAbsentReason,omitempty"`
	Interpretation       []CodeableConcept `json:"interpretation,omitempty"`
}

// ResourceType implements Resource.
func (*Observation) ResourceType() string { return "Observation" }

// MarshalJSON writes the observation with its resourceType.
func (o *Observation) MarshalJSON() ([]byte, error) {
	type plain Observation
	return json.Marshal(struct {
		ResourceType string `json:"resourceType"`
		*plain
	}{"Observation", (*plain)(o)})
}

// Effective returns the time the observation applies to: effectiveDateTime,
// effectiveInstant, or the start (else the end) of effectivePeriod.
func (o *Observation) Effective() string {
	switch {
	case o.EffectiveDateTime != "":
		return o.EffectiveDateTime
	case o.EffectiveInstant != "":
		return o.EffectiveInstant
	case o.EffectivePeriod != nil && o.EffectivePeriod.Start != "":
		return o.EffectivePeriod.Start
	case o.EffectivePeriod != nil:
		return o.EffectivePeriod.End
	}
	return ""
}

// ObservationStatuses are the values of Observation.status.
var ObservationStatuses = []string{"registered", "preliminary", "final", "amended",
	"corrected", "cancelled", "entered-in-error", "unknown"}

var (
	observationValues = []string{"Quantity", "CodeableConcept", "String", "Boolean", "Integer",
		"Range", "Ratio", "SampledData", "Time", "DateTime", "Period"}
	observationFields = fields(domainFields, "identifier basedOn partOf status category code subject focus "+
		"encounter effectiveDateTime effectivePeriod effectiveTiming effectiveInstant issued performer "+
		"valueQuantity valueCodeableConcept valueString valueBoolean valueInteger valueRange valueRatio "+
		"valueSampledData valueTime valueDateTime valuePeriod dataAbsentReason interpretation note "+
		"bodySite method specimen device referenceRange hasMember derivedFrom component")
	componentFields = fields(backboneFields, "code valueQuantity valueCodeableConcept valueString "+
		"valueBoolean valueInteger valueRange valueRatio valueSampledData valueTime valueDateTime "+
		"valuePeriod dataAbsentReason interpretation referenceRange")
)

func decodeObservation(d *decoder, path string, obj map[string]any) Resource {
	d.check(path, obj, observationFields)
	o := &Observation{
		ID:                d.str(path, obj, "id", false),
		Status:            d.code(path, obj, "status", true, ObservationStatuses...),
		Category:          d.codeableConcepts(path, obj, "category"),
		Subject:           d.referenceAt(path, obj, "subject", false),
		Encounter:         d.referenceAt(path, obj, "encounter", false),
		Issued:            d.instant(path, obj, "issued"),
		DataAbsentReason:  d.codeableConceptAt(path, obj, "dataAbsentReason", false),
		Interpretation:    d.codeableConcepts(path, obj, "interpretation"),
		Note:              d.annotations(path, obj, "note"),
		EffectiveDateTime: d.dateTime(path, obj, "effectiveDateTime"),
		EffectivePeriod:   d.periodAt(path, obj, "effectivePeriod"),
		EffectiveInstant:  d.instant(path, obj, "effectiveInstant"),
	}
	if c := d.codeableConceptAt(path, obj, "code", true); c != nil {
		o.Code = *c
	}
	d.oneOf(path, obj, "effective", "DateTime", "Period", "Timing", "Instant")
	d.oneOf(path, obj, "value", observationValues...)
	o.ValueQuantity = d.quantityAt(path, obj, "valueQuantity")
	o.ValueCodeableConcept = d.codeableConceptAt(path, obj, "valueCodeableConcept", false)
	o.ValueString = d.str(path, obj, "valueString", false)
	o.ValueBoolean = d.boolean(path, obj, "valueBoolean")
	o.ValueInteger = d.integer(path, obj, "valueInteger")
	d.array(path, obj, "component", false, func(p string, m map[string]any) {
		d.check(p, m, componentFields)
		c := ObservationComponent{
			ValueQuantity:        d.quantityAt(p, m, "valueQuantity"),
			ValueCodeableConcept: d.codeableConceptAt(p, m, "valueCodeableConcept", false),
			ValueString:          d.str(p, m, "valueString", false),
			ValueBoolean:         d.boolean(p, m, "valueBoolean"),
			ValueInteger:         d.integer(p, m, "valueInteger"),
			DataAbsentReason:     d.codeableConceptAt(p, m, "dataAbsentReason", false),
			Interpretation:       d.codeableConcepts(p, m, "interpretation"),
		}
		if cc := d.codeableConceptAt(p, m, "code", true); cc != nil {
			c.Code = *cc
		}
		d.oneOf(p, m, "value", observationValues...)
		o.Component = append(o.Component, c)
	})
	return o
}
