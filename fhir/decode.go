package fhir

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/galenhealth/galen"
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
// as "Bundle.entry[3].resource.valueQuantity.value") and what, with the
// OperationOutcome severity and issue type. It is galen.Problem, the one
// "what is wrong where" type of Galen.
type Issue = galen.Problem

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
	nodes, extra, err := parseJSON(data)
	if err != nil {
		return nil, err
	}
	defer releaseNodes(nodes)
	if nodes[0].kind != kindObject {
		return nil, &Error{Issues: []Issue{{Severity: SeverityError, Code: CodeStructure, Path: "", Message: "the document must be a JSON object, got " + nodeType(&nodes[0])}}}
	}
	d := newDecoder(data, nodes, extra)
	r := d.resource(0)
	if err := d.err(); err != nil {
		return nil, err
	}
	return r, nil
}

// DecodeBundle strictly decodes a document that must be a Bundle.
func DecodeBundle(data []byte) (*Bundle, error) {
	nodes, extra, err := parseJSON(data)
	if err != nil {
		return nil, err
	}
	defer releaseNodes(nodes)
	if nodes[0].kind != kindObject {
		return nil, &Error{Issues: []Issue{{Severity: SeverityError, Code: CodeStructure, Path: "", Message: "the document must be a JSON object (a Bundle), got " + nodeType(&nodes[0])}}}
	}
	d := newDecoder(data, nodes, extra)
	var rt string
	if i := d.member(0, "resourceType"); i >= 0 && nodes[i].kind == kindString {
		rt = d.text(i)
	}
	if rt != "Bundle" {
		msg := "resourceType must be \"Bundle\""
		if rt != "" {
			msg += fmt.Sprintf(", got %q", rt)
		}
		return nil, &Error{Issues: []Issue{{Severity: SeverityError, Code: CodeInvalid, Path: "resourceType", Message: msg}}}
	}
	r := d.resource(0)
	if err := d.err(); err != nil {
		return nil, err
	}
	return r.(*Bundle), nil
}

// parseJSON parses one JSON document into nodes, keeping numbers as
// written, and rejects trailing data.
func parseJSON(data []byte) ([]node, []string, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil, &Error{Issues: []Issue{{Severity: SeverityError, Code: CodeStructure, Path: "", Message: "the document is empty"}}}
	}
	nodes, extra, err := parseNodes(data)
	if err != nil {
		se := err.(*syntaxError)
		line, col := lineCol(data, int64(se.offset))
		return nil, nil, &Error{Issues: []Issue{{Severity: SeverityError, Code: CodeStructure, Path: "", Message: fmt.Sprintf("malformed JSON: %s (line %d, column %d)", se.msg, line, col)}}}
	}
	return nodes, extra, nil
}

func lineCol(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line = 1 + bytes.Count(data[:off], []byte("\n"))
	col = int(off) - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}

// nodeType names the JSON type of a node for issues.
func nodeType(n *node) string {
	switch n.kind {
	case kindObject:
		return "an object"
	case kindArray:
		return "an array"
	case kindString:
		return "a string"
	case kindNumber:
		return "a number"
	case kindTrue, kindFalse:
		return "a boolean"
	}
	return "null"
}

// decoder walks the nodes of a parsed document, collecting issues. It
// keeps the location of the element it is in as bytes and makes a string
// of it only for an issue.
type decoder struct {
	data   []byte
	nodes  []node
	extra  []string // member names that are not knownKeys
	issues []Issue
	path   []byte       // location of the current element, e.g. Bundle.entry[2].resource
	strs   *[512]string // recent string values by hash, so repeated ones are allocated once

	// Values are carved from chunks: a Bundle holds many small ones.
	floats       pool[float64]
	codings      pool[Coding]
	quantities   pool[Quantity]
	references   pool[Reference]
	observations pool[Observation]
	entries      pool[BundleEntry]
}

// pool hands out values from chunks it allocates, each chunk larger than
// the last, so decoding many small values costs few allocations. Every
// value and slice it hands out is distinct.
type pool[T any] struct {
	buf  []T
	size int
}

