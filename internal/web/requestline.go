package web

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
)

// MaxRequestLine is the longest request line (method, path, query, protocol) the server reads.
// A real link is a few hundred bytes; the export handler already answers 414 to a query over
// maxQueryLength. Past MaxRequestLine the line is not read to its end at all.
const MaxRequestLine = 16 << 10

// errRequestLineTooLong ends a connection whose request line is over the limit. Wrapped in a
// *net.OpError "read" so that net/http treats it as an ordinary read failure and closes the
// connection quietly instead of trying to answer it.
var errRequestLineTooLong = errors.New("request line too long")

// tooLongAnswer is written straight to the connection. net/http itself would answer a line
// longer than MaxHeaderBytes with 431 Request Header Fields Too Large, and only after reading
// MaxHeaderBytes; 414 is the status that names the problem (RFC 9110 section 15.5.15).
const tooLongAnswer = "HTTP/1.1 414 URI Too Long\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"X-Content-Type-Options: nosniff\r\n" +
	"Connection: close\r\n" +
	"Content-Length: 48\r\n\r\n" +
	"414 URI Too Long: the request line is too long\n"

// LimitRequestLines wraps a listener so that a request line longer than max bytes is answered
// with 414 and its connection closed as soon as max bytes of it have arrived. onRefuse, when
// not nil, is told the peer and the line's first bytes up to the query (which may hold a
// partner's hash): enough to log the method and path.
//
// The connection watches the bytes from its start, and again from the end of each request
// (the server's Handler re-arms it through the request context, see RequestLineConnContext),
// until the end of the request line; request bodies and headers are never looked at.
func LimitRequestLines(l net.Listener, max int, onRefuse func(peer net.Addr, start []byte)) net.Listener {
	return &lineLimitListener{Listener: l, max: max, onRefuse: onRefuse}
}

type lineLimitListener struct {
	net.Listener
	max      int
	onRefuse func(net.Addr, []byte)
}

func (l *lineLimitListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &lineLimitConn{Conn: c, max: l.max, onRefuse: l.onRefuse, armed: true}, nil
}

type lineLimitConn struct {
	net.Conn
	max      int
	onRefuse func(net.Addr, []byte)

	mu    sync.Mutex
	armed bool   // watching a request line
	seen  int    // bytes of it so far
	start []byte // its first bytes, for onRefuse
}

func (c *lineLimitConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.armed || n == 0 {
		return n, err
	}
	chunk := p[:n]
	if i := bytes.IndexByte(chunk, '\n'); i >= 0 {
		chunk = chunk[:i]
		c.armed = false
	}
	c.seen += len(chunk)
	if len(c.start) < 64 {
		c.start = append(c.start, chunk[:min(len(chunk), 64-len(c.start))]...)
	}
	if c.seen <= c.max {
		if !c.armed {
			c.seen, c.start = 0, c.start[:0]
		}
		return n, err
	}
	c.armed = false
	c.Conn.Write([]byte(tooLongAnswer))
	if c.onRefuse != nil {
		start, _, _ := bytes.Cut(c.start, []byte("?")) // the query may hold a partner's hash
		c.onRefuse(c.Conn.RemoteAddr(), start)
	}
	if tcp, ok := c.Conn.(*net.TCPConn); ok {
		// Unread bytes in the receive buffer would make close send a reset, which can
		// destroy the answer before the client reads it; closing only our side of reading
		// lets the answer through.
		tcp.CloseRead()
	}
	return 0, &net.OpError{Op: "read", Net: "tcp", Source: c.Conn.LocalAddr(), Addr: c.Conn.RemoteAddr(), Err: errRequestLineTooLong}
}

// rearm starts watching the next request line on this connection.
func (c *lineLimitConn) rearm() {
	c.mu.Lock()
	c.armed, c.seen, c.start = true, 0, c.start[:0]
	c.mu.Unlock()
}

type lineLimitKey struct{}

// RequestLineConnContext is the http.Server's ConnContext for a listener made by
// LimitRequestLines: it lets the Handler re-arm the connection after each request.
func RequestLineConnContext(ctx context.Context, c net.Conn) context.Context {
	if lc, ok := c.(*lineLimitConn); ok {
		return context.WithValue(ctx, lineLimitKey{}, lc)
	}
	return ctx
}

// rearmRequestLine re-arms the request's connection once the handler is done: the next bytes
// on a kept-alive connection are the next request line.
func rearmRequestLine(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		if lc, ok := r.Context().Value(lineLimitKey{}).(*lineLimitConn); ok {
			lc.rearm()
		}
	})
}
