package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/sqlite"
)

// serve wires issue 16's defences: a flood of wrong hashes with 60 KB user agents from one
// address adds its 20 denials (user agents cut to 512 bytes) and, when serve stops, one entry
// counting the attempts the rate limiter refused; a client over --max-conns-per-client is
// answered 429 at once.
func TestServeBoundsTheLogOfAFlood(t *testing.T) {
	f := newServerFixture(t)
	cmd, addr := f.start("--max-conns-per-client", "2")
	good := f.link(addr)
	bad := good[:len(good)-4] + "0000"
	agent := strings.Repeat("x", 60_000)
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
	statuses := map[int]int{}
	for range 50 {
		req, _ := http.NewRequest(http.MethodGet, bad, nil)
		req.Header.Set("User-Agent", agent)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		statuses[resp.StatusCode]++
	}
	if statuses[403] != 20 || statuses[429] != 30 {
		t.Fatalf("answers to 50 wrong hashes: %v, want 20 × 403 and 30 × 429", statuses)
	}
	// From another address: two connections held open, a third answered 429 before its
	// request is read (the listener takes connections in order).
	dialer := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	for i := range 3 {
		conn, err := dialer.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if i < 2 {
			continue
		}
		conn.SetReadDeadline(time.Now().Add(time.Minute)) // a safety net, not a wait
		if answer, _ := io.ReadAll(conn); !strings.HasPrefix(string(answer), "HTTP/1.1 429 ") {
			t.Fatalf("a third connection from one address with --max-conns-per-client 2: %q", answer)
		}
	}

	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v", err)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(f.dir, "custexport.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var denied, counted int
	db.AccessEntries(context.Background(), time.Time{}, func(e *custexport.AccessEntry) error {
		if len(e.UserAgent) > custexport.MaxUserAgentBytes {
			t.Errorf("entry %d stores a %d-byte user agent", e.ID, len(e.UserAgent))
		}
		switch e.Outcome {
		case custexport.OutcomeDenied:
			denied++
		case custexport.OutcomeRateLimited:
			counted++
			if !strings.HasPrefix(e.Reason, "30 attempts refused by the rate limiter from 127.0.0.1/32") {
				t.Errorf("the rate limiter's count: %q", e.Reason)
			}
		}
		return nil
	})
	if denied != 20 || counted != 1 {
		t.Fatalf("%d denied entries and %d counts of rate-limited attempts, want 20 and 1", denied, counted)
	}
}
