package sqlite

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/galenhealth/galen"
)

// CreateAuditEvent appends e to the audit log, setting e.ID, and e.Time if
// it is zero. Times are kept to the microsecond. It returns once the event
// is committed: events that arrive while another batch is being written
// are committed together in the next transaction (group commit), so under
// load a request waits for one transaction, not for one per request ahead
// of it.
func (db *DB) CreateAuditEvent(ctx context.Context, e *galen.AuditEvent) error {
	// Whatever a caller sent must not stop the event from being recorded,
	// nor make it large: text that cannot be stored is repaired, every
	// field is cut to galen.MaxAuditField bytes, and e shows what was stored.
	e.Bound()
	t := e.Time.UTC().Truncate(time.Microsecond)
	if e.Time.IsZero() {
		t = db.stamp()
	}
	if err := ctx.Err(); err != nil {
		return internal("create audit event", err)
	}
	ev := *e
	ev.Time = t
	req := &auditRequest{e: &ev, done: make(chan error, 1)}
	if db.audit.submit(req) {
		db.writeAuditBatches(true)
	}
	select {
	case err := <-req.done:
		if err != nil {
			return err
		}
	case <-ctx.Done():
		select {
		case err := <-req.done: // stored (or failed) all the same
			if err != nil {
				return err
			}
		default:
			return internal("create audit event", ctx.Err())
		}
	}
	e.ID, e.Time = ev.ID, t
	return nil
}

// maxAuditBatch bounds the events of one audit transaction.
const maxAuditBatch = 512

// auditBatchTimeout bounds one audit transaction; it does not depend on
// any one caller's context, since it writes for several.
const auditBatchTimeout = 10 * time.Second

// auditBatch queues audit events for group commit. At most one writer runs:
// the caller that finds none running becomes it, writes one batch (its own
// event and any others queued) and, if more arrived meanwhile, leaves them
// to a goroutine that writes until the queue is empty.
type auditBatch struct {
	mu      sync.Mutex
	pending []*auditRequest
	writing bool
	batches uint64 // transactions written, for tests
}

type auditRequest struct {
	e    *galen.AuditEvent // the caller's copy; ID set when stored
	done chan error        // receives one result
}

// submit queues r and reports whether the caller must write (no writer is
// running).
func (b *auditBatch) submit(r *auditRequest) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pending = append(b.pending, r)
	if b.writing {
		return false
	}
	b.writing = true
	return true
}

// take returns the next batch, or nil (and marks no writer running) when
// the queue is empty.
func (b *auditBatch) take() []*auditRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.pending) == 0 {
		b.writing = false
		return nil
	}
	n := min(len(b.pending), maxAuditBatch)
	batch := b.pending[:n:n]
	b.pending = b.pending[n:]
	if len(b.pending) == 0 {
		b.pending = nil
	}
	b.batches++
	return batch
}

// writeAuditBatches writes batches while events are queued. A caller
// (once) writes one batch and hands the rest to a new goroutine, so that
// its own answer is not held up by later requests.
func (db *DB) writeAuditBatches(once bool) {
	for {
		batch := db.audit.take()
		if batch == nil {
			return
		}
		db.writeAuditBatch(batch)
		if once {
			go db.writeAuditBatches(false)
			return
		}
	}
}

// writeAuditBatch stores batch in one transaction and tells each caller.
// If the transaction fails, each event is tried on its own, so that one
// bad event fails only its own request.
func (db *DB) writeAuditBatch(batch []*auditRequest) {
	ctx, cancel := context.WithTimeout(context.Background(), auditBatchTimeout)
	defer cancel()
	err := db.insertAuditEvents(ctx, batch)
	if err == nil || len(batch) == 1 {
		for _, r := range batch {
			r.done <- err
		}
		return
	}
	for _, r := range batch {
		r.done <- db.insertAuditEvents(ctx, []*auditRequest{r})
	}
}

const insertAuditEvent = `
	INSERT INTO audit_events (time, key_id, role, method, route, model, model_version, input_sha256, status, latency_ms, client)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`

// insertAuditEvents inserts the events of batch in one transaction and
// sets their IDs once it commits.
func (db *DB) insertAuditEvents(ctx context.Context, batch []*auditRequest) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return internal("create audit event", err)
	}
	defer tx.Rollback()
	// The statement prepared at Open, bound to this transaction: database/sql
	// reuses its preparation on each connection.
	stmt := tx.StmtContext(ctx, db.insertAudit)
	defer stmt.Close()
	ids := make([]int64, len(batch))
	for i, r := range batch {
		e := r.e
		if err := stmt.QueryRowContext(ctx, formatTime(e.Time), e.KeyID, string(e.Role), e.Method, e.Route, e.Model,
			e.ModelVersion, e.InputSHA256, e.Status, e.LatencyMS, e.Client).Scan(&ids[i]); err != nil {
			return internal("create audit event", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return internal("create audit event", err)
	}
	for i, r := range batch {
		r.e.ID = ids[i]
	}
	return nil
}

// auditColumns reads an event with each text field cut to
// galen.MaxAuditField characters (then to as many bytes by Bound), so that
// events stored before the bound existed cannot make a page large either.
const auditColumns = `SELECT id, time, substr(key_id, 1, 128), substr(role, 1, 128), substr(method, 1, 128), substr(route, 1, 128), substr(model, 1, 128), model_version, substr(input_sha256, 1, 128), status, latency_ms, substr(client, 1, 128)`

// FindAuditEvents returns the events matching filter, newest first, at
// most filter.PageLimit() of them, and their total count before offset and
// limit. Since is inclusive, Until
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

	// The count and the page come from one snapshot.
	tx, err := db.readTx(ctx)
	if err != nil {
		return nil, 0, internal("find audit events", err)
	}
	defer tx.Rollback()
	var total int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM audit_events"+cond, args...).Scan(&total); err != nil {
		return nil, 0, internal("count audit events", err)
	}
	rows, err := tx.QueryContext(ctx, `
		`+auditColumns+`
		FROM audit_events`+cond+` ORDER BY time DESC, id DESC`+limitClause(filter.Offset, filter.PageLimit()), args...)
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
			&e.InputSHA256, &e.Status, &e.LatencyMS, &e.Client); err != nil {
			return nil, 0, internal("find audit events", err)
		}
		e.Role = galen.Role(role)
		e.Bound()
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