// take returns an empty slice with room for n values.
func (p *pool[T]) take(n int) []T {
	if cap(p.buf)-len(p.buf) < n {
		p.size = min(max(2*p.size, 4), 256)
		p.buf = make([]T, 0, max(p.size, n))
	}
	s := p.buf[len(p.buf) : len(p.buf) : len(p.buf)+n]
	p.buf = p.buf[:len(p.buf)+n]
	return s
}

// new returns a pointer to a zero value.
func (p *pool[T]) new() *T { return &p.take(1)[:1][0] }

func newDecoder(data []byte, nodes []node, extra []string) *decoder {
	return &decoder{data: data, nodes: nodes, extra: extra, path: make([]byte, 0, 64)}
}

// key returns the member name of node i.
func (d *decoder) key(i int) string { return keyName(d.nodes[i].key, d.extra) }

func (d *decoder) err() error {
	if len(d.issues) == 0 {
		return nil
	}
	return &Error{Issues: d.issues}
}

// add reports an issue at path.
func (d *decoder) add(code, path, format string, args ...any) {
	d.issues = append(d.issues, Issue{Severity: SeverityError, Code: code, Path: path, Message: fmt.Sprintf(format, args...)})
}

// here is the location of the current element.
func (d *decoder) here() string { return string(d.path) }

// at is the location of member key of the current element.
func (d *decoder) at(key string) string { return join(string(d.path), key) }

// push enters member key of the current element; pop(mark) leaves it.
func (d *decoder) push(key string) (mark int) {
	mark = len(d.path)
	if mark > 0 {
		d.path = append(d.path, '.')
	}
	d.path = append(d.path, key...)
	return mark
}

// pushIndex enters element i of the current array.
func (d *decoder) pushIndex(i int) (mark int) {
	mark = len(d.path)
	d.path = append(d.path, '[')
	d.path = strconv.AppendInt(d.path, int64(i), 10)
	d.path = append(d.path, ']')
	return mark
}

func (d *decoder) pop(mark int) { d.path = d.path[:mark] }

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// member returns the index of the value of member key of object node obj,
// the last one when the key repeats (as in encoding/json), or -1.
func (d *decoder) member(obj int, key string) int {
	found := -1
	h := keyHash(key)
	if d.nodes[obj].mask&(1<<(h%64)) == 0 {
		return found
	}
	for i, c := obj+1, d.nodes[obj].n; c > 0; c-- {
		if d.nodes[i].hash == h && d.key(i) == key {
			found = i
		}
		i = int(d.nodes[i].next)
	}
	return found
}

// text returns the value of string node i. Values up to 64 bytes go
// through a small cache: codes, systems, units and times repeat across a
// Bundle, and each is then allocated about once.
func (d *decoder) text(i int) string {
	n := &d.nodes[i]
	if !n.plain || n.end-n.start > 64 {
		return text(d.data, n)
	}
	b := d.data[n.start:n.end]
	if d.strs == nil {
		d.strs = new([512]string)
	}
	// Two ways per set; a new value replaces the way its hash picks.
	h := strHash(b)
	set := d.strs[(h%256)*2:][:2]
	if set[0] == string(b) {
		return set[0]
	}
	if set[1] == string(b) {
		return set[1]
	}
	s := string(b)
	set[h>>63] = s
	return s
}

