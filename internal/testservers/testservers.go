// Package testservers tells the tests where the servers they run against
// are (Redis, PostgreSQL, NATS) and stops a package's tests with one line when
// one of them is missing, saying how to start it: a test run without Redis
// fails once per package with the remedy, not with a stack of failures.
package testservers

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"testing"
	"time"
)

// Server is a server the tests need.
type Server struct {
	// Name is what the one-line message calls it.
	Name string
	// Env is the environment variable that points the tests elsewhere.
	Env string
	// Default is the URL used when Env is empty.
	Default string
	// Start is how .ci/run starts it, for the message.
	Start string
}

// The servers of the tests.
var (
	Redis = Server{
		Name: "Redis", Env: "REDIS_URL", Default: "redis://127.0.0.1:6379",
		Start: "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no",
	}
	Postgres = Server{
		Name: "PostgreSQL", Env: "DATABASE_URL", Default: "postgres://postgres@127.0.0.1:5432/test?sslmode=disable",
		Start: "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start (trust auth on 127.0.0.1, database test)",
	}
	NATS = Server{
		Name: "NATS", Env: "NATS_URL", Default: "nats://127.0.0.1:4222",
		Start: "nats-server -a 127.0.0.1 -p 4222 -js -sd <dir>",
	}
)

// URL is where the server is: $Env, or Default.
func (s Server) URL() string {
	if u := os.Getenv(s.Env); u != "" {
		return u
	}
	return s.Default
}

// Check dials the server's address and says why it is not reachable, or
// returns nil.
func (s Server) Check(ctx context.Context) error {
	u, err := url.Parse(s.URL())
	if err != nil {
		return fmt.Errorf("%s %q: %w", s.Env, s.URL(), err)
	}
	c, err := (&net.Dialer{}).DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return err
	}
	return c.Close()
}

// Main runs a package's tests (call it from TestMain) after checking that
// every server in need answers. When one does not, it prints one line per
// missing server and exits 1 without running the tests.
func Main(m *testing.M, need ...Server) {
	if Missing(os.Stderr, need...) {
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// Missing writes one line to w for each server of need that does not
// answer, and reports whether there was one.
func Missing(w io.Writer, need ...Server) bool {
	missing := false
	for _, s := range need {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err := s.Check(ctx)
		cancel()
		if err != nil {
			fmt.Fprintf(w, "%s is not reachable at %s (%v): set %s, or run .ci/run, which starts it: %s\n",
				s.Name, s.URL(), err, s.Env, s.Start)
			missing = true
		}
	}
	return missing
}
