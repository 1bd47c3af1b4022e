package web

import (
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/dirfiles"
	"github.com/custexport/custexport/internal/exporter"
	"github.com/custexport/custexport/internal/password"
	"github.com/custexport/custexport/internal/sqlite"
)

const adminPassword = "correct horse battery"

type adminFixture struct {
	*fixture
	admin *Server
	user  *custexport.User
}

// newAdminFixture serves the admin UI too, with one user, over n customers. publicURL decides
// whether cookies are Secure.
func newAdminFixture(t *testing.T, n int, publicURL string) *adminFixture {
	t.Helper()
	af := &adminFixture{}
	jobCtx, cancel := context.WithCancel(context.Background())
	f := startFixture(t, n, func(s *Server, db *sqlite.DB) {
		s.Store = db
		s.Jobs = &exporter.Jobs{Engine: s.Engine, Store: db, Files: dirfiles.New(filepath.Join(t.TempDir(), "jobs"))}
		s.PublicURL, s.Lifetime = publicURL, custexport.SessionLifetime{Idle: 30 * time.Minute, MaxAge: 12 * time.Hour}
		s.VerifyPassword, s.VerifyDummy, s.JobContext = password.Verify, password.VerifyDummy, jobCtx
		s.CheckPassword, s.HashPassword, s.MinPasswordLength = password.Check, password.Hash, password.MinLength
		s.LoginLimiter = NewLoginLimiter(6, 3, time.Minute)
		s.MaxPasswordBytes = password.MaxBytes
		s.UploadDir = filepath.Join(t.TempDir(), "uploads")
		af.admin = s
	})
	t.Cleanup(func() { cancel(); af.admin.Jobs.Wait(context.Background()) })
	af.fixture = f
	af.user = &custexport.User{Name: "Jana", PasswordHash: password.Hash(adminPassword)}
	if err := f.db.AddUser(context.Background(), af.user, custexport.Principal{Kind: custexport.PrincipalOperator}); err != nil {
		t.Fatal(err)
	}
	return af
}

// client is a browser-like client: a cookie jar, redirects not followed (tests look at them).
func (af *adminFixture) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (af *adminFixture) do(c *http.Client, method, path string, form url.Values, header ...string) (*http.Response, string) {
	af.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, af.srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return af.send(c, req, header...)
}

// send sends the request with the headers (name, value, …) and reads the whole answer.
func (af *adminFixture) send(c *http.Client, req *http.Request, header ...string) (*http.Response, string) {
	af.t.Helper()
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		af.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (af *adminFixture) login(c *http.Client, user, pw string, header ...string) *http.Response {
	resp, _ := af.do(c, http.MethodPost, "/login", url.Values{"user": {user}, "password": {pw}, "next": {"/customers/export"}}, header...)
	return resp
}

func TestLoginAndSessionCookie(t *testing.T) {
	for _, publicURL := range []string{"http://127.0.0.1", "https://export.example.cz"} {
		af := newAdminFixture(t, 20, publicURL)
		c := af.client()
		resp, body := af.do(c, http.MethodGet, "/customers/export", nil)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=%2Fcustomers%2Fexport") {
			t.Fatalf("signed out: %d %s %q", resp.StatusCode, resp.Header.Get("Location"), body)
		}
		resp, body = af.do(c, http.MethodPost, "/login", url.Values{"user": {"Jana"}, "password": {"wrong password!"}})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Nesprávné jméno nebo heslo") {
			t.Fatalf("wrong password: %d", resp.StatusCode)
		}
		resp = af.login(c, "jana", adminPassword) // user names ignore letter case
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/customers/export" {
			t.Fatalf("login: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		cookie := resp.Cookies()[0]
		wantSecure := strings.HasPrefix(publicURL, "https")
		if cookie.Name != sessionCookie || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure != wantSecure {
			t.Fatalf("session cookie %+v; want HttpOnly, SameSite=Lax, Secure=%v", cookie, wantSecure)
		}
		resp, body = af.do(c, http.MethodGet, "/customers/export", nil)
		if resp.StatusCode != 200 || !strings.Contains(body, "Exportovat") {
			t.Fatalf("export page after login: %d", resp.StatusCode)
		}
		for header, want := range map[string]string{
			"Content-Security-Policy": "script-src 'self'", "X-Frame-Options": "DENY",
			"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
		} {
			if !strings.Contains(resp.Header.Get(header), want) {
				t.Errorf("page header %s = %q, want %q", header, resp.Header.Get(header), want)
			}
		}
		if strings.Contains(body, "<script>") || strings.Contains(body, "onclick=") {
			t.Error("the page has inline script, which the CSP forbids")
		}
		af.do(c, http.MethodPost, "/logout", url.Values{})
		if resp, _ := af.do(c, http.MethodGet, "/customers", nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("after logout: %d, want a redirect to the login", resp.StatusCode)
		}
	}
}

