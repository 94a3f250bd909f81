package warehouse

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/usagekit/usagekit/runtime/keys"
	"github.com/usagekit/usagekit/runtime/record"
)

// ErrBadRecord is returned for a record that cannot be stored, wrapped with
// which one and why.
var ErrBadRecord = errors.New("warehouse: bad record")

// Record is one event record, in the JSON form every record sink sends:
// {"id", "occurred_at", "event", "identifiers": {"user", "project",
// "namespace"}, "properties": {...}, "context": {...}}.
type Record struct {
	ID          string          `json:"id"`
	OccurredAt  time.Time       `json:"occurred_at"`
	Event       string          `json:"event"`
	Identifiers Identifiers     `json:"identifiers"`
	Properties  json.RawMessage `json:"properties,omitempty"`
	Context     json.RawMessage `json:"context,omitempty"`
}

// Identifiers are a record's identifiers as text: pseudonyms (hex HMACs) or
// raw ids, "" when the event has none.
type Identifiers struct {
	User      string `json:"user,omitempty"`
	Project   string `json:"project,omitempty"`
	Namespace string `json:"namespace,omitempty"`
}

// UnmarshalJSON takes identifiers as strings or, raw, as numbers.
func (ids *Identifiers) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	for name, dst := range map[string]*string{"user": &ids.User, "project": &ids.Project, "namespace": &ids.Namespace} {
		raw, ok := m[name]
		if !ok || string(raw) == "null" {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			*dst = s
			continue
		}
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return fmt.Errorf("identifiers.%s: want a string or a number", name)
		}
		*dst = n.String()
	}
	return nil
}

// uuidRE is the text form of a UUID.
// isUUID reports whether s is a UUID in its text form, as record ids are.
func isUUID(s string) bool {
	_, err := record.ParseID(s)
	return err == nil
}

// Check says what is wrong with a record, for a precise refusal.
func (r *Record) Check() error {
	switch {
	case !isUUID(r.ID):
		return fmt.Errorf("id %q: want a UUID", r.ID)
	case r.OccurredAt.IsZero():
		return errors.New("occurred_at: want an RFC 3339 time")
	case r.Event == "":
		return errors.New("event: want the event's action")
	}
	for _, raw := range []struct {
		name string
		v    json.RawMessage
	}{{"properties", r.Properties}, {"context", r.Context}} {
		if len(raw.v) > 0 && !bytes.HasPrefix(bytes.TrimSpace(raw.v), []byte("{")) {
			return fmt.Errorf("%s: want a JSON object", raw.name)
		}
	}
	return nil
}

// ParseRecords decodes a batch, a JSON array of records, and checks every
// record; the error names the first bad one.
func ParseRecords(body []byte) ([]Record, error) {
	var rs []Record
	if err := json.Unmarshal(body, &rs); err != nil {
		return nil, fmt.Errorf("%w: the batch is not a JSON array of records: %w", ErrBadRecord, err)
	}
	for i := range rs {
		if err := rs[i].Check(); err != nil {
			return nil, fieldErr(ErrBadRecord, fmt.Sprintf("records[%d]", i), "records[%d]: %w", i, err)
		}
	}
	return rs, nil
}

