// Package trackapi is the track endpoint: an http.Handler that counts events
// sent by browsers and other services, with the request shapes of GitLab's
// POST /api/v4/usage_data/track_event and track_events, so GitLab's own
// clients and the generated TypeScript client both work.
//
// Mount it under a prefix; it serves the two paths ending in track_event
// and track_events:
//
//	h, err := trackapi.New(generated.Events(), trackapi.Options{Authenticate: auth, Authorize: may})
//	mux.Handle("/api/v4/usage_data/", h)
//
// A request is checked in this order: method (405), cross-origin (403),
// Authenticate (401), body size (413), JSON shape (400), the per-user rate
// limit (429), every event against its definition (400, nothing counted),
// Authorize for the projects and namespaces named (403). Valid events go
// through the tracker the request's context carries (track.From), as
// server-side Track calls do.
package trackapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path"
	"strconv"
	"time"

	"golang.org/x/time/rate"

	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/track"
)

// MaxEvents is the most events one track_events request may carry, as in
// GitLab.
const MaxEvents = 50

// Errors; match them with errors.Is.
var (
	// ErrOptions reports options New cannot work with.
	ErrOptions = errors.New("trackapi: invalid options")
	// ErrInvalid reports events refused for a problem with their
	// definition; in lenient mode the error handler hears of them.
	ErrInvalid = errors.New("trackapi: invalid events")
)

// Identity is who is acting, as the application's Authenticate says.
type Identity struct {
	// User is the user the events are counted for; zero counts them with
	// no user (unique counts over users skip them).
	User event.UserID
}

// Options configure a Handler. Authenticate is required; the zero value of
// every other field is a documented default.
type Options struct {
	// Authenticate says who sent the request, from the application's own
	// session or token; an error answers 401 and nothing is counted. The
	// user never comes from the body.
	Authenticate func(r *http.Request) (Identity, error)
	// Authorize says whether id may count events on the project and
	// namespace a request names (either may be zero); an error answers
	// 403 and nothing of the request is counted. It is called once per
	// distinct pair, and only for identifiers the event declares (others
	// are ignored, as GitLab's frontend sends them with every event).
	// Default: nil, which refuses every request naming a project or a
	// namespace, so that nobody counts events on projects they cannot see.
	Authorize func(r *http.Request, id Identity, project event.ProjectID, namespace event.NamespaceID) error
	// Tracker counts the events. Default: the tracker the request's context
	// carries, else the default tracker (track.From).
	Tracker *track.Tracker
	// Lenient counts the valid events of a request with invalid ones,
	// reports the rest to ErrorHandler (wrapping ErrInvalid) and answers
	// 200, as GitLab does in production. Default: a request with any
	// invalid event answers 400 and counts nothing.
	Lenient bool
	// ErrorHandler hears of events refused in lenient mode. Default: none.
	ErrorHandler func(error)
	// CrossOrigin refuses browser requests from other origins: it passes
	// same-origin requests (Sec-Fetch-Site, else Origin against Host) and
	// requests from clients that are not browsers (neither header).
	// Default: http.NewCrossOriginProtection(); add trusted origins to a
	// value of your own.
	CrossOrigin *http.CrossOriginProtection
	// CSRFHeader, when set, also passes a cross-origin request that carries
	// this header with any value: a browser sends a custom header to
	// another origin only after a CORS preflight the application approved.
	// Default: "" (same origin only).
	CSRFHeader string
	// MaxBodyBytes bounds a request body; larger ones answer 413.
	// Default 256 KiB.
	MaxBodyBytes int64
	// Rate is how many events per second one user may send, on average;
	// more answer 429. Anonymous requests are limited by client address.
	// Default 20; rate.Inf disables the limit.
	Rate rate.Limit
	// Burst is how many events one user may send at once. Default 200,
	// and never less than MaxEvents, so a full batch always fits.
	Burst int
	// Now is the clock of the rate limit. Default time.Now.
	Now func() time.Time
}

// Handler serves track_event and track_events. It is safe for concurrent
// use.
type Handler struct {
	opts    Options
	events  map[string]*event.Descriptor
	limiter *limiter
}

var _ http.Handler = (*Handler)(nil)

