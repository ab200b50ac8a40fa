package fhir

import (
	"encoding/json"
	"math"
	"unicode/utf8"
)

// kind is the JSON type of a node.
type kind uint8

const (
	kindNull kind = iota
	kindObject
	kindArray
	kindString
	kindNumber
	kindTrue
	kindFalse
)

// node is one JSON value of a document. A document is a slice of nodes in
// document order: a container is followed by its members, each followed
// by its own members, so a subtree is a run of the slice and nothing but
// the slice is allocated. Strings are decoded only when read.
type node struct {
	key   string // the member name, for a member of an object
	start int32  // strings: first byte after the quote; numbers: first byte
	end   int32  // strings: the closing quote; numbers: one past the literal
	next  int32  // index of the next sibling: one past this subtree
	n     int32  // number of members or elements, duplicates included
	kind  kind
	plain bool // a string without escapes or non-ASCII bytes
}

// maxTreeInput bounds documents, whose offsets are kept in int32.
const maxTreeInput = math.MaxInt32

// treeParser parses a document into nodes, with the syntax rules and error
// messages of jsonParser (parseTree), which it reuses for keys, escaped
// strings and numbers.
type treeParser struct {
	jsonParser
	nodes []node
}

// parseNodes parses one JSON value that must fill data but for whitespace.
func parseNodes(data []byte) ([]node, error) {
	if len(data) > maxTreeInput {
		return nil, &syntaxError{msg: "the document is larger than 2 GiB", offset: 0}
	}
	p := &treeParser{jsonParser: jsonParser{data: data}, nodes: make([]node, 0, len(data)/16+4)}
	p.space()
	if err := p.node(""); err != nil {
		return nil, err
	}
	p.space()
	if p.pos < len(p.data) {
		return nil, p.fail("unexpected data after the document")
	}
	return p.nodes, nil
}

// node parses one value at p.pos into a node named key.
func (p *treeParser) node(key string) error {
	if p.pos >= len(p.data) {
		return p.fail("unexpected end of input")
	}
	i := len(p.nodes)
	p.nodes = append(p.nodes, node{key: key})
	var err error
	switch c := p.data[p.pos]; {
	case c == '{':
		err = p.object(i)
	case c == '[':
		err = p.array(i)
	case c == '"':
		err = p.string(i)
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.pos
		err = p.scanNumber()
		p.nodes[i].kind, p.nodes[i].start, p.nodes[i].end = kindNumber, int32(start), int32(p.pos)
	case c == 't':
		p.nodes[i].kind = kindTrue
		err = p.literal("true")
	case c == 'f':
		p.nodes[i].kind = kindFalse
		err = p.literal("false")
	case c == 'n':
		err = p.literal("null")
	default:
		err = p.fail("invalid character %s looking for the beginning of a value", quoteChar(c))
	}
	p.nodes[i].next = int32(len(p.nodes))
	return err
}

func (p *treeParser) object(i int) error {
	if err := p.enter(); err != nil {
		return err
	}
	p.nodes[i].kind = kindObject
	p.pos++ // {
	p.space()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		p.depth--
		return nil
	}
	for {
		p.space()
		if p.pos >= len(p.data) {
			return p.fail("unexpected end of input in an object")
		}
		if p.data[p.pos] != '"' {
			return p.fail("invalid character %s looking for the beginning of an object key string", quoteChar(p.data[p.pos]))
		}
		k, err := p.knownKey()
		if err != nil {
			return err
		}
		p.space()
		if p.pos >= len(p.data) {
			return p.fail("unexpected end of input after an object key")
		}
		if p.data[p.pos] != ':' {
			return p.fail("invalid character %s after object key", quoteChar(p.data[p.pos]))
		}
		p.pos++
		p.space()
		if err := p.node(k); err != nil {
			return err
		}
		p.nodes[i].n++
		p.space()
		if p.pos >= len(p.data) {
			return p.fail("unexpected end of input in an object")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			p.depth--
			return nil
		default:
			return p.fail("invalid character %s after object key:value pair", quoteChar(p.data[p.pos]))
		}
	}
}

func (p *treeParser) array(i int) error {
	if err := p.enter(); err != nil {
		return err
	}
	p.nodes[i].kind = kindArray
	p.pos++ // [
	p.space()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		p.depth--
		return nil
	}
	for {
		p.space()
		if err := p.node(""); err != nil {
			return err
		}
		p.nodes[i].n++
		p.space()
		if p.pos >= len(p.data) {
			return p.fail("unexpected end of input in an array")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			p.depth--
			return nil
		default:
			return p.fail("invalid character %s after array element", quoteChar(p.data[p.pos]))
		}
	}
}

// string checks a string and records where it is; one with escapes or
// non-ASCII text is checked by slowString and decoded again when read.
func (p *treeParser) string(i int) error {
	p.pos++ // opening quote
	start := p.pos
	d := p.data
	for p.pos < len(d) {
		c := d[p.pos]
		switch {
		case c == '"':
			p.nodes[i] = node{key: p.nodes[i].key, kind: kindString, plain: true, start: int32(start), end: int32(p.pos)}
			p.pos++
			return nil
		case c == '\\' || c >= utf8.RuneSelf:
			if _, err := p.slowString(start); err != nil {
				return err
			}
			p.nodes[i] = node{key: p.nodes[i].key, kind: kindString, start: int32(start), end: int32(p.pos - 1)}
			return nil
		case c < 0x20:
			return p.fail("invalid character %s in string literal", quoteChar(c))
		}
		p.pos++
	}
	return p.fail("unexpected end of input in a string")
}

// knownKey parses an object key, returning the element names of R4 that
// this package knows without allocating.
func (p *treeParser) knownKey() (string, error) {
	start := p.pos + 1
	for i := start; i < len(p.data) && i-start <= 64; i++ {
		c := p.data[i]
		if c == '"' {
			if k, ok := knownKeys[string(p.data[start:i])]; ok {
				p.pos = i + 1
				return k, nil
			}
			break
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
	}
	return p.key()
}

// knownKeys holds every element name of the field sets (fields adds
// them), so the parser allocates no key it knows.
var knownKeys = map[string]string{}

// text returns the decoded value of string node n of data.
func text(data []byte, n *node) string {
	if n.plain {
		return string(data[n.start:n.end])
	}
	return decodeString(data, n)
}

// decodeString decodes a string node with escapes or non-ASCII text as
// parseTree does; the parser has checked it.
func decodeString(data []byte, n *node) string {
	p := jsonParser{data: data, pos: int(n.start)}
	v, err := p.slowString(int(n.start))
	if err != nil {
		return "" // not reached: the string was checked when parsed
	}
	return v.(string)
}

// toAny builds the parseTree value of node i of nodes.
func toAny(data []byte, nodes []node, i int) any {
	n := &nodes[i]
	switch n.kind {
	case kindObject:
		m := make(map[string]any, n.n)
		for j, c := i+1, int32(0); c < n.n; c++ {
			m[nodes[j].key] = toAny(data, nodes, j)
			j = int(nodes[j].next)
		}
		return m
	case kindArray:
		a := make([]any, 0, n.n)
		for j, c := i+1, int32(0); c < n.n; c++ {
			a = append(a, toAny(data, nodes, j))
			j = int(nodes[j].next)
		}
		return a
	case kindString:
		return text(data, n)
	case kindNumber:
		return json.Number(data[n.start:n.end])
	case kindTrue:
		return true
	case kindFalse:
		return false
	}
	return nil
}
