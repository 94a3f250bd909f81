package warehouse

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/usagekit/usagekit/runtime/keys"
)

// Sentinel errors, wrapped with details.
var (
	// ErrBadPing is returned for a ping that cannot be stored: not a JSON
	// object, or without its uuid or recorded_at.
	ErrBadPing = errors.New("warehouse: bad ping")
	errBadTime = errors.New("warehouse: not a time")
)

// FieldError says which field of a ping or record is wrong; errors of
// StorePing, StoreMetadata, StoreErrorReport and ParseRecords carry one
// (errors.As) when a field is to blame.
type FieldError struct {
	Field string
	err   error
}

func (e *FieldError) Error() string { return e.err.Error() }
func (e *FieldError) Unwrap() error { return e.err }

// fieldErr is a FieldError of sentinel for field.
func fieldErr(sentinel error, field, format string, a ...any) error {
	return &FieldError{Field: field, err: fmt.Errorf("%w: "+format, append([]any{sentinel}, a...)...)}
}

// Ping sources.
const (
	// SourcePing is a ping an instance sent.
	SourcePing = "ping"
	// SourceWarehouse is a ping computed in the warehouse from the SaaS
	// instance's event records.
	SourceWarehouse = "warehouse"
)

// Ping is one usage ping to store.
type Ping struct {
	// Payload is the document as sent: a JSON object nested by key_path.
	Payload []byte
	// Problems are what the payload schema found wrong with it; a ping is
	// stored whatever they are.
	Problems []string
	// Source is SourcePing (default) or SourceWarehouse.
	Source string
}

// Stored says what StorePing did.
type Stored struct {
	ID         int64
	UUID       string
	RecordedAt time.Time
	// Duplicate is set when a ping of the same uuid and recorded_at was
	// stored before: nothing was written.
	Duplicate bool
	// Values is the number of metric values stored.
	Values int
}

// facts are the instance facts a ping carries at its top level.
type facts struct {
	uuid, hostname, version, edition string
	recordedAt                       time.Time
}

// StorePing stores a ping, its instance and one row per number in it, in
// one transaction, once per uuid and recorded_at: a ping sent again (a
// retry whose reply was lost) is a duplicate, not a second ping.
func (w *Warehouse) StorePing(ctx context.Context, p Ping) (Stored, error) {
	st, err := w.StorePings(ctx, []Ping{p})
	if err != nil {
		return Stored{}, err
	}
	return st[0], nil
}