// New returns a handler that accepts the given events, usually the
// generated package's Events().
func New(events []*event.Descriptor, opts Options) (*Handler, error) {
	if opts.Authenticate == nil {
		return nil, fmt.Errorf("%w: Authenticate is required (return an Identity with no user to accept anonymous events)", ErrOptions)
	}
	if opts.CrossOrigin == nil {
		opts.CrossOrigin = http.NewCrossOriginProtection()
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 256 << 10
	}
	if opts.Rate == 0 {
		opts.Rate = 20
	}
	if opts.Burst <= 0 {
		opts.Burst = 200
	}
	opts.Burst = max(opts.Burst, MaxEvents)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	h := &Handler{opts: opts, events: make(map[string]*event.Descriptor, len(events))}
	for _, d := range events {
		if d == nil {
			continue
		}
		if _, dup := h.events[d.Name]; dup {
			return nil, fmt.Errorf("%w: event %q given twice", ErrOptions, d.Name)
		}
		h.events[d.Name] = d
	}
	if opts.Rate != rate.Inf {
		h.limiter = newLimiter(opts.Rate, opts.Burst)
	}
	return h, nil
}

// ServeHTTP handles POST …/track_event and POST …/track_events.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	batch := false
	switch path.Base(r.URL.Path) {
	case "track_event":
	case "track_events":
		batch = true
	default:
		writeMessage(w, http.StatusNotFound, "404 Not Found")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeMessage(w, http.StatusMethodNotAllowed, "405 Method Not Allowed")
		return
	}
	if err := h.checkOrigin(r); err != nil {
		writeMessage(w, http.StatusForbidden, "403 Forbidden - "+err.Error())
		return
	}
	id, err := h.opts.Authenticate(r)
	if err != nil {
		writeMessage(w, http.StatusUnauthorized, "401 Unauthorized")
		return
	}
	wire, status, msg := h.decode(w, r, batch)
	if status != 0 {
		writeMessage(w, status, msg)
		return
	}
	if h.limiter != nil {
		if wait, ok := h.limiter.allow(rateKey(r, id), len(wire), h.opts.Now()); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds()+0.999)))
			writeMessage(w, http.StatusTooManyRequests, "429 Too Many Requests")
			return
		}
	}
	checked, problems := h.check(wire, id)
	if len(problems) > 0 && !h.opts.Lenient {
		writeJSON(w, http.StatusBadRequest, rejection{Message: problemsMessage(len(problems)), Problems: problems})
		return
	}
	if err := h.authorize(r, id, checked); err != nil {
		writeMessage(w, http.StatusForbidden, "403 Forbidden - "+err.Error())
		return
	}
	if len(problems) > 0 && h.opts.ErrorHandler != nil {
		h.opts.ErrorHandler(invalidError(problems))
	}
	t := h.opts.Tracker
	if t == nil {
		t = track.From(r.Context())
	}
	for i := range checked {
		c := &checked[i]
		if c.record {
			t.Track(r.Context(), c.desc, &c.rec)
		} else {
			t.TrackCounts(r.Context(), c.desc, &c.rec)
		}
	}
	writeJSON(w, http.StatusOK, accepted{Tracked: len(checked), Rejected: len(problems)})
}

// checkOrigin passes same-origin and non-browser requests, and requests
// with the configured CSRF header.
func (h *Handler) checkOrigin(r *http.Request) error {
	if h.opts.CSRFHeader != "" && r.Header.Get(h.opts.CSRFHeader) != "" {
		return nil
	}
	if err := h.opts.CrossOrigin.Check(r); err != nil {
		return errors.New("cross-origin request refused")
	}
	return nil
}

