package httpapi

import (
	"github.com/galenhealth/galen/api"
	"github.com/galenhealth/galen/internal/jsonscan"
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
	p := fastParser{Scanner: jsonscan.Scanner{Data: data}}
	req := &api.OutcomeRequest{}
	var seenObs, seenDesc bool
	ok := p.Object(func(key []byte) bool {
		// A repeated key is left to encoding/json, which decodes the
		// second array into the elements of the first.
		switch string(key) {
		case "observations":
			if seenObs {
				return false
			}
			seenObs = true
			return p.observations(req)
		case "descriptors":
			if seenDesc {
				return false
			}
			seenDesc = true
			return p.descriptors(req)
		}
		return false
	})
	return req, ok && p.End()
}

// fastParser is the scanner behind decodeOutcomeFast. To allocate little,
// it hands out values and raw times from blocks and each parameter name
// once.
type fastParser struct {
	jsonscan.Scanner
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

func (p *fastParser) observations(req *api.OutcomeRequest) bool {
	req.Observations = make([]api.OutcomeObservation, 0, 64)
	return p.Array(func() bool {
		var o api.OutcomeObservation
		ok := p.Object(func(key []byte) bool {
			switch string(key) {
			case "time":
				start := p.Peek()
				from := p.Pos
				switch {
				case start == '"':
					if _, ok := p.String(); !ok {
						return false
					}
				case start == '-' || (start >= '0' && start <= '9'):
					if _, ok := p.Number(); !ok {
						return false
					}
				default:
					return false
				}
				o.Time = p.copyRaw(p.Data[from:p.Pos])
				return true
			case "parameter":
				s, ok := p.String()
				o.Parameter = p.name(s)
				return ok
			case "value":
				if p.Null() {
					o.Value = nil
					return true
				}
				f, ok := p.Float()
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
	return p.Object(func(key []byte) bool {
		f, ok := p.Float()
		req.Descriptors[string(key)] = f
		return ok
	})
}