// An idle session ends: the next page goes to the login, which comes back to the page.
func TestExpiredSessionComesBack(t *testing.T) {
	af := newAdminFixture(t, 10, "http://127.0.0.1")
	c := af.client()
	af.login(c, "Jana", adminPassword)
	af.admin.Lifetime.Idle = time.Nanosecond // every session is now idle too long
	resp, _ := af.do(c, http.MethodGet, "/customers/export/log?outcome=denied", nil)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "expired=1") {
		t.Fatalf("expired session: %d to %q", resp.StatusCode, loc)
	}
	af.admin.Lifetime.Idle = time.Hour
	u, _ := url.Parse(loc)
	next := u.Query().Get("next")
	resp, _ = af.do(c, http.MethodPost, "/login", url.Values{"user": {"Jana"}, "password": {adminPassword}, "next": {next}})
	if got := resp.Header.Get("Location"); got != "/customers/export/log?outcome=denied" {
		t.Fatalf("after logging in again: to %q, want back to the log page", got)
	}
	// The login page never sends anyone off this server.
	for _, evil := range []string{"https://evil.example/", "//evil.example/", "/\\evil.example"} {
		resp, _ = af.do(af.client(), http.MethodPost, "/login", url.Values{"user": {"Jana"}, "password": {adminPassword}, "next": {evil}})
		if got := resp.Header.Get("Location"); got != "/customers" {
			t.Fatalf("next=%q redirected to %q", evil, got)
		}
	}
}

// A cross-origin POST from a signed-in browser is refused and starts nothing.
func TestCrossOriginPostRefused(t *testing.T) {
	af := newAdminFixture(t, 10, "http://127.0.0.1")
	c := af.client()
	af.login(c, "Jana", adminPassword)
	form := url.Values{"format": {"csv"}, "encoding": {"utf-8"}, "guard": {"1"}}
	resp, _ := af.do(c, http.MethodPost, "/customers/export", form, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin POST: %d, want 403", resp.StatusCode)
	}
	if j, _ := af.db.LatestJob(context.Background(), af.user.ID); j != nil {
		t.Fatalf("a cross-origin POST started job %d", j.ID)
	}
	resp, _ = af.do(c, http.MethodPost, "/customers/export", form, "Origin", af.srv.URL, "Sec-Fetch-Site", "same-origin")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("same-origin POST: %d, want 303", resp.StatusCode)
	}
}

