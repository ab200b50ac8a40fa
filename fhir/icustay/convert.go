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
	// Window is how long after admission values are read, the model's
	// time window; zero means DefaultWindow. Values outside it (before
	// admission or later) are left out, descriptors included, and reported.
	Window time.Duration
}

// DefaultWindow is the outcome model's time window: the first 48 hours.
const DefaultWindow = 48 * time.Hour

// Result is a Bundle converted to a stay.
type Result struct {
	Stay      *outcome.Stay
	Admission time.Time
	// Patient references the bundle's Patient, when it has an id.
	Patient *fhir.Reference
	// Basis references the observations whose values went into the stay,
	// when they have ids: exactly those the model reads (inside the window,
	// physiologically possible, the descriptor value chosen), in Bundle order.
	Basis []fhir.Reference
	// Issues are the warnings about input that was not used, each with the
	// path of the element concerned.
	Issues []fhir.Issue
	// Uncertain, when not "", says why a risk from this stay should be
	// marked uncertain whatever the model says: no value the model reads
	// has a time of day, so all of them sit at admission (on set A that
	// takes the test AUROC from 0.86 to 0.66-0.76; docs/outcome.md).
	Uncertain string
}

// point is one usable value before times are made relative.
type point struct {
	variable string
	at       time.Time // for a date-only value, that date at 00:00 in UTC
	value    float64
	entry    int    // index in Bundle.entry of its Observation
	id       string // the Observation's id, for the basis
	path     loc
	timePath string // the element the time came from, e.g. ".effectiveDateTime"
	dateOnly bool   // effective[x] is a date without a time of day
}

// timing is how an observation's time was found.
type timing int

const (
	timed    timing = iota // effective[x] with a time of day
	dateOnly               // effective[x] is a full date without a time of day
	issued                 // no effective[x]; Observation.issued is used
)

type converter struct {
	opt     Options
	issues  []fhir.Issue
	points  []point
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
	at, how, tp, ok := c.time(path, o)
	keep := func(p loc, code Code, q *fhir.Quantity, i *int64, b *bool, absent *fhir.CodeableConcept, text bool) {
		v, ok := c.value(p, code, q, i, b, absent, text)
		if ok {
			c.points = append(c.points, point{variable: code.Variable, at: at, value: v, entry: path.entry, id: o.ID, path: p, timePath: tp, dateOnly: how == dateOnly})
		}
	}
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
			keep(p, code, cp.ValueQuantity, cp.ValueInteger, cp.ValueBoolean, cp.DataAbsentReason, cp.ValueCodeableConcept != nil || cp.ValueString != "")
		}
		if used == 0 {
			c.code(path, &o.Code, true)
		}
		return
	}
	code, known := c.code(path, &o.Code, true)
	if !known || !ok {
		return
	}
	keep(path, code, o.ValueQuantity, o.ValueInteger, o.ValueBoolean, o.DataAbsentReason, o.ValueCodeableConcept != nil || o.ValueString != "")
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
	// A more specific code that is deliberately not read wins over a
	// general one that is: US Core codes pulse oximetry as 2708-6 (SaO2)
	// and 59408-5 (SpO2) together, and SpO2 is not arterial SaO2.
	for _, x := range cc.Coding {
		if x.System == fhir.SystemLOINC && hints[x.Code] != "" {
			if report {
				c.warn(fhir.CodeCodeInvalid, path.at(".code"), "LOINC %s: %s; observation ignored", galen.Truncate(x.Code, 20), hints[x.Code])
			}
			return Code{}, false
		}
	}
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

