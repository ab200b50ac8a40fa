package fhir

// The map[string]any tree that the old decoder (reference_test.go) reads:
// what encoding/json builds with UseNumber (objects as map[string]any,
// arrays as []any, numbers as json.Number, the last of duplicate keys
// winning), parsed with jsonParser's scanning. FuzzParseJSON checks it
// against encoding/json.

import "encoding/json"

// parseTree parses one JSON value that must fill data but for whitespace.
func parseTree(data []byte) (any, error) {
	p := &jsonParser{data: data}
	p.space()
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos < len(p.data) {
		return nil, p.fail("unexpected data after the document")
	}
	return v, nil
}

func (p *jsonParser) value() (any, error) {
	if p.pos >= len(p.data) {
		return nil, p.fail("unexpected end of input")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		return p.string()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	default:
		return nil, p.fail("invalid character %s looking for the beginning of a value", quoteChar(c))
	}
}

func (p *jsonParser) object() (any, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	p.pos++ // {
	m := map[string]any{}
	p.space()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		p.depth--
		return m, nil
	}
	for {
		p.space()
		if p.pos >= len(p.data) {
			return nil, p.fail("unexpected end of input in an object")
		}
		if p.data[p.pos] != '"' {
			return nil, p.fail("invalid character %s looking for the beginning of an object key string", quoteChar(p.data[p.pos]))
		}
		k, err := p.key()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.pos >= len(p.data) {
			return nil, p.fail("unexpected end of input after an object key")
		}
		if p.data[p.pos] != ':' {
			return nil, p.fail("invalid character %s after object key", quoteChar(p.data[p.pos]))
		}
		p.pos++
		p.space()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		m[k] = v
		p.space()
		if p.pos >= len(p.data) {
			return nil, p.fail("unexpected end of input in an object")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			p.depth--
			return m, nil
		default:
			return nil, p.fail("invalid character %s after object key:value pair", quoteChar(p.data[p.pos]))
		}
	}
}

func (p *jsonParser) array() (any, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	p.pos++ // [
	a := []any{}
	p.space()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		p.depth--
		return a, nil
	}
	for {
		p.space()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		a = append(a, v)
		p.space()
		if p.pos >= len(p.data) {
			return nil, p.fail("unexpected end of input in an array")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			p.depth--
			return a, nil
		default:
			return nil, p.fail("invalid character %s after array element", quoteChar(p.data[p.pos]))
		}
	}
}

func (p *jsonParser) number() (any, error) {
	start := p.pos
	if err := p.scanNumber(); err != nil {
		return nil, err
	}
	return json.Number(p.data[start:p.pos]), nil
}
