package web

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/custexport/custexport/internal/clientip"
)

// A slow client must not hold the server: http.Server's ReadHeaderTimeout bounds the headers,
// but nothing bounded a body, so a POST sending a byte every ten seconds stayed open for ever,
// and enough of them used up the process's file descriptors (Why item 5 of issue 16). Three
// bounds close that: a deadline for small form bodies, a minimum throughput for uploads, and a
// cap on the connections one client network holds open (LimitConnsPerClient).

// SlowClientLimits are the bounds on reading request bodies; zero fields take the defaults.
type SlowClientLimits struct {
	// FormTimeout bounds reading a small form's body (login, language, partner, export and
	// password forms): DefaultFormTimeout.
	FormTimeout time.Duration
	// An upload must bring UploadMinBytes every UploadPeriod (by default 16 KiB every 15 s,
	// about 1 KiB/s), else it is cut off.
	UploadPeriod   time.Duration
	UploadMinBytes int64
}

// The defaults of SlowClientLimits, and the largest small form.
const (
	DefaultFormTimeout    = 15 * time.Second
	DefaultUploadPeriod   = 15 * time.Second
	DefaultUploadMinBytes = 16 << 10
	maxSmallFormBytes     = 64 << 10
)

func (l SlowClientLimits) formTimeout() time.Duration {
	return orDefault(l.FormTimeout, DefaultFormTimeout)
}
func (l SlowClientLimits) uploadPeriod() time.Duration {
	return orDefault(l.UploadPeriod, DefaultUploadPeriod)
}
func (l SlowClientLimits) uploadMinBytes() int64 {
	if l.UploadMinBytes > 0 {
		return l.UploadMinBytes
	}
	return DefaultUploadMinBytes
}

// uploadPath is the one route whose body is large; every other POST is a small form.
const uploadPath = "/customers/import"

// readSmallForms reads the body of every request but the upload before the handler runs:
// within FormTimeout and maxSmallFormBytes, or the request is answered 408 or 413 and its
// connection closed. A POST's body is parsed as its form, which the handlers then find; any
// other body (a GET may carry one) is read and dropped, since net/http would otherwise read it
// after the handler, without a deadline, to keep the connection.
func (s *Server) readSmallForms(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength == 0 || (r.Method == http.MethodPost && r.URL.Path == uploadPath) {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		rc.SetReadDeadline(time.Now().Add(s.Slow.formTimeout()))
		r.Body = http.MaxBytesReader(w, r.Body, maxSmallFormBytes)
		var err error
		if r.Method == http.MethodPost {
			// ParseMultipartForm alone would drop ParseForm's error for a form that is not
			// multipart.
			if err = r.ParseForm(); err == nil {
				if err = r.ParseMultipartForm(maxSmallFormBytes); errors.Is(err, http.ErrNotMultipart) {
					err = nil
				}
			}
		} else {
			_, err = io.Copy(io.Discard, r.Body)
		}
		if err != nil {
			w.Header().Set("Connection", "close")
			var tooLarge *http.MaxBytesError
			switch {
			case errors.As(err, &tooLarge):
				answer(w, r, http.StatusRequestEntityTooLarge, msgTooLarge)
			case isTimeout(err):
				s.Logger.Info("request body too slow: cut off", "method", r.Method, "path", r.URL.Path, "timeout", s.Slow.formTimeout().String())
				answer(w, r, http.StatusRequestTimeout, msgTooSlow)
			default:
				answer(w, r, http.StatusBadRequest, msgBadForm)
			}
			return
		}
		// The body is read; a deadline left set would cancel the request when it passes.
		rc.SetReadDeadline(time.Time{})
		next.ServeHTTP(w, r)
	})
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// uploadBody makes an upload keep up at least min bytes every period: each time that much has
// arrived, the connection's read deadline moves period further on.
type uploadBody struct {
	io.ReadCloser
	rc     *http.ResponseController
	period time.Duration
	min    int64
	got    int64 // since the deadline last moved
}

func (s *Server) newUploadBody(w http.ResponseWriter, body io.ReadCloser) *uploadBody {
	b := &uploadBody{ReadCloser: body, rc: http.NewResponseController(w), period: s.Slow.uploadPeriod(), min: s.Slow.uploadMinBytes()}
	b.rc.SetReadDeadline(time.Now().Add(b.period))
	return b
}

func (b *uploadBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if b.got += int64(n); b.got >= b.min {
		b.got = 0
		b.rc.SetReadDeadline(time.Now().Add(b.period))
	}
	return n, err
}

// done lifts the deadline once the upload is read: the import itself may take long.
func (b *uploadBody) done() { b.rc.SetReadDeadline(time.Time{}) }

// LimitConnsPerClient wraps a listener so that one client network (clientip.Network of the
// TCP peer) holds at most max connections open at once; a further one is answered 429 and
// closed at once. Peers in exempt (the trusted proxies, through which every client comes) are
// not limited. onRefuse, when not nil, is told the peer of each refused connection.
func LimitConnsPerClient(l net.Listener, max int, exempt clientip.List, onRefuse func(peer net.Addr)) net.Listener {
	return &connCapListener{Listener: l, max: max, exempt: exempt, onRefuse: onRefuse, open: make(map[netip.Prefix]int)}
}

type connCapListener struct {
	net.Listener
	max      int
	exempt   clientip.List
	onRefuse func(net.Addr)

	mu   sync.Mutex
	open map[netip.Prefix]int // open connections by client network; only networks with any
}

// tooManyConnsAnswer is written straight to a refused connection, before its request is read.
var tooManyConnsAnswer = func() string {
	body := "429 Too Many Requests: too many connections from your address\n"
	return "HTTP/1.1 429 Too Many Requests\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"X-Content-Type-Options: nosniff\r\n" +
		"Retry-After: 5\r\n" +
		"Connection: close\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
}()

func (l *connCapListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		peer, ok := peerAddr(c)
		if !ok || l.exempt.Contains(peer) {
			return c, nil
		}
		network := clientip.Network(peer)
		l.mu.Lock()
		if l.open[network] >= l.max {
			l.mu.Unlock()
			if l.onRefuse != nil {
				l.onRefuse(c.RemoteAddr())
			}
			go refuseConn(c)
			continue
		}
		l.open[network]++
		l.mu.Unlock()
		return &cappedConn{Conn: c, release: func() { l.release(network) }}, nil
	}
}

func (l *connCapListener) release(network netip.Prefix) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[network]--; l.open[network] <= 0 {
		delete(l.open, network)
	}
}

// refuseConn answers a connection over the cap and closes it; the short write deadline keeps a
// client that reads nothing from holding even this.
func refuseConn(c net.Conn) {
	c.SetWriteDeadline(time.Now().Add(time.Second))
	io.WriteString(c, tooManyConnsAnswer)
	if tcp, ok := c.(*net.TCPConn); ok {
		tcp.CloseRead() // unread request bytes would make close send a reset over the answer
	}
	c.Close()
}

func peerAddr(c net.Conn) (netip.Addr, bool) {
	if tcp, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		ap := tcp.AddrPort()
		return clientip.Canonical(ap.Addr()), ap.Addr().IsValid()
	}
	return netip.Addr{}, false
}

// cappedConn gives its slot back when closed, once.
type cappedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *cappedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
