// Package intake is the collector's HTTP front: it receives usage pings as
// runtime/ping sends them (POST /usage_data, then /usage_data/metadata, and
// /usage_data/errors when a ping could not be delivered) and batches of
// event records (POST /records, as the HTTP record sink sends them), checks
// them, and hands them to the warehouse or to a record queue.
//
// Hostile input is refused before it costs anything: bodies are bounded
// before and after gzip (a gzip bomb stops at the limit), only JSON is
// taken, bad JSON and bad fields get a 400 naming the field, a batch with
// one bad record is refused whole, and nothing partial is stored. Optional
// bearer tokens and a per-source rate limit guard a collector that is not
// public. /healthz answers liveness and /metrics the counters, in
// Prometheus's text format.
package intake

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"golang.org/x/time/rate"

	"github.com/usagekit/usagekit/collector/warehouse"
)

// RecordSink takes a checked batch of records: the warehouse directly, or
// a queue (JetStream) that a loader drains into it. It returns how many
// records were new, or -1 when it cannot tell (a queue).
type RecordSink interface {
	StoreRecords(ctx context.Context, rs []warehouse.Record) (int, error)
}

// Options configure an Intake. Warehouse is required; the zero value of
// the rest works.
type Options struct {
	// Warehouse stores pings, and records unless Records is set.
	Warehouse *warehouse.Warehouse
	// Records receives record batches. Default: Warehouse.
	Records RecordSink
	// PayloadSchema checks pings; its problems are stored with the ping,
	// which is never refused for them. Default: none.
	PayloadSchema *jsonschema.Schema
	// Tokens are the bearer tokens accepted. Default: none, and every
	// request is accepted, as a public collector receives anonymous pings.
	Tokens []string
	// Rate and Burst limit each source (a token, or else the client's
	// address): Rate requests a second on average, Burst at once. Default
	// 0: no limit.
	Rate  rate.Limit
	Burst int
	// MaxBody is the largest request body read, as sent. Default 8 MiB.
	MaxBody int64
	// MaxDecoded is the largest body after gzip. Default 32 MiB.
	MaxDecoded int64
	// Now is the clock, for the lag metric. Default time.Now.
	Now func() time.Time
	// ErrorHandler hears about failures that are the collector's, not the
	// sender's (a warehouse error). Default: none.
	ErrorHandler func(error)
	// MoreMetrics, when set, writes further metrics in Prometheus's text
	// format after the intake's own at /metrics (the record loader's).
	MoreMetrics func(io.Writer)
}

// Intake is the collector's HTTP handler. It is safe for concurrent use.
type Intake struct {
	opt     Options
	mux     *http.ServeMux
	limits  *limiters
	metrics metrics
	// fast vouches for most pings without the full validation; nil when
	// the payload schema has keywords it does not understand.
	fast *fastSchema
}

// New returns the intake handler.
func New(opt Options) *Intake {
	if opt.Records == nil {
		opt.Records = opt.Warehouse
	}
	if opt.MaxBody <= 0 {
		opt.MaxBody = 8 << 20
	}
	if opt.MaxDecoded <= 0 {
		opt.MaxDecoded = 32 << 20
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	in := &Intake{opt: opt, mux: http.NewServeMux(), fast: compileFast(opt.PayloadSchema)}
	if opt.Rate > 0 {
		in.limits = newLimiters(opt.Rate, max(opt.Burst, 1))
	}
	in.mux.Handle("POST /usage_data", in.guard(kindPing, in.ping))
	in.mux.Handle("POST /usage_data/metadata", in.guard(kindMetadata, in.pingMetadata))
	in.mux.Handle("POST /usage_data/errors", in.guard(kindError, in.pingError))
	in.mux.Handle("POST /records", in.guard(kindRecords, in.records))
	in.mux.HandleFunc("GET /healthz", in.healthz)
	in.mux.HandleFunc("GET /metrics", in.serveMetrics)
	return in
}

// ServeHTTP implements http.Handler.
func (in *Intake) ServeHTTP(w http.ResponseWriter, r *http.Request) { in.mux.ServeHTTP(w, r) }

// problem is a refusal: the status and the JSON body {"error", "field"}.
type problem struct {
	status int
	msg    string
	field  string
}

func (p *problem) Error() string { return p.msg }

func refuse(status int, field, format string, a ...any) *problem {
	return &problem{status: status, field: field, msg: fmt.Sprintf(format, a...)}
}

// handler is an endpoint's work on a checked body; it returns the reply.
// The body is reused once the handler returns: what it keeps, it copies.
type handler func(ctx context.Context, r *http.Request, body []byte) (any, *problem)

// bodies are buffers for request bodies, reused: a ping is some 40 kB.
var bodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBody is the largest body buffer kept for another request, so
// that one large batch does not hold its memory for good.
const maxPooledBody = 1 << 20

// guard runs the checks every intake endpoint shares — token, rate,
// content type, size, gzip — then h, and writes the reply or the refusal.
func (in *Intake) guard(k kind, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in.metrics.received[k].Add(1)
		reply, p := in.admit(r)
		var body []byte
		if p == nil {
			buf := bodies.Get().(*bytes.Buffer)
			defer func() {
				if buf.Cap() <= maxPooledBody {
					buf.Reset()
					bodies.Put(buf)
				}
			}()
			body, p = in.read(r, buf)
		}
		if p == nil {
			reply, p = h(r.Context(), r, body)
		}
		if p != nil {
			in.metrics.refused(k, p.status)
			if p.status >= 500 && in.opt.ErrorHandler != nil {
				in.opt.ErrorHandler(fmt.Errorf("intake: %s: %s", r.URL.Path, p.msg))
			}
			if p.status == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "1")
			}
			writeJSON(w, p.status, map[string]string{"error": p.msg, "field": p.field})
			return
		}
		writeJSON(w, http.StatusOK, reply)
	})
}