// decode reads the body: one event for track_event, {"events": [...]} for
// track_events. The body is decoded in one pass; only when an element is
// not an object does a second pass find which, so that it is a problem of
// that event. A non-zero status is the answer, with its message.
func (h *Handler) decode(w http.ResponseWriter, r *http.Request, batch bool) ([]wireEvent, int, string) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes))
	if err != nil {
		if tooLarge(err) {
			return nil, http.StatusRequestEntityTooLarge, fmt.Sprintf("413 Request Entity Too Large - the body is over %d bytes", h.opts.MaxBodyBytes)
		}
		return nil, http.StatusBadRequest, "400 Bad request - reading the body: " + err.Error()
	}
	var events []wireEvent
	if batch {
		var req struct {
			Events *[]wireEvent `json:"events"`
		}
		err = json.Unmarshal(data, &req)
		if err == nil && req.Events == nil {
			return nil, http.StatusBadRequest, "400 Bad request - events is missing"
		}
		if err == nil {
			events = *req.Events
		}
	} else {
		var ev wireEvent
		if err = json.Unmarshal(data, &ev); err == nil {
			events = []wireEvent{ev}
		}
	}
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &syntax):
		return nil, http.StatusBadRequest, "400 Bad request - the body is not JSON: " + err.Error()
	case err != nil && !batch:
		events = []wireEvent{{notObject: data}}
	case err != nil:
		var status int
		var msg string
		if events, status, msg = splitEvents(data); status != 0 {
			return nil, status, msg
		}
	}
	if len(events) > MaxEvents {
		return nil, http.StatusBadRequest, fmt.Sprintf("Maximum %d events allowed in one request.", MaxEvents)
	}
	return events, 0, ""
}

// splitEvents decodes the events of a valid JSON body one by one, marking
// those that are not objects.
func splitEvents(data []byte) ([]wireEvent, int, string) {
	var req struct {
		Events json.RawMessage `json:"events"`
	}
	if json.Unmarshal(data, &req) != nil || isNull(req.Events) {
		return nil, http.StatusBadRequest, "400 Bad request - events is missing"
	}
	var items []json.RawMessage
	if json.Unmarshal(req.Events, &items) != nil {
		return nil, http.StatusBadRequest, "400 Bad request - events is invalid"
	}
	events := make([]wireEvent, len(items))
	for i, it := range items {
		if json.Unmarshal(it, &events[i]) != nil {
			events[i] = wireEvent{notObject: it}
		}
	}
	return events, 0, ""
}

// tooLarge reports whether err is the body limit's.
func tooLarge(err error) bool {
	var mb *http.MaxBytesError
	return errors.As(err, &mb)
}

// authorize asks Authorize about every distinct project and namespace the
// valid events name.
func (h *Handler) authorize(r *http.Request, id Identity, checked []checkedEvent) error {
	type pair struct {
		p event.ProjectID
		n event.NamespaceID
	}
	var seen []pair
	for i := range checked {
		c := pair{checked[i].rec.Project, checked[i].rec.Namespace}
		if c == (pair{}) {
			continue
		}
		dup := false
		for _, s := range seen {
			dup = dup || s == c
		}
		if dup {
			continue
		}
		seen = append(seen, c)
		if h.opts.Authorize == nil {
			return errors.New("events on projects and namespaces need an Authorize hook")
		}
		if err := h.opts.Authorize(r, id, c.p, c.n); err != nil {
			// The application's reason stays on the server: it may say
			// whether a project the user cannot see exists.
			return fmt.Errorf("not allowed on project %d, namespace %d", c.p, c.n)
		}
	}
	return nil
}

// rateKey is the user, or the client's address for anonymous requests.
func rateKey(r *http.Request, id Identity) string {
	if id.User != 0 {
		return "u" + strconv.FormatInt(int64(id.User), 10)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "a" + host
}

// accepted is the body of a 200 answer.
type accepted struct {
	// Tracked is how many events were counted.
	Tracked int `json:"tracked"`
	// Rejected is how many were refused, in lenient mode.
	Rejected int `json:"rejected,omitempty"`
}

// rejection is the body of a 400 answer for invalid events.
type rejection struct {
	Message  string    `json:"message"`
	Problems []Problem `json:"problems"`
}

func problemsMessage(n int) string {
	if n == 1 {
		return "400 Bad request - 1 problem; nothing was tracked"
	}
	return fmt.Sprintf("400 Bad request - %d problems; nothing was tracked", n)
}

func invalidError(problems []Problem) error {
	errs := make([]error, len(problems))
	for i, p := range problems {
		errs[i] = fmt.Errorf("%w: %s", ErrInvalid, p)
	}
	return errors.Join(errs...)
}

// writeMessage answers in GitLab's error shape, {"message": "..."}.
func writeMessage(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, struct {
		Message string `json:"message"`
	}{msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"500 Internal Server Error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
