package outcome

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Observation is one measurement of a stay: Minutes since ICU admission, the
// PhysioNet parameter name and its value in PhysioNet units.
type Observation struct {
	Minutes   int
	Parameter string
	Value     float64
}

// Stay is one ICU stay: its record id, the static descriptors (Age, Gender,
// Height, ICUType, Weight; a missing descriptor is absent from the map) and
// the time-series observations in file order.
type Stay struct {
	RecordID     string
	Descriptors  map[string]float64
	Observations []Observation
}

// Descriptor names, in the order of the PhysioNet files.
var descriptorNames = []string{"Age", "Gender", "Height", "ICUType", "Weight"}

// DescriptorNames returns the static descriptors the reader and the models use.
func DescriptorNames() []string { return append([]string(nil), descriptorNames...) }

func isDescriptor(p string) bool {
	switch p {
	case "Age", "Gender", "Height", "ICUType", "Weight":
		return true
	}
	return false
}

// maxRecordBytes bounds one record file; the largest set-a file is ~40 KB.
const maxRecordBytes = 16 << 20

// ParseRecord reads one PhysioNet 2012 record file (header
// "Time,Parameter,Value"). name is used in error messages only. Descriptors
// are the RecordID, Age, Gender, Height and ICUType lines (at 00:00) and the
// first Weight line if it is at 00:00; the value -1 marks a missing
// descriptor. Later Weight lines are observations. Lines with a parameter name the models
// do not know are dropped and counted in the returned map. A malformed line is
// an error naming the file and line.
func ParseRecord(name string, r io.Reader) (*Stay, map[string]int, error) {
	sc := bufio.NewScanner(io.LimitReader(r, maxRecordBytes+1))
	sc.Buffer(make([]byte, 0, 4096), 1<<16)
	s := &Stay{Descriptors: map[string]float64{}}
	unknown := map[string]int{}
	weightSeen := false // the first Weight line at 00:00 is the descriptor
	line := 0
	read := 0
	for sc.Scan() {
		line++
		raw := sc.Bytes()
		read += len(raw) + 1
		if read > maxRecordBytes {
			return nil, nil, fmt.Errorf("%s: larger than %d bytes", name, maxRecordBytes)
		}
		if line == 1 {
			raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
		}
		text := strings.TrimSpace(string(raw))
		if line == 1 {
			if text != "Time,Parameter,Value" {
				return nil, nil, fmt.Errorf("%s:1: header is not %q", name, "Time,Parameter,Value")
			}
			continue
		}
		if text == "" {
			continue
		}
		f := strings.Split(text, ",")
		if len(f) != 3 {
			return nil, nil, fmt.Errorf("%s:%d: %d fields, want 3", name, line, len(f))
		}
		minutes, err := parseClock(f[0])
		if err != nil {
			return nil, nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		param := strings.TrimSpace(f[1])
		if param == "" {
			return nil, nil, fmt.Errorf("%s:%d: empty parameter name", name, line)
		}
		vs := strings.TrimSpace(f[2])
		if param == "RecordID" {
			if s.RecordID != "" {
				return nil, nil, fmt.Errorf("%s:%d: second RecordID", name, line)
			}
			if !validID(vs) {
				return nil, nil, fmt.Errorf("%s:%d: bad RecordID", name, line)
			}
			s.RecordID = vs
			continue
		}
		v, err := strconv.ParseFloat(vs, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, nil, fmt.Errorf("%s:%d: value of %s is not a finite number", name, line, param)
		}
		if isDescriptor(param) && (param != "Weight" || minutes == 0 && !weightSeen) {
			if param == "Weight" {
				weightSeen = true
			}
			if minutes != 0 {
				return nil, nil, fmt.Errorf("%s:%d: descriptor %s not at 00:00", name, line, param)
			}
			if _, dup := s.Descriptors[param]; dup || v == -1 {
				if dup {
					return nil, nil, fmt.Errorf("%s:%d: descriptor %s given twice", name, line, param)
				}
				s.Descriptors[param] = math.NaN() // seen, missing; removed below
				continue
			}
			s.Descriptors[param] = v
			continue
		}
		if param == "Weight" {
			weightSeen = true
		}
		if _, ok := variableIndex[param]; !ok {
			unknown[param]++
			continue
		}
		s.Observations = append(s.Observations, Observation{Minutes: minutes, Parameter: param, Value: v})
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	if line == 0 {
		return nil, nil, fmt.Errorf("%s: empty file", name)
	}
	for k, v := range s.Descriptors {
		if math.IsNaN(v) {
			delete(s.Descriptors, k)
		}
	}
	if s.RecordID == "" {
		return nil, nil, fmt.Errorf("%s: no RecordID line", name)
	}
	return s, unknown, nil
}

// parseClock parses "HH:MM" (hours may exceed 23) into minutes.
func parseClock(s string) (int, error) {
	s = strings.TrimSpace(s)
	h, m, ok := strings.Cut(s, ":")
	if !ok || h == "" || len(m) != 2 || len(h) > 4 {
		return 0, fmt.Errorf("time %q is not HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || h[0] == '+' || h[0] == '-' {
		return 0, fmt.Errorf("time %q is not HH:MM", s)
	}
	return hh*60 + mm, nil
}

// validID accepts record ids of 1 to 32 ASCII letters, digits, '-' or '_'.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
