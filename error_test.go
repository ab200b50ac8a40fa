package galen_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/galenhealth/galen"
)

func TestErrorCodeAndMessage(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantCode string
		wantMsg  string
	}{
		{"nil", nil, "", ""},
		{"plain", io.EOF, galen.EINTERNAL, "internal error"},
		{"direct", galen.Errorf(galen.ENOTFOUND, "model %q not found", "x"), galen.ENOTFOUND, `model "x" not found`},
		{"wrapped", fmt.Errorf("load: %w", galen.Errorf(galen.EINVALID, "bad shape")), galen.EINVALID, "bad shape"},
		{"wraps cause", galen.WrapError(galen.EINTERNAL, "", io.ErrUnexpectedEOF), galen.EINTERNAL, "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := galen.ErrorCode(tt.err); got != tt.wantCode {
				t.Errorf("ErrorCode = %q, want %q", got, tt.wantCode)
			}
			if got := galen.ErrorMessage(tt.err); got != tt.wantMsg {
				t.Errorf("ErrorMessage = %q, want %q", got, tt.wantMsg)
			}
		})
	}
	if err := galen.WrapError(galen.EINTERNAL, "x", io.ErrUnexpectedEOF); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Error("errors.Is does not see through *Error")
	}
}
