package galen

import (
	"context"
	"time"
)

// AuditEvent records one audited request: who, when, what, which model
// version answered, and a hash of the input. Never the input itself.
type AuditEvent struct {
	ID           int64     `json:"id"`
	Time         time.Time `json:"time"`
	KeyID        string    `json:"key_id"`
	Role         Role      `json:"role"`
	Method       string    `json:"method"`
	Route        string    `json:"route"` // the route pattern, not the raw path
	Model        string    `json:"model,omitempty"`
	ModelVersion int       `json:"model_version,omitempty"`
	InputSHA256  string    `json:"input_sha256,omitempty"`
	Status       int       `json:"status"`
	LatencyMS    float64   `json:"latency_ms"`
	// Client is the network address the request came from (the peer's
	// IP, as the server saw it), so that refused attempts can be traced.
	Client string `json:"client,omitempty"`
}

// AuditFilter selects audit events. Zero fields match everything. Since is
// inclusive and Until exclusive; a Limit of 0 means no limit; a negative
// Offset or Limit is EINVALID.
type AuditFilter struct {
	Since  *time.Time
	Until  *time.Time
	KeyID  *string
	Model  *string
	Offset int
	Limit  int
}

// AuditService is the append-only audit log: events are never updated or deleted.
type AuditService interface {
	// CreateAuditEvent appends e, setting e.ID, and e.Time if it is zero.
	// EINTERNAL if the event could not be stored.
	CreateAuditEvent(ctx context.Context, e *AuditEvent) error
	// FindAuditEvents returns matching events, newest first, and their total
	// count before Offset and Limit. EINVALID for a bad filter.
	FindAuditEvents(ctx context.Context, filter AuditFilter) ([]*AuditEvent, int, error)
}
