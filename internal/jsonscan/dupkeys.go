package jsonscan

import (
	"encoding/json"
	"slices"
)

// DuplicateKey returns the first object key in the JSON text data that
// appears twice in one object (compared after unescaping, so "a" and
// "\u0061" are the same key) and the byte offset of its second
// appearance; ok is false when there is none. encoding/json and the fast
// decoders keep the last of duplicate keys while other parsers keep the
// first, so two readers of one body could disagree about it: callers
// refuse such bodies. It does not check the rest of the grammar: run it on
// text a decoder checks too. It takes linear time and allocates only for
// the keys of open objects.
func DuplicateKey(data []byte) (key string, offset int, ok bool) {
	// stack holds the keys seen in each open object, and the open arrays,
	// so that strings in arrays are not taken for keys.
	type level struct {
		object bool
		keys   []string            // the first few keys
		many   map[string]struct{} // all keys, once there are many
	}
	var stack []level
	expectKey := false // the next string in the current object is a key
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '{':
			stack = append(stack, level{object: true})
			expectKey = true
		case '[':
			stack = append(stack, level{})
			expectKey = false
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			expectKey = false
		case ',':
			expectKey = len(stack) > 0 && stack[len(stack)-1].object
		case ':':
			expectKey = false
		case '"':
			start := i
			escaped := false
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					escaped = true
					i++
				}
			}
			if !expectKey || len(stack) == 0 || i >= len(data) {
				continue
			}
			k := string(data[start+1 : i])
			if escaped {
				var s string
				if json.Unmarshal(data[start:i+1], &s) != nil {
					continue // malformed: the decoder says so
				}
				k = s
			}
			top := &stack[len(stack)-1]
			if top.many != nil {
				if _, dup := top.many[k]; dup {
					return k, start, true
				}
				top.many[k] = struct{}{}
			} else {
				if slices.Contains(top.keys, k) {
					return k, start, true
				}
				top.keys = append(top.keys, k)
				if len(top.keys) > 16 {
					top.many = make(map[string]struct{}, 2*len(top.keys))
					for _, x := range top.keys {
						top.many[x] = struct{}{}
					}
				}
			}
			expectKey = false
		}
	}
	return "", 0, false
}
