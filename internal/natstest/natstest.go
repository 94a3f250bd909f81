// Package natstest connects tests to the NATS server with JetStream at
// NATS_URL, gives each test a stream of its own, and starts throwaway
// JetStream clusters from the nats-server binary.
package natstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/usagekit/usagekit/internal/testproc"
	"github.com/usagekit/usagekit/internal/testservers"
)

// URL is the NATS server the tests use: $NATS_URL, default
// nats://127.0.0.1:4222.
func URL() string { return testservers.NATS.URL() }

// Connect connects to url (URL() when empty) with reconnection for ever,
// as an application should, and closes the connection when the test ends.
func Connect(t testing.TB, url string, opts ...nats.Option) *nats.Conn {
	t.Helper()
	if url == "" {
		url = URL()
	}
	opts = append([]nats.Option{nats.MaxReconnects(-1), nats.ReconnectWait(50 * time.Millisecond)}, opts...)
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatalf("connect to NATS at %s (set NATS_URL to use another): %v", url, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// Names returns a stream name and a subject prefix no other test uses,
// and deletes the stream (whoever creates it) when the test ends.
func Names(t testing.TB, nc *nats.Conn) (stream, subject string) {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	tag := hex.EncodeToString(b[:])
	stream = "T_" + tag
	subject = "t" + tag + ".records"
	t.Cleanup(func() {
		js, err := jetstream.New(nc)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		js.DeleteStream(ctx, stream)
	})
	return stream, subject
}

// Node is one server of a cluster started by Cluster.
type Node struct {
	Name string
	URL  string
	proc *testproc.Process
}

// Kill stops the server at once, as a crash would.
func (n *Node) Kill() { n.proc.Kill() }

// Cluster starts a JetStream cluster of n nats-server processes on
// loopback ports (configuration and stores in a temporary directory) and
// waits until it has a meta leader. The processes stop when the test
// ends. The test is skipped only when nats-server is not installed.
func Cluster(t testing.TB, n int) []*Node {
	t.Helper()
	bin := testproc.Binary(t, "nats-server", "apt-get install nats-server", "JetStream cluster")
	dir := t.TempDir()
	ports := testproc.FreePorts(t, 2*n)
	var routes []string
	for i := range n {
		routes = append(routes, "nats-route://127.0.0.1:"+strconv.Itoa(ports[n+i]))
	}
	nodes := make([]*Node, n)
	for i := range n {
		name := "n" + strconv.Itoa(i+1)
		conf := fmt.Sprintf(`server_name: %s
listen: 127.0.0.1:%d
jetstream {
  store_dir: %q
  max_memory_store: 64MB
  max_file_store: 1GB
}
cluster {
  name: usagekit-test
  listen: 127.0.0.1:%d
  routes: [%s]
}
`, name, ports[i], filepath.Join(dir, name), ports[n+i], strings.Join(routes, ", "))
		path := filepath.Join(dir, name+".conf")
		if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		nodes[i] = &Node{Name: name, URL: "nats://127.0.0.1:" + strconv.Itoa(ports[i]),
			proc: testproc.Start(t, bin, "-c", path, "-l", filepath.Join(dir, name+".log"))}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, n := range nodes {
		testproc.WaitFor(t, ctx, n.Name+" to listen", func() bool {
			c, err := net.Dial("tcp", strings.TrimPrefix(n.URL, "nats://"))
			if err == nil {
				c.Close()
			}
			return err == nil
		})
	}
	nc := Connect(t, ClusterURL(nodes))
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	testproc.WaitFor(t, ctx, "the JetStream cluster to elect a meta leader", func() bool {
		actx, acancel := context.WithTimeout(ctx, time.Second)
		defer acancel()
		_, err := js.AccountInfo(actx)
		return err == nil
	})
	// A meta leader may not know every peer yet ("no suitable peers for
	// placement" on a busy machine): the cluster is ready once a stream
	// with a replica on every node can be made.
	testproc.WaitFor(t, ctx, "every node to join the JetStream cluster", func() bool {
		actx, acancel := context.WithTimeout(ctx, 2*time.Second)
		defer acancel()
		const probe = "NATSTEST_READY"
		if _, err := js.CreateStream(actx, jetstream.StreamConfig{Name: probe, Subjects: []string{"natstest.ready"},
			Replicas: n, Storage: jetstream.MemoryStorage}); err != nil {
			return false
		}
		return js.DeleteStream(actx, probe) == nil
	})
	return nodes
}

// ClusterURL is the comma-separated URL list of nodes, as nats.Connect
// takes it.
func ClusterURL(nodes []*Node) string {
	urls := make([]string, len(nodes))
	for i, n := range nodes {
		urls[i] = n.URL
	}
	return strings.Join(urls, ",")
}
