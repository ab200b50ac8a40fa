package fhir

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/galenhealth/galen/internal/jsonscan"
)

// maxDepth bounds nesting, as encoding/json does.
const maxDepth = 10000

// jsonParser scans JSON with the rules and error messages of
// encoding/json: keys, strings (invalid UTF-8 and lone surrogates become
// U+FFFD), numbers and literals. treeParser (tree.go) parses documents
// with it into flat nodes. The map tree it used to build, which the old
// decoder read, is now test code (jsontree_test.go): FuzzParseJSON checks
// it against encoding/json, and FuzzDecodeDifferential the decoder against
// the old one.
type jsonParser struct {
	data  []byte
	pos   int
	depth int
	keys  map[string]string // object keys seen, so each is allocated once
}

// syntaxError is a JSON syntax error at a byte offset.
type syntaxError struct {
	msg    string
	offset int
}

func (e *syntaxError) Error() string { return e.msg }

func (p *jsonParser) fail(format string, args ...any) error {
	return &syntaxError{msg: fmt.Sprintf(format, args...), offset: p.pos}
}

func (p *jsonParser) space() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := strconv.Quote(string(rune(c)))
	return "'" + s[1:len(s)-1] + "'"
}

func (p *jsonParser) literal(word string) error {
	for i := 0; i < len(word); i++ {
		if p.pos >= len(p.data) {
			return p.fail("unexpected end of input in literal %s", word)
		}
		if p.data[p.pos] != word[i] {
			return p.fail("invalid character %s in literal %s", quoteChar(p.data[p.pos]), word)
		}
		p.pos++
	}
	return nil
}

func (p *jsonParser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.fail("exceeded max depth")
	}
	return nil
}

// scanNumber moves past a JSON number, checking its syntax; at a syntax
// error it stops at the offending byte, as encoding/json reports it.
func (p *jsonParser) scanNumber() error {
	s := jsonscan.Scanner{Data: p.data, Pos: p.pos}
	_, ok := s.Number()
	p.pos = s.Pos
	if !ok {
		return p.badNumber()
	}
	return nil
}

func (p *jsonParser) badNumber() error {
	if p.pos >= len(p.data) {
		return p.fail("unexpected end of input in a number")
	}
	return p.fail("invalid character %s in numeric literal", quoteChar(p.data[p.pos]))
}

// key parses an object key. Keys repeat across resources (code, system,
// valueQuantity...), so plain ones are looked up before being copied.
func (p *jsonParser) key() (string, error) {
	if end := p.plainKeyEnd(); end >= 0 {
		if k, ok := p.keys[string(p.data[p.pos+1:end])]; ok {
			p.pos = end + 1
			return k, nil
		}
	}
	v, err := p.string()
	if err != nil {
		return "", err
	}
	k := v.(string)
	if p.keys == nil {
		p.keys = make(map[string]string, 64)
	}
	if len(k) <= 64 && len(p.keys) < 1024 {
		p.keys[k] = k
	}
	return k, nil
}

// plainKeyEnd returns the index of the quote that closes the key whose
// opening quote is at p.pos, if the key is at most 64 bytes of ASCII
// without escapes or control characters (so its bytes are its name), and
// -1 otherwise.
func (p *jsonParser) plainKeyEnd() int {
	start := p.pos + 1
	for i := start; i < len(p.data) && i-start <= 64; i++ {
		c := p.data[i]
		if c == '"' {
			return i
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			return -1
		}
	}
	return -1
}

// string parses a JSON string; the fast path copies it once.
func (p *jsonParser) string() (any, error) {
	p.pos++ // opening quote
	start := p.pos
	d := p.data
	for p.pos < len(d) {
		c := d[p.pos]
		switch {
		case c == '"':
			s := string(d[start:p.pos])
			p.pos++
			return s, nil
		case c == '\\' || c >= utf8.RuneSelf:
			return p.slowString(start)
		case c < 0x20:
			return nil, p.fail("invalid character %s in string literal", quoteChar(c))
		}
		p.pos++
	}
	return nil, p.fail("unexpected end of input in a string")
}

// slowString handles escapes and non-ASCII text from start.
func (p *jsonParser) slowString(start int) (any, error) {
	d := p.data
	buf := make([]byte, 0, p.pos-start+16)
	buf = append(buf, d[start:p.pos]...)
	for p.pos < len(d) {
		c := d[p.pos]
		switch {
		case c == '"':
			p.pos++
			return string(buf), nil
		case c < 0x20:
			return nil, p.fail("invalid character %s in string literal", quoteChar(c))
		case c == '\\':
			if p.pos+1 >= len(d) {
				return nil, p.fail("unexpected end of input in a string escape")
			}
			e := d[p.pos+1]
			p.pos += 2
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return nil, p.fail("invalid character in \\u hexadecimal character escape")
				}
				if utf16.IsSurrogate(r) {
					// A high surrogate followed by a low one is one rune;
					// anything else is U+FFFD, as encoding/json does.
					if p.pos+1 < len(d) && d[p.pos] == '\\' && d[p.pos+1] == 'u' {
						save := p.pos
						p.pos += 2
						r2, ok := p.hex4()
						if !ok {
							return nil, p.fail("invalid character in \\u hexadecimal character escape")
						}
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							buf = utf8.AppendRune(buf, dec)
							continue
						}
						p.pos = save
					}
					r = utf8.RuneError
				}
				buf = utf8.AppendRune(buf, r)
			default:
				p.pos--
				return nil, p.fail("invalid character %s in string escape code", quoteChar(e))
			}
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			p.pos++
		default:
			r, size := utf8.DecodeRune(d[p.pos:])
			if r == utf8.RuneError && size == 1 {
				buf = utf8.AppendRune(buf, utf8.RuneError)
			} else {
				buf = append(buf, d[p.pos:p.pos+size]...)
			}
			p.pos += size
		}
	}
	return nil, p.fail("unexpected end of input in a string")
}

// hex4 reads four hex digits at p.pos.
func (p *jsonParser) hex4() (rune, bool) {
	if p.pos+4 > len(p.data) {
		return 0, false
	}
	var r rune
	for _, c := range p.data[p.pos : p.pos+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	p.pos += 4
	return r, true
}