// admit checks the token and the source's rate.
func (in *Intake) admit(r *http.Request) (any, *problem) {
	source := clientAddr(r)
	if len(in.opt.Tokens) > 0 {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || !in.validToken(token) {
			return nil, refuse(http.StatusUnauthorized, "Authorization", "a bearer token this collector knows is required")
		}
		source = "token:" + token
	}
	if in.limits != nil && !in.limits.allow(source) {
		return nil, refuse(http.StatusTooManyRequests, "", "too many requests from %s; slow down", strings.TrimPrefix(source, "token:"))
	}
	return nil, nil
}

func (in *Intake) validToken(token string) bool {
	ok := false
	for _, t := range in.opt.Tokens {
		// Constant time, and every token compared, so that timing tells
		// nothing about which prefix matched.
		if subtle.ConstantTimeCompare([]byte(t), []byte(token)) == 1 {
			ok = true
		}
	}
	return ok
}

// read takes the body into buf: JSON only, at most MaxBody as sent and
// MaxDecoded after gzip.
func (in *Intake) read(r *http.Request, buf *bytes.Buffer) ([]byte, *problem) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return nil, refuse(http.StatusUnsupportedMediaType, "Content-Type", "Content-Type %q: want application/json", ct)
		}
	}
	if r.ContentLength > in.opt.MaxBody {
		return nil, refuse(http.StatusRequestEntityTooLarge, "", "the body is %d bytes; the limit is %d", r.ContentLength, in.opt.MaxBody)
	}
	var src io.Reader = http.MaxBytesReader(nil, r.Body, in.opt.MaxBody)
	limit, plain := in.opt.MaxBody, true
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, refuse(http.StatusBadRequest, "Content-Encoding", "the body is not gzip: %v", err)
		}
		defer zr.Close()
		src, limit, plain = zr, in.opt.MaxDecoded, false
	default:
		return nil, refuse(http.StatusUnsupportedMediaType, "Content-Encoding", "Content-Encoding %q: want gzip or none", enc)
	}
	if plain && r.ContentLength > 0 {
		// The body is as long as it says (at most MaxBody): read at once.
		buf.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(io.LimitReader(src, limit+1))
	body := buf.Bytes()
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, refuse(http.StatusRequestEntityTooLarge, "", "the body is over the limit of %d bytes", in.opt.MaxBody)
	case err != nil:
		return nil, refuse(http.StatusBadRequest, "", "reading the body: %v", err)
	case int64(len(body)) > limit:
		return nil, refuse(http.StatusRequestEntityTooLarge, "", "the body is over %d bytes once decompressed", limit)
	case len(body) == 0:
		return nil, refuse(http.StatusBadRequest, "", "the body is empty; want a JSON document")
	case !json.Valid(body):
		return nil, refuse(http.StatusBadRequest, "", "the body is not valid JSON")
	}
	return body, nil
}

// ping stores a usage ping, with what the payload schema finds.
func (in *Intake) ping(ctx context.Context, r *http.Request, body []byte) (any, *problem) {
	problems := in.check(body)
	st, err := in.opt.Warehouse.StorePing(ctx, warehouse.Ping{Payload: body, Problems: problems})
	if p := storeProblem(err); p != nil {
		return nil, p
	}
	if key := r.Header.Get("Idempotency-Key"); key != "" && key != st.UUID+"/"+st.RecordedAt.Format(time.RFC3339) {
		// The key and the payload disagree; the payload decides.
		problems = append(problems, fmt.Sprintf("Idempotency-Key %q does not name this ping", key))
	}
	if st.Duplicate {
		in.metrics.duplicates[kindPing].Add(1)
	} else {
		in.metrics.stored[kindPing].Add(1)
		in.metrics.setLag(in.opt.Now().Sub(st.RecordedAt))
	}
	return map[string]any{"status": status(st.Duplicate), "uuid": st.UUID, "problems": len(problems)}, nil
}

