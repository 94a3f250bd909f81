// Package testproc starts server processes for tests (redis-server,
// nats-server) on free loopback ports and waits for them, so cluster tests
// of every kind share one way of doing it.
package testproc

import (
	"context"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"testing"
	"time"
)

// Binary returns the path of the named program, skipping the test (named
// by what) only when it is not installed; install says how to get it.
func Binary(t testing.TB, name, install, what string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (%s); the %s test needs it", name, install, what)
	}
	return bin
}

// Process is a server started by Start.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// Start starts bin with args and stops it when the test ends.
func Start(t testing.TB, bin string, args ...string) *Process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s %v: %v", bin, args, err)
	}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.Kill)
	return p
}

// Kill stops the process at once (SIGKILL, as a crash would) and waits
// for it to exit. Killing a stopped process does nothing.
func (p *Process) Kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// WaitFor polls ok every 50 ms until it holds, failing the test when ctx
// ends first.
func WaitFor(t testing.TB, ctx context.Context, what string, ok func() bool) {
	t.Helper()
	for !ok() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// FreePorts finds n free loopback ports such that, for each offset, port +
// offset is free too (Redis Cluster's bus is port + 10000).
func FreePorts(t testing.TB, n int, offsets ...int) []int {
	t.Helper()
	var out []int
next:
	for len(out) < n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if slices.Contains(out, port) {
			continue
		}
		for _, off := range offsets {
			if port+off > 65535 {
				continue next
			}
			l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port+off)))
			if err != nil {
				continue next
			}
			l.Close()
		}
		out = append(out, port)
	}
	return out
}