// time finds the observation's time: effective[x] with a time of day; a
// full date without one (placed later by the date-only rule in finish); or,
// without effective[x], Observation.issued, with a warning.
func (c *converter) time(path loc, o *fhir.Observation) (time.Time, timing, string, bool) {
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
		if o.Issued != "" {
			if t, err := time.Parse(time.RFC3339Nano, o.Issued); err == nil {
				c.warn(fhir.CodeIncomplete, path.at(".issued"), "no effective time: the issued time is used (when the result was released, often after it was measured)")
				return t, issued, ".issued", true
			}
		}
		c.warn(fhir.CodeRequired, path.at(p), "no effective time: observation ignored")
		return time.Time{}, timed, p, false
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, timed, p, true
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, dateOnly, p, true
	}
	c.warn(fhir.CodeValue, path.at(p), "the effective time has no day (only a year or a month): observation ignored")
	return time.Time{}, timed, p, false
}

// value converts one value to the PhysioNet unit; it reports whether the
// value is usable.
func (c *converter) value(path loc, code Code, q *fhir.Quantity, i *int64, b *bool, absent *fhir.CodeableConcept, text bool) (float64, bool) {
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
			return 0, false
		}
		if q.Comparator != "" {
			c.warn(fhir.CodeValue, path.at(".valueQuantity.comparator"), "%s value with comparator %q used as the number given", code.Variable, galen.Truncate(q.Comparator, 2))
		}
		v = conv
	case q != nil:
		c.warn(fhir.CodeRequired, path.at(".valueQuantity.value"), "%s quantity without a value: observation ignored", code.Variable)
		return 0, false
	case i != nil:
		conv, ok := code.Convert(float64(*i), nil)
		if !ok {
			c.warn(fhir.CodeValue, path.at(".valueInteger"), "%s needs a valueQuantity with a unit (%s): observation ignored", code.Variable, strings.Join(code.Units(), ", "))
			return 0, false
		}
		v = conv
	case b != nil && code.Variable == "MechVent":
		if !*b {
			return 0, false // PhysioNet records ventilation only when it is on
		}
		v = 1
	case absent != nil:
		return 0, false // the source says why there is no value; nothing to use
	case text:
		c.warn(fhir.CodeValue, path.String(), "%s value is not a number: observation ignored", code.Variable)
		return 0, false
	default:
		c.warn(fhir.CodeRequired, path.String(), "%s observation has no value: ignored", code.Variable)
		return 0, false
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		c.warn(fhir.CodeValue, path.String(), "%s value is not finite: observation ignored", code.Variable)
		return 0, false
	}
	// The model drops impossible values; leaving them out here keeps them
	// out of the basis too.
	if !outcome.Plausible(code.Variable, v) || (code.Variable == "ICUType" && v != math.Trunc(v)) {
		c.warn(fhir.CodeValue, path.String(), "%s value is physiologically impossible (after conversion to %s): observation ignored", code.Variable, code.Unit)
		return 0, false
	}
	return v, true
}

