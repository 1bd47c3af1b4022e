package web

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"
)

// An absurdly long request line is answered 414 after MaxRequestLine bytes, and the rest is
// never read: the client's write of the whole line fails because the server has stopped
// reading and closed the connection.
func TestAbsurdlyLongRequestLine(t *testing.T) {
	conn := newFixture(t, 10).dial()
	const lineBytes = 64 << 20 // far more than the socket buffers of both ends hold
	written := make(chan error, 1)
	go func() {
		if _, err := io.WriteString(conn, "GET /export/customers.csv?x="); err != nil {
			written <- err
			return
		}
		chunk := strings.Repeat("a", 1<<20)
		for range lineBytes >> 20 {
			if _, err := io.WriteString(conn, chunk); err != nil {
				written <- err
				return
			}
		}
		written <- nil
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestURITooLong || !strings.Contains(string(body), "request line is too long") {
		t.Fatalf("got %d %q, want 414", resp.StatusCode, body)
	}
	if err := <-written; err == nil {
		t.Fatalf("the server read all %d bytes of the request line", lineBytes)
	}
}

// On a kept-alive connection the limit applies to every request line, not only the first:
// the handler re-arms it after each request.
func TestLongRequestLineAfterKeepAlive(t *testing.T) {
	conn := newFixture(t, 10).dial()
	r := bufio.NewReader(conn)
	for i, line := range []string{"/healthz", "/healthz?" + strings.Repeat("b", MaxRequestLine)} {
		if _, err := io.WriteString(conn, "GET "+line+" HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		want := []int{200, 414}[i]
		if resp.StatusCode != want {
			t.Fatalf("request %d: %d, want %d", i+1, resp.StatusCode, want)
		}
	}
}
