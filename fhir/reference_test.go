package fhir

// This file keeps the decoder as it was before the tree-free one in
// decode.go: it decodes through the map[string]any tree of parseTree. The
// differential tests in decode_diff_test.go check the two agree on values
// and issues.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Decode strictly decodes one resource of any type modelled here (or
// *Unsupported for other R4 types). Every problem is reported in an *Error.
func refDecodeDoc(data []byte) (Resource, error) {
	root, err := refParseJSON(data)
	if err != nil {
		return nil, err
	}
	d := &refDecoder{}
	obj, ok := root.(map[string]any)
	if !ok {
		return nil, &Error{Issues: []Issue{{Severity: SeverityError, Code: CodeStructure, Path: "", Message: "the document must be a JSON object, got " + refJSONType(root)}}}
	}
	r := d.resource("", obj)
	if err := d.err(); err != nil {
		return nil, err
	}
	return r, nil
}

// DecodeBundle strictly decodes a document that must be a Bundle.
func refDecodeBundleDoc(data []byte) (*Bundle, error) {
	root, err := refParseJSON(data)
	if err != nil {
		return nil, err
	}
	d := &refDecoder{}
	obj, ok := root.(map[string]any)
	if !ok {
		return nil, &Error{Issues: []Issue{{Severity: SeverityError, Code: CodeStructure, Path: "", Message: "the document must be a JSON object (a Bundle), got " + refJSONType(root)}}}
	}
	if rt, _ := obj["resourceType"].(string); rt != "Bundle" {
		msg := "resourceType must be \"Bundle\""
		if rt != "" {
			msg += fmt.Sprintf(", got %q", rt)
		}
		return nil, &Error{Issues: []Issue{{Severity: SeverityError, Code: CodeInvalid, Path: "resourceType", Message: msg}}}
	}
	r := d.resource("", obj)
	if err := d.err(); err != nil {
		return nil, err
	}
	return r.(*Bundle), nil
}

// refParseJSON decodes one JSON value, keeping numbers exact, and rejects
// trailing data.
func refParseJSON(data []byte) (any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &Error{Issues: []Issue{{Severity: SeverityError, Code: CodeStructure, Path: "", Message: "the document is empty"}}}
	}
	v, err := parseTree(data)
	if err != nil {
		se := err.(*syntaxError)
		line, col := lineCol(data, int64(se.offset))
		return nil, &Error{Issues: []Issue{{Severity: SeverityError, Code: CodeStructure, Path: "", Message: fmt.Sprintf("malformed JSON: %s (line %d, column %d)", se.msg, line, col)}}}
	}
	return v, nil
}

func refJSONType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

// refDecoder walks a parsed JSON tree, collecting issues.
type refDecoder struct {
	issues []Issue
}

func (d *refDecoder) err() error {
	if len(d.issues) == 0 {
		return nil
	}
	return &Error{Issues: d.issues}
}

func (d *refDecoder) add(code, path, format string, args ...any) {
	d.issues = append(d.issues, Issue{Severity: SeverityError, Code: code, Path: path, Message: fmt.Sprintf(format, args...)})
}

// refDecodeFunc decodes the body of one resource type at path.
type refDecodeFunc func(d *refDecoder, path string, obj map[string]any) Resource

// refDecoders lists the resource types modelled here. It is filled in init to
// break the cycle through Bundle, which decodes nested resources.
var refDecoders map[string]refDecodeFunc

func init() {
	refDecoders = map[string]refDecodeFunc{
		"Bundle":           refDecodeBundle,
		"Observation":      refDecodeObservation,
		"Patient":          refDecodePatient,
		"RiskAssessment":   refDecodeRiskAssessment,
		"OperationOutcome": refDecodeOperationOutcome,
	}
}

