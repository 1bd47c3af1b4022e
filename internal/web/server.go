// Package web is the HTTP side of custexport: the partner download URLs, health and metrics.
// Every route is listed in routes(); every response carries the security headers.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/clientip"
	"github.com/custexport/custexport/internal/exporter"
	"github.com/custexport/custexport/internal/linksign"
)

// Server holds what the handlers need. Its fields are set once by main.
type Server struct {
	Engine   *exporter.Engine
	Partners custexport.PartnerStore
	Signer   *linksign.Signer
	Clients  *clientip.Resolver
	Location *time.Location
	Logger   *slog.Logger
	Ready    func(context.Context) error // the database answers
	Limiter  *FailureLimiter
	Admin    *Admin // the admin UI; nil serves the partner URLs only

	metrics metrics
	exports sync.WaitGroup // running exports, so that shutdown can wait for their slots to be freed
}

// WaitForExports waits until every running export has ended (and so released its slot and
// written its log entry), or ctx ends. http.Server.Close does not wait for handlers; without
// this a stopping process could exit while a cancelled export still held its lease.
func (s *Server) WaitForExports(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		s.exports.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Handler returns the server's routes wrapped in the headers and request log every response
// gets.
func (s *Server) Handler() http.Handler {
	// Cross-origin protection refuses state-changing requests (POST) that a browser marks as
	// coming from another site (Sec-Fetch-Site, or an Origin that is not this host): a page
	// elsewhere cannot make a signed-in admin's browser start exports or delete partners.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Logger.Warn("cross-origin request refused", "method", r.Method, "path", r.URL.Path,
			"origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
		answer(w, r, http.StatusForbidden, msgCrossOrigin)
	}))
	return rearmRequestLine(s.logRequests(securityHeaders(cop.Handler(s.routes()))))
}

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/export/{file}", s.handleExport) // methods checked inside: 405 with Allow
	mux.HandleFunc("GET /healthz", s.handleHealth)
	mux.HandleFunc("GET /readyz", s.handleReady)
	mux.HandleFunc("GET /metrics", s.handleMetrics)
	if s.Admin != nil {
		// The templates are embedded: one that does not parse is a bug the tests catch.
		if err := s.Admin.register(mux); err != nil {
			panic("admin templates: " + err.Error())
		}
	}
	return mux
}

// securityHeaders sets what every answer carries: no sniffing, no framing, no referrer, and a
// CSP that allows nothing but our own resources.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		next.ServeHTTP(w, r)
	})
}

// logRequests writes one JSON line per request. The query string is never logged: it holds
// the partner's hash.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		s.Logger.Info("request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"bytes", rec.bytes, "duration_ms", time.Since(start).Milliseconds())
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (write deadlines, flushing).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.Ready(ctx); err != nil {
		s.Logger.Error("not ready", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("database unreachable\n"))
		return
	}
	w.Write([]byte("ready\n"))
}
