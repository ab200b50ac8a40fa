// Package jsonscan is a small JSON scanner for the request bodies that
// dominate Galen's serving time (numeric tensors, plain outcome requests).
// It takes only the simple, common forms: strings of printable ASCII
// without escapes, numbers that fit their Go type. Callers report false for
// anything else and decode with encoding/json, whose result and errors
// stay the reference; each fast path is fuzzed against it.
package jsonscan

import "strconv"

// Scanner reads JSON from Data, starting at Pos.
type Scanner struct {
	Data []byte
	Pos  int
}

// Space skips whitespace.
func (s *Scanner) Space() {
	for s.Pos < len(s.Data) {
		switch s.Data[s.Pos] {
		case ' ', '\t', '\n', '\r':
			s.Pos++
		default:
			return
		}
	}
}

// Peek skips whitespace and returns the next byte, or 0 at the end.
func (s *Scanner) Peek() byte {
	s.Space()
	if s.Pos < len(s.Data) {
		return s.Data[s.Pos]
	}
	return 0
}

// Consume skips whitespace and then c, reporting whether c was there.
func (s *Scanner) Consume(c byte) bool {
	if s.Peek() == c && s.Pos < len(s.Data) {
		s.Pos++
		return true
	}
	return false
}

// End reports whether only whitespace is left.
func (s *Scanner) End() bool {
	s.Space()
	return s.Pos == len(s.Data)
}

// Object parses {"key": value, ...}, handing each key (aliasing Data) to
// member, which parses the value.
func (s *Scanner) Object(member func(key []byte) bool) bool {
	if !s.Consume('{') {
		return false
	}
	if s.Consume('}') {
		return true
	}
	for {
		key, ok := s.String()
		if !ok || !s.Consume(':') || !member(key) {
			return false
		}
		if s.Consume(',') {
			continue
		}
		return s.Consume('}')
	}
}

// Array parses [value, ...], calling elem to parse each value.
func (s *Scanner) Array(elem func() bool) bool {
	if !s.Consume('[') {
		return false
	}
	if s.Consume(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if s.Consume(',') {
			continue
		}
		return s.Consume(']')
	}
}

// String parses a string of printable ASCII without escapes and returns
// its contents (aliasing Data).
func (s *Scanner) String() ([]byte, bool) {
	if !s.Consume('"') {
		return nil, false
	}
	start := s.Pos
	for s.Pos < len(s.Data) {
		c := s.Data[s.Pos]
		switch {
		case c == '"':
			s.Pos++
			return s.Data[start : s.Pos-1], true
		case c < 0x20 || c >= 0x7f || c == '\\':
			return nil, false
		}
		s.Pos++
	}
	return nil, false
}

// Number parses a number by JSON's grammar and returns its text.
func (s *Scanner) Number() ([]byte, bool) {
	s.Space()
	d, start := s.Data, s.Pos
	digits := func() bool {
		n := s.Pos
		for s.Pos < len(d) && d[s.Pos] >= '0' && d[s.Pos] <= '9' {
			s.Pos++
		}
		return s.Pos > n
	}
	if s.Pos < len(d) && d[s.Pos] == '-' {
		s.Pos++
	}
	switch {
	case s.Pos < len(d) && d[s.Pos] == '0':
		s.Pos++
	case !digits():
		return nil, false
	}
	if s.Pos < len(d) && d[s.Pos] == '.' {
		s.Pos++
		if !digits() {
			return nil, false
		}
	}
	if s.Pos < len(d) && (d[s.Pos] == 'e' || d[s.Pos] == 'E') {
		s.Pos++
		if s.Pos < len(d) && (d[s.Pos] == '+' || d[s.Pos] == '-') {
			s.Pos++
		}
		if !digits() {
			return nil, false
		}
	}
	return d[start:s.Pos], true
}

// Float parses a number that fits a float64.
func (s *Scanner) Float() (float64, bool) {
	n, ok := s.Number()
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	return f, err == nil
}

// Null parses null.
func (s *Scanner) Null() bool {
	s.Space()
	if len(s.Data)-s.Pos >= 4 && string(s.Data[s.Pos:s.Pos+4]) == "null" {
		s.Pos += 4
		return true
	}
	return false
}
