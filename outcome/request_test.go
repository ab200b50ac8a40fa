package outcome

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"testing"
)

func TestParseMinutes(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int
		ok   bool
	}{
		{"hh:mm", `"01:30"`, 90, true},
		{"past a day", `"47:59"`, 2879, true},
		{"number", `125`, 125, true},
		{"zero", `0`, 0, true},
		{"float minutes", `12.5`, 0, false},
		{"negative", `-1`, 0, false},
		{"bad minutes", `"01:60"`, 0, false},
		{"no colon", `"0130"`, 0, false},
		{"boolean", `true`, 0, false},
		{"too late", `1e9`, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseMinutes(json.RawMessage(tt.in))
			if got != tt.want || ok != tt.ok {
				t.Errorf("got %d, %v; want %d, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

// parseMinutesRef is the former regexp and encoding/json implementation of
// parseMinutes, kept as the reference of FuzzParseMinutes.
func parseMinutesRef(raw json.RawMessage) (int, bool) {
	if len(raw) == 0 {
		return 0, false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		m := regexp.MustCompile(`^(\d{1,3}):([0-5]\d)$`).FindStringSubmatch(s)
		if m == nil {
			return 0, false
		}
		h, _ := strconv.Atoi(m[1])
		mm, _ := strconv.Atoi(m[2])
		t := h*60 + mm
		return t, t <= maxRequestMinutes
	}
	var f float64
	if json.Unmarshal(raw, &f) != nil || f != math.Trunc(f) || f < 0 || f > maxRequestMinutes {
		return 0, false
	}
	return int(f), true
}

// FuzzParseMinutes checks the direct parser against the reference on every
// JSON value a request can carry as a time.
func FuzzParseMinutes(f *testing.F) {
	for _, s := range []string{`"00:00"`, `"47:59"`, `"999:59"`, `"1:60"`, `"0:5"`, `"\u0030:00"`, `"12:3\n"`,
		`12`, `-0`, `1e3`, `2.5`, `1e400`, `144000`, `144001`, `null`, `true`, `[]`, `{}`, `""`, `" 1:00"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return // the decoder hands parseMinutes valid JSON values only
		}
		raw := json.RawMessage(bytes.TrimSpace(b))
		gm, gok := parseMinutes(raw)
		wm, wok := parseMinutesRef(raw)
		if gok != wok || (gok && gm != wm) {
			t.Fatalf("parseMinutes(%s) = %d, %v; reference %d, %v", raw, gm, gok, wm, wok)
		}
	})
}