// ParseRecordLines reads records written as JSON lines, one record a line,
// as the JetStream sink writes a message, checking each; an error names
// the line.
func ParseRecordLines(data []byte) ([]Record, error) {
	var out []Record
	for line := 1; len(data) > 0; line++ {
		b := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			b, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			continue
		}
		var r Record
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if err := r.Check(); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// StoreRecords stores records, each once: a record whose id is stored
// already (a batch delivered again) is skipped. It returns how many were
// new. On PostgreSQL the batch goes through COPY into a temporary table,
// and each ISO week's partition is created as its first record arrives.
func (w *Warehouse) StoreRecords(ctx context.Context, rs []Record) (int, error) {
	if len(rs) == 0 {
		return 0, nil
	}
	for i := range rs {
		if err := rs[i].Check(); err != nil {
			return 0, fmt.Errorf("%w: records[%d]: %w", ErrBadRecord, i, err)
		}
	}
	if w.d.name == Postgres {
		return w.copyRecords(ctx, rs)
	}
	return w.insertRecords(ctx, rs)
}

// recordBatch is how many records one SQLite INSERT carries.
const recordBatch = 100

func (w *Warehouse) insertRecords(ctx context.Context, rs []Record) (int, error) {
	n := 0
	now := w.d.ts(w.now())
	err := w.inTx(ctx, func(tx *sql.Tx) error {
		for start := 0; start < len(rs); start += recordBatch {
			chunk := rs[start:min(start+recordBatch, len(rs))]
			var b strings.Builder
			b.WriteString("INSERT INTO records (id, occurred_at, event, user_id, project_id, namespace_id, properties, context, received_at) VALUES ")
			args := make([]any, 0, 9*len(chunk))
			for i, r := range chunk {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString("(" + w.d.list(9*i+1, 9) + ")")
				args = append(args, strings.ToLower(r.ID), w.d.ts(r.OccurredAt), r.Event, null(r.Identifiers.User),
					null(r.Identifiers.Project), null(r.Identifiers.Namespace), object(r.Properties), object(r.Context), now)
			}
			b.WriteString(" ON CONFLICT (id) DO NOTHING")
			res, err := tx.ExecContext(ctx, b.String(), args...)
			if err != nil {
				return fmt.Errorf("warehouse: storing records: %w", err)
			}
			k, _ := res.RowsAffected()
			n += int(k)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// copyRecords stores records on PostgreSQL. Most batches are new: they
// are copied straight into records. A batch delivered again (or holding a
// record twice) breaks the primary key; it is then copied into a temporary
// table and inserted without the ids stored already.
func (w *Warehouse) copyRecords(ctx context.Context, rs []Record) (int, error) {
	if err := w.ensurePartitions(ctx, rs); err != nil {
		return 0, err
	}
	now := w.now().UTC()
	rows := make([][]any, len(rs))
	for i, r := range rs {
		rows[i] = []any{strings.ToLower(r.ID), r.OccurredAt.UTC(), r.Event, null(r.Identifiers.User), null(r.Identifiers.Project),
			null(r.Identifiers.Namespace), object(r.Properties), object(r.Context), now}
	}
	n := 0
	err := w.inPgxTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SAVEPOINT direct`); err != nil {
			return err
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"records"}, recordColumns, pgx.CopyFromRows(rows))
		var pgErr *pgconn.PgError
		switch {
		case err == nil:
			n = len(rows)
			return nil
		case !errors.As(err, &pgErr) || pgErr.Code != uniqueViolation:
			return err
		}
		if _, err := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT direct`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TEMPORARY TABLE records_in (LIKE records INCLUDING DEFAULTS) ON COMMIT DROP`); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"records_in"}, recordColumns, pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO records SELECT DISTINCT ON (id, occurred_at) * FROM records_in ON CONFLICT (id, occurred_at) DO NOTHING`)
		if err != nil {
			return err
		}
		n = int(tag.RowsAffected())
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("warehouse: storing records: %w", err)
	}
	return n, nil
}

// uniqueViolation is PostgreSQL's SQLSTATE for a broken unique constraint.
const uniqueViolation = "23505"

// recordColumns are the columns of records that COPY fills.
var recordColumns = []string{"id", "occurred_at", "event", "user_id", "project_id", "namespace_id", "properties", "context", "received_at"}

// ensurePartitions creates the weekly partitions of records the batch
// needs and the warehouse lacks.
func (w *Warehouse) ensurePartitions(ctx context.Context, rs []Record) error {
	seen := map[keys.Week]bool{}
	for _, r := range rs {
		wk := keys.WeekOf(r.OccurredAt)
		if seen[wk] {
			continue
		}
		seen[wk] = true
		from := wk.Monday()
		name := fmt.Sprintf("records_%d_w%02d", wk.Year, wk.Week)
		q := fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s PARTITION OF records FOR VALUES FROM ('%s') TO ('%s')`,
			name, from.Format(time.RFC3339), from.AddDate(0, 0, 7).Format(time.RFC3339))
		if _, err := w.db.ExecContext(ctx, q); err != nil {
			// Two collectors creating one partition at once: the loser's
			// error is fine when the partition now exists.
			var exists bool
			if w.db.QueryRowContext(ctx, `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&exists) == nil && exists {
				continue
			}
			return fmt.Errorf("warehouse: creating partition %s: %w", name, err)
		}
	}
	return nil
}

// null is s, or SQL NULL for "".
func null(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// object is a JSON object's text, "{}" when there is none.
func object(b json.RawMessage) string {
	if len(bytes.TrimSpace(b)) == 0 {
		return "{}"
	}
	return string(b)
}
