package jsonscan

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

func TestNumber(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" when not a number
	}{
		{"0", "0"}, {"-0", "-0"}, {"12", "12"}, {"1.5", "1.5"}, {"-1.5e-3", "-1.5e-3"}, {"2E+10", "2E+10"},
		{"7,", "7"}, {" 3]", "3"},
		{"01", "0"}, // JSON reads 0, then fails on the 1
		{"", ""}, {"-", ""}, {"+1", ""}, {".5", ""}, {"1.", ""}, {"1e", ""}, {"1e+", ""}, {"NaN", ""}, {"x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			s := &Scanner{Data: []byte(tt.in)}
			got, ok := s.Number()
			if string(got) != tt.want || ok != (tt.want != "") {
				t.Fatalf("Number(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
			}
		})
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{`"HR"`, "HR", true}, {` ""`, "", true}, {`"a b:c"`, "a b:c", true},
		{`"esc\"aped"`, "", false}, {"\"tab\there\"", "", false}, {`"é"`, "", false}, {`"open`, "", false}, {`HR`, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			s := &Scanner{Data: []byte(tt.in)}
			got, ok := s.String()
			if string(got) != tt.want || ok != tt.ok {
				t.Fatalf("String(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// FuzzNumber checks Number and Float against encoding/json: a number the
// scanner takes whole is valid JSON of the same value, and an input that
// encoding/json accepts as one number (after JSON whitespace) is taken
// whole, not wrongly rejected.
func FuzzNumber(f *testing.F) {
	for _, s := range []string{"0", "-0.0e+00", "123456789012345678901234567890", "1e400", "01", "-", "1.e5", " \t\r\n-1.5E-3", "1E+2", "-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s := &Scanner{Data: []byte(in)}
		n, ok := s.Number()
		// encoding/json's verdict: a valid JSON text that is a number (it
		// starts with '-' or a digit after whitespace and ends with a digit,
		// so no trailing whitespace) is one the scanner must take whole.
		text := strings.TrimLeft(in, " \t\r\n")
		isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
		isNumber := text != "" && (text[0] == '-' || isDigit(text[0])) && isDigit(text[len(text)-1]) && json.Valid([]byte(in))
		if isNumber && (!ok || s.Pos != len(in) || string(n) != text) {
			t.Fatalf("%q: encoding/json accepts the number %q, Number returned %q, %v at %d", in, text, n, ok, s.Pos)
		}
		if !ok || s.Pos != len(in) {
			return
		}
		if !isNumber {
			t.Fatalf("%q: Number took it whole, encoding/json does not accept it as a number", in)
		}
		var v float64
		err := json.Unmarshal(n, &v)
		_, perr := strconv.ParseFloat(string(n), 64)
		if (err == nil) != (perr == nil) {
			t.Fatalf("%q: encoding/json %v, ParseFloat %v", in, err, perr)
		}
		s = &Scanner{Data: []byte(in)}
		if f, ok := s.Float(); ok != (err == nil) || (ok && f != v) {
			t.Fatalf("%q: Float %v, %v; encoding/json %v, %v", in, f, ok, v, err)
		}
	})
}
