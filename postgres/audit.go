package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/galenhealth/galen"
)

// CreateAuditEvent appends e to the audit log, setting e.ID, and e.Time if
// it is zero. Times are kept to the microsecond.
func (db *DB) CreateAuditEvent(ctx context.Context, e *galen.AuditEvent) error {
	// Whatever a caller sent must not stop the event from being recorded,
	// nor make it large: text that cannot be stored is repaired, every
	// field is cut to galen.MaxAuditField bytes, and e shows what was stored.
	e.Bound()
	t := e.Time.UTC().Truncate(time.Microsecond)
	if e.Time.IsZero() {
		t = db.stamp()
	}
	err := db.pool.QueryRow(ctx, `
		INSERT INTO audit_events (time, key_id, role, method, route, model, model_version, input_sha256, status, latency_ms, client)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		t, e.KeyID, string(e.Role), e.Method, e.Route, e.Model, e.ModelVersion, e.InputSHA256,
		e.Status, e.LatencyMS, e.Client).Scan(&e.ID)
	if err != nil {
		return internal("create audit event", err)
	}
	e.Time = t
	return nil
}

// auditColumns reads an event with each text field cut to
// galen.MaxAuditField characters (then to as many bytes by Bound), so that
// events stored before the bound existed cannot make a page large either.
const auditColumns = `SELECT id, time, left(key_id, 128), left(role, 128), left(method, 128), left(route, 128), left(model, 128), model_version, left(input_sha256, 128), status, latency_ms, left(client, 128)`

// FindAuditEvents returns the events matching filter, newest first, at
// most filter.PageLimit() of them, and their total count before offset and
// limit. Since is inclusive, Until
// exclusive. EINVALID for a negative offset or limit.
func (db *DB) FindAuditEvents(ctx context.Context, filter galen.AuditFilter) ([]*galen.AuditEvent, int, error) {
	if err := filter.Validate(); err != nil {
		return nil, 0, err
	}
	var c conds
	if filter.Since != nil {
		c.add("time >= ?", *filter.Since)
	}
	if filter.Until != nil {
		c.add("time < ?", *filter.Until)
	}
	if filter.KeyID != nil {
		c.add("key_id = ?", *filter.KeyID)
	}
	if filter.Model != nil {
		c.add("model = ?", *filter.Model)
	}
	// The count and the page come from one snapshot.
	tx, err := db.readTx(ctx)
	if err != nil {
		return nil, 0, internal("find audit events", err)
	}
	defer tx.Rollback(ctx)
	var total int
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM audit_events"+c.String(), c.args...).Scan(&total); err != nil {
		return nil, 0, internal("count audit events", err)
	}
	rows, err := tx.Query(ctx, `
		`+auditColumns+`
		FROM audit_events`+c.String()+` ORDER BY time DESC, id DESC`+limitClause(filter.Offset, filter.PageLimit()), c.args...)
	if err != nil {
		return nil, 0, internal("find audit events", err)
	}
	events, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*galen.AuditEvent, error) {
		var (
			e    galen.AuditEvent
			role string
		)
		err := row.Scan(&e.ID, &e.Time, &e.KeyID, &role, &e.Method, &e.Route, &e.Model, &e.ModelVersion,
			&e.InputSHA256, &e.Status, &e.LatencyMS, &e.Client)
		e.Role = galen.Role(role)
		e.Bound()
		e.Time = e.Time.UTC()
		return &e, err
	})
	if err != nil {
		return nil, 0, internal("find audit events", err)
	}
	return events, total, nil
}
