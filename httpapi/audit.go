package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/galenhealth/galen"
	"github.com/galenhealth/galen/api"
)

// auditRoutes read the audit log.
func (s *Server) auditRoutes() []route {
	return []route{
		{Method: "GET", Pattern: "/v1/audit", Roles: auditRoles, Audit: true, Handler: s.handleAudit, Tag: "audit",
			Summary: "Read the audit log, newest first (since/until: RFC 3339)", Response: api.AuditList{},
			Query: []string{"since", "until", "key", "model", "limit", "offset"}},
	}
}

// writeAudit appends the audit event of one request. It runs after the
// handler, on a context that outlives the caller's, and logs failures.
func (s *Server) writeAudit(ctx context.Context, ri *reqInfo, method, bodyHash string, status int, latency time.Duration) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	keyID, role := ri.failedKeyID, galen.Role("") // refused: no role
	if ri.key != nil {
		keyID, role = ri.key.ID, ri.key.Role
	}
	e := &galen.AuditEvent{
		Time:         time.Now().UTC(),
		KeyID:        keyID,
		Role:         role,
		Method:       method,
		Route:        ri.route.Pattern,
		Model:        ri.model,
		ModelVersion: ri.version,
		InputSHA256:  bodyHash,
		Status:       status,
		LatencyMS:    float64(latency.Microseconds()) / 1000,
		Client:       ri.client,
	}
	if err := s.store.CreateAuditEvent(ctx, e); err != nil {
		s.metrics.auditFailures.Inc()
		s.logger.Error("audit write failed", "request_id", ri.id, "route", ri.route.Pattern, "err", err)
		return err
	}
	return nil
}

func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	for k := range q {
		switch k {
		case "since", "until", "key", "model", "limit", "offset":
		default:
			return galen.Errorf(galen.EINVALID, "unknown query parameter %q (want since, until, key, model, limit, offset)", k)
		}
	}
	limit, offset, err := pageParams(q)
	if err != nil {
		return err
	}
	f := galen.AuditFilter{Limit: limit, Offset: offset}
	for _, p := range []struct {
		name string
		dst  **time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return galen.Errorf(galen.EINVALID, "%s %q: want an RFC 3339 time such as 2026-01-02T15:04:05Z", p.name, v)
			}
			*p.dst = &t
		}
	}
	if v := q.Get("key"); v != "" {
		f.KeyID = &v
	}
	if v := q.Get("model"); v != "" {
		f.Model = &v
	}
	es, n, err := s.store.FindAuditEvents(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, api.AuditList{Events: nonNil(es), Total: n})
}