// check validates a payload against the payload schema and lists the
// problems, innermost first.
func (in *Intake) check(body []byte) []string {
	if in.opt.PayloadSchema == nil || in.fast != nil && in.fast.fits(body) {
		return nil
	}
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return []string{err.Error()}
	}
	err := in.opt.PayloadSchema.Validate(doc)
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	var out []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			out = append(out, strings.TrimPrefix(e.InstanceLocation, "/")+": "+e.Message)
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return out
}

func (in *Intake) pingMetadata(ctx context.Context, _ *http.Request, body []byte) (any, *problem) {
	fresh, err := in.opt.Warehouse.StoreMetadata(ctx, body)
	if p := storeProblem(err); p != nil {
		return nil, p
	}
	in.count(kindMetadata, !fresh)
	return map[string]string{"status": status(!fresh)}, nil
}

func (in *Intake) pingError(ctx context.Context, _ *http.Request, body []byte) (any, *problem) {
	var rep warehouse.ErrorReport
	if err := json.Unmarshal(body, &rep); err != nil {
		return nil, refuse(http.StatusBadRequest, "", "the error report is not {\"uuid\", \"recorded_at\", \"version\", \"elapsed\", \"message\"}: %v", err)
	}
	if p := storeProblem(in.opt.Warehouse.StoreErrorReport(ctx, rep)); p != nil {
		return nil, p
	}
	in.count(kindError, false)
	return map[string]string{"status": "stored"}, nil
}

// records stores a batch of records, refusing it whole when one is bad.
func (in *Intake) records(ctx context.Context, _ *http.Request, body []byte) (any, *problem) {
	rs, err := warehouse.ParseRecords(body)
	if p := storeProblem(err); p != nil {
		return nil, p
	}
	n, err := in.opt.Records.StoreRecords(ctx, rs)
	if p := storeProblem(err); p != nil {
		return nil, p
	}
	if n >= 0 {
		in.metrics.stored[kindRecords].Add(uint64(n))
		in.metrics.duplicates[kindRecords].Add(uint64(len(rs) - n))
	} else {
		in.metrics.stored[kindRecords].Add(uint64(len(rs)))
	}
	var newest time.Time
	for _, r := range rs {
		if r.OccurredAt.After(newest) {
			newest = r.OccurredAt
		}
	}
	in.metrics.setLag(in.opt.Now().Sub(newest))
	return map[string]any{"status": "stored", "records": len(rs), "new": n}, nil
}

// storeProblem turns a warehouse error into the refusal: the sender's
// mistake (400) or the collector's failure (503, which senders retry).
func storeProblem(err error) *problem {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, warehouse.ErrBadPing), errors.Is(err, warehouse.ErrBadRecord):
		msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), "warehouse: bad ping: "), "warehouse: bad record: ")
		var fe *warehouse.FieldError
		field := ""
		if errors.As(err, &fe) {
			field = fe.Field
		}
		return refuse(http.StatusBadRequest, field, "%s", msg)
	}
	return refuse(http.StatusServiceUnavailable, "", "the warehouse could not store it; try again (%v)", err)
}

func (in *Intake) count(k kind, duplicate bool) {
	if duplicate {
		in.metrics.duplicates[k].Add(1)
	} else {
		in.metrics.stored[k].Add(1)
	}
}

func status(duplicate bool) string {
	if duplicate {
		return "duplicate"
	}
	return "stored"
}

func (in *Intake) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := in.opt.Warehouse.DB().PingContext(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "warehouse unreachable", "error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) //nolint:errcheck // the client went away
}

// clientAddr is the request's source address without its port.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limiters holds one rate limiter per source, dropping sources not seen
// for a while so that a stream of new addresses cannot grow it without
// bound.
type limiters struct {
	mu    sync.Mutex
	rate  rate.Limit
	burst int
	by    map[string]*sourceLimit
	swept time.Time
}

type sourceLimit struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiters(r rate.Limit, burst int) *limiters {
	return &limiters{rate: r, burst: burst, by: map[string]*sourceLimit{}}
}

func (l *limiters) allow(source string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Sub(l.swept) > time.Minute {
		for k, s := range l.by {
			if now.Sub(s.seen) > 10*time.Minute {
				delete(l.by, k)
			}
		}
		l.swept = now
	}
	s, ok := l.by[source]
	if !ok {
		s = &sourceLimit{lim: rate.NewLimiter(l.rate, l.burst)}
		l.by[source] = s
	}
	s.seen = now
	return s.lim.Allow()
}