// resource decodes any resource; path is where it sits ("" at the root).
func (d *refDecoder) resource(path string, obj map[string]any) Resource {
	rtPath := join(path, "resourceType")
	raw, present := obj["resourceType"]
	rt, isString := raw.(string)
	switch {
	case !present:
		d.add(CodeRequired, rtPath, "missing required element resourceType")
		return nil
	case !isString:
		d.add(CodeStructure, rtPath, "must be a string, got %s", refJSONType(raw))
		return nil
	}
	fn, ok := refDecoders[rt]
	if !ok {
		if !r4Types[rt] {
			d.add(CodeNotSupported, rtPath, "unknown resourceType %q (not an R4 resource)", rt)
			return nil
		}
		b, _ := json.Marshal(obj)
		return &Unsupported{Type: rt, JSON: b}
	}
	if path == "" {
		path = rt
	}
	return fn(d, path, obj)
}

// check reports members of obj that R4 does not define for it, and
// modifier extensions, which a receiver that does not understand them must
// not ignore. Primitive extensions ("_birthDate") of known elements pass.
func (d *refDecoder) check(path string, obj map[string]any, allowed fieldSet) {
	clean := true
	for k := range obj {
		if !allowed.has(k) || k == "modifierExtension" {
			clean = false
			break
		}
	}
	if clean {
		return // the common case: no sorting, no allocation
	}
	for _, k := range refSortedKeys(obj) {
		if k == "modifierExtension" {
			d.add(CodeNotSupported, join(path, k), "modifier extensions are not supported")
			continue
		}
		if allowed.has(k) || (strings.HasPrefix(k, "_") && allowed.has(k[1:])) {
			continue
		}
		d.add(CodeStructure, join(path, k), "unknown element %q", k)
	}
}

