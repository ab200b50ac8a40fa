package httpapi

import (
	"context"
	"net/http"
	"sync"
	"time"
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
// needs a key, with the key id authenticate left in ri (the revoked key's
// id, "-" without a key, "-unknown-" for a key or token that matches
// none), never the secret. It does not change the answer: the caller gets
// 401 whether or not the event is stored.
func (s *Server) auditAuthFailure(ctx context.Context, ri *reqInfo, method string, latency time.Duration) {
	if !s.authFailures.allow(time.Now()) {
		s.metrics.authFailuresUnaudited.Inc()
		return
	}
	_ = s.writeAudit(ctx, ri, method, "", http.StatusUnauthorized, latency)
}
