package jsonscan

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

func TestDuplicateKey(t *testing.T) {
	many := func(n int, dup bool) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(`"k` + strconv.Itoa(i) + `":1`)
		}
		if dup {
			b.WriteString(`,"k3":2`)
		}
		b.WriteString("}")
		return b.String()
	}
	tests := []struct {
		name   string
		in     string
		key    string
		offset int
		dup    bool
	}{
		{"none", `{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}`, "", 0, false},
		{"top level", `{"inputs":[],"inputs":[]}`, "inputs", 13, true},
		{"nested", `{"a":{"x":1,"y":2,"x":3}}`, "x", 18, true},
		{"in an array element", `[{"n":1},{"n":1,"n":2}]`, "n", 16, true},
		{"escaped same key", `{"a":1,"\u0061":2}`, "a", 7, true},
		{"string values are no keys", `{"a":"a","b":"a"}`, "", 0, false},
		{"strings in arrays are no keys", `{"a":["a","a"]}`, "", 0, false},
		{"quote escaped in key", `{"a\"b":1,"a\"b":2}`, `a"b`, 10, true},
		{"many keys", many(1000, false), "", 0, false},
		{"many keys, one twice", many(1000, true), "k3", len(many(1000, false)) - 1 + 1, true},
		{"malformed", `{"a":1,"a`, "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, off, dup := DuplicateKey([]byte(tt.in))
			if dup != tt.dup || key != tt.key || (dup && off != tt.offset) {
				t.Errorf("DuplicateKey = %q, %d, %v; want %q, %d, %v", key, off, dup, tt.key, tt.offset, tt.dup)
			}
		})
	}
}

// FuzzDuplicateKey compares DuplicateKey with a reference built on
// encoding/json's tokenizer, on valid JSON.
func FuzzDuplicateKey(f *testing.F) {
	for _, s := range []string{`{"a":1,"a":2}`, `{"a":{"b":[{"c":1,"c":2}]}}`, `[{"a":"b","b":"a"}]`, `{"\u00e9":1,"é":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		_, _, got := DuplicateKey(b)
		if want := referenceDuplicate(t, b); got != want {
			t.Fatalf("DuplicateKey(%s) = %v, reference %v", b, got, want)
		}
	})
}

func referenceDuplicate(t *testing.T, b []byte) bool {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	type level struct {
		object bool
		keys   map[string]bool
		key    bool // next token in the object is a key
	}
	var stack []*level
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		top := (*level)(nil)
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				if top != nil && top.object {
					top.key = true
				}
				stack = append(stack, &level{object: true, keys: map[string]bool{}, key: true})
			case '[':
				if top != nil && top.object {
					top.key = true
				}
				stack = append(stack, &level{})
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if top != nil && top.object && top.key {
				if top.keys[v] {
					return true
				}
				top.keys[v] = true
				top.key = false
				continue
			}
			if top != nil && top.object {
				top.key = true
			}
		default:
			if top != nil && top.object {
				top.key = true
			}
		}
	}
}
