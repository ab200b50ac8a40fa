// Package jsonstrict decodes exactly one JSON value with encoding/json,
// refusing unknown object fields and any data after the value: the strict
// decoding every reader of outside JSON in Galen shares.
package jsonstrict

import (
	"encoding/json"
	"errors"
	"io"
)

// ErrTrailing is returned when more data follows the JSON value.
var ErrTrailing = errors.New("jsonstrict: more data after the first value")

// Decode decodes one JSON value from r into v, refusing unknown fields
// (when strict) and trailing data (ErrTrailing). Errors are encoding/json's
// (*json.SyntaxError, *json.UnmarshalTypeError, "json: unknown field ..."),
// io.EOF for an empty input, ErrTrailing, or what r returned (such as
// *http.MaxBytesError).
func Decode(r io.Reader, v any, strict bool) error {
	dec := json.NewDecoder(r)
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return err
	}
	switch _, err := dec.Token(); {
	case errors.Is(err, io.EOF):
		return nil
	case err == nil:
		return ErrTrailing
	default:
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return ErrTrailing // a stray character after the value
		}
		return err
	}
}
