package fhir

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// stdTree decodes data as encoding/json does with UseNumber, rejecting
// trailing data: the reference parseTree must agree with.
func stdTree(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, io.ErrUnexpectedEOF
	}
	return v, nil
}

var jsonCases = []string{
	`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `-0.5e+10`, `1E3`, `123456789012345678901234567890`,
	`"plain"`, `"esc \" \\ \/ \b \f \n \r \t"`, `"\u00e9\u4e2d"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ude00x"`, `"\ud83d\u0041"`,
	"\"caf\xc3\xa9\"", "\"bad \xff utf8\"", "\"\xed\xa0\x80\"", `{"a":1,"a":2}`, ` { "a" : [ 1 , { "b" : null } ] } `,
	`{"a":1,}`, `[1,]`, `[1 2]`, `{"a" 1}`, `{1:2}`, `01`, `1.`, `.5`, `-`, `1e`, `+1`, `tru`, `nul`, `"unterminated`,
	"\"ctl \x01\"", `"\x"`, `"\u12"`, `"\u12g4"`, `{"a":1} x`, `[`, `{`, `{"a"`, `{"a":`, `[1`, "\t\n\r [ ] \n",
	"\ufeff{}", `NaN`, `Infinity`, `"\u0000"`, `[[[[[]]]]]`,
}

func TestParseTreeMatchesEncodingJSON(t *testing.T) {
	cases := append([]string{}, jsonCases...)
	cases = append(cases, strings.Repeat("[", maxDepth)+strings.Repeat("]", maxDepth), strings.Repeat("[", maxDepth+1)+strings.Repeat("]", maxDepth+1))
	for _, c := range cases {
		name := c
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			checkParseTree(t, []byte(c))
		})
	}
}

func checkParseTree(t *testing.T, data []byte) {
	t.Helper()
	want, werr := stdTree(data)
	got, gerr := parseTree(data)
	if (werr != nil) != (gerr != nil) {
		t.Fatalf("%q: encoding/json error %v, parseTree error %v", data, werr, gerr)
	}
	if werr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: parseTree %#v, encoding/json %#v", data, got, want)
	}
	if gerr != nil {
		if se, ok := gerr.(*syntaxError); !ok || se.offset < 0 || se.offset > len(data) {
			t.Fatalf("%q: error %v has no offset in the input", data, gerr)
		}
	}
}

// FuzzParseJSON checks parseTree against encoding/json on any input.
func FuzzParseJSON(f *testing.F) {
	for _, c := range jsonCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(bytes.TrimSpace(data)) == 0 {
			return // parseJSON answers before parsing
		}
		checkParseTree(t, data)
	})
}

// The R4 regular expressions of date, dateTime and instant, as reference
// for the hand-written checks.
var (
	dateRE     = regexp.MustCompile(`^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$`)
	dateTimeRE = regexp.MustCompile(`^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00)))?)?)?$`)
	instantRE  = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00))$`)
)

var dateCases = []string{"", "2012", "2012-05", "2012-05-01", "2012-13", "2012-00", "2012-05-32", "2012-05-00", "12-05-01",
	"2012-05-01T08:07:00Z", "2012-05-01T08:07:00.123+02:00", "2012-05-01T08:07:00", "2012-05-01T24:00:00Z", "2012-05-01T23:59:60Z",
	"2012-05-01T08:07:00+14:00", "2012-05-01T08:07:00+14:30", "2012-05-01T08:07:00-13:59", "2012-05-01T08:07:00.Z", "2012-05-01T08:07Z",
	"2012-05T08:07:00Z", "2012-05-01T08:07:00z", "2012-05-01 08:07:00Z", "２０１２", "2012-05-01T08:07:00+0200", "2012-05-01T08:07:00Z ",
	"2012-05-01T8:07:00Z", "2012-5-01", "2012-05-1"}

func TestDateChecksMatchR4Patterns(t *testing.T) {
	for _, s := range dateCases {
		t.Run(s, func(t *testing.T) { checkDates(t, s) })
	}
}

func checkDates(t *testing.T, s string) {
	t.Helper()
	if got, want := validDate(s), dateRE.MatchString(s); got != want {
		t.Errorf("validDate(%q) = %v, want %v", s, got, want)
	}
	if got, want := validDateTime(s), dateTimeRE.MatchString(s); got != want {
		t.Errorf("validDateTime(%q) = %v, want %v", s, got, want)
	}
	if got, want := validInstant(s), instantRE.MatchString(s); got != want {
		t.Errorf("validInstant(%q) = %v, want %v", s, got, want)
	}
}

func FuzzDateChecks(f *testing.F) {
	for _, s := range dateCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkDates(t, s) })
}

// TestNumberErrors pins the message and offset of malformed numbers (as
// the parser gave them before scanNumber moved onto jsonscan).
func TestNumberErrors(t *testing.T) {
	tests := []struct {
		in     string
		offset int
		msg    string
	}{
		{"-", 1, "unexpected end of input in a number"},
		{"-x", 1, "invalid character 'x' in numeric literal"},
		{"1.", 2, "unexpected end of input in a number"},
		{"1.e", 2, "invalid character 'e' in numeric literal"},
		{"1e", 2, "unexpected end of input in a number"},
		{"1e+", 3, "unexpected end of input in a number"},
		{"[1.]", 3, "invalid character ']' in numeric literal"},
		{"[-]", 2, "invalid character ']' in numeric literal"},
		{"[2e-x]", 4, "invalid character 'x' in numeric literal"},
		{`{"a":-.5}`, 6, "invalid character '.' in numeric literal"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := parseTree([]byte(tt.in))
			got, ok := err.(*syntaxError)
			if !ok || got.offset != tt.offset || got.msg != tt.msg {
				t.Fatalf("parseTree(%q) = %v; want a syntax error at %d: %s", tt.in, err, tt.offset, tt.msg)
			}
		})
	}
}
