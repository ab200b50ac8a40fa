package icustay

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/fhir"
	"github.com/galenhealth/galen/outcome"
)

// Options control FromBundle.
type Options struct {
	// Admission is the time of ICU admission, from which observation times
	// are counted. Zero means the time of the earliest usable observation.
	Admission time.Time
	// PatientID, when set, is the patient the data must be about (e.g. the
	// CDS Hooks context.patientId): a Patient or an Observation subject
	// naming another patient is an error.
	PatientID string
}

// Result is a Bundle converted to a stay.
type Result struct {
	Stay      *outcome.Stay
	Admission time.Time
	// Patient references the bundle's Patient, when it has an id.
	Patient *fhir.Reference
	// Basis references the observations that went into the stay, when they
	// have ids.
	Basis []fhir.Reference
	// Issues are the warnings about input that was not used, each with the
	// path of the element concerned.
	Issues []fhir.Issue
}

// point is one usable value before times are made relative.
type point struct {
	variable string
	at       time.Time
	value    float64
}

type converter struct {
	opt     Options
	issues  []fhir.Issue
	points  []point
	basis   []string // ids of the observations used
	patient *fhir.Patient
	patPath string
	ignored map[string]int // resource types ignored, with counts
	entries int
	patURL  string            // fullUrl of the Patient entry
	subject map[string]string // subject reference -> path of its first use
}

func (c *converter) warn(code, path, format string, args ...any) {
	c.issues = append(c.issues, fhir.Issue{Severity: fhir.SeverityWarning, Code: code, Path: path, Message: fmt.Sprintf(format, args...)})
}

func (c *converter) fail(code, path, format string, args ...any) {
	c.issues = append(c.issues, fhir.Issue{Severity: fhir.SeverityError, Code: code, Path: path, Message: fmt.Sprintf(format, args...)})
}

// FromBundle converts a Bundle of a Patient and LOINC-coded Observations
// (see Codes) to a stay for the outcome model. Values are converted to
// PhysioNet units and times to minutes since admission; descriptors come
// from the Patient (gender, age at admission from birthDate) and from
// Observations of age, height, weight and ICU type.
//
// Observations it cannot use (unknown codes, units it cannot convert, no
// time of day, before admission, not a number, cancelled) are left out and
// reported in Result.Issues as warnings. It returns a *fhir.Error listing
// every problem when the Bundle is empty, has no usable observation, or has
// more than one Patient.
func FromBundle(b *fhir.Bundle, opt Options) (*Result, error) {
	c := &converter{opt: opt, ignored: map[string]int{}, subject: map[string]string{}}
	if b != nil {
		c.entries = len(b.Entry)
	}
	if b == nil || len(b.Entry) == 0 {
		c.fail(fhir.CodeRequired, "Bundle.entry", "the Bundle is empty; it needs Observations coded in LOINC (see GET /cds-services for the codes)")
		return nil, &fhir.Error{Issues: c.issues}
	}
	c.points = make([]point, 0, len(b.Entry))
	for i, e := range b.Entry {
		switch r := e.Resource.(type) {
		case nil:
			c.warn(fhir.CodeIncomplete, "Bundle.entry["+strconv.Itoa(i)+"]", "entry without a resource ignored")
		case *fhir.Patient:
			path := loc{entry: i, component: -1}.String()
			c.addPatient(path, r)
			if c.patPath == path {
				c.patURL = e.FullURL
			}
		case *fhir.Observation:
			c.addObservation(loc{entry: i, component: -1}, r)
		default:
			c.ignored[r.ResourceType()]++
		}
	}
	for _, t := range sortedKeys(c.ignored) {
		c.warn(fhir.CodeNotSupported, "Bundle.entry", "%d %s resource(s) ignored", c.ignored[t], t)
	}
	c.checkSubjects()
	return c.finish()
}

func sortedKeys(m map[string]int) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func (c *converter) addPatient(path string, p *fhir.Patient) {
	if c.patient != nil {
		if c.patient.ID != p.ID || p.ID == "" {
			c.fail(fhir.CodeInvalid, path, "more than one Patient in the Bundle (the first is %s); send one patient's data", c.patPath)
		}
		return
	}
	c.patient, c.patPath = p, path
}

// loc is the location of an observation or of one of its components; it is
// made a string only for an issue.
type loc struct {
	entry     int // index in Bundle.entry
	component int // index in Observation.component, or -1
}

