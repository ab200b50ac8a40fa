package icustay

import (
	"strconv"
	"time"

	"github.com/galenhealth/galen/fhir"
	"github.com/galenhealth/galen/outcome"
)

// BundleFromStay writes a stay as a FHIR collection Bundle: a Patient with
// the gender, and one Observation per value, coded in LOINC (PhysioNetSystem
// for MechVent and ICUType) in PhysioNet units, at admission plus the
// observation's minutes. Descriptors are observations at admission. Values
// of parameters this package does not map are left out.
func BundleFromStay(s *outcome.Stay, admission time.Time) *fhir.Bundle {
	b := &fhir.Bundle{Type: "collection"}
	p := &fhir.Patient{ID: "p1"}
	switch g, ok := s.Descriptors["Gender"]; {
	case ok && g == 0:
		p.Gender = "female"
	case ok && g == 1:
		p.Gender = "male"
	}
	b.Entry = append(b.Entry, fhir.BundleEntry{FullURL: "urn:uuid:patient-p1", Resource: p})
	add := func(name string, minutes int, v float64) {
		c, ok := byVariable[name]
		if !ok {
			return
		}
		o := &fhir.Observation{
			ID:                "o" + strconv.Itoa(len(b.Entry)),
			Status:            "final",
			Subject:           &fhir.Reference{Reference: "Patient/p1"},
			EffectiveDateTime: admission.Add(time.Duration(minutes) * time.Minute).UTC().Format(time.RFC3339),
		}
		if c.LOINC != "" {
			o.Code = fhir.CodeableConcept{Coding: []fhir.Coding{{System: fhir.SystemLOINC, Code: c.LOINC, Display: c.Display}}}
		} else {
			o.Code = fhir.CodeableConcept{Coding: []fhir.Coding{{System: PhysioNetSystem, Code: c.Variable}}}
		}
		switch c.Variable {
		case "MechVent":
			t := v != 0
			o.ValueBoolean = &t
		case "ICUType":
			i := int64(v)
			o.ValueInteger = &i
		default:
			v := v
			o.ValueQuantity = &fhir.Quantity{Value: &v, System: fhir.SystemUCUM, Code: c.Unit, Unit: c.Unit}
		}
		b.Entry = append(b.Entry, fhir.BundleEntry{Resource: o})
	}
	for _, k := range []string{"Age", "Height", "ICUType", "Weight"} {
		if v, ok := s.Descriptors[k]; ok {
			add(k, 0, v)
		}
	}
	for _, o := range s.Observations {
		add(o.Parameter, o.Minutes, o.Value)
	}
	return b
}
