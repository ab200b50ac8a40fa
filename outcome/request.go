package outcome

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/galenhealth/galen"
)

// TimedValue is one observation of a request, as a caller sends it: the
// time since ICU admission as raw JSON ("HH:MM" or whole minutes), the
// PhysioNet 2012 parameter name and the value (nil when absent).
type TimedValue struct {
	Time      json.RawMessage
	Parameter string
	Value     *float64
}

// maxRequestMinutes bounds the times of a request; the model reads the first 48 hours, but
// later values are accepted and reported by the model.
const maxRequestMinutes = 100 * 24 * 60

// NewStay checks a request's descriptors and observations and returns the
// stay, with every problem at its JSON path ("descriptors.Age",
// "observations[3].time"). Descriptor lines in PhysioNet style (Age,
// Gender, Height, ICUType at any time, Weight at 00:00) become
// descriptors; RecordID lines are ignored.
func NewStay(descriptors map[string]float64, observations []TimedValue) (*Stay, []galen.Problem) {
	var ps []galen.Problem
	add := func(path, format string, args ...any) {
		ps = append(ps, galen.Problem{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	stay := &Stay{Descriptors: map[string]float64{}}
	descriptor := map[string]bool{}
	for _, k := range DescriptorNames() {
		descriptor[k] = true
	}
	for _, k := range slices.Sorted(maps.Keys(descriptors)) {
		v := descriptors[k]
		switch {
		case !descriptor[k]:
			add("descriptors."+k, "unknown descriptor (want %s)", strings.Join(DescriptorNames(), ", "))
		case v == -1:
		default:
			stay.Descriptors[k] = v
		}
	}
	if len(observations) == 0 {
		add("observations", "no observations; send the stay's vitals and labs as {time, parameter, value}")
	}
	weightSeen := false
	for i, o := range observations {
		p := "observations[" + strconv.Itoa(i) + "]"
		m, ok := parseMinutes(o.Time)
		if !ok {
			if len(o.Time) == 0 {
				add(p+".time", "missing; want \"HH:MM\" or minutes since ICU admission")
			} else {
				add(p+".time", "%s is not \"HH:MM\" or a whole number of minutes from 0 to %d", galen.Truncate(string(o.Time), 20), maxRequestMinutes)
			}
		}
		if strings.TrimSpace(o.Parameter) == "" {
			add(p+".parameter", "missing; want a PhysioNet 2012 name such as HR, GCS or Lactate")
		}
		if o.Value == nil {
			add(p+".value", "missing")
		}
		if !ok || o.Value == nil || o.Parameter == "" {
			continue
		}
		switch {
		case o.Parameter == "RecordID":
			continue
		case o.Parameter == "Weight":
			// As in the PhysioNet files: the first weight at 00:00 is the
			// admission descriptor, unless descriptors gave one.
			if _, given := descriptors["Weight"]; !given && !weightSeen && m == 0 {
				weightSeen = true
				if *o.Value != -1 {
					stay.Descriptors["Weight"] = *o.Value
				}
				continue
			}
		case descriptor[o.Parameter]:
			if _, set := stay.Descriptors[o.Parameter]; !set && *o.Value != -1 {
				stay.Descriptors[o.Parameter] = *o.Value
			}
			continue
		}
		stay.Observations = append(stay.Observations, Observation{Minutes: m, Parameter: o.Parameter, Value: *o.Value})
	}
	if len(ps) == 0 && len(stay.Observations) == 0 {
		add("observations", "only descriptors; the model needs time-series observations")
	}
	return stay, ps
}

// parseMinutes reads "HH:MM" or a whole number of minutes from a JSON
// value. It reads plain strings and numbers directly (one request has
// hundreds of times) and leaves escapes to encoding/json.
func parseMinutes(raw json.RawMessage) (int, bool) {
	if len(raw) == 0 {
		return 0, false
	}
	switch c := raw[0]; {
	case c == '"':
		if len(raw) >= 2 && raw[len(raw)-1] == '"' && bytes.IndexByte(raw[1:len(raw)-1], '\\') < 0 && bytes.IndexByte(raw[1:len(raw)-1], '"') < 0 {
			return parseHHMM(raw[1 : len(raw)-1])
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
		return parseHHMM([]byte(s))
	case c == '-' || (c >= '0' && c <= '9'):
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil || f != math.Trunc(f) || f < 0 || f > maxRequestMinutes {
			return 0, false
		}
		return int(f), true
	}
	return 0, false
}

// parseHHMM reads 1 to 3 digits of hours, a colon and two digits of minutes
// (00 to 59).
func parseHHMM(s []byte) (int, bool) {
	i := bytes.IndexByte(s, ':')
	if i < 1 || i > 3 || len(s) != i+3 || s[i+1] < '0' || s[i+1] > '5' || !isDigit(s[i+2]) {
		return 0, false
	}
	h := 0
	for _, c := range s[:i] {
		if !isDigit(c) {
			return 0, false
		}
		h = 10*h + int(c-'0')
	}
	t := h*60 + int(s[i+1]-'0')*10 + int(s[i+2]-'0')
	return t, t <= maxRequestMinutes
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
