package testservers

import (
	"bytes"
	"net"
	"strings"
	"testing"
)

func TestMissing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	t.Setenv("USAGEKIT_TEST_GONE", "redis://"+addr)
	gone := Server{Name: "Gone", Env: "USAGEKIT_TEST_GONE", Default: "redis://127.0.0.1:1", Start: "gone-server --start"}
	var buf bytes.Buffer
	if !Missing(&buf, gone) {
		t.Fatal("a closed port counts as reachable")
	}
	want := "Gone is not reachable at redis://" + addr + " (dial tcp " + addr + ": connect: connection refused): set USAGEKIT_TEST_GONE, or run .ci/run, which starts it: gone-server --start\n"
	if buf.String() != want {
		t.Errorf("message:\n got %q\nwant %q", buf.String(), want)
	}
	if strings.Count(buf.String(), "\n") != 1 {
		t.Error("more than one line")
	}

	ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	t.Setenv("USAGEKIT_TEST_HERE", "postgres://u@"+ln.Addr().String()+"/db")
	buf.Reset()
	if Missing(&buf, Server{Name: "Here", Env: "USAGEKIT_TEST_HERE"}) || buf.Len() != 0 {
		t.Errorf("a listening port counts as missing: %q", buf.String())
	}
}
