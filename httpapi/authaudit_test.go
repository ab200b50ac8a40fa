package httpapi

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/inference"
)

// TestAuthFailureAudited checks that a request refused with 401 on a route
// that needs a key leaves an audit event naming the route and which key,
// never the secret, while a public route leaves none.
func TestAuthFailureAudited(t *testing.T) {
	tests := []struct {
		name      string
		who       string // key of the env to send; "" for none
		path      string
		wantKeyID string // "" for no event
	}{
		{"no key", "", "/v1/models", auditNoKey},
		{"unknown key", "bogus", "/v1/models/lin", auditUnknownKey},
		{"revoked key", "revoked", "/v1/audit", "revoked"},
		{"public route", "", "/v2/health/ready", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, Config{}, inference.Config{}, nil)
			env.keys["bogus"] = "glk_" + strings.Repeat("x", 40)
			since := time.Now().Add(-time.Second)
			resp, _ := env.do(t, tt.who, "GET", tt.path, "", nil)
			events, _, err := env.store.FindAuditEvents(context.Background(), galen.AuditFilter{Since: &since})
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantKeyID == "" {
				if resp.StatusCode != http.StatusOK || len(events) != 0 {
					t.Fatalf("status %d, %d events; want 200 and none", resp.StatusCode, len(events))
				}
				return
			}
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", resp.StatusCode)
			}
			want := tt.wantKeyID
			if id, ok := env.keyIDs[want]; ok {
				want = id
			}
			if len(events) != 1 {
				t.Fatalf("%d audit events, want 1", len(events))
			}
			e := events[0]
			if e.KeyID != want || e.Status != http.StatusUnauthorized || e.Method != "GET" || !strings.HasPrefix(tt.path, strings.Split(e.Route, "{")[0]) {
				t.Errorf("event %+v, want key %q, 401, GET and the route of %s", e, want, tt.path)
			}
			if e.Client != "127.0.0.1" {
				t.Errorf("event client %q, want 127.0.0.1 (the test's address)", e.Client)
			}
			for _, secret := range env.keys {
				if strings.Contains(e.KeyID, secret) || strings.Contains(e.Route, secret) {
					t.Errorf("event %+v holds a secret", e)
				}
			}
		})
	}
}

// TestAuthFailureAuditLimit checks that failures past the limit per second
// are counted in the metrics instead of written to the audit log.
func TestAuthFailureAuditLimit(t *testing.T) {
	env := newEnv(t, Config{}, inference.Config{}, nil)
	env.srv.authFailures.max = 0 // every failure is past the limit
	since := time.Now().Add(-time.Second)
	for range 3 {
		if resp, _ := env.do(t, "", "GET", "/v1/models", "", nil); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", resp.StatusCode)
		}
	}
	events, _, err := env.store.FindAuditEvents(context.Background(), galen.AuditFilter{Since: &since})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 0 {
		t.Errorf("%d audit events past the limit, want 0", len(events))
	}
	resp, body := env.do(t, "admin", "GET", "/metrics", "", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "galen_auth_failures_unaudited_total 3") {
		t.Errorf("metrics (status %d) do not count 3 unaudited failures", resp.StatusCode)
	}
}

// TestForbiddenAudited checks that a key used beyond its role is audited
// on a route that is not audited otherwise.
func TestForbiddenAudited(t *testing.T) {
	env := newEnv(t, Config{}, inference.Config{}, nil)
	since := time.Now().Add(-time.Second)
	if resp, _ := env.do(t, "clinician", "GET", "/v1/keys", "", nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("status %d, want 403", resp.StatusCode)
	}
	events, _, err := env.store.FindAuditEvents(context.Background(), galen.AuditFilter{Since: &since})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].KeyID != env.keyIDs["clinician"] || events[0].Role != galen.RoleClinician ||
		events[0].Status != http.StatusForbidden || events[0].Route != "/v1/keys" || events[0].Client != "127.0.0.1" {
		t.Fatalf("events %+v, want one 403 of the clinician key on /v1/keys", events)
	}
}

func TestPeerIP(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"192.0.2.1:5000", "192.0.2.1"},
		{"[2001:db8::1]:443", "2001:db8::1"},
		{"@", "@"}, // a unix socket peer has no port
		{"", ""},
	}
	for _, tt := range tests {
		if got := peerIP(tt.addr); got != tt.want {
			t.Errorf("peerIP(%q) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

func TestAuthFailureLimiter(t *testing.T) {
	l := &authFailureLimiter{max: 2}
	t0 := time.Unix(1000, 0)
	got := []bool{l.allow(t0), l.allow(t0.Add(100 * time.Millisecond)), l.allow(t0.Add(900 * time.Millisecond)),
		l.allow(t0.Add(time.Second)), l.allow(t0.Add(1500 * time.Millisecond)), l.allow(t0.Add(1600 * time.Millisecond))}
	want := []bool{true, true, false, true, true, false}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("allow #%d = %v, want %v (all: %v)", i, got[i], want[i], got)
		}
	}
}
