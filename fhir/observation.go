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

func decodeObservation(d *decoder, obj int) Resource {
	d.check(obj, observationFields)
	o := d.observations.new()
	*o = Observation{
		ID:                d.str(obj, "id", false),
		Status:            d.code(obj, "status", true, ObservationStatuses...),
		Category:          d.codeableConcepts(obj, "category"),
		Subject:           d.referenceAt(obj, "subject", false),
		Encounter:         d.referenceAt(obj, "encounter", false),
		Issued:            d.instant(obj, "issued"),
		DataAbsentReason:  d.codeableConceptAt(obj, "dataAbsentReason", false),
		Interpretation:    d.codeableConcepts(obj, "interpretation"),
		Note:              d.annotations(obj, "note"),
		EffectiveDateTime: d.dateTime(obj, "effectiveDateTime"),
		EffectivePeriod:   d.periodAt(obj, "effectivePeriod"),
		EffectiveInstant:  d.instant(obj, "effectiveInstant"),
	}
	if m, ok := d.object(obj, "code", true); ok {
		mark := d.push("code")
		d.codeableConceptInto(m, &o.Code)
		d.pop(mark)
	}
	d.oneOf(obj, "effective", "DateTime", "Period", "Timing", "Instant")
	d.oneOf(obj, "value", observationValues...)
	o.ValueQuantity = d.quantityAt(obj, "valueQuantity")
	o.ValueCodeableConcept = d.codeableConceptAt(obj, "valueCodeableConcept", false)
	o.ValueString = d.str(obj, "valueString", false)
	o.ValueBoolean = d.boolean(obj, "valueBoolean")
	o.ValueInteger = d.integer(obj, "valueInteger")
	d.array(obj, "component", false, func(m int) {
		d.check(m, componentFields)
		c := ObservationComponent{
			ValueQuantity:        d.quantityAt(m, "valueQuantity"),
			ValueCodeableConcept: d.codeableConceptAt(m, "valueCodeableConcept", false),
			ValueString:          d.str(m, "valueString", false),
			ValueBoolean:         d.boolean(m, "valueBoolean"),
			ValueInteger:         d.integer(m, "valueInteger"),
			DataAbsentReason:     d.codeableConceptAt(m, "dataAbsentReason", false),
			Interpretation:       d.codeableConcepts(m, "interpretation"),
		}
		if cc, ok := d.object(m, "code", true); ok {
			mark := d.push("code")
			d.codeableConceptInto(cc, &c.Code)
			d.pop(mark)
		}
		d.oneOf(m, "value", observationValues...)
		o.Component = append(o.Component, c)
	})
	return o
}
