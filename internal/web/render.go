package web

import (
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/i18n"
)

// What every admin page shares: the templates, the page frame, rendering, lists in pages, the
// one-time notice, numbers and sizes.

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// page is what every template gets.
type page struct {
	L      i18n.Lang
	User   *custexport.User
	Title  string
	Nav    string // the active section
	Path   string // this page's path and query, for the language switch to come back to
	Notice string // a one-time success message
	Error  string // a message for the whole page
	Data   any
}

// parsePages parses every page template with the layout around it.
func (s *Server) parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"num": formatNumber,
		// Times and days in the page's language and the shop's time zone: 7. 12. 2026 14:05.
		"shopTime":    func(l i18n.Lang, t time.Time) string { return l.Time(t, s.Location) },
		"shopDate":    func(l i18n.Lang, t time.Time) string { return l.Date(dateOf(t.In(s.Location))) },
		"join":        strings.Join,
		"importError": importErrorText,
		"sub":         func(a int64, b int) int64 { return a - int64(b) },
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
		return nil, err
	}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, name := range names {
		base := strings.TrimPrefix(name, "templates/")
		if base == "layout.html" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFiles, name)
		if err != nil {
			return nil, err
		}
		pages[strings.TrimSuffix(base, ".html")] = t
	}
	return pages, nil
}

// render writes a page with the status. The HTML goes to a buffer first, so that a template
// error becomes a clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	t := s.pages[name]
	if p.L == "" {
		p.L = requestLang(r)
	}
	if p.Path == "" {
		p.Path = r.URL.RequestURI()
	}
	var buf strings.Builder
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		s.Logger.Error("rendering a page", "page", name, "err", err)
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

// fail answers a domain error with a page, its status from the one table: not found says so,
// another refusal says its reason, and anything unexpected gets a generic message while its
// details go to the server log.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, u *custexport.User, nav string, err error) {
	l := requestLang(r)
	status := httpStatus(err)
	msg := l.T("error")
	var e *custexport.Error
	switch {
	case status == http.StatusNotFound:
		msg = l.T("notfound")
	case status >= 500:
		s.Logger.Error("admin request failed", "path", r.URL.Path, "err", err)
	case errors.As(err, &e):
		msg = l.Problem(e)
	}
	title := l.T("error.title")
	if status == http.StatusNotFound {
		title = l.T("notfound.title")
	}
	s.render(w, r, status, "message", &page{User: u, Nav: nav, Title: title, Error: msg})
}

// notFoundPages answers what the routes do not: a path no route has (404) or a method its
// route does not take (405, with Allow), as an HTML page in the visitor's language rather than
// the mux's plain English text.
func (s *Server) notFoundPages(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		// The mux's own answer, only to learn its status and Allow header.
		probe := &statusProbe{header: http.Header{}}
		h.ServeHTTP(probe, r)
		l := requestLang(r)
		switch probe.status {
		case http.StatusMethodNotAllowed:
			w.Header()["Allow"] = probe.header["Allow"]
			s.render(w, r, probe.status, "message", &page{Title: l.T("method.title"), Error: l.T("method.text", r.Method)})
		case http.StatusNotFound:
			s.render(w, r, probe.status, "message", &page{Title: l.T("notfound.title"), Error: l.T("notfound")})
		default: // a redirect the mux makes (a path cleaned, a trailing slash)
			mux.ServeHTTP(w, r)
		}
	})
}

// statusProbe is a ResponseWriter that keeps the status and headers and drops the body.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header { return p.header }
func (p *statusProbe) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}
func (p *statusProbe) Write(b []byte) (int, error) {
	p.WriteHeader(http.StatusOK)
	return len(b), nil
}

const pageSize = 50

// pager is the state of a paginated list.
type pager struct {
	Page, Pages int
	PrevURL     string
	NextURL     string
}

func newPager(r *http.Request, total int64) (pager, int) {
	pages := max(1, int((total+pageSize-1)/pageSize))
	p, _ := strconv.Atoi(r.URL.Query().Get("page"))
	p = min(max(p, 1), pages)
	link := func(n int) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(n))
		return r.URL.Path + "?" + q.Encode()
	}
	pg := pager{Page: p, Pages: pages}
	if p > 1 {
		pg.PrevURL = link(p - 1)
	}
	if p < pages {
		pg.NextURL = link(p + 1)
	}
	return pg, (p - 1) * pageSize
}

// flashCookie carries a one-time notice ("partner created") across the redirect after a form.
// It holds a text key and its argument, not the text, so the notice follows the language of
// the page that shows it; it is read once and cleared, so a reload does not repeat it.
const flashCookie = "custexport_flash"

func (s *Server) setFlash(w http.ResponseWriter, key, arg string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.Values{"k": {key}, "a": {arg}}.Encode(), Path: "/",
		MaxAge: 60, HttpOnly: true, Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode})
}

func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode})
	v, err := url.ParseQuery(c.Value)
	key := v.Get("k")
	if err != nil || !(strings.HasPrefix(key, "partners.") || strings.HasPrefix(key, "account.")) || !i18n.Has(key) {
		return "" // only our own notices: the cookie comes back from the browser
	}
	return requestLang(r).T(key, v.Get("a"))
}

// formatNumber groups digits by thousands with a thin space, readable in Czech and English
// alike: 1 000 000.
func formatNumber(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString("\u202f")
		}
		b.WriteRune(c)
	}
	return b.String()
}

// formatBytes is a size in B, KiB, MiB or GiB with one decimal, its decimal mark the
// language's (581,4 KiB in Czech).
func formatBytes(l i18n.Lang, n int64) string {
	s := formatBytesEN(n)
	if l == i18n.CS {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

func formatBytesEN(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB"}
	f, i := float64(n), 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if i == 0 {
		return strconv.FormatInt(n, 10) + " B"
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + " " + units[i]
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(v)
}

// fieldErrors are a form's errors by field name, each said in the page's language.
type fieldErrors map[string]string

// addProblems puts the field errors in err beside their fields, translated by their reason;
// it reports whether err carried any.
func (f fieldErrors) addProblems(l i18n.Lang, err error) bool {
	problems := custexport.ProblemsOf(err)
	for _, e := range problems {
		if _, taken := f[e.Field]; !taken {
			f[e.Field] = l.Problem(e)
		}
	}
	return len(problems) > 0
}
