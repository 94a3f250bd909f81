package ping_test

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// collector is a real HTTP collector on loopback. Its script says how to
// answer each request to a path, in order; when the script runs out it
// accepts. It keeps one copy of each document per Idempotency-Key, as a
// production collector would.
type collector struct {
	*httptest.Server

	mu       sync.Mutex
	script   map[string][]step
	requests map[string]int               // path → requests seen
	docs     map[string]map[string][]byte // path → idempotency key → body
	headers  map[string]http.Header       // path → headers of the last request
}

// step is one scripted answer.
type step struct {
	status int    // 0 means accept with 200 and reply
	reply  string // body of the answer
	hang   bool   // never answer; wait for the client to give up
	drop   bool   // store the document, then cut the connection without a reply
	header http.Header
}

func newCollector(t *testing.T, script map[string][]step) *collector {
	c := &collector{
		script:   script,
		requests: map[string]int{},
		docs:     map[string]map[string][]byte{},
		headers:  map[string]http.Header{},
	}
	c.Server = httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(c.Close)
	return c
}

func (c *collector) serve(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, "bad gzip", http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.requests[r.URL.Path]++
	c.headers[r.URL.Path] = r.Header.Clone()
	var s step
	if q := c.script[r.URL.Path]; len(q) > 0 {
		s, c.script[r.URL.Path] = q[0], q[1:]
	}
	store := func() {
		if !json.Valid(b) {
			return
		}
		if c.docs[r.URL.Path] == nil {
			c.docs[r.URL.Path] = map[string][]byte{}
		}
		if _, dup := c.docs[r.URL.Path][r.Header.Get("Idempotency-Key")]; !dup {
			c.docs[r.URL.Path][r.Header.Get("Idempotency-Key")] = b
		}
	}
	c.mu.Unlock()
	for k, v := range s.header {
		w.Header()[k] = v
	}
	switch {
	case s.hang:
		<-r.Context().Done()
	case s.drop:
		c.mu.Lock()
		store()
		c.mu.Unlock()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	case s.status != 0:
		w.WriteHeader(s.status)
		io.WriteString(w, s.reply)
	default:
		c.mu.Lock()
		store()
		c.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if s.reply == "" {
			s.reply = `{"status":"ok"}`
		}
		io.WriteString(w, s.reply)
	}
}

// count returns the requests a path received.
func (c *collector) count(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requests[path]
}

// stored returns the documents kept for a path.
func (c *collector) stored(path string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, b := range c.docs[path] {
		out = append(out, string(b))
	}
	return out
}

func (c *collector) header(path, name string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.headers[path].Values(name), ",")
}