func refSortedKeys(obj map[string]any) []string {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// get returns obj[key] and whether it is present and not null. A null is
// reported: FHIR JSON does not allow it outside arrays of primitives.
func (d *refDecoder) get(path string, obj map[string]any, key string, required bool) (any, bool) {
	v, ok := obj[key]
	if !ok {
		if required {
			d.add(CodeRequired, join(path, key), "missing required element %s", key)
		}
		return nil, false
	}
	if v == nil {
		d.add(CodeStructure, join(path, key), "null is not allowed")
		return nil, false
	}
	return v, true
}

// str reads a string element; FHIR strings may not be empty or blank.
func (d *refDecoder) str(path string, obj map[string]any, key string, required bool) string {
	v, ok := d.get(path, obj, key, required)
	if !ok {
		return ""
	}
	s, isStr := v.(string)
	if !isStr {
		d.add(CodeStructure, join(path, key), "must be a string, got %s", refJSONType(v))
		return ""
	}
	if strings.TrimSpace(s) == "" {
		d.add(CodeValue, join(path, key), "must not be empty")
		return ""
	}
	return s
}

// code reads a code element and, if allowed is not empty, checks its value.
func (d *refDecoder) code(path string, obj map[string]any, key string, required bool, allowed ...string) string {
	s := d.str(path, obj, key, required)
	if s == "" || len(allowed) == 0 {
		return s
	}
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	d.add(CodeCodeInvalid, join(path, key), "%q is not one of %s", s, strings.Join(allowed, ", "))
	return ""
}

// date reads a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD).
func (d *refDecoder) date(path string, obj map[string]any, key string) string {
	return d.temporal(path, obj, key, validDate, "date (YYYY, YYYY-MM or YYYY-MM-DD)")
}

// dateTime reads a FHIR dateTime: a date, or a date and time with a zone.
func (d *refDecoder) dateTime(path string, obj map[string]any, key string) string {
	return d.temporal(path, obj, key, validDateTime, "dateTime (e.g. 2012-05-01T08:30:00Z; a time needs a zone)")
}

// instant reads a FHIR instant: a full date and time with a zone.
func (d *refDecoder) instant(path string, obj map[string]any, key string) string {
	return d.temporal(path, obj, key, validInstant, "instant (e.g. 2012-05-01T08:30:00Z)")
}

// temporal reads an optional string element and checks it with valid;
// what names the FHIR type (and an example) in the issue, which never
// repeats the value: it may be a birth date.
func (d *refDecoder) temporal(path string, obj map[string]any, key string, valid func(string) bool, what string) string {
	s := d.str(path, obj, key, false)
	if s != "" && !valid(s) {
		d.add(CodeValue, join(path, key), "not a FHIR %s", what)
		return ""
	}
	return s
}

// number reads a JSON number element as written.
func (d *refDecoder) number(path string, obj map[string]any, key string, required bool) (json.Number, bool) {
	v, ok := d.get(path, obj, key, required)
	if !ok {
		return "", false
	}
	n, isNum := v.(json.Number)
	if !isNum {
		d.add(CodeStructure, join(path, key), "must be a JSON number, got %s", refJSONType(v))
		return "", false
	}
	return n, true
}

// decimal reads a JSON number into a float64. Issues about numbers never
// repeat them: they are usually a patient's values.
func (d *refDecoder) decimal(path string, obj map[string]any, key string, required bool) *float64 {
	n, ok := d.number(path, obj, key, required)
	if !ok {
		return nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		d.add(CodeValue, join(path, key), "the number is out of range")
		return nil
	}
	return &f
}

// integer reads a JSON number that must be a whole number.
func (d *refDecoder) integer(path string, obj map[string]any, key string) *int64 {
	n, ok := d.number(path, obj, key, false)
	if !ok {
		return nil
	}
	i, err := strconv.ParseInt(string(n), 10, 32)
	if err != nil {
		d.add(CodeValue, join(path, key), "not a 32-bit integer")
		return nil
	}
	return &i
}

// boolean reads a JSON boolean.
func (d *refDecoder) boolean(path string, obj map[string]any, key string) *bool {
	v, ok := d.get(path, obj, key, false)
	if !ok {
		return nil
	}
	b, isBool := v.(bool)
	if !isBool {
		d.add(CodeStructure, join(path, key), "must be true or false, got %s", refJSONType(v))
		return nil
	}
	return &b
}

// object reads a JSON object element and returns it with its path.
func (d *refDecoder) object(path string, obj map[string]any, key string, required bool) (map[string]any, string) {
	v, ok := d.get(path, obj, key, required)
	if !ok {
		return nil, ""
	}
	m, isObj := v.(map[string]any)
	if !isObj {
		d.add(CodeStructure, join(path, key), "must be an object, got %s", refJSONType(v))
		return nil, ""
	}
	return m, join(path, key)
}

// array reads a JSON array of objects, calling fn for each with its path.
// FHIR arrays may not be empty.
func (d *refDecoder) array(path string, obj map[string]any, key string, required bool, fn func(p string, m map[string]any)) {
	v, ok := d.get(path, obj, key, required)
	if !ok {
		return
	}
	p := join(path, key)
	a, isArr := v.([]any)
	if !isArr {
		d.add(CodeStructure, p, "must be an array, got %s", refJSONType(v))
		return
	}
	if len(a) == 0 {
		d.add(CodeStructure, p, "must not be an empty array (omit it instead)")
		return
	}
	for i, e := range a {
		m, isObj := e.(map[string]any)
		if !isObj {
			d.add(CodeStructure, index(p, i), "must be an object, got %s", refJSONType(e))
			continue
		}
		fn(index(p, i), m)
	}
}

// stringList reads a JSON array of non-empty strings.
func (d *refDecoder) stringList(path string, obj map[string]any, key string) []string {
	v, ok := d.get(path, obj, key, false)
	if !ok {
		return nil
	}
	p := join(path, key)
	a, isArr := v.([]any)
	if !isArr {
		d.add(CodeStructure, p, "must be an array, got %s", refJSONType(v))
		return nil
	}
	var out []string
	for i, e := range a {
		s, isStr := e.(string)
		if !isStr || strings.TrimSpace(s) == "" {
			d.add(CodeStructure, index(p, i), "must be a non-empty string, got %s", refJSONType(e))
			continue
		}
		out = append(out, s)
	}
	return out
}

// oneOf reports when more than one choice of a [x] element is present and
// returns the key of the one present, or "".
func (d *refDecoder) oneOf(path string, obj map[string]any, prefix string, choices ...string) string {
	var found []string
	for _, c := range choices {
		if _, ok := obj[prefix+c]; ok {
			found = append(found, prefix+c)
		}
	}
	if len(found) > 1 {
		d.add(CodeInvalid, join(path, found[1]), "only one of %s[x] is allowed, found %s", prefix, strings.Join(found, " and "))
	}
	if len(found) == 0 {
		return ""
	}
	return found[0]
}

func (d *refDecoder) coding(path string, m map[string]any) Coding {
	d.check(path, m, codingFields)
	d.boolean(path, m, "userSelected")
	return Coding{
		System:  d.str(path, m, "system", false),
		Version: d.str(path, m, "version", false),
		Code:    d.str(path, m, "code", false),
		Display: d.str(path, m, "display", false),
	}
}

func (d *refDecoder) codeableConcept(path string, m map[string]any) *CodeableConcept {
	d.check(path, m, codeableConceptFields)
	c := &CodeableConcept{Text: d.str(path, m, "text", false)}
	d.array(path, m, "coding", false, func(p string, e map[string]any) {
		c.Coding = append(c.Coding, d.coding(p, e))
	})
	return c
}

// codeableConceptAt reads an optional CodeableConcept element.
func (d *refDecoder) codeableConceptAt(path string, obj map[string]any, key string, required bool) *CodeableConcept {
	m, p := d.object(path, obj, key, required)
	if m == nil {
		return nil
	}
	return d.codeableConcept(p, m)
}

func (d *refDecoder) codeableConcepts(path string, obj map[string]any, key string) []CodeableConcept {
	var out []CodeableConcept
	d.array(path, obj, key, false, func(p string, e map[string]any) {
		out = append(out, *d.codeableConcept(p, e))
	})
	return out
}

func (d *refDecoder) quantityAt(path string, obj map[string]any, key string) *Quantity {
	m, p := d.object(path, obj, key, false)
	if m == nil {
		return nil
	}
	d.check(p, m, quantityFields)
	return &Quantity{
		Value:      d.decimal(p, m, "value", false),
		Comparator: d.code(p, m, "comparator", false, "<", "<=", ">=", ">"),
		Unit:       d.str(p, m, "unit", false),
		System:     d.str(p, m, "system", false),
		Code:       d.str(p, m, "code", false),
	}
}

func (d *refDecoder) reference(path string, m map[string]any) *Reference {
	d.check(path, m, referenceFields)
	return &Reference{
		Reference: d.str(path, m, "reference", false),
		Type:      d.str(path, m, "type", false),
		Display:   d.str(path, m, "display", false),
	}
}

func (d *refDecoder) referenceAt(path string, obj map[string]any, key string, required bool) *Reference {
	m, p := d.object(path, obj, key, required)
	if m == nil {
		return nil
	}
	return d.reference(p, m)
}

func (d *refDecoder) references(path string, obj map[string]any, key string) []Reference {
	var out []Reference
	d.array(path, obj, key, false, func(p string, e map[string]any) {
		out = append(out, *d.reference(p, e))
	})
	return out
}

func (d *refDecoder) periodAt(path string, obj map[string]any, key string) *Period {
	m, p := d.object(path, obj, key, false)
	if m == nil {
		return nil
	}
	d.check(p, m, periodFields)
	return &Period{Start: d.dateTime(p, m, "start"), End: d.dateTime(p, m, "end")}
}

func (d *refDecoder) annotations(path string, obj map[string]any, key string) []Annotation {
	var out []Annotation
	d.array(path, obj, key, false, func(p string, m map[string]any) {
		d.check(p, m, annotationFields)
		out = append(out, Annotation{Text: d.str(p, m, "text", true), Time: d.dateTime(p, m, "time")})
	})
	return out
}

func refDecodeBundle(d *refDecoder, path string, obj map[string]any) Resource {
	d.check(path, obj, bundleFields)
	b := &Bundle{
		ID:        d.str(path, obj, "id", false),
		Type:      d.code(path, obj, "type", true, BundleTypes...),
		Timestamp: d.instant(path, obj, "timestamp"),
	}
	if t := d.integer(path, obj, "total"); t != nil {
		b.Total = t
	}
	d.array(path, obj, "entry", false, func(p string, m map[string]any) {
		d.check(p, m, bundleEntryFields)
		e := BundleEntry{FullURL: d.str(p, m, "fullUrl", false)}
		if r, rp := d.object(p, m, "resource", false); r != nil {
			e.Resource = d.resource(rp, r)
		}
		b.Entry = append(b.Entry, e)
	})
	return b
}

func refDecodeObservation(d *refDecoder, path string, obj map[string]any) Resource {
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

func refDecodePatient(d *refDecoder, path string, obj map[string]any) Resource {
	d.check(path, obj, patientFields)
	d.oneOf(path, obj, "deceased", "Boolean", "DateTime")
	d.oneOf(path, obj, "multipleBirth", "Boolean", "Integer")
	return &Patient{
		ID:               d.str(path, obj, "id", false),
		Active:           d.boolean(path, obj, "active"),
		Gender:           d.code(path, obj, "gender", false, Genders...),
		BirthDate:        d.date(path, obj, "birthDate"),
		DeceasedBoolean:  d.boolean(path, obj, "deceasedBoolean"),
		DeceasedDateTime: d.dateTime(path, obj, "deceasedDateTime"),
	}
}

func refDecodeRiskAssessment(d *refDecoder, path string, obj map[string]any) Resource {
	d.check(path, obj, riskAssessmentFields)
	d.oneOf(path, obj, "occurrence", "DateTime", "Period")
	r := &RiskAssessment{
		ID:                 d.str(path, obj, "id", false),
		Status:             d.code(path, obj, "status", true, RiskAssessmentStatuses...),
		Method:             d.codeableConceptAt(path, obj, "method", false),
		Code:               d.codeableConceptAt(path, obj, "code", false),
		Encounter:          d.referenceAt(path, obj, "encounter", false),
		OccurrenceDateTime: d.dateTime(path, obj, "occurrenceDateTime"),
		Performer:          d.referenceAt(path, obj, "performer", false),
		Basis:              d.references(path, obj, "basis"),
		Mitigation:         d.str(path, obj, "mitigation", false),
		Note:               d.annotations(path, obj, "note"),
	}
	if s := d.referenceAt(path, obj, "subject", true); s != nil {
		r.Subject = *s
	}
	d.array(path, obj, "prediction", false, func(p string, m map[string]any) {
		d.check(p, m, riskPredictionFields)
		d.oneOf(p, m, "probability", "Decimal", "Range")
		d.oneOf(p, m, "when", "Period", "Range")
		pr := RiskPrediction{
			Outcome:            d.codeableConceptAt(p, m, "outcome", false),
			ProbabilityDecimal: d.decimal(p, m, "probabilityDecimal", false),
			QualitativeRisk:    d.codeableConceptAt(p, m, "qualitativeRisk", false),
			RelativeRisk:       d.decimal(p, m, "relativeRisk", false),
			WhenPeriod:         d.periodAt(p, m, "whenPeriod"),
			Rationale:          d.str(p, m, "rationale", false),
		}
		if v := pr.ProbabilityDecimal; v != nil && (*v < 0 || *v > 100) {
			d.add(CodeValue, join(p, "probabilityDecimal"), "must be between 0 and 100 (ras-2)")
		}
		r.Prediction = append(r.Prediction, pr)
	})
	return r
}

func refDecodeOperationOutcome(d *refDecoder, path string, obj map[string]any) Resource {
	d.check(path, obj, operationOutcomeFields)
	o := &OperationOutcome{ID: d.str(path, obj, "id", false)}
	d.array(path, obj, "issue", true, func(p string, m map[string]any) {
		d.check(p, m, issueFields)
		d.stringList(p, m, "location")
		o.Issue = append(o.Issue, OperationOutcomeIssue{
			Severity:    d.code(p, m, "severity", true, SeverityFatal, SeverityError, SeverityWarning, SeverityInformation),
			Code:        d.code(p, m, "code", true, IssueTypes...),
			Details:     d.codeableConceptAt(p, m, "details", false),
			Diagnostics: d.str(p, m, "diagnostics", false),
			Expression:  d.stringList(p, m, "expression"),
		})
	})
	return o
}
