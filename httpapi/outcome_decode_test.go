package httpapi

import (
	"reflect"
	"testing"
)

func TestDecodeOutcomeFast(t *testing.T) {
	tests := []struct {
		name string
		body string
		fast bool // decodeOutcomeFast takes it (else encoding/json decides)
	}{
		{"typical", `{"observations":[{"time":"00:10","parameter":"HR","value":88},{"time":95,"parameter":"pH","value":7.31}],"descriptors":{"Age":64,"Gender":1}}`, true},
		{"spaced", " {\n \"descriptors\" : { } ,\t\"observations\" : [ { \"value\" : -1.5e2 , \"parameter\" : \"Temp\" , \"time\" : \"47:59\" } ] } \n", true},
		{"empty object", `{}`, true},
		{"empty arrays", `{"observations":[],"descriptors":{}}`, true},
		{"null value", `{"observations":[{"time":"00:00","parameter":"HR","value":null}]}`, true},
		{"missing members", `{"observations":[{}]}`, true},
		{"duplicate key, last wins", `{"observations":[{"time":"00:00","parameter":"HR","value":1,"value":2}]}`, true},
		{"negative zero", `{"observations":[{"time":0,"parameter":"HR","value":-0}]}`, true},
		{"odd time kept raw", `{"observations":[{"time":-3.5e1,"parameter":"HR","value":1}]}`, true},
		{"unknown field", `{"observations":[],"extra":1}`, false},
		{"observations twice", `{"observations":[{"time":"00:10","parameter":"HR","value":88}],"observations":[{}]}`, false},
		{"descriptors twice", `{"descriptors":{"Age":60},"descriptors":{"Weight":70}}`, false},
		{"key in other case", `{"Observations":[]}`, false},
		{"escaped string", `{"observations":[{"time":"00:00","parameter":"H\u0052","value":1}]}`, false},
		{"non-ascii", `{"observations":[{"time":"00:00","parameter":"HRé","value":1}]}`, false},
		{"number out of range", `{"observations":[{"time":"00:00","parameter":"HR","value":1e999}]}`, false},
		{"string value", `{"observations":[{"time":"00:00","parameter":"HR","value":"88"}]}`, false},
		{"time null", `{"observations":[{"time":null,"parameter":"HR","value":1}]}`, false},
		{"descriptor null", `{"descriptors":{"Age":null}}`, false},
		{"observations null", `{"observations":null}`, false},
		{"leading zero", `{"observations":[{"time":"00:00","parameter":"HR","value":01}]}`, false},
		{"trailing comma", `{"observations":[{"time":"00:00","parameter":"HR","value":1},]}`, false},
		{"trailing data", `{"observations":[]} {}`, false},
		{"truncated", `{"observations":[{"time":"00:00","param`, false},
		{"top-level array", `[]`, false},
		{"top-level null", `null`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := decodeOutcomeFast([]byte(tt.body))
			if ok != tt.fast {
				t.Fatalf("fast path took it: %v, want %v", ok, tt.fast)
			}
			if !ok {
				return
			}
			want, err := decodeOutcomeJSON([]byte(tt.body))
			if err != nil {
				t.Fatalf("encoding/json refuses what the fast path took: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("fast %+v\nencoding/json %+v", got, want)
			}
		})
	}
}

// FuzzDecodeOutcomeFast checks the fast path against encoding/json: what
// it takes, encoding/json must take too and decode to the same request.
func FuzzDecodeOutcomeFast(f *testing.F) {
	for _, s := range []string{
		`{"observations":[{"time":"00:10","parameter":"HR","value":88},{"time":95,"parameter":"pH","value":7.31}],"descriptors":{"Age":64}}`,
		`{"observations":[{"time":"00:00","parameter":"HR","value":null}]}`,
		`{"descriptors":{"Weight":-1,"Weight":70.5}}`,
		`{"observations":[{"time":1e2,"parameter":"","value":-0.0E-0}]}`,
		`{}`, `[]`, `null`, ` { } `,
		`{"observations":[{"time":"00:10","parameter":"HR","value":88}],"observations":[{}]}`,
		`{"observations":[{"time":1,"value":2}],"descriptors":{"Age":1},"observations":[{"parameter":"pH"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, ok := decodeOutcomeFast(body)
		if !ok {
			return
		}
		want, err := decodeOutcomeJSON(body)
		if err != nil {
			t.Fatalf("fast path took %q, encoding/json: %v", body, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\nfast %+v\nencoding/json %+v", body, got, want)
		}
	})
}

// BenchmarkDecodeOutcome decodes a real stay's plain body (record 132539)
// with the fast path and with encoding/json.
func BenchmarkDecodeOutcome(b *testing.B) {
	body := plainBody(b, realStay(b))
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, ok := decodeOutcomeFast(body); !ok {
				b.Fatal("fast path refused the body")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := decodeOutcomeJSON(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
