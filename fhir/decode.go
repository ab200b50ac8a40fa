package fhir

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Resource is any FHIR resource this package decodes or encodes.
type Resource interface {
	// ResourceType returns the FHIR resourceType, e.g. "Observation".
	ResourceType() string
}

// Unsupported is a resource of a type that R4 defines but this package does
// not model. Its JSON is kept as received.
type Unsupported struct {
	Type string
	JSON json.RawMessage
}

// ResourceType implements Resource.
func (u *Unsupported) ResourceType() string { return u.Type }

// MarshalJSON writes the resource back as received.
func (u *Unsupported) MarshalJSON() ([]byte, error) { return u.JSON, nil }

// Severities of an Issue, as in OperationOutcome.issue.severity.
const (
	SeverityFatal       = "fatal"
	SeverityError       = "error"
	SeverityWarning     = "warning"
	SeverityInformation = "information"
)

// Issue codes (OperationOutcome.issue.code) used by the decoder.
const (
	CodeStructure    = "structure"     // not valid JSON, or the wrong JSON type
	CodeRequired     = "required"      // a required element is missing
	CodeValue        = "value"         // an element has a wrong value
	CodeInvalid      = "invalid"       // anything else that is invalid
	CodeNotSupported = "not-supported" // understood but not supported
	CodeCodeInvalid  = "code-invalid"  // a code not in the required value set
	CodeProcessing   = "processing"    // the content could not be used
	CodeIncomplete   = "incomplete"    // some data is missing
)

// Issue is one problem found in input: where (a FHIRPath-like location such
// as "Bundle.entry[3].resource.valueQuantity.value") and what.
type Issue struct {
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Path     string `json:"path,omitempty"`
	Message  string `json:"message"`
}

// String returns "path: message".
func (i Issue) String() string {
	if i.Path == "" {
		return i.Message
	}
	return i.Path + ": " + i.Message
}

// Error reports every problem found while decoding a document.
type Error struct {
	Issues []Issue
}

// Error lists the issues, one per line after the first.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "fhir: %d problem", len(e.Issues))
	if len(e.Issues) != 1 {
		b.WriteString("s")
	}
	for _, i := range e.Issues {
		b.WriteString("; ")
		b.WriteString(i.String())
	}
	return b.String()
}

// OperationOutcome returns the issues as a FHIR OperationOutcome.
func (e *Error) OperationOutcome() *OperationOutcome { return NewOperationOutcome(e.Issues) }

// Decode strictly decodes one resource of any type modelled here (or
// *Unsupported for other R4 types). Every problem is reported in an *Error.
func Decode(data []byte) (Resource, error) {
	root, err := parseJSON(data)
	if err != nil {
		return nil, err
	}
	d := &decoder{}
	obj, ok := root.(map[string]any)
	if !ok {
		return nil, &Error{Issues: []Issue{{SeverityError, CodeStructure, "", "the document must be a JSON object, got " + jsonType(root)}}}
	}
	r := d.resource("", obj)
	if err := d.err(); err != nil {
		return nil, err
	}
	return r, nil
}

// DecodeBundle strictly decodes a document that must be a Bundle.
func DecodeBundle(data []byte) (*Bundle, error) {
	root, err := parseJSON(data)
	if err != nil {
		return nil, err
	}
	d := &decoder{}
	obj, ok := root.(map[string]any)
	if !ok {
		return nil, &Error{Issues: []Issue{{SeverityError, CodeStructure, "", "the document must be a JSON object (a Bundle), got " + jsonType(root)}}}
	}
	if rt, _ := obj["resourceType"].(string); rt != "Bundle" {
		msg := "resourceType must be \"Bundle\""
		if rt != "" {
			msg += fmt.Sprintf(", got %q", rt)
		}
		return nil, &Error{Issues: []Issue{{SeverityError, CodeInvalid, "resourceType", msg}}}
	}
	r := d.resource("", obj)
	if err := d.err(); err != nil {
		return nil, err
	}
	return r.(*Bundle), nil
}

