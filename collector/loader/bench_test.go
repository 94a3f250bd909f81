package loader_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/usagekit/usagekit/collector/internal/warehousetest"
	"github.com/usagekit/usagekit/collector/loader"
	"github.com/usagekit/usagekit/collector/warehouse"
	"github.com/usagekit/usagekit/internal/natstest"
	"github.com/usagekit/usagekit/runtime/record/natssink"
)

// BenchmarkLoaderPostgres loads a stream of 500,000 records, as the
// JetStream sink wrote them (1 MiB messages), into a PostgreSQL warehouse,
// and in the same iteration COPYs the same rows, already parsed, straight
// into the same table: vs-copy is the COPY's time over the loader's, so 1
// would be a loader as fast as the database's own bulk path. ns/op and
// records/s are the loader's.
func BenchmarkLoaderPostgres(b *testing.B) {
	const n = 500_000
	ctx := context.Background()
	nc := natstest.Connect(b, "")
	js, _ := jetstream.New(nc)
	stream := fillMessages(b, nc, n, 1<<20)
	dsn := warehousetest.PostgresDSN(b)
	w, err := warehouse.Open(ctx, dsn, warehouse.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	rows := streamRows(b, js, stream, n)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	cols := []string{"id", "occurred_at", "event", "user_id", "project_id", "namespace_id", "properties", "context", "received_at"}
	// The weekly partitions exist before either is timed.
	if _, err := w.StoreRecords(ctx, rowsRecords(rows)); err != nil {
		b.Fatal(err)
	}
	var copyTime, loadTime time.Duration
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		truncate(b, conn)
		start := time.Now()
		if _, err := conn.CopyFrom(ctx, pgx.Identifier{"records"}, cols, pgx.CopyFromRows(rows.values)); err != nil {
			b.Fatal(err)
		}
		copyTime += time.Since(start)
		truncate(b, conn)
		l := newLoader(b, js, w, loader.Options{Stream: stream, Consumer: fmt.Sprintf("bench-%d", i), MaxWait: 100 * time.Millisecond})
		b.StartTimer()
		start = time.Now()
		run, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { l.Run(run); close(done) }()
		for l.Stats().Stored < n {
			time.Sleep(time.Millisecond)
		}
		loadTime += time.Since(start)
		stop()
		<-done
	}
	b.ReportMetric(float64(n)*float64(b.N)/loadTime.Seconds(), "records/s")
	b.ReportMetric(copyTime.Seconds()/loadTime.Seconds(), "vs-copy")
}

// parsedRows are the stream's records as COPY rows.
type parsedRows struct {
	records []warehouse.Record
	values  [][]any
}

func rowsRecords(r parsedRows) []warehouse.Record { return r.records }

// streamRows reads every record of the stream, as the loader would.
func streamRows(b *testing.B, js jetstream.JetStream, stream string, n int) parsedRows {
	b.Helper()
	ctx := context.Background()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		b.Fatal(err)
	}
	var out parsedRows
	now := time.Now().UTC()
	st := s.CachedInfo().State
	for seq := st.FirstSeq; seq <= st.LastSeq; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			b.Fatal(err)
		}
		lines, err := natssink.Lines(m.Header, m.Data, nil)
		if err != nil {
			b.Fatal(err)
		}
		rs, err := warehouse.ParseRecordLines(lines)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range rs {
			out.records = append(out.records, r)
			out.values = append(out.values, []any{strings.ToLower(r.ID), r.OccurredAt.UTC(), r.Event, orNil(r.Identifiers.User), orNil(r.Identifiers.Project),
				orNil(r.Identifiers.Namespace), string(r.Properties), string(r.Context), now})
		}
	}
	if len(out.records) != n {
		b.Fatalf("the stream holds %d records, want %d", len(out.records), n)
	}
	return out
}

func truncate(b *testing.B, conn *pgx.Conn) {
	b.Helper()
	if _, err := conn.Exec(context.Background(), `TRUNCATE records`); err != nil {
		b.Fatal(err)
	}
}

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}
