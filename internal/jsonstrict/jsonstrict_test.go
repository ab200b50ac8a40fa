package jsonstrict_test

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/galenhealth/galen/internal/jsonstrict"
)

func TestDecode(t *testing.T) {
	type body struct {
		A int `json:"a"`
	}
	tests := []struct {
		name    string
		in      string
		strict  bool
		want    int
		wantErr func(error) bool
	}{
		{"one object", `{"a":1}`, true, 1, nil},
		{"space after", "{\"a\":2}\n\t ", true, 2, nil},
		{"unknown field, strict", `{"a":1,"b":2}`, true, 0, func(err error) bool { return strings.Contains(err.Error(), `unknown field "b"`) }},
		{"unknown field, lenient", `{"a":3,"b":2}`, false, 3, nil},
		{"second value", `{"a":1} {"a":2}`, true, 0, func(err error) bool { return errors.Is(err, jsonstrict.ErrTrailing) }},
		{"stray character", `{"a":1} x`, true, 0, func(err error) bool { return errors.Is(err, jsonstrict.ErrTrailing) }},
		{"empty", ``, true, 0, func(err error) bool { return errors.Is(err, io.EOF) }},
		{"cut short", `{"a":`, true, 0, func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }},
		{"wrong type", `{"a":"x"}`, true, 0, func(err error) bool { var te *json.UnmarshalTypeError; return errors.As(err, &te) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b body
			err := jsonstrict.Decode(strings.NewReader(tt.in), &b, tt.strict)
			if tt.wantErr == nil {
				if err != nil || b.A != tt.want {
					t.Fatalf("got %d, %v; want %d", b.A, err, tt.want)
				}
				return
			}
			if err == nil || !tt.wantErr(err) {
				t.Fatalf("err %v", err)
			}
		})
	}
}