// finish places date-only values, applies the window, makes times
// relative, fills the descriptors and builds the result.
//
// The window is [admission, admission + Window], for descriptors as for the
// series. Admission is Options.Admission, else the earliest value with a
// time of day, else (only date-only values) the earliest date at 00:00 UTC.
// A date-only value is placed at admission when its date is the admission's
// calendar day (in the admission's own UTC offset), and left out otherwise:
// a later day could be anywhere in the 48 hours, an earlier one is before
// admission.
func (c *converter) finish() (*Result, error) {
	slices.SortStableFunc(c.points, func(a, b point) int { return a.at.Compare(b.at) })
	window := c.opt.Window
	if window <= 0 {
		window = DefaultWindow
	}
	adm := c.opt.Admission
	if adm.IsZero() {
		for _, p := range c.points {
			if !p.dateOnly {
				adm = p.at
				break
			}
		}
	}
	if adm.IsZero() && len(c.points) > 0 {
		adm = c.points[0].at
		c.warn(fhir.CodeIncomplete, "Bundle.entry", "no observation has a time of day and no admission time was given: the earliest date is taken as the admission day")
	}
	admDay := adm.Format("2006-01-02")
	stay := &outcome.Stay{Descriptors: map[string]float64{}, Observations: make([]outcome.Observation, 0, len(c.points))}
	used := make([]bool, c.entries)
	before, after, timedUsed := 0, 0, 0
	var outside []string // descriptors left out by the window
	for _, p := range c.points {
		if p.dateOnly {
			if d := p.at.Format("2006-01-02"); d != admDay {
				c.warn(fhir.CodeValue, p.path.at(p.timePath), "%s has a date without a time of day, not the admission day: its place in the %s window is unknown; observation ignored",
					p.variable, hours(window))
				continue
			}
			c.warn(fhir.CodeValue, p.path.at(p.timePath), "%s has a date without a time of day, the admission day: placed at admission", p.variable)
			p.at = adm
		}
		d := p.at.Sub(adm)
		if d < 0 || d/time.Minute > window/time.Minute {
			if d < 0 {
				before++
			} else {
				after++
			}
			if slices.Contains(outcome.DescriptorNames(), p.variable) && !slices.Contains(outside, p.variable) {
				outside = append(outside, p.variable)
			}
			continue
		}
		m := int(d / time.Minute)
		if !p.dateOnly {
			timedUsed++
		}
		switch p.variable {
		case "Age", "Height", "ICUType":
			if _, ok := stay.Descriptors[p.variable]; !ok {
				stay.Descriptors[p.variable] = p.value
				used[p.entry] = true
			}
			continue
		case "Weight":
			// As in the PhysioNet files, a weight at admission (minute 0)
			// is the descriptor and later ones are observations. Without
			// one, the first weight is also the descriptor.
			if _, ok := stay.Descriptors["Weight"]; !ok && m == 0 {
				stay.Descriptors["Weight"] = p.value
				used[p.entry] = true
				continue
			}
			if _, ok := stay.Descriptors["Weight"]; !ok {
				stay.Descriptors["Weight"] = p.value
			}
		}
		used[p.entry] = true
		stay.Observations = append(stay.Observations, outcome.Observation{Minutes: m, Parameter: p.variable, Value: p.value})
	}
	if before+after > 0 {
		msg := fmt.Sprintf("%d value(s) outside the model's window (admission to %s after it) ignored: %d before admission, %d after",
			before+after, hours(window), before, after)
		if len(outside) > 0 {
			slices.Sort(outside)
			msg += "; among them " + strings.Join(outside, ", ") + ", which count only inside the window too"
		}
		c.warn(fhir.CodeValue, "Bundle.entry", "%s", msg)
	}
	ids := make([]string, c.entries)
	for _, p := range c.points {
		ids[p.entry] = p.id
	}
	var basis []string // in Bundle order, once per observation
	for e, u := range used {
		if u && ids[e] != "" {
			basis = append(basis, ids[e])
		}
	}
	res := &Result{Stay: stay, Admission: adm, Basis: references("Observation/", basis)}
	if timedUsed == 0 && len(stay.Observations) > 0 {
		res.Uncertain = "no value has a time of day, so the model sees them all at admission: the risk is uncertain"
	}
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
	switch {
	case len(stay.Observations) == 0 && before+after > 0:
		first, last := c.points[0].at.Sub(adm), c.points[len(c.points)-1].at.Sub(adm)
		c.fail(fhir.CodeIncomplete, "Bundle.entry", "no value falls in the model's window, admission to %s after it: %d usable value(s) before admission and %d after the window "+
			"(from %s to %s after admission); send the first %s of the ICU stay with its admission time", hours(window), before, after, span(first), span(last), hours(window))
	case len(stay.Observations) == 0:
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

func hours(d time.Duration) string { return strconv.Itoa(int(d/time.Hour)) + " h" }

// span writes a time relative to admission in whole hours, or days beyond
// four days, with a minus sign before admission.
func span(d time.Duration) string {
	h := int(d / time.Hour)
	if h > 96 || h < -96 {
		return strconv.Itoa(h/24) + " days"
	}
	return strconv.Itoa(h) + " h"
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
