package web

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/clientip"
	"github.com/custexport/custexport/internal/exporter"
	"github.com/custexport/custexport/internal/linksign"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

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

// Admin is the admin UI (SPEC section 8): server-rendered pages behind a login. Its fields are
// set once by main.
type Admin struct {
	Store    AdminStore
	Jobs     *exporter.Jobs
	Engine   *exporter.Engine
	Signer   *linksign.Signer
	Clients  *clientip.Resolver
	Location *time.Location
	Logger   *slog.Logger
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
	// LoginLimiter counts failed logins per address and per user name.
	LoginLimiter *Limiter[string]

	pages map[string]*template.Template
}

// sessionCookie holds the session token; only its SHA-256 is stored.
const sessionCookie = "custexport_session"

// register adds the admin routes to mux; it parses the templates first.
func (a *Admin) register(mux *http.ServeMux) error {
	if err := a.parseTemplates(); err != nil {
		return err
	}
	static, _ := fs.Sub(staticFiles, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/customers", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /login", a.handleLoginPage)
	mux.HandleFunc("POST /login", a.handleLogin)
	mux.HandleFunc("POST /logout", a.handleLogout)
	mux.HandleFunc("POST /lang", a.handleLang)
	mux.HandleFunc("GET /customers", a.authed(a.handleCustomers))
	mux.HandleFunc("GET /customers/export", a.authed(a.handleExportPage))
	mux.HandleFunc("POST /customers/export", a.authed(a.handleExportStart))
	mux.HandleFunc("GET /customers/export/log", a.authed(a.handleLog))
	mux.HandleFunc("GET /customers/import", a.authed(a.handleImportPage))
	mux.HandleFunc("POST /customers/import", a.authed(a.handleImport))
	mux.HandleFunc("GET /customers/import/log", a.authed(a.handleImportLog))
	mux.HandleFunc("GET /jobs/{id}", a.authed(a.handleJobStatus))
	mux.HandleFunc("GET /jobs/{id}/download", a.authed(a.handleJobDownload))
	mux.HandleFunc("GET /account/password", a.authed(a.handlePasswordPage))
	mux.HandleFunc("POST /account/password", a.authed(a.handlePasswordChange))
	mux.HandleFunc("GET /settings/partners", a.authed(a.handlePartners))
	mux.HandleFunc("POST /settings/partners", a.authed(a.handlePartnerCreate))
	mux.HandleFunc("GET /settings/partners/{id}/{action}", a.authed(a.handlePartnerConfirm))
	mux.HandleFunc("POST /settings/partners/{id}/{action}", a.authed(a.handlePartnerAction))
	return nil
}

func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// page is what every template gets.
type page struct {
	L      lang
	User   *custexport.User
	Title  string
	Nav    string // the active section
	Path   string // this page's path and query, for the language switch to come back to
	Notice string // a one-time success message
	Error  string // a message for the whole page
	Data   any
}

func (a *Admin) parseTemplates() error {
	funcs := template.FuncMap{
		"num":      formatNumber,
		"bytes":    formatBytes,
		"shopTime": func(t time.Time) string { return a.shopTime(t) },
		"shopDate": func(t time.Time) string { return t.In(a.Location).Format("2006-01-02") },
		"who":      principalText,
		"join":     strings.Join,
		"sub":      func(a int64, b int) int64 { return a - int64(b) },
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, errors.New("dict needs key and value pairs")
			}
			m := map[string]any{}
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, errors.New("dict keys are strings")
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
	}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html")
	if err != nil {
		return err
	}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return err
	}
	a.pages = map[string]*template.Template{}
	for _, name := range names {
		base := strings.TrimPrefix(name, "templates/")
		if base == "layout.html" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFiles, name)
		if err != nil {
			return err
		}
		a.pages[strings.TrimSuffix(base, ".html")] = t
	}
	return nil
}

func (a *Admin) shopTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(a.Location).Format("2006-01-02 15:04")
}

// render writes a page with the status. The HTML goes to a buffer first, so that a template
// error becomes a clean 500 instead of half a page.
func (a *Admin) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	t := a.pages[name]
	if p.L == "" {
		p.L = requestLang(r)
	}
	if p.Path == "" {
		p.Path = r.URL.RequestURI()
	}
	var buf strings.Builder
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		a.Logger.Error("rendering a page", "page", name, "err", err)
		http.Error(w, p.L.T("error"), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", string(p.L))
	w.WriteHeader(status)
	w.Write([]byte(buf.String()))
}

// fail answers an unexpected error with a generic page; the details go to the server log.
func (a *Admin) fail(w http.ResponseWriter, r *http.Request, u *custexport.User, err error) {
	a.Logger.Error("admin request failed", "path", r.URL.Path, "err", err)
	a.render(w, r, http.StatusInternalServerError, "message", &page{User: u, Error: requestLang(r).T("error")})
}

// --- sessions -------------------------------------------------------------------------------

// authedHandler is a page handler with the signed-in user.
type authedHandler func(w http.ResponseWriter, r *http.Request, u *custexport.User)

// authed lets the request through only with a live session; otherwise it goes to the login
// page, which comes back here afterwards.
func (a *Admin) authed(h authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, expired, err := a.sessionUser(w, r)
		if err != nil {
			a.fail(w, r, nil, err)
			return
		}
		if u == nil {
			q := url.Values{"next": {r.URL.RequestURI()}}
			if r.Method != http.MethodGet {
				q.Set("next", r.URL.Path)
			}
			if expired {
				q.Set("expired", "1")
			}
			http.Redirect(w, r, "/login?"+q.Encode(), http.StatusSeeOther)
			return
		}
		h(w, r, u)
	}
}