// parseJSON decodes one JSON value, keeping numbers exact, and rejects
// trailing data.
func parseJSON(data []byte) (any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &Error{Issues: []Issue{{SeverityError, CodeStructure, "", "the document is empty"}}}
	}
	v, err := parseTree(data)
	if err != nil {
		se := err.(*syntaxError)
		line, col := lineCol(data, int64(se.offset))
		return nil, &Error{Issues: []Issue{{SeverityError, CodeStructure, "", fmt.Sprintf("malformed JSON: %s (line %d, column %d)", se.msg, line, col)}}}
	}
	return v, nil
}

func lineCol(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line = 1 + bytes.Count(data[:off], []byte("\n"))
	col = int(off) - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}

func jsonType(v any) string {
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

// decoder walks a parsed JSON tree, collecting issues.
type decoder struct {
	issues []Issue
}

func (d *decoder) err() error {
	if len(d.issues) == 0 {
		return nil
	}
	return &Error{Issues: d.issues}
}

func (d *decoder) add(code, path, format string, args ...any) {
	d.issues = append(d.issues, Issue{Severity: SeverityError, Code: code, Path: path, Message: fmt.Sprintf(format, args...)})
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// decodeFunc decodes the body of one resource type at path.
type decodeFunc func(d *decoder, path string, obj map[string]any) Resource

// decoders lists the resource types modelled here. It is filled in init to
// break the cycle through Bundle, which decodes nested resources.
var decoders map[string]decodeFunc

func init() {
	decoders = map[string]decodeFunc{
		"Bundle":           decodeBundle,
		"Observation":      decodeObservation,
		"Patient":          decodePatient,
		"RiskAssessment":   decodeRiskAssessment,
		"OperationOutcome": decodeOperationOutcome,
	}
}

// resource decodes any resource; path is where it sits ("" at the root).
func (d *decoder) resource(path string, obj map[string]any) Resource {
	rtPath := join(path, "resourceType")
	raw, present := obj["resourceType"]
	rt, isString := raw.(string)
	switch {
	case !present:
		d.add(CodeRequired, rtPath, "missing required element resourceType")
		return nil
	case !isString:
		d.add(CodeStructure, rtPath, "must be a string, got %s", jsonType(raw))
		return nil
	}
	fn, ok := decoders[rt]
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

// fieldSet is the set of element names a JSON object may hold.
type fieldSet map[string]bool

// fields builds a fieldSet from space-separated names, plus the base names.
func fields(base fieldSet, names string) fieldSet {
	s := fieldSet{}
	for k := range base {
		s[k] = true
	}
	for _, n := range strings.Fields(names) {
		s[n] = true
	}
	return s
}

var (
	elementFields  = fields(nil, "id extension")
	backboneFields = fields(elementFields, "modifierExtension")
	resourceFields = fields(nil, "resourceType id meta implicitRules language")
	domainFields   = fields(resourceFields, "text contained extension modifierExtension")
)

// check reports members of obj that R4 does not define for it, and
// modifier extensions, which a receiver that does not understand them must
// not ignore. Primitive extensions ("_birthDate") of known elements pass.
func (d *decoder) check(path string, obj map[string]any, allowed fieldSet) {
	clean := true
	for k := range obj {
		if !allowed[k] || k == "modifierExtension" {
			clean = false
			break
		}
	}
	if clean {
		return // the common case: no sorting, no allocation
	}
	for _, k := range sortedKeys(obj) {
		if k == "modifierExtension" {
			d.add(CodeNotSupported, join(path, k), "modifier extensions are not supported")
			continue
		}
		if allowed[k] || (strings.HasPrefix(k, "_") && allowed[k[1:]]) {
			continue
		}
		d.add(CodeStructure, join(path, k), "unknown element %q", k)
	}
}

func sortedKeys(obj map[string]any) []string {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// get returns obj[key] and whether it is present and not null. A null is
// reported: FHIR JSON does not allow it outside arrays of primitives.
func (d *decoder) get(path string, obj map[string]any, key string, required bool) (any, bool) {
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
func (d *decoder) str(path string, obj map[string]any, key string, required bool) string {
	v, ok := d.get(path, obj, key, required)
	if !ok {
		return ""
	}
	s, isStr := v.(string)
	if !isStr {
		d.add(CodeStructure, join(path, key), "must be a string, got %s", jsonType(v))
		return ""
	}
	if strings.TrimSpace(s) == "" {
		d.add(CodeValue, join(path, key), "must not be empty")
		return ""
	}
	return s
}

// code reads a code element and, if allowed is not empty, checks its value.
func (d *decoder) code(path string, obj map[string]any, key string, required bool, allowed ...string) string {
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

// digits reports whether s[i:j] are all ASCII digits.
func digits(s string, i, j int) bool {
	if j > len(s) {
		return false
	}
	for ; i < j; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// num2 returns the two-digit number at s[i:i+2]; call after digits.
func num2(s string, i int) int { return int(s[i]-'0')*10 + int(s[i+1]-'0') }

// validDate matches the R4 date type: YYYY, YYYY-MM or YYYY-MM-DD.
func validDate(s string) bool { return dateLen(s) == len(s) }

// dateLen returns how many bytes of s form a FHIR date prefix (4, 7 or
// 10), or -1.
func dateLen(s string) int {
	if !digits(s, 0, 4) {
		return -1
	}
	if len(s) == 4 || s[4] != '-' {
		return 4
	}
	if !digits(s, 5, 7) || num2(s, 5) < 1 || num2(s, 5) > 12 {
		return -1
	}
	if len(s) == 7 || s[7] != '-' {
		return 7
	}
	if !digits(s, 8, 10) || num2(s, 8) < 1 || num2(s, 8) > 31 {
		return -1
	}
	return 10
}

// validTime checks "Thh:mm:ss[.fff](Z|+hh:mm|-hh:mm)" as R4 dateTime and
// instant write it.
func validTime(t string) bool {
	if len(t) < 10 || t[0] != 'T' || !digits(t, 1, 3) || t[3] != ':' || !digits(t, 4, 6) || t[6] != ':' || !digits(t, 7, 9) {
		return false
	}
	if num2(t, 1) > 23 || num2(t, 4) > 59 || num2(t, 7) > 60 {
		return false
	}
	i := 9
	if t[i] == '.' {
		j := i + 1
		for j < len(t) && t[j] >= '0' && t[j] <= '9' {
			j++
		}
		if j == i+1 {
			return false
		}
		i = j
	}
	z := t[i:]
	if z == "Z" {
		return true
	}
	if len(z) != 6 || (z[0] != '+' && z[0] != '-') || !digits(z, 1, 3) || z[3] != ':' || !digits(z, 4, 6) {
		return false
	}
	h, m := num2(z, 1), num2(z, 4)
	return (h <= 13 && m <= 59) || (h == 14 && m == 0)
}

// validDateTime matches the R4 dateTime type: a date, or a full date with a
// time and a zone.
func validDateTime(s string) bool {
	n := dateLen(s)
	switch {
	case n == len(s):
		return true
	case n == 10:
		return validTime(s[10:])
	}
	return false
}

// validInstant matches the R4 instant type: a full date, time and zone.
func validInstant(s string) bool { return dateLen(s) == 10 && len(s) > 10 && validTime(s[10:]) }

// date reads a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD).
func (d *decoder) date(path string, obj map[string]any, key string) string {
	return d.temporal(path, obj, key, validDate, "date (YYYY, YYYY-MM or YYYY-MM-DD)")
}

// dateTime reads a FHIR dateTime: a date, or a date and time with a zone.
func (d *decoder) dateTime(path string, obj map[string]any, key string) string {
	return d.temporal(path, obj, key, validDateTime, "dateTime (e.g. 2012-05-01T08:30:00Z; a time needs a zone)")
}

// instant reads a FHIR instant: a full date and time with a zone.
func (d *decoder) instant(path string, obj map[string]any, key string) string {
	return d.temporal(path, obj, key, validInstant, "instant (e.g. 2012-05-01T08:30:00Z)")
}

// temporal reads an optional string element and checks it with valid;
// what names the FHIR type (and an example) in the issue, which never
// repeats the value: it may be a birth date.
func (d *decoder) temporal(path string, obj map[string]any, key string, valid func(string) bool, what string) string {
	s := d.str(path, obj, key, false)
	if s != "" && !valid(s) {
		d.add(CodeValue, join(path, key), "not a FHIR %s", what)
		return ""
	}
	return s
}

// number reads a JSON number element as written.
func (d *decoder) number(path string, obj map[string]any, key string, required bool) (json.Number, bool) {
	v, ok := d.get(path, obj, key, required)
	if !ok {
		return "", false
	}
	n, isNum := v.(json.Number)
	if !isNum {
		d.add(CodeStructure, join(path, key), "must be a JSON number, got %s", jsonType(v))
		return "", false
	}
	return n, true
}

// decimal reads a JSON number into a float64. Issues about numbers never
// repeat them: they are usually a patient's values.
func (d *decoder) decimal(path string, obj map[string]any, key string, required bool) *float64 {
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
func (d *decoder) integer(path string, obj map[string]any, key string) *int64 {
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
func (d *decoder) boolean(path string, obj map[string]any, key string) *bool {
	v, ok := d.get(path, obj, key, false)
	if !ok {
		return nil
	}
	b, isBool := v.(bool)
	if !isBool {
		d.add(CodeStructure, join(path, key), "must be true or false, got %s", jsonType(v))
		return nil
	}
	return &b
}

// object reads a JSON object element and returns it with its path.
func (d *decoder) object(path string, obj map[string]any, key string, required bool) (map[string]any, string) {
	v, ok := d.get(path, obj, key, required)
	if !ok {
		return nil, ""
	}
	m, isObj := v.(map[string]any)
	if !isObj {
		d.add(CodeStructure, join(path, key), "must be an object, got %s", jsonType(v))
		return nil, ""
	}
	return m, join(path, key)
}

// array reads a JSON array of objects, calling fn for each with its path.
// FHIR arrays may not be empty.
func (d *decoder) array(path string, obj map[string]any, key string, required bool, fn func(p string, m map[string]any)) {
	v, ok := d.get(path, obj, key, required)
	if !ok {
		return
	}
	p := join(path, key)
	a, isArr := v.([]any)
	if !isArr {
		d.add(CodeStructure, p, "must be an array, got %s", jsonType(v))
		return
	}
	if len(a) == 0 {
		d.add(CodeStructure, p, "must not be an empty array (omit it instead)")
		return
	}
	for i, e := range a {
		m, isObj := e.(map[string]any)
		if !isObj {
			d.add(CodeStructure, index(p, i), "must be an object, got %s", jsonType(e))
			continue
		}
		fn(index(p, i), m)
	}
}

// stringList reads a JSON array of non-empty strings.
func (d *decoder) stringList(path string, obj map[string]any, key string) []string {
	v, ok := d.get(path, obj, key, false)
	if !ok {
		return nil
	}
	p := join(path, key)
	a, isArr := v.([]any)
	if !isArr {
		d.add(CodeStructure, p, "must be an array, got %s", jsonType(v))
		return nil
	}
	var out []string
	for i, e := range a {
		s, isStr := e.(string)
		if !isStr || strings.TrimSpace(s) == "" {
			d.add(CodeStructure, index(p, i), "must be a non-empty string, got %s", jsonType(e))
			continue
		}
		out = append(out, s)
	}
	return out
}

// oneOf reports when more than one choice of a [x] element is present and
// returns the key of the one present, or "".
func (d *decoder) oneOf(path string, obj map[string]any, prefix string, choices ...string) string {
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
