// Package web is the HTTP side of custexport: the partner download URLs, health and metrics,
// and the admin UI (SPEC section 8). One type, Server, serves all of it; every route is listed
// in routes(); every response carries the security headers; every text a user reads goes
// through internal/i18n.
package web

import (
	"context"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/clientip"
	"github.com/custexport/custexport/internal/exporter"
	"github.com/custexport/custexport/internal/linksign"
)

// AdminStore is what the admin pages read and change.
type AdminStore interface {
	custexport.UserStore
	custexport.SessionStore
	custexport.PartnerStore
	custexport.JobStore
	custexport.ImportStore
	SearchCustomers(ctx context.Context, s custexport.CustomerSearch) (custexport.CustomerPage, error)
	CountAccess(ctx context.Context, q custexport.AccessQuery) (int64, error)
	QueryAccess(ctx context.Context, q custexport.AccessQuery, fn func(*custexport.AccessEntry) error) error
}

// Server holds what the handlers need. Its fields are set once by main.
type Server struct {
	Engine   *exporter.Engine
	Store    AdminStore     // what the partner URL and the admin pages read and change
	Jobs     *exporter.Jobs // the admin UI's background exports
	Signer   *linksign.Signer
	Clients  *clientip.Resolver
	Location *time.Location
	Logger   *slog.Logger
	Ready    func(context.Context) error // the database answers
	Limiter  *FailureLimiter             // failed partner-URL attempts per client network
	// Slow bounds how long reading a request body may take (defaults when zero).
	Slow SlowClientLimits
	// Refusals keeps refused partner-URL attempts within the access log's budget; a default
	// one when nil. Main runs RunRefusalLog beside the server.
	Refusals *RefusalLog

	// PublicURL is the server's address as users and partners reach it: the base of permanent
	// links, and https there makes the session cookie Secure.
	PublicURL string
	Lifetime  custexport.SessionLifetime
	// VerifyPassword checks a password against a stored hash; VerifyDummy spends the same time
	// for an unknown user name, so that timing does not tell which names exist.
	VerifyPassword func(password, hash string) (bool, error)
	VerifyDummy    func(password string)
	// CheckPassword applies the password policy (a CodeInvalid error naming the rule) and
	// HashPassword hashes a new password, for the page where users change their own.
	CheckPassword func(password string) error
	HashPassword  func(password string) string
	// MinPasswordLength is the policy's minimum, for the page's hint.
	MinPasswordLength int
	// JobContext is the context background jobs run on: it outlives requests and ends when
	// the server stops.
	JobContext context.Context
	// UploadDir is where an uploaded CSV waits while it is imported.
	UploadDir string
	// LoginLimiter counts failed logins, and wrong current passwords on the password page, per
	// client network and per user name at a network.
	LoginLimiter *LoginLimiter
	// MaxPasswordBytes is the longest password hashed at all (password.MaxBytes): a longer one
	// is refused before any counting.
	MaxPasswordBytes int

	pages   map[string]*template.Template // the admin pages, parsed by Handler
	metrics metrics
	exports sync.WaitGroup // running URL exports, so that shutdown can wait for their slots to be freed
}

// WaitForExports waits until every running URL export has ended (and so released its slot and
// written its log entry), or ctx ends. http.Server.Close does not wait for handlers; without
// this a stopping process could exit while a cancelled export still held its lease.
func (s *Server) WaitForExports(ctx context.Context) error {
	return exporter.WaitGroup(ctx, &s.exports)
}

// Handler returns the server's routes wrapped in the headers and request log every response
// gets. It parses the embedded page templates; one that does not parse is a bug the tests
// catch, so it panics.
func (s *Server) Handler() http.Handler {
	pages, err := s.parsePages()
	if err != nil {
		panic("admin templates: " + err.Error())
	}
	s.pages = pages
	if s.Refusals == nil {
		s.Refusals = &RefusalLog{}
	}
	// Cross-origin protection refuses state-changing requests (POST) that a browser marks as
	// coming from another site (Sec-Fetch-Site, or an Origin that is not this host): a page
	// elsewhere cannot make a signed-in admin's browser start exports or delete partners.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Logger.Warn("cross-origin request refused", "method", r.Method, "path", r.URL.Path,
			"origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
		answer(w, r, http.StatusForbidden, msgCrossOrigin)
	}))
	return rearmRequestLine(s.logRequests(securityHeaders(cop.Handler(s.readSmallForms(s.notFoundPages(s.routes()))))))
}

// routes lists every route the server answers.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	// The partner URL, and what operators and load balancers ask.
	mux.HandleFunc("/export/{file}", s.handleExport) // methods checked inside: 405 with Allow
	mux.HandleFunc("GET /healthz", s.handleHealth)
	mux.HandleFunc("GET /readyz", s.handleReady)
	mux.HandleFunc("GET /metrics", s.handleMetrics)

	// The admin UI.
	static, _ := fs.Sub(staticFiles, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(filesOnly{static}))))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/customers", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /login", s.handleLoginPage)
	mux.HandleFunc("POST /login", s.handleLogin)
	mux.HandleFunc("POST /logout", s.handleLogout)
	mux.HandleFunc("POST /lang", s.handleLang)
	mux.HandleFunc("GET /customers", s.authed(s.handleCustomers))
	mux.HandleFunc("GET /customers/export", s.authed(s.handleExportPage))
	mux.HandleFunc("POST /customers/export", s.authed(s.handleExportStart))
	mux.HandleFunc("GET /customers/export/log", s.authed(s.handleLog))
	mux.HandleFunc("GET /customers/import", s.authed(s.handleImportPage))
	mux.HandleFunc("POST /customers/import", s.authed(s.handleImport))
	mux.HandleFunc("GET /customers/import/log", s.authed(s.handleImportLog))
	mux.HandleFunc("GET /customers/import/{id}", s.authed(s.handleImportDetail))
	mux.HandleFunc("GET /customers/import/{id}/changes.csv", s.authed(s.handleImportChangesCSV))
	mux.HandleFunc("GET /customers/import/{id}/revert", s.authed(s.handleImportRevertConfirm))
	mux.HandleFunc("POST /customers/import/{id}/revert", s.authed(s.handleImportRevert))
	mux.HandleFunc("GET /jobs/{id}", s.authed(s.handleJobStatus))
	mux.HandleFunc("GET /jobs/{id}/download", s.authed(s.handleJobDownload))
	mux.HandleFunc("GET /account/password", s.authed(s.handlePasswordPage))
	mux.HandleFunc("POST /account/password", s.authed(s.handlePasswordChange))
	mux.HandleFunc("GET /settings/partners", s.authed(s.handlePartners))
	mux.HandleFunc("POST /settings/partners", s.authed(s.handlePartnerCreate))
	mux.HandleFunc("GET /settings/partners/{id}/{action}", s.authed(s.handlePartnerConfirm))
	mux.HandleFunc("POST /settings/partners/{id}/{action}", s.authed(s.handlePartnerAction))
	return mux
}
