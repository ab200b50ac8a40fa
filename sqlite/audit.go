package sqlite

import (
	"context"
	"strings"
	"time"

	"github.com/galenhealth/galen"
)

// CreateAuditEvent appends e to the audit log, setting e.ID, and e.Time if
// it is zero. Times are kept to the microsecond.
func (db *DB) CreateAuditEvent(ctx context.Context, e *galen.AuditEvent) error {
	// Whatever a caller sent must not stop the event from being recorded:
	// text that cannot be stored is repaired, and e shows what was stored.
	for _, s := range []*string{&e.KeyID, &e.Method, &e.Route, &e.Model, &e.InputSHA256} {
		*s = storableText(*s)
	}
	e.Role = galen.Role(storableText(string(e.Role)))
	t := e.Time.UTC().Truncate(time.Microsecond)
	if e.Time.IsZero() {
		t = db.stamp()
	}
	err := db.db.QueryRowContext(ctx, `
		INSERT INTO audit_events (time, key_id, role, method, route, model, model_version, input_sha256, status, latency_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		formatTime(t), e.KeyID, string(e.Role), e.Method, e.Route, e.Model, e.ModelVersion, e.InputSHA256,
		e.Status, e.LatencyMS).Scan(&e.ID)
	if err != nil {
		return internal("create audit event", err)
	}
	e.Time = t
	return nil
}

// FindAuditEvents returns the events matching filter, newest first, and
// their total count before offset and limit. Since is inclusive, Until
// exclusive. EINVALID for a negative offset or limit.
func (db *DB) FindAuditEvents(ctx context.Context, filter galen.AuditFilter) ([]*galen.AuditEvent, int, error) {
	if err := filter.Validate(); err != nil {
		return nil, 0, err
	}
	where, args := []string{"1 = 1"}, []any{}
	if filter.Since != nil {
		where, args = append(where, "time >= ?"), append(args, formatTime(*filter.Since))
	}
	if filter.Until != nil {
		where, args = append(where, "time < ?"), append(args, formatTime(*filter.Until))
	}
	if filter.KeyID != nil {
		where, args = append(where, "key_id = ?"), append(args, *filter.KeyID)
	}
	if filter.Model != nil {
		where, args = append(where, "model = ?"), append(args, *filter.Model)
	}
	cond := " WHERE " + strings.Join(where, " AND ")

	var total int
	if err := db.db.QueryRowContext(ctx, "SELECT count(*) FROM audit_events"+cond, args...).Scan(&total); err != nil {
		return nil, 0, internal("count audit events", err)
	}
	rows, err := db.db.QueryContext(ctx, `
		SELECT id, time, key_id, role, method, route, model, model_version, input_sha256, status, latency_ms
		FROM audit_events`+cond+` ORDER BY time DESC, id DESC`+limitClause(filter.Offset, filter.Limit), args...)
	if err != nil {
		return nil, 0, internal("find audit events", err)
	}
	defer rows.Close()
	var events []*galen.AuditEvent
	for rows.Next() {
		var (
			e    galen.AuditEvent
			t    string
			role string
		)
		if err := rows.Scan(&e.ID, &t, &e.KeyID, &role, &e.Method, &e.Route, &e.Model, &e.ModelVersion,
			&e.InputSHA256, &e.Status, &e.LatencyMS); err != nil {
			return nil, 0, internal("find audit events", err)
		}
		e.Role = galen.Role(role)
		if e.Time, err = parseTime(t); err != nil {
			return nil, 0, internal("find audit events", err)
		}
		events = append(events, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, internal("find audit events", err)
	}
	return events, total, nil
}

// storableText replaces invalid UTF-8 with U+FFFD and drops NUL bytes, so
// that any text can be stored (see galen.ValidText).
func storableText(s string) string {
	if galen.ValidText(s) {
		return s
	}
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
}
