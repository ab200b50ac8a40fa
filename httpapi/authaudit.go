package httpapi

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/galenhealth/galen"
)

// maxAuditedAuthFailures bounds the failed authentications written to the
// audit log per second, so that a flood of bad keys cannot fill it; the
// rest are counted in galen_auth_failures_unaudited_total.
const maxAuditedAuthFailures = 20

// Audit key ids of failed authentications whose key is not known.
const (
	auditNoKey      = "-"         // no Authorization header
	auditUnknownKey = "-unknown-" // a key or token that matches none
)

// authFailureLimiter lets at most max failed authentications a second into
// the audit log (a fixed one-second window).
type authFailureLimiter struct {
	mu     sync.Mutex
	max    int
	window int64 // Unix second of the current window
	n      int   // audited in it
}

func (l *authFailureLimiter) allow(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := now.Unix(); s != l.window {
		l.window, l.n = s, 0
	}
	if l.n >= l.max {
		return false
	}
	l.n++
	return true
}

// auditAuthFailure records a request refused with 401 on a route that
// needs a key: which key (its id when it was revoked; "-" without one,
// "-unknown-" for a key or token that matches none), the route and the
// status, never the secret. It does not change the answer: the caller
// gets 401 whether or not the event is stored.
func (s *Server) auditAuthFailure(ctx context.Context, ri *reqInfo, r *http.Request, latency time.Duration) {
	if !s.authFailures.allow(time.Now()) {
		s.metrics.authFailuresUnaudited.Inc()
		return
	}
	keyID := ri.failedKeyID
	if keyID == "" {
		keyID = auditUnknownKey
		if r.Header.Get("Authorization") == "" {
			keyID = auditNoKey
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	e := &galen.AuditEvent{
		Time:      time.Now().UTC(),
		KeyID:     keyID,
		Method:    r.Method,
		Route:     ri.route.Pattern,
		Model:     ri.model,
		Status:    http.StatusUnauthorized,
		LatencyMS: float64(latency.Microseconds()) / 1000,
		Client:    ri.client,
	}
	if err := s.store.CreateAuditEvent(ctx, e); err != nil {
		s.metrics.auditFailures.Inc()
		s.logger.Error("audit write failed", "request_id", ri.id, "route", ri.route.Pattern, "err", err)
	}
}
