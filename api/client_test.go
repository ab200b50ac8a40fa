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
		{http.StatusMethodNotAllowed, galen.EINVALID},
	}
	for _, tt := range tests {
		if got := api.CodeForStatus(tt.status); got != tt.want {
			t.Errorf("CodeForStatus(%d) = %q, want %q", tt.status, got, tt.want)
		}
	}
}
