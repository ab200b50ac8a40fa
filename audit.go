package galen

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Bounds of the audit log, so that no caller can make one event, or one page
// of events, large: stores cut every text field of an event to MaxAuditField
// bytes (see AuditEvent.Bound) when they write it and again when they read
// it (events written before the bound existed), and a page holds at most
// MaxAuditPage events. One event then encodes to at most
// MaxAuditEventBytes of JSON, and a page to at most MaxAuditPage times that.
const (
	MaxAuditField      = 128
	MaxAuditPage       = 1000
	MaxAuditEventBytes = 6 << 10 // 7 fields of 128 bytes, each byte at worst 6 in JSON (\u0001)
)

// AuditInvalidModel is the model an audit event records when the request
// named one that is not a valid model name (see ValidName): the name
// itself, which the caller chose, is never written to the log.
const AuditInvalidModel = "-invalid-"

// AuditModel returns name when it is a valid model name (or empty), else
// AuditInvalidModel.
func AuditModel(name string) string {
	if name == "" || ValidName(name) {
		return name
	}
	return AuditInvalidModel
}

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

// Bound makes every text field of e storable (see StorableText) and cuts it
// to at most MaxAuditField bytes, on a rune boundary, ending a cut field
// with "…".
func (e *AuditEvent) Bound() {
	for _, s := range []*string{&e.KeyID, &e.Method, &e.Route, &e.Model, &e.InputSHA256, &e.Client} {
		*s = boundText(*s, MaxAuditField)
	}
	e.Role = Role(boundText(string(e.Role), MaxAuditField))
}

// boundText returns s as storable text of at most n bytes (n >= 3).
func boundText(s string, n int) string {
	s = StorableText(s)
	if len(s) <= n {
		return s
	}
	const mark = "…"
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.Clone(s[:cut]) + mark
}

// AuditFilter selects audit events. Zero fields match everything. Since is
// inclusive and Until exclusive; a Limit of 0, or one over MaxAuditPage,
// means MaxAuditPage; a negative Offset or Limit is EINVALID.
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
	// CreateAuditEvent appends e as cut by Bound (e shows what was stored),
	// setting e.ID, and e.Time if it is zero. EINTERNAL if the event could
	// not be stored.
	CreateAuditEvent(ctx context.Context, e *AuditEvent) error
	// FindAuditEvents returns matching events, newest first, at most
	// MaxAuditPage of them, each cut by Bound, and their total count before
	// Offset and Limit. EINVALID for a bad filter.
	FindAuditEvents(ctx context.Context, filter AuditFilter) ([]*AuditEvent, int, error)
}

// PageLimit returns the number of events a page of f holds at most: Limit,
// or MaxAuditPage when Limit is 0 or larger.
func (f AuditFilter) PageLimit() int {
	if f.Limit <= 0 || f.Limit > MaxAuditPage {
		return MaxAuditPage
	}
	return f.Limit
}