// StorePings stores many pings in one transaction, as StorePing stores
// one: all of them, or, on an error, none.
func (w *Warehouse) StorePings(ctx context.Context, ps []Ping) ([]Stored, error) {
	// Every payload is read, and its key paths given ids, before the
	// transaction: a bad ping costs the database nothing, and the
	// transaction holds its connection only for writing.
	parsed := make([]parsedPing, 0, len(ps))
	defer func() {
		for _, p := range parsed {
			p.values.release()
		}
	}()
	for _, p := range ps {
		f, values, err := parsePing(p.Payload)
		if err != nil {
			return nil, err
		}
		parsed = append(parsed, parsedPing{Ping: p, facts: f, values: values})
		if err := checkRecordedAt(f.recordedAt, w.now()); err != nil {
			return nil, err
		}
	}
	if err := w.keyIDs(ctx, parsed); err != nil {
		return nil, err
	}
	if err := w.ensureValueWeeks(ctx, parsed); err != nil {
		return nil, err
	}
	out := make([]Stored, len(ps))
	if len(parsed) == 1 && w.d.name == Postgres {
		// One statement is a transaction of its own: no BEGIN and COMMIT
		// round trips.
		var err error
		if out[0], err = w.storePing(ctx, w.db, &parsed[0]); err != nil {
			return nil, err
		}
		return out, nil
	}
	err := w.inTx(ctx, func(tx *sql.Tx) error {
		for i := range parsed {
			var err error
			if out[i], err = w.storePing(ctx, tx, &parsed[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// parsedPing is a ping with what parsePing read of it.
type parsedPing struct {
	Ping
	facts  facts
	values *pingValues
}

// querier is a database or a transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// upsertInstance is the statement that records an instance, its facts
// taken from its latest ping, with the placeholders of uuid, hostname,
// version, edition, first_seen and last_seen to fill in.
const upsertInstance = `INSERT INTO instances (uuid, hostname, version, edition, first_seen, last_seen) VALUES (%s)
	ON CONFLICT (uuid) DO UPDATE SET
		hostname = CASE WHEN excluded.last_seen >= instances.last_seen THEN excluded.hostname ELSE instances.hostname END,
		version = CASE WHEN excluded.last_seen >= instances.last_seen THEN excluded.version ELSE instances.version END,
		edition = CASE WHEN excluded.last_seen >= instances.last_seen THEN excluded.edition ELSE instances.edition END,
		first_seen = CASE WHEN excluded.first_seen < instances.first_seen THEN excluded.first_seen ELSE instances.first_seen END,
		last_seen = CASE WHEN excluded.last_seen > instances.last_seen THEN excluded.last_seen ELSE instances.last_seen END`

// insertPing is the statement that stores a ping unless it is stored
// already, returning its id then, with its columns' placeholders to fill
// in.
const insertPing = `INSERT INTO pings (uuid, recorded_at, week, received_at, version, edition, source, payload, problems)
	VALUES (%s) ON CONFLICT (uuid, recorded_at) DO NOTHING RETURNING id`

// storePingPostgres stores a ping, its instance and its values in one
// statement, whose parts see and wait for each other as the statements of
// a transaction do: the values are stored only with a new ping.
var storePingPostgres = `WITH instance AS (` + fmt.Sprintf(upsertInstance, "$1, $2, $3, $4, $5, $5") + `),
	ping AS (` + fmt.Sprintf(insertPing, "$1, $5, $6, $7, $3, $4, $8, $9, $10") + `),
	vals AS (INSERT INTO metric_key_values (key_id, week, ping_id, value)
		SELECT k, $13, ping.id, v FROM ping, unnest($11::int4[], $12::float8[]) AS u(k, v))
	SELECT id FROM ping`

// storePing stores one ping, its key ids set: on PostgreSQL in one
// statement, on SQLite in several, which q, a transaction, holds together.
func (w *Warehouse) storePing(ctx context.Context, q querier, p *parsedPing) (Stored, error) {
	f := p.facts
	source := p.Source
	if source == "" {
		source = SourcePing
	}
	problems, err := json.Marshal(append([]string{}, p.Problems...))
	if err != nil {
		return Stored{}, fmt.Errorf("warehouse: encoding problems: %w", err)
	}
	st := Stored{UUID: f.uuid, RecordedAt: f.recordedAt}
	now := w.now()
	d := w.d
	wk := keys.WeekOf(f.recordedAt)
	week := wk.String()
	if d.name == Postgres {
		err = q.QueryRowContext(ctx, storePingPostgres, f.uuid, f.hostname, f.version, f.edition, d.ts(f.recordedAt),
			week, d.ts(now), source, d.jsonArg(p.Payload), d.jsonArg(problems), p.values.ids, p.values.nums, weekNumber(wk)).Scan(&st.ID)
	} else {
		if _, err := q.ExecContext(ctx, fmt.Sprintf(upsertInstance, d.list(1, 6)),
			f.uuid, f.hostname, f.version, f.edition, d.ts(f.recordedAt), d.ts(f.recordedAt)); err != nil {
			return st, fmt.Errorf("warehouse: storing instance %s: %w", f.uuid, err)
		}
		err = q.QueryRowContext(ctx, fmt.Sprintf(insertPing, d.list(1, 9)), f.uuid, d.ts(f.recordedAt), week, d.ts(now),
			f.version, f.edition, source, d.jsonArg(p.Payload), d.jsonArg(problems)).Scan(&st.ID)
	}
	if errors.Is(err, sql.ErrNoRows) {
		st.Duplicate = true
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("warehouse: storing ping %s/%s: %w", f.uuid, f.recordedAt.Format(time.RFC3339), err)
	}
	st.Values = p.values.len()
	if d.name == SQLite {
		err = w.insertValues(ctx, q, st.ID, p.values)
	}
	return st, err
}

// valueBatch is how many metric values one INSERT carries on SQLite.
const valueBatch = 500

// insertValues writes a ping's metric values on SQLite, their key ids
// set, many rows a statement.
func (w *Warehouse) insertValues(ctx context.Context, q querier, id int64, values *pingValues) error {
	d := w.d
	for start := 0; start < values.len(); start += valueBatch {
		end := min(start+valueBatch, values.len())
		var b strings.Builder
		b.WriteString("INSERT INTO metric_key_values (key_id, ping_id, value) VALUES ")
		args := make([]any, 0, 3*(end-start))
		for i := start; i < end; i++ {
			if i > start {
				b.WriteByte(',')
			}
			b.WriteString("(" + d.list(3*(i-start)+1, 3) + ")")
			args = append(args, values.ids[i], id, values.nums[i])
		}
		if _, err := q.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("warehouse: storing the values of ping %d: %w", id, err)
		}
	}
	return nil
}

// StoreMetadata stores the metadata an instance sends after its ping, the
// document {"metadata": {"uuid", "recorded_at", "metrics": [...]}}, once
// per uuid and recorded_at. It reports whether it was new.
func (w *Warehouse) StoreMetadata(ctx context.Context, body []byte) (bool, error) {
	var doc struct {
		Metadata *struct {
			UUID       string `json:"uuid"`
			RecordedAt string `json:"recorded_at"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.Metadata == nil {
		return false, fieldErr(ErrBadPing, "metadata", "metadata: want {\"metadata\": {\"uuid\", \"recorded_at\", \"metrics\"}}")
	}
	t, err := time.Parse(time.RFC3339, doc.Metadata.RecordedAt)
	if err != nil || doc.Metadata.UUID == "" {
		return false, fieldErr(ErrBadPing, "metadata", "metadata: want its uuid and an RFC 3339 recorded_at")
	}
	d := w.d
	res, err := w.db.ExecContext(ctx, fmt.Sprintf(`INSERT INTO ping_metadata (uuid, recorded_at, received_at, metadata)
		VALUES (%s) ON CONFLICT (uuid, recorded_at) DO NOTHING`, d.list(1, 4)),
		doc.Metadata.UUID, d.ts(t), d.ts(w.now()), d.jsonArg(body))
	if err != nil {
		return false, fmt.Errorf("warehouse: storing metadata of %s: %w", doc.Metadata.UUID, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// ErrorReport is the report of a ping that could not be delivered, as
// runtime/ping sends it.
type ErrorReport struct {
	UUID       string  `json:"uuid"`
	RecordedAt string  `json:"recorded_at"`
	Version    string  `json:"version"`
	Elapsed    float64 `json:"elapsed"`
	Message    string  `json:"message"`
}

// StoreErrorReport stores an error report.
func (w *Warehouse) StoreErrorReport(ctx context.Context, r ErrorReport) error {
	if r.UUID == "" {
		return fieldErr(ErrBadPing, "uuid", "error report: want the instance's uuid")
	}
	d := w.d
	_, err := w.db.ExecContext(ctx, fmt.Sprintf(`INSERT INTO ping_errors (uuid, recorded_at, received_at, version, elapsed, message)
		VALUES (%s)`, d.list(1, 6)), r.UUID, r.RecordedAt, d.ts(w.now()), r.Version, r.Elapsed, r.Message)
	if err != nil {
		return fmt.Errorf("warehouse: storing error report of %s: %w", r.UUID, err)
	}
	return nil
}

// list is n placeholders from the from-th, comma-separated.
func (d dialect) list(from, n int) string {
	p := make([]string, n)
	for i := range p {
		p[i] = d.ph(from + i)
	}
	return strings.Join(p, ", ")
}