// strHash is a hash of b for the string cache; it is fixed so that
// allocation counts repeat from run to run.
func strHash(b []byte) uint64 {
	h := uint64(len(b)) * 0x9e3779b97f4a7c15
	for ; len(b) >= 8; b = b[8:] {
		h = (h ^ binary.LittleEndian.Uint64(b)) * 0xbf58476d1ce4e5b9
		h ^= h >> 31
	}
	for _, c := range b {
		h = (h ^ uint64(c)) * 0x100000001b3
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return h
}

// blank reports whether string node i is empty or white space.
func (d *decoder) blank(i int) bool {
	n := &d.nodes[i]
	if n.plain {
		return len(bytes.TrimSpace(d.data[n.start:n.end])) == 0
	}
	return strings.TrimSpace(text(d.data, n)) == ""
}

// decodeFunc decodes the body of one resource type at the current path.
type decodeFunc func(d *decoder, obj int) Resource

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

// resource decodes any resource at object node obj; the current path is
// where it sits ("" at the root, where the resourceType becomes the path).
func (d *decoder) resource(obj int) Resource {
	raw := d.member(obj, "resourceType")
	switch {
	case raw < 0:
		d.add(CodeRequired, d.at("resourceType"), "missing required element resourceType")
		return nil
	case d.nodes[raw].kind != kindString:
		d.add(CodeStructure, d.at("resourceType"), "must be a string, got %s", nodeType(&d.nodes[raw]))
		return nil
	}
	rt := d.text(raw)
	fn, ok := decoders[rt]
	if !ok {
		if !r4Types[rt] {
			d.add(CodeNotSupported, d.at("resourceType"), "unknown resourceType %q (not an R4 resource)", rt)
			return nil
		}
		b, _ := json.Marshal(toAny(d.data, d.nodes, d.extra, obj))
		return &Unsupported{Type: rt, JSON: b}
	}
	if len(d.path) == 0 {
		mark := d.push(rt)
		defer d.pop(mark)
	}
	return fn(d, obj)
}

// fieldSet is the set of element names a JSON object may hold.
type fieldSet struct {
	names map[string]bool
	ids   []bool // by keyID
}

// has reports whether name is in the set.
func (s fieldSet) has(name string) bool { return s.names[name] }

// hasID reports whether the name of known keyID id is in the set.
func (s fieldSet) hasID(id int32) bool { return id >= 0 && int(id) < len(s.ids) && s.ids[id] }

// fields builds a fieldSet from space-separated names, plus the base names,
// and adds the names to knownKeys.
func fields(base fieldSet, names string) fieldSet {
	s := fieldSet{names: map[string]bool{}}
	for k := range base.names {
		s.names[k] = true
	}
	for _, n := range strings.Fields(names) {
		s.names[n] = true
	}
	sorted := make([]string, 0, len(s.names))
	for k := range s.names {
		sorted = append(sorted, k)
	}
	slices.Sort(sorted)
	ids := make([]int32, len(sorted))
	for i, k := range sorted {
		ids[i] = knownKeyID(k)
	}
	s.ids = make([]bool, slices.Max(ids)+1)
	for _, id := range ids {
		s.ids[id] = true
	}
	return s
}

var (
	elementFields       = fields(fieldSet{}, "id extension")
	backboneFields      = fields(elementFields, "modifierExtension")
	resourceFields      = fields(fieldSet{}, "resourceType id meta implicitRules language")
	modifierExtensionID = knownKeyID("modifierExtension")
	domainFields        = fields(resourceFields, "text contained extension modifierExtension")
)

// check reports members of obj that R4 does not define for it, and
// modifier extensions, which a receiver that does not understand them must
// not ignore. Primitive extensions ("_birthDate") of known elements pass.
func (d *decoder) check(obj int, allowed fieldSet) {
	clean := true
	for i, c := obj+1, d.nodes[obj].n; c > 0; c-- {
		k := d.nodes[i].key
		if !allowed.hasID(k) || k == modifierExtensionID {
			clean = false
			break
		}
		i = int(d.nodes[i].next)
	}
	if clean {
		return // the common case: no sorting, no allocation
	}
	for _, k := range d.sortedKeys(obj) {
		if k == "modifierExtension" {
			d.add(CodeNotSupported, d.at(k), "modifier extensions are not supported")
			continue
		}
		if allowed.has(k) || (strings.HasPrefix(k, "_") && allowed.has(k[1:])) {
			continue
		}
		d.add(CodeStructure, d.at(k), "unknown element %q", k)
	}
}

// sortedKeys returns the distinct member names of obj in order.
func (d *decoder) sortedKeys(obj int) []string {
	keys := make([]string, 0, min(d.nodes[obj].n, 64))
	seen := map[int32]bool{}
	for i, c := obj+1, d.nodes[obj].n; c > 0; c-- {
		if id := d.nodes[i].key; !seen[id] {
			seen[id] = true
			keys = append(keys, d.key(i))
		}
		i = int(d.nodes[i].next)
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// get returns the value node of member key of obj and whether it is
// present and not null. A null is reported: FHIR JSON does not allow it
// outside arrays of primitives.
func (d *decoder) get(obj int, key string, required bool) (int, bool) {
	v := d.member(obj, key)
	if v < 0 {
		if required {
			d.add(CodeRequired, d.at(key), "missing required element %s", key)
		}
		return -1, false
	}
	if d.nodes[v].kind == kindNull {
		d.add(CodeStructure, d.at(key), "null is not allowed")
		return -1, false
	}
	return v, true
}

// str reads a string element; FHIR strings may not be empty or blank.
func (d *decoder) str(obj int, key string, required bool) string {
	v, ok := d.get(obj, key, required)
	if !ok {
		return ""
	}
	if d.nodes[v].kind != kindString {
		d.add(CodeStructure, d.at(key), "must be a string, got %s", nodeType(&d.nodes[v]))
		return ""
	}
	if d.blank(v) {
		d.add(CodeValue, d.at(key), "must not be empty")
		return ""
	}
	return d.text(v)
}

// code reads a code element and, if allowed is not empty, checks its value.
func (d *decoder) code(obj int, key string, required bool, allowed ...string) string {
	s := d.str(obj, key, required)
	if s == "" || len(allowed) == 0 {
		return s
	}
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	d.add(CodeCodeInvalid, d.at(key), "%q is not one of %s", s, strings.Join(allowed, ", "))
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
func (d *decoder) date(obj int, key string) string {
	return d.temporal(obj, key, validDate, "date (YYYY, YYYY-MM or YYYY-MM-DD)")
}

// dateTime reads a FHIR dateTime: a date, or a date and time with a zone.
func (d *decoder) dateTime(obj int, key string) string {
	return d.temporal(obj, key, validDateTime, "dateTime (e.g. 2012-05-01T08:30:00Z; a time needs a zone)")
}

// instant reads a FHIR instant: a full date and time with a zone.
func (d *decoder) instant(obj int, key string) string {
	return d.temporal(obj, key, validInstant, "instant (e.g. 2012-05-01T08:30:00Z)")
}

// temporal reads an optional string element and checks it with valid;
// what names the FHIR type (and an example) in the issue, which never
// repeats the value: it may be a birth date.
func (d *decoder) temporal(obj int, key string, valid func(string) bool, what string) string {
	s := d.str(obj, key, false)
	if s != "" && !valid(s) {
		d.add(CodeValue, d.at(key), "not a FHIR %s", what)
		return ""
	}
	return s
}

// number reads a JSON number element and returns its literal.
func (d *decoder) number(obj int, key string, required bool) ([]byte, bool) {
	v, ok := d.get(obj, key, required)
	if !ok {
		return nil, false
	}
	n := &d.nodes[v]
	if n.kind != kindNumber {
		d.add(CodeStructure, d.at(key), "must be a JSON number, got %s", nodeType(n))
		return nil, false
	}
	return d.data[n.start:n.end], true
}

// decimal reads a JSON number into a float64. Issues about numbers never
// repeat them: they are usually a patient's values.
func (d *decoder) decimal(obj int, key string, required bool) *float64 {
	n, ok := d.number(obj, key, required)
	if !ok {
		return nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		d.add(CodeValue, d.at(key), "the number is out of range")
		return nil
	}
	p := d.floats.new()
	*p = f
	return p
}

// integer reads a JSON number that must be a whole number.
func (d *decoder) integer(obj int, key string) *int64 {
	n, ok := d.number(obj, key, false)
	if !ok {
		return nil
	}
	i, err := strconv.ParseInt(string(n), 10, 32)
	if err != nil {
		d.add(CodeValue, d.at(key), "not a 32-bit integer")
		return nil
	}
	return &i
}

// boolean reads a JSON boolean.
func (d *decoder) boolean(obj int, key string) *bool {
	v, ok := d.get(obj, key, false)
	if !ok {
		return nil
	}
	n := &d.nodes[v]
	if n.kind != kindTrue && n.kind != kindFalse {
		d.add(CodeStructure, d.at(key), "must be true or false, got %s", nodeType(n))
		return nil
	}
	b := n.kind == kindTrue
	return &b
}

// object reads a JSON object element and returns its node.
func (d *decoder) object(obj int, key string, required bool) (int, bool) {
	v, ok := d.get(obj, key, required)
	if !ok {
		return -1, false
	}
	if d.nodes[v].kind != kindObject {
		d.add(CodeStructure, d.at(key), "must be an object, got %s", nodeType(&d.nodes[v]))
		return -1, false
	}
	return v, true
}

// arrayLen returns the length of array element key of obj, or 0.
func (d *decoder) arrayLen(obj int, key string) int {
	v := d.member(obj, key)
	if v < 0 || d.nodes[v].kind != kindArray {
		return 0
	}
	return int(d.nodes[v].n)
}

// array reads a JSON array of objects, calling fn for each with the path
// set to it. FHIR arrays may not be empty.
func (d *decoder) array(obj int, key string, required bool, fn func(e int)) {
	v, ok := d.get(obj, key, required)
	if !ok {
		return
	}
	a := &d.nodes[v]
	if a.kind != kindArray {
		d.add(CodeStructure, d.at(key), "must be an array, got %s", nodeType(a))
		return
	}
	if a.n == 0 {
		d.add(CodeStructure, d.at(key), "must not be an empty array (omit it instead)")
		return
	}
	mark := d.push(key)
	for i, e := 0, v+1; i < int(a.n); i++ {
		m := d.pushIndex(i)
		if d.nodes[e].kind != kindObject {
			d.add(CodeStructure, d.here(), "must be an object, got %s", nodeType(&d.nodes[e]))
		} else {
			fn(e)
		}
		d.pop(m)
		e = int(d.nodes[e].next)
	}
	d.pop(mark)
}

// stringList reads a JSON array of non-empty strings.
func (d *decoder) stringList(obj int, key string) []string {
	v, ok := d.get(obj, key, false)
	if !ok {
		return nil
	}
	a := &d.nodes[v]
	if a.kind != kindArray {
		d.add(CodeStructure, d.at(key), "must be an array, got %s", nodeType(a))
		return nil
	}
	var out []string
	for i, e := 0, v+1; i < int(a.n); i++ {
		if d.nodes[e].kind != kindString || d.blank(e) {
			d.add(CodeStructure, index(d.at(key), i), "must be a non-empty string, got %s", nodeType(&d.nodes[e]))
		} else {
			out = append(out, d.text(e))
		}
		e = int(d.nodes[e].next)
	}
	return out
}

// oneOf reports when more than one choice of a [x] element is present.
func (d *decoder) oneOf(obj int, prefix string, choices ...string) {
	members := 0 // members named prefix..., at least the choices present
	for i, c := obj+1, d.nodes[obj].n; c > 0; c-- {
		if strings.HasPrefix(d.key(i), prefix) {
			members++
		}
		i = int(d.nodes[i].next)
	}
	if members < 2 {
		return
	}
	count := 0
	for _, c := range choices {
		if d.hasChoice(obj, prefix, c) {
			count++
		}
	}
	if count < 2 {
		return
	}
	var found []string
	for _, c := range choices {
		if d.hasChoice(obj, prefix, c) {
			found = append(found, prefix+c)
		}
	}
	d.add(CodeInvalid, d.at(found[1]), "only one of %s[x] is allowed, found %s", prefix, strings.Join(found, " and "))
}

// hasChoice reports whether obj has member prefix+choice.
func (d *decoder) hasChoice(obj int, prefix, choice string) bool {
	for i, c := obj+1, d.nodes[obj].n; c > 0; c-- {
		k := d.key(i)
		if len(k) == len(prefix)+len(choice) && k[:len(prefix)] == prefix && k[len(prefix):] == choice {
			return true
		}
		i = int(d.nodes[i].next)
	}
	return false
}
