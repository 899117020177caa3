package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"kairos"
)

// Change describes one state change: the audit record and the domain event
// written together, in the transaction that makes the change.
type Change struct {
	Action     string // e.g. "user.invite"; also the event type
	OrgID      int64  // organisation the object belongs to (0: none)
	ObjectType string // e.g. "user"
	ObjectID   any    // int64 or string
	Before     any    // state before (nil on creation), marshalled to JSON
	After      any    // state after (nil on deletion), marshalled to JSON
	At         time.Time
}

// Record writes the audit record (actor and client IP taken from ctx) and the
// outbox event of c. It must be called inside the transaction of the change.
func (tx *Tx) Record(ctx context.Context, c Change) error {
	if c.At.IsZero() {
		c.At = tx.Now()
	}
	before, err := jsonOrNil(c.Before)
	if err != nil {
		return err
	}
	after, err := jsonOrNil(c.After)
	if err != nil {
		return err
	}
	a := kairos.ActorFrom(ctx)
	var userID, keyID, actorOrg any
	if a != nil {
		userID, keyID = nullID(a.UserID), nullID(a.APIKeyID)
		actorOrg = nullID(a.OrgID)
	}
	org := nullID(c.OrgID)
	if org == nil {
		org = actorOrg
	}
	objID := fmt.Sprint(c.ObjectID)
	if _, err := tx.Exec(ctx, `INSERT INTO audit_log
		(at, actor_user_id, actor_api_key_id, actor_label, org_id, action, object_type, object_id, before_json, after_json, ip)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.At, userID, keyID, a.Label(), org, c.Action, c.ObjectType, objID, before, after, kairos.ClientIPFrom(ctx)); err != nil {
		return fmt.Errorf("store: audit: %w", err)
	}
	payload := eventPayload(c, objID, after)
	if _, err := tx.Exec(ctx, "INSERT INTO events (at, type, org_id, object_type, object_id, payload) VALUES (?, ?, ?, ?, ?, ?)",
		c.At, c.Action, org, c.ObjectType, objID, payload); err != nil {
		return fmt.Errorf("store: event: %w", err)
	}
	tx.recorded = true
	id, _ := org.(int64)
	if !slices.Contains(tx.orgs, id) { // a bulk change records many events of few organisations
		tx.orgs = append(tx.orgs, id)
	}
	return nil
}

// payload is an event's payload; its fields are in the order of their names,
// as json.Marshal writes a map's keys.
type payload struct {
	At         time.Time       `json:"at"`
	Data       json.RawMessage `json:"data"`
	ObjectID   string          `json:"object_id"`
	ObjectType string          `json:"object_type"`
	Type       string          `json:"type"`
}

// eventPayload is the payload of c's event, after being c.After marshalled
// by jsonOrNil (nil or a string).
func eventPayload(c Change, objID string, after any) string {
	var data json.RawMessage
	if s, ok := after.(string); ok {
		data = json.RawMessage(s)
	}
	b, _ := json.Marshal(payload{At: c.At, Data: data, ObjectID: objID, ObjectType: c.ObjectType, Type: c.Action})
	return string(b)
}

// RecordMany records cs as Record would one after the other (the same audit
// records and events, in the same order), with multi-row INSERTs of a few
// fixed shapes (ExecValues). It must be called inside the transaction of the
// changes.
func (tx *Tx) RecordMany(ctx context.Context, cs []Change) error {
	if len(cs) == 0 {
		return nil
	}
	a := kairos.ActorFrom(ctx)
	var userID, keyID, actorOrg any
	if a != nil {
		userID, keyID = nullID(a.UserID), nullID(a.APIKeyID)
		actorOrg = nullID(a.OrgID)
	}
	label, ip := a.Label(), kairos.ClientIPFrom(ctx)
	now := tx.Now()
	audit := make([]any, 0, 11*len(cs))
	events := make([]any, 0, 6*len(cs))
	for _, c := range cs {
		if c.At.IsZero() {
			c.At = now
		}
		before, err := jsonOrNil(c.Before)
		if err != nil {
			return err
		}
		after, err := jsonOrNil(c.After)
		if err != nil {
			return err
		}
		org := nullID(c.OrgID)
		if org == nil {
			org = actorOrg
		}
		objID := fmt.Sprint(c.ObjectID)
		audit = append(audit, c.At, userID, keyID, label, org, c.Action, c.ObjectType, objID, before, after, ip)
		events = append(events, c.At, c.Action, org, c.ObjectType, objID, eventPayload(c, objID, after))
		id, _ := org.(int64)
		if !slices.Contains(tx.orgs, id) {
			tx.orgs = append(tx.orgs, id)
		}
	}
	if err := tx.ExecValues(ctx, `INSERT INTO audit_log
		(at, actor_user_id, actor_api_key_id, actor_label, org_id, action, object_type, object_id, before_json, after_json, ip)`,
		"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", 11, audit, ""); err != nil {
		return fmt.Errorf("store: audit: %w", err)
	}
	if err := tx.ExecValues(ctx, "INSERT INTO events (at, type, org_id, object_type, object_id, payload)", "(?, ?, ?, ?, ?, ?)", 6, events, ""); err != nil {
		return fmt.Errorf("store: event: %w", err)
	}
	tx.recorded = true
	return nil
}

// jsonOrNil marshals v to a JSON string (nil for nil); a json.RawMessage
// (what a caller that writes the same state twice passes) is only checked
// and compacted.
func jsonOrNil(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("store: marshal audit state: %w", err)
	}
	return string(b), nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// AuditEntry is one record of the audit trail.
type AuditEntry struct {
	ID         int64
	At         time.Time
	ActorLabel string
	OrgID      int64
	OrgName    string
	Action     string
	ObjectType string
	ObjectID   string
	Before     string
	After      string
	IP         string
}

// AuditFilter selects audit records.
type AuditFilter struct {
	Query      string // matched against action, object type and actor
	OrgID      int64
	From, To   time.Time // at >= From, at < To (zero: no bound)
	Actor      string    // actor label contains
	Action     string    // the action code, or a family ending with "." ("enrolment.")
	ObjectType string    // with ObjectID: one object's history
	ObjectID   string
	Before     int64 // keyset pagination: records with id < Before
	// AtBefore/IDBefore: keyset pagination in date order, records before
	// (AtBefore, IDBefore).
	AtBefore time.Time
	IDBefore int64
	Offset   int
	Limit    int
}

func (db *DB) auditWhere(f AuditFilter) (string, []any) {
	where := " WHERE 1=1"
	var args []any
	if f.Query != "" {
		where += " AND (LOWER(a.action) LIKE ? OR LOWER(a.object_type) LIKE ? OR LOWER(a.actor_label) LIKE ? OR a.object_id = ?)"
		like := "%" + lowerASCII(f.Query) + "%"
		args = append(args, like, like, like, f.Query)
	}
	if f.OrgID != 0 {
		where += " AND a.org_id = ?"
		args = append(args, f.OrgID)
	}
	if !f.From.IsZero() {
		where += " AND a.at >= ?"
		args = append(args, f.From.UTC())
	}
	if !f.To.IsZero() {
		where += " AND a.at < ?"
		args = append(args, f.To.UTC())
	}
	if f.Actor != "" {
		where += ` AND LOWER(a.actor_label) LIKE ? ESCAPE '\'`
		args = append(args, Contains(f.Actor))
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			where += " AND a.action LIKE ? ESCAPE '\\'"
			args = append(args, strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(f.Action)+"%")
		} else {
			where += " AND a.action = ?"
			args = append(args, f.Action)
		}
	}
	if f.ObjectType != "" {
		where += " AND a.object_type = ? AND a.object_id = ?"
		args = append(args, f.ObjectType, f.ObjectID)
	}
	if f.Before != 0 {
		where += " AND a.id < ?"
		args = append(args, f.Before)
	}
	if !f.AtBefore.IsZero() {
		where += " AND (a.at < ? OR (a.at = ? AND a.id < ?))"
		args = append(args, f.AtBefore.UTC(), f.AtBefore.UTC(), f.IDBefore)
	}
	return where, args
}

// AuditCount counts the records f selects.
func (db *DB) AuditCount(ctx context.Context, f AuditFilter) (int, error) {
	where, args := db.auditWhere(f)
	var n int
	err := db.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log a"+where, args...).Scan(&n)
	return n, err
}

// Audit lists audit records, newest first (by date, then by id).
func (db *DB) Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	where, args := db.auditWhere(f)
	query := `SELECT a.id, a.at, a.actor_label, COALESCE(a.org_id, 0), COALESCE(o.name, ''), a.action, a.object_type, a.object_id,
		COALESCE(` + db.castText("a.before_json") + `, ''), COALESCE(` + db.castText("a.after_json") + `, ''), a.ip
		FROM audit_log a LEFT JOIN organisations o ON o.id = a.org_id` + where +
		" ORDER BY a.at DESC, a.id DESC LIMIT " + strconv.Itoa(f.Limit) + " OFFSET " + strconv.Itoa(max(f.Offset, 0))
	rows, err := db.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.ActorLabel, &e.OrgID, &e.OrgName, &e.Action, &e.ObjectType, &e.ObjectID, &e.Before, &e.After, &e.IP); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (db *DB) castText(col string) string {
	if db.engine == Postgres {
		return col + "::text"
	}
	return col
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}
