package outcome

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
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

func TestNewStay(t *testing.T) {
	v := func(f float64) *float64 { return &f }
	tv := func(time, param string, value *float64) TimedValue {
		return TimedValue{Time: json.RawMessage(time), Parameter: param, Value: value}
	}
	tests := []struct {
		name      string
		desc      map[string]float64
		obs       []TimedValue
		wantDesc  map[string]float64
		wantObs   []Observation
		wantPaths []string
	}{
		{"weight at 00:00 is the descriptor, later weights are observations, RecordID is ignored", nil,
			[]TimedValue{tv(`"00:00"`, "RecordID", v(132539)), tv(`"00:00"`, "Weight", v(80)), tv(`"00:00"`, "Age", v(54)), tv(`"01:00"`, "Weight", v(79)), tv(`5`, "HR", v(73))},
			map[string]float64{"Weight": 80, "Age": 54}, []Observation{{Minutes: 60, Parameter: "Weight", Value: 79}, {Minutes: 5, Parameter: "HR", Value: 73}}, nil},
		{"given descriptors win; -1 is unknown", map[string]float64{"Weight": 70, "Gender": -1},
			[]TimedValue{tv(`"00:00"`, "Weight", v(80)), tv(`"00:30"`, "HR", v(90))},
			map[string]float64{"Weight": 70}, []Observation{{Minutes: 0, Parameter: "Weight", Value: 80}, {Minutes: 30, Parameter: "HR", Value: 90}}, nil},
		{"every problem at its path", map[string]float64{"Shoe": 42},
			[]TimedValue{tv(`"1:60"`, "HR", v(1)), tv(``, "", nil), tv(`3`, "GCS", v(15))},
			nil, nil, []string{"descriptors.Shoe", "observations[0].time", "observations[1].time", "observations[1].parameter", "observations[1].value"}},
		{"no observations", nil, nil, nil, nil, []string{"observations"}},
		{"only descriptors", nil, []TimedValue{tv(`"00:00"`, "Age", v(54))}, nil, nil, []string{"observations"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stay, ps := NewStay(tt.desc, tt.obs)
			var paths []string
			for _, p := range ps {
				paths = append(paths, p.Path)
			}
			if strings.Join(paths, " ") != strings.Join(tt.wantPaths, " ") {
				t.Fatalf("problems %v, want paths %v", ps, tt.wantPaths)
			}
			if tt.wantPaths != nil {
				return
			}
			if !reflect.DeepEqual(stay.Descriptors, tt.wantDesc) || !reflect.DeepEqual(stay.Observations, tt.wantObs) {
				t.Errorf("stay %+v %+v, want %+v %+v", stay.Descriptors, stay.Observations, tt.wantDesc, tt.wantObs)
			}
		})
	}
}