func (l loc) String() string {
	s := "Bundle.entry[" + strconv.Itoa(l.entry) + "].resource"
	if l.component >= 0 {
		s += ".component[" + strconv.Itoa(l.component) + "]"
	}
	return s
}

// at returns the location of an element below, e.g. l.at(".code").
func (l loc) at(suffix string) string { return l.String() + suffix }

func (c *converter) addObservation(path loc, o *fhir.Observation) {
	switch o.Status {
	case "final", "amended", "corrected", "preliminary":
	case "registered":
		return // no result yet
	default:
		c.warn(fhir.CodeProcessing, path.at(".status"), "status %q: observation ignored", o.Status)
		return
	}
	if o.Subject != nil && o.Subject.Reference != "" {
		if _, seen := c.subject[o.Subject.Reference]; !seen {
			c.subject[o.Subject.Reference] = path.at(".subject")
		}
	}
	at, ok := c.time(path, o)
	if len(o.Component) > 0 && o.ValueQuantity == nil && o.ValueInteger == nil && o.ValueBoolean == nil {
		// A panel such as blood pressure: the values are in the components.
		used := 0
		for j := range o.Component {
			cp := &o.Component[j]
			p := loc{entry: path.entry, component: j}
			code, known := c.code(p, &cp.Code, false)
			if !known {
				continue
			}
			used++
			if !ok {
				continue
			}
			c.value(p, code, at, cp.ValueQuantity, cp.ValueInteger, cp.ValueBoolean, cp.DataAbsentReason, cp.ValueCodeableConcept != nil || cp.ValueString != "")
		}
		if used == 0 {
			c.code(path, &o.Code, true)
		} else if ok && o.ID != "" {
			c.basis = append(c.basis, o.ID)
		}
		return
	}
	code, known := c.code(path, &o.Code, true)
	if !known || !ok {
		return
	}
	if c.value(path, code, at, o.ValueQuantity, o.ValueInteger, o.ValueBoolean, o.DataAbsentReason, o.ValueCodeableConcept != nil || o.ValueString != "") && o.ID != "" {
		c.basis = append(c.basis, o.ID)
	}
}

// patientRef reduces a reference to "Patient/<id>" when it names a
// Patient by a relative or absolute URL, and returns it unchanged otherwise.
func patientRef(ref string) string {
	if i := strings.LastIndex(ref, "Patient/"); i >= 0 && (i == 0 || ref[i-1] == '/') {
		id := ref[i+len("Patient/"):]
		if j := strings.IndexByte(id, '/'); j >= 0 { // Patient/1/_history/2
			id = id[:j]
		}
		return "Patient/" + id
	}
	return ref
}

// checkSubjects makes sure all data are about one patient: the bundle's
// Patient, the expected PatientID, and every Observation subject.
func (c *converter) checkSubjects() {
	want := map[string]bool{}
	if c.opt.PatientID != "" {
		want["Patient/"+c.opt.PatientID] = true
		if c.patient != nil && c.patient.ID != "" && c.patient.ID != c.opt.PatientID {
			c.fail(fhir.CodeInvalid, c.patPath+".id", "the Patient is not the patient of the request (context.patientId)")
			return
		}
	}
	if c.patient != nil {
		if c.patient.ID != "" {
			want["Patient/"+c.patient.ID] = true
		}
		if c.patURL != "" {
			want[c.patURL] = true
		}
	}
	seen := map[string]string{}
	for _, ref := range sortedKeysS(c.subject) {
		norm := patientRef(ref)
		if len(want) > 0 && !want[norm] && !want[ref] {
			c.fail(fhir.CodeInvalid, c.subject[ref], "the Observation is about another patient than the Patient of the request; send one patient's data")
			return
		}
		seen[norm] = c.subject[ref]
	}
	if len(seen) > 1 && len(want) == 0 {
		c.fail(fhir.CodeInvalid, "Bundle.entry", "Observations about %d different subjects; send one patient's data", len(seen))
	}
}