// sessionUser returns the user of the request's session, or nil (and whether a session had
// expired) when there is none.
func (a *Admin) sessionUser(w http.ResponseWriter, r *http.Request) (*custexport.User, bool, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, false, nil
	}
	ctx := r.Context()
	s, err := a.Store.SessionByTokenHash(ctx, custexport.HashSessionToken(c.Value))
	if custexport.ErrorCode(err) == custexport.CodeNotFound {
		a.clearSessionCookie(w)
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	now := time.Now()
	if a.Lifetime.Expired(s, now) {
		a.Store.DeleteSession(ctx, s.ID)
		a.clearSessionCookie(w)
		return nil, true, nil
	}
	u, err := a.Store.UserByID(ctx, s.UserID)
	if custexport.ErrorCode(err) == custexport.CodeNotFound {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	// Once a minute is enough to keep the idle timeout honest without a write per page.
	if now.Sub(s.LastSeenAt) > time.Minute {
		if err := a.Store.TouchSession(ctx, s.ID, now); err != nil {
			a.Logger.Warn("touching a session", "err", err)
		}
	}
	return u, false, nil
}

func (a *Admin) secureCookies() bool { return strings.HasPrefix(a.PublicURL, "https://") }

func (a *Admin) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: a.secureCookies(), SameSite: http.SameSiteLaxMode})
}

type loginData struct {
	User, Next string
	Expired    bool
}

func (a *Admin) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := &page{Title: requestLang(r).T("login.title"), Data: loginData{Next: localPath(q.Get("next")), Expired: q.Get("expired") == "1"}}
	a.render(w, r, http.StatusOK, "login", p)
}

// localPath keeps a "come back to" address only when it is a path on this server: anything
// else would make the login page an open redirect.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/customers"
	}
	return next
}

func (a *Admin) handleLogin(w http.ResponseWriter, r *http.Request) {
	l := requestLang(r)
	name, pw := strings.TrimSpace(r.PostFormValue("user")), r.PostFormValue("password")
	next := localPath(r.PostFormValue("next"))
	data := loginData{User: name, Next: next}
	now := time.Now()
	addr := a.clientAddr(r)
	userKey := "user:" + custexport.UserNameKey(name)
	for _, key := range []string{"addr:" + addr.String(), userKey} {
		if blocked, wait := a.LoginLimiter.Blocked(key, now); blocked {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			a.render(w, r, http.StatusTooManyRequests, "login", &page{Title: l.T("login.title"),
				Error: l.T("login.limited", int(wait.Seconds())+1), Data: data})
			return
		}
	}
	u, err := a.Store.UserByName(r.Context(), name)
	ok := false
	switch {
	case err == nil:
		ok, err = a.VerifyPassword(pw, u.PasswordHash)
		if err != nil {
			a.Logger.Error("verifying a password", "user", u.ID, "err", err)
			ok = false
		}
	case custexport.ErrorCode(err) == custexport.CodeNotFound:
		a.VerifyDummy(pw)
	default:
		a.fail(w, r, nil, err)
		return
	}
	if !ok {
		a.LoginLimiter.Fail("addr:"+addr.String(), now)
		a.LoginLimiter.Fail(userKey, now)
		a.Logger.Info("login failed", "client", addr.String())
		a.render(w, r, http.StatusUnauthorized, "login", &page{Title: l.T("login.title"), Error: l.T("login.wrong"), Data: data})
		return
	}
	if err := a.startSession(w, r, u); err != nil {
		a.fail(w, r, nil, err)
		return
	}
	a.Store.TouchLogin(r.Context(), u.ID, now)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// startSession makes a new session for u and gives its token to the browser. A new token at
// every login (and password change) means a token planted before cannot be ridden.
func (a *Admin) startSession(w http.ResponseWriter, r *http.Request, u *custexport.User) error {
	token, hash := custexport.NewSessionToken()
	if err := a.Store.CreateSession(r.Context(), &custexport.Session{UserID: u.ID, TokenHash: hash}); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: a.secureCookies(), SameSite: http.SameSiteLaxMode})
	return nil
}

func (a *Admin) handleLogout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if s, err := a.Store.SessionByTokenHash(r.Context(), custexport.HashSessionToken(c.Value)); err == nil {
			a.Store.DeleteSession(r.Context(), s.ID)
		}
	}
	a.clearSessionCookie(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// handleLang remembers the chosen language for a year and goes back to the page.
func (a *Admin) handleLang(w http.ResponseWriter, r *http.Request) {
	l := lang(r.PostFormValue("lang"))
	if l != langCS && l != langEN {
		l = langCS
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: string(l), Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: a.secureCookies(), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, localPath(r.PostFormValue("back")), http.StatusSeeOther)
}

func (a *Admin) clientAddr(r *http.Request) netip.Addr {
	addr, _ := a.Clients.ClientAddr(r)
	return addr
}

// errorsAs is errors.As for a *custexport.Error.
func errorsAs(err error) (*custexport.Error, bool) {
	var e *custexport.Error
	ok := errors.As(err, &e)
	return e, ok
}
