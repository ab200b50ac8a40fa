package fhir

import (
	"encoding/json"
	"math"
	"sync"
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
// by its own members, so a subtree is a run of the slice. Nodes hold no
// pointers and the slices are reused; strings are decoded only when read.
type node struct {
	key   int32 // the member name of a member of an object, as a keyID
	start int32 // strings: first byte after the quote; numbers: first byte
	end   int32 // strings: the closing quote; numbers: one past the literal
	next  int32 // index of the next sibling: one past this subtree
	n     int32 // number of members or elements, duplicates included
	kind  kind
	plain bool  // a string without escapes or non-ASCII bytes
	hash  uint8 // keyHash of the member name, to skip most names unread
	// mask has bit keyHash%64 set for each member of an object, so most
	// lookups of an absent member read no member.
	mask uint64
}

// maxTreeInput bounds documents, whose offsets are kept in int32.
const maxTreeInput = math.MaxInt32

// treeParser parses a document into nodes, with the syntax rules and error
// messages of jsonParser (parseTree), which it reuses for keys, escaped
// strings and numbers.
type treeParser struct {
	jsonParser
	nodes    []node
	extra    []string // names of members that are not knownKeys; keyID -1 is extra[0]
	extraIDs map[string]int32
}

// noKey is the key of a node that is not a member of an object.
const noKey int32 = math.MinInt32

// nodePool holds node slices for reuse (as *[]node); a Bundle of a few
// hundred Observations takes some thousand nodes.
var nodePool sync.Pool

// maxPooled bounds the node slices kept for reuse.
const maxPooled = 1 << 16

// parseNodes parses one JSON value that must fill data but for whitespace.
// The caller gives the nodes back with releaseNodes when done with them.
func parseNodes(data []byte) ([]node, []string, error) {
	if len(data) > maxTreeInput {
		return nil, nil, &syntaxError{msg: "the document is larger than 2 GiB", offset: 0}
	}
	var nodes []node
	if buf, ok := nodePool.Get().(*[]node); ok {
		nodes = (*buf)[:0]
	} else {
		nodes = make([]node, 0, len(data)/16+4)
	}
	p := &treeParser{jsonParser: jsonParser{data: data}, nodes: nodes}
	p.space()
	err := p.node(noKey, 0)
	if err == nil {
		p.space()
		if p.pos < len(p.data) {
			err = p.fail("unexpected data after the document")
		}
	}
	if err != nil {
		releaseNodes(p.nodes)
		return nil, nil, err
	}
	return p.nodes, p.extra, nil
}

// releaseNodes gives nodes back for reuse.
func releaseNodes(nodes []node) {
	if cap(nodes) > 0 && cap(nodes) <= maxPooled {
		nodePool.Put(&nodes)
	}
}

// node parses one value at p.pos into a node named key.
func (p *treeParser) node(key int32, hash uint8) error {
	if p.pos >= len(p.data) {
		return p.fail("unexpected end of input")
	}
	i := len(p.nodes)
	p.nodes = append(p.nodes, node{key: key, hash: hash})
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
		h := uint8(0)
		if k >= 0 {
			h = keyHashes[k]
		} else {
			h = keyHash(p.extra[-k-1])
		}
		if err := p.node(k, h); err != nil {
			return err
		}
		p.nodes[i].mask |= 1 << (h % 64)
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
		if err := p.node(noKey, 0); err != nil {
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
			p.nodes[i].kind, p.nodes[i].plain, p.nodes[i].start, p.nodes[i].end = kindString, true, int32(start), int32(p.pos)
			p.pos++
			return nil
		case c == '\\' || c >= utf8.RuneSelf:
			if _, err := p.slowString(start); err != nil {
				return err
			}
			p.nodes[i].kind, p.nodes[i].start, p.nodes[i].end = kindString, int32(start), int32(p.pos-1)
			return nil
		case c < 0x20:
			return p.fail("invalid character %s in string literal", quoteChar(c))
		}
		p.pos++
	}
	return p.fail("unexpected end of input in a string")
}

// knownKey parses an object key and returns its keyID; the element names
// this package knows take no allocation.
func (p *treeParser) knownKey() (int32, error) {
	if end := p.plainKeyEnd(); end >= 0 {
		if id, ok := knownKeys[string(p.data[p.pos+1:end])]; ok {
			p.pos = end + 1
			return id, nil
		}
	}
	k, err := p.key()
	if err != nil {
		return 0, err
	}
	if id, ok := knownKeys[k]; ok { // a known name written with escapes
		return id, nil
	}
	if id, ok := p.extraIDs[k]; ok {
		return id, nil
	}
	if p.extraIDs == nil {
		p.extraIDs = map[string]int32{}
	}
	p.extra = append(p.extra, k)
	p.extraIDs[k] = int32(-len(p.extra))
	return int32(-len(p.extra)), nil
}

// Member names are keyIDs: an index of keyNames for the names in
// knownKeys, which fields fills at init, or -1-i for the i-th extra name of
// a document.
var (
	knownKeys = map[string]int32{}
	keyNames  []string
	keyHashes []uint8 // keyHash of keyNames
)

// keyHash is a cheap hash of a member name.
func keyHash(s string) uint8 {
	if s == "" {
		return 0
	}
	return uint8(len(s)*31 + int(s[0])*7 + int(s[len(s)/2])*13 + int(s[len(s)-1])*131)
}

// knownKeyID returns the keyID of name, adding it to knownKeys; only init
// calls it.
func knownKeyID(name string) int32 {
	id, ok := knownKeys[name]
	if !ok {
		id = int32(len(keyNames))
		knownKeys[name] = id
		keyNames = append(keyNames, name)
		keyHashes = append(keyHashes, keyHash(name))
	}
	return id
}

// keyName returns the name of keyID id, given a document's extra names.
func keyName(id int32, extra []string) string {
	if id >= 0 {
		return keyNames[id]
	}
	return extra[-id-1]
}

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
func toAny(data []byte, nodes []node, extra []string, i int) any {
	n := &nodes[i]
	switch n.kind {
	case kindObject:
		m := make(map[string]any, n.n)
		for j, c := i+1, int32(0); c < n.n; c++ {
			m[keyName(nodes[j].key, extra)] = toAny(data, nodes, extra, j)
			j = int(nodes[j].next)
		}
		return m
	case kindArray:
		a := make([]any, 0, n.n)
		for j, c := i+1, int32(0); c < n.n; c++ {
			a = append(a, toAny(data, nodes, extra, j))
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