// The export job: start, status, download (logged), a second start while the slot is taken,
// bad fields, another user's job, and the expired file.
func TestExportJobPages(t *testing.T) {
	af := newAdminFixture(t, 300, "http://127.0.0.1")
	c := af.client()
	af.login(c, "Jana", adminPassword)
	ctx := context.Background()

	resp, body := af.do(c, http.MethodPost, "/customers/export", url.Values{"from": {"2020-02-30"}, "format": {"csv"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="export-from-error"`) {
		t.Fatalf("an impossible date: %d, want 400 with the error at the field", resp.StatusCode)
	}
	if j, _ := af.db.LatestJob(ctx, af.user.ID); j != nil {
		t.Fatal("an invalid form started a job")
	}

	// While the user's slot is taken (an export of theirs runs), a start is refused.
	slot, err := af.admin.Engine.Begin(ctx, exporter.Request{Principal: af.user.Principal(), Channel: custexport.ChannelAdmin})
	if err != nil {
		t.Fatal(err)
	}
	resp, body = af.do(c, http.MethodPost, "/customers/export", url.Values{"format": {"csv"}})
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, `id="export-busy"`) {
		t.Fatalf("start while exporting: %d, want 429 with the busy message", resp.StatusCode)
	}
	slot.Release(ctx)

	resp, _ = af.do(c, http.MethodPost, "/customers/export", url.Values{"format": {"csv"}, "encoding": {"windows-1250"}, "guard": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("start: %d", resp.StatusCode)
	}
	af.admin.Jobs.Wait(ctx)
	job, _ := af.db.LatestJob(ctx, af.user.ID)
	_, body = af.do(c, http.MethodGet, "/customers/export", nil)
	if !strings.Contains(body, `id="job-download"`) || !strings.Contains(body, "300 řádků") {
		t.Fatalf("export page after the job: no download button or count")
	}
	resp, body = af.do(c, http.MethodGet, "/jobs/"+itoa(job.ID)+"/download", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=windows-1250" {
		t.Fatalf("download: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	r := csv.NewReader(strings.NewReader(body))
	r.Comma = ';'
	if records, err := r.ReadAll(); err != nil || len(records) != 301 {
		t.Fatalf("downloaded CSV: %d records, %v", len(records), err)
	}
	if e := af.lastLog(); e.Channel != custexport.ChannelAdmin || !strings.Contains(e.Reason, "downloaded") {
		t.Fatalf("the download's log entry: %+v", e)
	}

	// Another user cannot see or fetch it.
	other := &custexport.User{Name: "Petr", PasswordHash: password.Hash(adminPassword)}
	af.db.AddUser(ctx, other, custexport.Principal{Kind: custexport.PrincipalOperator})
	c2 := af.client()
	af.login(c2, "Petr", adminPassword)
	if resp, _ := af.do(c2, http.MethodGet, "/jobs/"+itoa(job.ID)+"/download", nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another user's job: %d, want 404", resp.StatusCode)
	}

	// A day later the file is gone and the page says so.
	if err := af.admin.Jobs.Clean(ctx, time.Now().Add(25*time.Hour)); err != nil {
		t.Fatal(err)
	}
	resp, body = af.do(c, http.MethodGet, "/jobs/"+itoa(job.ID)+"/download", nil)
	if resp.StatusCode != http.StatusGone || !strings.Contains(body, "vypršel") {
		t.Fatalf("expired job file: %d", resp.StatusCode)
	}
	if files, _ := os.ReadDir(af.admin.Jobs.Files.(*dirfiles.Store).Dir()); len(files) != 0 {
		t.Fatalf("files left in the jobs directory: %d", len(files))
	}
}

// Partners: invalid fields are shown at the field and save nothing; create, regenerate and
// delete go through confirmation pages and are logged under the user.
func TestPartnerPages(t *testing.T) {
	af := newAdminFixture(t, 10, "http://127.0.0.1")
	c := af.client()
	af.login(c, "Jana", adminPassword)
	ctx := context.Background()
	before, _ := af.db.Partners(ctx)
	resp, body := af.do(c, http.MethodPost, "/settings/partners", url.Values{"name": {"  "}, "valid_until": {"2027-02-30"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="partner-name-error"`) || !strings.Contains(body, `id="partner-until-error"`) {
		t.Fatalf("invalid partner: %d", resp.StatusCode)
	}
	if after, _ := af.db.Partners(ctx); len(after) != len(before) {
		t.Fatal("an invalid partner form saved a partner")
	}
	resp, _ = af.do(c, http.MethodPost, "/settings/partners", url.Values{"name": {"Sklad Brno"}, "valid_until": {"2027-12-31"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	list, _ := af.db.Partners(ctx)
	p := list[len(list)-1]
	if p.Name != "Sklad Brno" || p.ValidUntil.String() != "2027-12-31" {
		t.Fatalf("created %+v", p)
	}
	resp, body = af.do(c, http.MethodGet, "/settings/partners/"+itoa(p.ID)+"/regenerate", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `id="confirm"`) {
		t.Fatalf("regenerate confirmation page: %d", resp.StatusCode)
	}
	link := af.link(&p, "customers.csv", nil)
	af.do(c, http.MethodPost, "/settings/partners/"+itoa(p.ID)+"/regenerate", url.Values{})
	if resp, _ := af.get(link); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a link from before regenerating: %d, want 403", resp.StatusCode)
	}
	af.do(c, http.MethodPost, "/settings/partners/"+itoa(p.ID)+"/delete", url.Values{})
	if _, err := af.db.Partner(ctx, p.ID); custexport.ErrorCode(err) != custexport.CodeNotFound {
		t.Fatalf("deleted partner still there: %v", err)
	}
	var events []string
	af.db.AccessEntries(ctx, time.Time{}, func(e *custexport.AccessEntry) error {
		if e.Outcome == custexport.OutcomeEvent && e.Principal.Kind == custexport.PrincipalUser {
			events = append(events, e.Reason)
		}
		return nil
	})
	if len(events) != 3 {
		t.Fatalf("partner changes logged under the user: %q, want created, regenerated, deleted", events)
	}
}

// The permanent link box signs what the server accepts, validates the IP list at the field,
// and warns about plain http.
func TestPermanentLinkBox(t *testing.T) {
	af := newAdminFixture(t, 10, "http://shop.example.cz:8080")
	af.admin.PublicURL = af.srv.URL // links must point at the test server to be fetched
	c := af.client()
	af.login(c, "Jana", adminPassword)
	id := itoa(af.partner.ID)
	resp, body := af.do(c, http.MethodGet, "/customers/export?link=1&partner="+id+"&format=csv&encoding=utf-8&guard=1&ip=bad,10.0.0.1", nil)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="link-ip-error"`) || strings.Contains(body, `id="link-url"`) {
		t.Fatalf("bad IP list: %d", resp.StatusCode)
	}
	resp, body = af.do(c, http.MethodGet, "/customers/export?link=1&partner="+id+"&format=xml&from=2020-01-01&ip=203.0.113.0/24", nil)
	i := strings.Index(body, `id="link-url" readonly value="`)
	if resp.StatusCode != 200 || i < 0 {
		t.Fatalf("link: %d", resp.StatusCode)
	}
	rest := body[i+len(`id="link-url" readonly value="`):]
	link := strings.ReplaceAll(rest[:strings.Index(rest, `"`)], "&amp;", "&")
	if r, _ := af.get(link, "X-Forwarded-For", "203.0.113.9"); r.StatusCode != 200 {
		t.Fatalf("the box's link from an allowed address: %d", r.StatusCode)
	}
	if r, _ := af.get(link, "X-Forwarded-For", "198.51.100.1"); r.StatusCode != 403 {
		t.Fatalf("the box's link from another address: %d", r.StatusCode)
	}
	if !strings.Contains(body, "Kdokoli, kdo má tento odkaz") {
		t.Error("no sentence saying what the link gives")
	}
	// Advice for programs (SPEC section 15): none for a range link with the guard off and an
	// ip list; guard, window and hash alone for a plain link.
	if strings.Contains(body, `id="link-advice"`) {
		t.Error("advice under a range link with the guard off")
	}
	_, body = af.do(c, http.MethodGet, "/customers/export?link=1&partner="+id+"&format=csv&encoding=utf-8&guard=1", nil)
	for _, w := range []string{`id="link-advice"`, "ochranu proti vzorcům vypnutou", "420…", "nemá rozsah dat", "/export/customers.csv?hash=…"} {
		if !strings.Contains(body, w) {
			t.Errorf("a plain link's box does not say %q", w)
		}
	}
	af.admin.PublicURL = "http://shop.example.cz"
	if _, body := af.do(c, http.MethodGet, "/customers/export", nil); !strings.Contains(body, `id="link-http-warning"`) {
		t.Error("no warning for a plain http public URL")
	}
}

// The language: Czech by default, English by Accept-Language, and the switch wins and is
// remembered.
func TestLanguage(t *testing.T) {
	af := newAdminFixture(t, 10, "http://127.0.0.1")
	c := af.client()
	if _, body := af.do(c, http.MethodGet, "/login", nil); !strings.Contains(body, `<html lang="cs">`) || !strings.Contains(body, "Přihlásit") {
		t.Fatal("the default is not Czech")
	}
	if _, body := af.do(c, http.MethodGet, "/login", nil, "Accept-Language", "en-GB,en;q=0.9"); !strings.Contains(body, `<html lang="en">`) {
		t.Fatal("Accept-Language en did not give English")
	}
	resp, _ := af.do(c, http.MethodPost, "/lang", url.Values{"lang": {"en"}, "back": {"/login"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("switch: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := af.do(c, http.MethodGet, "/login", nil, "Accept-Language", "cs"); !strings.Contains(body, "Sign in") {
		t.Fatal("the switch to English was not remembered over Accept-Language cs")
	}
}

// The customer list searches name, e-mail, company and IČO, and counts the matches.
func TestCustomerList(t *testing.T) {
	af := newAdminFixture(t, 120, "http://127.0.0.1")
	c := af.client()
	af.login(c, "Jana", adminPassword)
	page, _ := af.db.SearchCustomers(context.Background(), custexport.CustomerSearch{Limit: 1})
	first := page.Customers[0]
	_, body := af.do(c, http.MethodGet, "/customers", nil)
	if !strings.Contains(body, "Celkem: 120") || strings.Count(body, "<tr>") != pageSize+1 {
		t.Fatalf("list: total or page size wrong")
	}
	_, body = af.do(c, http.MethodGet, "/customers?q="+url.QueryEscape(strings.ToUpper(first.Email)), nil)
	if !strings.Contains(body, "Celkem: 1\n") && !strings.Contains(body, "Celkem: 1<") || !strings.Contains(body, first.Email) {
		t.Fatalf("search by e-mail in capitals did not find exactly %s", first.Email)
	}
	_, body = af.do(c, http.MethodGet, "/customers?q=%25", nil) // a LIKE wildcard is a plain character
	if !strings.Contains(body, "Celkem: 0") {
		t.Fatal("searching for % matched customers")
	}
	_, body = af.do(c, http.MethodGet, "/customers?page=3", nil)
	if !strings.Contains(body, "Strana 3 z 3") || strings.Count(body, "<tr>") != 20+1 {
		t.Fatal("page 3 of 120 customers")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Changing one's password: each bad field is shown at the field and nothing changes; a good
// change keeps this browser signed in and ends every other session.
func TestPasswordChange(t *testing.T) {
	af := newAdminFixture(t, 10, "http://127.0.0.1")
	c, other := af.client(), af.client()
	af.login(c, "Jana", adminPassword)
	af.login(other, "Jana", adminPassword)
	for _, tc := range []struct {
		current, new, repeat, errorID string
	}{
		{"wrong password!", "a brand new password", "a brand new password", "pw-current-error"},
		{adminPassword, "short", "short", "pw-new-error"},
		{adminPassword, "a brand new password", "a brand new passw0rd", "pw-repeat-error"},
	} {
		resp, body := af.do(c, http.MethodPost, "/account/password", url.Values{"current": {tc.current}, "new": {tc.new}, "repeat": {tc.repeat}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="`+tc.errorID+`"`) {
			t.Fatalf("%+v: %d, want 400 with #%s", tc, resp.StatusCode, tc.errorID)
		}
	}
	if u, _ := af.db.UserByID(context.Background(), af.user.ID); u.PasswordHash != af.user.PasswordHash {
		t.Fatal("a refused change changed the password")
	}
	resp, _ := af.do(c, http.MethodPost, "/account/password", url.Values{"current": {adminPassword}, "new": {"a brand new password"}, "repeat": {"a brand new password"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("good change: %d", resp.StatusCode)
	}
	if resp, body := af.do(c, http.MethodGet, "/account/password", nil); resp.StatusCode != 200 || !strings.Contains(body, "Heslo bylo změněno") {
		t.Fatalf("this browser after the change: %d", resp.StatusCode)
	}
	if resp, _ := af.do(other, http.MethodGet, "/customers", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the other session after the change: %d, want signed out", resp.StatusCode)
	}
	if resp := af.login(af.client(), "Jana", adminPassword); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the old password: %d, want refused", resp.StatusCode)
	}
	if resp := af.login(af.client(), "Jana", "a brand new password"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the new password: %d", resp.StatusCode)
	}
}
