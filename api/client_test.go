package api_test

import (
	"net/http"
	"testing"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/api"
)

func TestNewClient(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8080", true},
		{"https://galen.example.org/", true},
		{"127.0.0.1:8080", false},
		{"ftp://x", false},
		{"http://", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := api.NewClient(tt.url, "k")
			if (err == nil) != tt.ok {
				t.Errorf("err = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && galen.ErrorCode(err) != galen.EINVALID {
				t.Errorf("code %q, want %q", galen.ErrorCode(err), galen.EINVALID)
			}
		})
	}
}

func TestCodeForStatus(t *testing.T) {
	tests := []struct {
		status int
		want   string
	}{
		{http.StatusBadRequest, galen.EINVALID}, {http.StatusUnauthorized, galen.EUNAUTHORIZED},
		{http.StatusTooManyRequests, galen.EBUSY}, {http.StatusBadGateway, galen.EINTERNAL},
		{http.StatusMethodNotAllowed, galen.EINVALID}, {http.StatusPreconditionFailed, galen.EPRECONDITION},
	}
	for _, tt := range tests {
		if got := api.CodeForStatus(tt.status); got != tt.want {
			t.Errorf("CodeForStatus(%d) = %q, want %q", tt.status, got, tt.want)
		}
	}
}

// TestStatusForCode pins the server's side of the one code <-> status
// table against the HTTP semantics of each code.
func TestStatusForCode(t *testing.T) {
	tests := []struct {
		code     string
		status   int
		fhirCode string
	}{
		{galen.EINVALID, 400, "invalid"}, {galen.EUNAUTHORIZED, 401, "login"}, {galen.EFORBIDDEN, 403, "forbidden"},
		{galen.ENOTFOUND, 404, "not-found"}, {galen.ECONFLICT, 409, "conflict"}, {galen.EPRECONDITION, 412, "incomplete"},
		{galen.ETOOLARGE, 413, "too-costly"}, {galen.EUNSUPPORTED, 415, "not-supported"}, {galen.EBUSY, 429, "throttled"},
		{galen.EUNAVAILABLE, 503, "transient"}, {galen.EINTERNAL, 500, "exception"}, {"no-such-code", 500, "exception"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			if got := api.StatusForCode(tt.code); got != tt.status {
				t.Errorf("StatusForCode = %d, want %d", got, tt.status)
			}
			if got := api.FHIRIssueCode(tt.code); got != tt.fhirCode {
				t.Errorf("FHIRIssueCode = %q, want %q", got, tt.fhirCode)
			}
		})
	}
}