func sortedKeysS(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// code finds the variable of a CodeableConcept. Unknown codes are reported
// when report is set.
func (c *converter) code(path loc, cc *fhir.CodeableConcept, report bool) (Code, bool) {
	var loinc []string
	for _, x := range cc.Coding {
		switch x.System {
		case fhir.SystemLOINC:
			if k, ok := byLOINC[x.Code]; ok {
				return *k, true
			}
			loinc = append(loinc, x.Code)
		case PhysioNetSystem:
			if k, ok := byVariable[x.Code]; ok {
				return *k, true
			}
			if report {
				c.warn(fhir.CodeCodeInvalid, path.at(".code"), "unknown PhysioNet 2012 variable %q: observation ignored", galen.Truncate(x.Code, 40))
			}
			return Code{}, false
		}
	}
	if !report {
		return Code{}, false
	}
	switch {
	case len(loinc) == 0:
		c.warn(fhir.CodeCodeInvalid, path.at(".code"), "no LOINC coding (system %s): observation ignored", fhir.SystemLOINC)
	case hints[loinc[0]] != "":
		c.warn(fhir.CodeCodeInvalid, path.at(".code"), "LOINC %s: %s; observation ignored", galen.Truncate(loinc[0], 20), hints[loinc[0]])
	default:
		c.warn(fhir.CodeCodeInvalid, path.at(".code"), "LOINC %s is not used by the ICU mortality model: observation ignored", galen.Truncate(strings.Join(loinc, ", "), 60))
	}
	return Code{}, false
}

// time parses the observation's effective time; it needs a time of day.
func (c *converter) time(path loc, o *fhir.Observation) (time.Time, bool) {
	p := ".effectiveDateTime"
	switch {
	case o.EffectiveInstant != "":
		p = ".effectiveInstant"
	case o.EffectiveDateTime == "" && o.EffectivePeriod != nil && o.EffectivePeriod.Start == "":
		p = ".effectivePeriod.end"
	case o.EffectiveDateTime == "" && o.EffectivePeriod != nil:
		p = ".effectivePeriod.start"
	}
	s := o.Effective()
	if s == "" {
		c.warn(fhir.CodeRequired, path.at(p), "no effective time: observation ignored")
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		c.warn(fhir.CodeValue, path.at(p), "the effective time has no time of day: observation ignored")
		return time.Time{}, false
	}
	return t, true
}

// value converts one value and keeps it; it reports whether it did.
func (c *converter) value(path loc, code Code, at time.Time, q *fhir.Quantity, i *int64, b *bool, absent *fhir.CodeableConcept, text bool) bool {
	var v float64
	switch {
	case q != nil && q.Value != nil:
		conv, ok := code.Convert(*q.Value, q)
		if !ok {
			unit := q.Code
			if unit == "" {
				unit = q.Unit
			}
			if unit == "" {
				c.warn(fhir.CodeValue, path.at(".valueQuantity"), "%s value has no unit (want %s): observation ignored", code.Variable, strings.Join(code.Units(), ", "))
			} else {
				c.warn(fhir.CodeValue, path.at(".valueQuantity.code"), "%s unit %q cannot be converted to %s (accepted: %s): observation ignored",
					code.Variable, galen.Truncate(unit, 20), code.Unit, strings.Join(code.Units(), ", "))
			}
			return false
		}
		if q.Comparator != "" {
			c.warn(fhir.CodeValue, path.at(".valueQuantity.comparator"), "%s value with comparator %q used as the number given", code.Variable, galen.Truncate(q.Comparator, 2))
		}
		v = conv
	case q != nil:
		c.warn(fhir.CodeRequired, path.at(".valueQuantity.value"), "%s quantity without a value: observation ignored", code.Variable)
		return false
	case i != nil:
		conv, ok := code.Convert(float64(*i), nil)
		if !ok {
			c.warn(fhir.CodeValue, path.at(".valueInteger"), "%s needs a valueQuantity with a unit (%s): observation ignored", code.Variable, strings.Join(code.Units(), ", "))
			return false
		}
		v = conv
	case b != nil && code.Variable == "MechVent":
		if !*b {
			return false // PhysioNet records ventilation only when it is on
		}
		v = 1
	case absent != nil:
		return false // the source says why there is no value; nothing to use
	case text:
		c.warn(fhir.CodeValue, path.String(), "%s value is not a number: observation ignored", code.Variable)
		return false
	default:
		c.warn(fhir.CodeRequired, path.String(), "%s observation has no value: ignored", code.Variable)
		return false
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		c.warn(fhir.CodeValue, path.String(), "%s value is not finite: observation ignored", code.Variable)
		return false
	}
	c.points = append(c.points, point{variable: code.Variable, at: at, value: v})
	return true
}

// finish makes times relative, fills the descriptors and builds the result.
func (c *converter) finish() (*Result, error) {
	slices.SortStableFunc(c.points, func(a, b point) int { return a.at.Compare(b.at) })
	adm := c.opt.Admission
	if adm.IsZero() && len(c.points) > 0 {
		adm = c.points[0].at
	}
	stay := &outcome.Stay{Descriptors: map[string]float64{}, Observations: make([]outcome.Observation, 0, len(c.points))}
	before := 0
	for _, p := range c.points {
		d := p.at.Sub(adm)
		if d < 0 {
			before++
			continue
		}
		m := int(d / time.Minute)
		switch p.variable {
		case "Age", "Height", "ICUType":
			if _, ok := stay.Descriptors[p.variable]; !ok {
				stay.Descriptors[p.variable] = p.value
			}
			continue
		case "Weight":
			// As in the PhysioNet files, a weight at admission (minute 0)
			// is the descriptor and later ones are observations. Without
			// one, the first weight is also the descriptor.
			if _, ok := stay.Descriptors["Weight"]; !ok && m == 0 {
				stay.Descriptors["Weight"] = p.value
				continue
			}
			if _, ok := stay.Descriptors["Weight"]; !ok {
				stay.Descriptors["Weight"] = p.value
			}
		}
		stay.Observations = append(stay.Observations, outcome.Observation{Minutes: m, Parameter: p.variable, Value: p.value})
	}
	if before > 0 {
		c.warn(fhir.CodeValue, "Bundle.entry", "%d observation(s) before the admission time ignored", before)
	}
	res := &Result{Stay: stay, Admission: adm, Basis: references("Observation/", c.basis)}
	if p := c.patient; p != nil {
		if p.ID != "" {
			res.Patient = &fhir.Reference{Reference: "Patient/" + p.ID}
		}
		switch p.Gender {
		case "female":
			stay.Descriptors["Gender"] = 0
		case "male":
			stay.Descriptors["Gender"] = 1
		case "":
		default:
			c.warn(fhir.CodeValue, c.patPath+".gender", "the gender has no PhysioNet 2012 value; treated as missing")
		}
		if _, ok := stay.Descriptors["Age"]; !ok && p.BirthDate != "" && !adm.IsZero() {
			if age, ok := ageAt(p.BirthDate, adm); ok {
				stay.Descriptors["Age"] = age
			} else {
				c.warn(fhir.CodeValue, c.patPath+".birthDate", "birthDate is after the admission time; age treated as missing")
			}
		}
	}
	var missing []string
	for _, k := range outcome.DescriptorNames() {
		if _, ok := stay.Descriptors[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		c.warn(fhir.CodeIncomplete, "Bundle", "descriptor(s) %s missing; the model treats them as unknown", strings.Join(missing, ", "))
	}
	if len(stay.Observations) == 0 {
		c.fail(fhir.CodeIncomplete, "Bundle.entry", "no usable time-series Observation (%d Bundle entries); see the warnings for why each was left out", c.entries)
	}
	for _, i := range c.issues {
		if i.Severity == fhir.SeverityError {
			return nil, &fhir.Error{Issues: c.issues}
		}
	}
	res.Issues = c.issues
	return res, nil
}

// references returns a reference of prefix+id for each id, or nil. The
// references share one string, allocated once.
func references(prefix string, ids []string) []fhir.Reference {
	if len(ids) == 0 {
		return nil
	}
	n := 0
	for _, id := range ids {
		n += len(prefix) + len(id)
	}
	var b strings.Builder
	b.Grow(n)
	for _, id := range ids {
		b.WriteString(prefix)
		b.WriteString(id)
	}
	all := b.String()
	refs := make([]fhir.Reference, len(ids))
	for i, id := range ids {
		refs[i].Reference, all = all[:len(prefix)+len(id)], all[len(prefix)+len(id):]
	}
	return refs
}

// ageAt returns the age in whole years at t of someone born on a FHIR date
// (YYYY, YYYY-MM or YYYY-MM-DD; a partial date counts from its middle).
func ageAt(birth string, t time.Time) (float64, bool) {
	var b time.Time
	var err error
	switch len(birth) {
	case 4:
		b, err = time.Parse("2006", birth)
		b = b.AddDate(0, 6, 0)
	case 7:
		b, err = time.Parse("2006-01", birth)
		b = b.AddDate(0, 0, 14)
	default:
		b, err = time.Parse("2006-01-02", birth)
	}
	if err != nil {
		return 0, false
	}
	t = t.UTC()
	age := t.Year() - b.Year()
	if t.Month() < b.Month() || (t.Month() == b.Month() && t.Day() < b.Day()) {
		age--
	}
	if age < 0 {
		return 0, false
	}
	return float64(age), true
}
