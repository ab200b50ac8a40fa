package httpapi

import (
	"strconv"

	"github.com/galenhealth/galen/api"
)

// decodeOutcomeFast decodes the common form of a plain /v1/outcome/predict
// body without reflection: an object with "observations" (objects with
// "time", "parameter" and "value") and "descriptors" (names to numbers),
// keys spelt exactly so, strings of printable ASCII without escapes. It
// reports false for anything else (a syntax error, another key, an escape,
// a number out of range), and the caller then decodes with encoding/json,
// which gives the same result on what this accepts (FuzzDecodeOutcomeFast)
// and its usual errors on the rest. A plain body is mostly numbers and
// short names, and encoding/json spent about a fifth of a request's CPU on
// it.
func decodeOutcomeFast(data []byte) (*api.OutcomeRequest, bool) {
	p := fastParser{data: data}
	req := &api.OutcomeRequest{}
	ok := p.object(func(key []byte) bool {
		switch string(key) {
		case "observations":
			return p.observations(req)
		case "descriptors":
			return p.descriptors(req)
		}
		return false
	})
	p.space()
	return req, ok && p.pos == len(p.data)
}

// fastParser is the scanner behind decodeOutcomeFast. To allocate little,
// it hands out values and raw times from blocks and each parameter name
// once.
type fastParser struct {
	data   []byte
	pos    int
	values []float64         // block for Observation.Value
	raw    []byte            // block for Observation.Time
	names  map[string]string // parameter names seen
}

// value returns a pointer to a new float64 holding f.
func (p *fastParser) value(f float64) *float64 {
	if len(p.values) == cap(p.values) {
		p.values = make([]float64, 0, 256)
	}
	p.values = append(p.values, f)
	return &p.values[len(p.values)-1]
}

// copyRaw returns a copy of b with its capacity clipped.
func (p *fastParser) copyRaw(b []byte) []byte {
	if cap(p.raw)-len(p.raw) < len(b) {
		p.raw = make([]byte, 0, max(4096, len(b)))
	}
	n := len(p.raw)
	p.raw = append(p.raw, b...)
	return p.raw[n:len(p.raw):len(p.raw)]
}

// name returns b as a string, the same string each time.
func (p *fastParser) name(b []byte) string {
	if s, ok := p.names[string(b)]; ok {
		return s
	}
	if p.names == nil {
		p.names = map[string]string{}
	}
	s := string(b)
	p.names[s] = s
	return s
}

func (p *fastParser) space() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// consume skips space and then c, reporting whether c was there.
func (p *fastParser) consume(c byte) bool {
	p.space()
	if p.pos < len(p.data) && p.data[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

func (p *fastParser) peek() byte {
	p.space()
	if p.pos < len(p.data) {
		return p.data[p.pos]
	}
	return 0
}

// object parses {"key": value, ...}, handing each key to member, which
// parses the value.
func (p *fastParser) object(member func(key []byte) bool) bool {
	if !p.consume('{') {
		return false
	}
	if p.consume('}') {
		return true
	}
	for {
		key, ok := p.str()
		if !ok || !p.consume(':') || !member(key) {
			return false
		}
		if p.consume(',') {
			continue
		}
		return p.consume('}')
	}
}

// array parses [value, ...], calling elem for each value.
func (p *fastParser) array(elem func() bool) bool {
	if !p.consume('[') {
		return false
	}
	if p.consume(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if p.consume(',') {
			continue
		}
		return p.consume(']')
	}
}

// str parses a string of printable ASCII without escapes and returns its
// contents (aliasing data).
func (p *fastParser) str() ([]byte, bool) {
	if !p.consume('"') {
		return nil, false
	}
	start := p.pos
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			return p.data[start : p.pos-1], true
		case c < 0x20 || c >= 0x7f || c == '\\':
			return nil, false
		}
		p.pos++
	}
	return nil, false
}

// number parses a JSON number and returns its text.
func (p *fastParser) number() ([]byte, bool) {
	p.space()
	d, start := p.data, p.pos
	digits := func() bool {
		n := p.pos
		for p.pos < len(d) && d[p.pos] >= '0' && d[p.pos] <= '9' {
			p.pos++
		}
		return p.pos > n
	}
	if p.pos < len(d) && d[p.pos] == '-' {
		p.pos++
	}
	switch {
	case p.pos < len(d) && d[p.pos] == '0':
		p.pos++
	case !digits():
		return nil, false
	}
	if p.pos < len(d) && d[p.pos] == '.' {
		p.pos++
		if !digits() {
			return nil, false
		}
	}
	if p.pos < len(d) && (d[p.pos] == 'e' || d[p.pos] == 'E') {
		p.pos++
		if p.pos < len(d) && (d[p.pos] == '+' || d[p.pos] == '-') {
			p.pos++
		}
		if !digits() {
			return nil, false
		}
	}
	return d[start:p.pos], true
}

// float parses a number that fits a float64.
func (p *fastParser) float() (float64, bool) {
	s, ok := p.number()
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(s), 64)
	return f, err == nil
}

func (p *fastParser) null() bool {
	p.space()
	if len(p.data)-p.pos >= 4 && string(p.data[p.pos:p.pos+4]) == "null" {
		p.pos += 4
		return true
	}
	return false
}

func (p *fastParser) observations(req *api.OutcomeRequest) bool {
	req.Observations = make([]api.OutcomeObservation, 0, 64)
	return p.array(func() bool {
		var o api.OutcomeObservation
		ok := p.object(func(key []byte) bool {
			switch string(key) {
			case "time":
				start := p.peek()
				from := p.pos
				switch {
				case start == '"':
					if _, ok := p.str(); !ok {
						return false
					}
				case start == '-' || (start >= '0' && start <= '9'):
					if _, ok := p.number(); !ok {
						return false
					}
				default:
					return false
				}
				o.Time = p.copyRaw(p.data[from:p.pos])
				return true
			case "parameter":
				s, ok := p.str()
				o.Parameter = p.name(s)
				return ok
			case "value":
				if p.null() {
					o.Value = nil
					return true
				}
				f, ok := p.float()
				o.Value = p.value(f)
				return ok
			}
			return false
		})
		req.Observations = append(req.Observations, o)
		return ok
	})
}

func (p *fastParser) descriptors(req *api.OutcomeRequest) bool {
	if req.Descriptors == nil {
		req.Descriptors = map[string]float64{}
	}
	return p.object(func(key []byte) bool {
		f, ok := p.float()
		req.Descriptors[string(key)] = f
		return ok
	})
}
