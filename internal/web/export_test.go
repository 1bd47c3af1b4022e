package web

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/csv"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/clientip"
	"github.com/custexport/custexport/internal/csvfile"
	"github.com/custexport/custexport/internal/exporter"
	"github.com/custexport/custexport/internal/filetest"
	"github.com/custexport/custexport/internal/linksign"
	"github.com/custexport/custexport/internal/sample"
	"github.com/custexport/custexport/internal/seed"
	"github.com/custexport/custexport/internal/sqlite"
	"github.com/custexport/custexport/internal/xlsxfile"
	"github.com/custexport/custexport/internal/xmlfile"
)

type fixture struct {
	t       *testing.T
	db      *sqlite.DB
	signer  *linksign.Signer
	srv     *httptest.Server
	server  *Server
	partner *custexport.Partner
}

// newFixture starts the real handler on loopback over a SQLite store with n seeded customers.
// Requests from the test come from 127.0.0.1, which is the trusted proxy, so tests choose
// their client address with X-Forwarded-For.
func newFixture(t *testing.T, n int) *fixture {
	return startFixture(t, n, nil)
}

// startFixture builds the server; setup, when not nil, adds to it (the admin UI) before it
// starts.
func startFixture(t *testing.T, n int, setup func(*Server, *sqlite.DB)) *fixture {
	t.Helper()
	ctx := context.Background()
	db := filetest.OpenSQLite(t)
	gen := seed.New(1, n, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	batch := make([]custexport.Customer, n)
	for i := range batch {
		gen.Next(&batch[i])
	}
	if err := db.InsertCustomers(ctx, batch); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, linksign.MasterKeySize)
	signer, _ := linksign.New(key)
	trusted, _ := clientip.ParseList("127.0.0.1,::1")
	engine := &exporter.Engine{Store: db, Leases: db, Log: db, Holder: "test", Location: sample.Prague,
		Encoders: map[custexport.Format]exporter.EncoderFunc{
			custexport.FormatCSV: func(w io.Writer, o custexport.EncodeOptions) custexport.Encoder { return csvfile.New(w, o) },
			custexport.FormatXML: func(w io.Writer, o custexport.EncodeOptions) custexport.Encoder { return xmlfile.New(w, o) },
			custexport.FormatXLSX: func(w io.Writer, o custexport.EncodeOptions) custexport.Encoder {
				return xlsxfile.New(w, xlsxfile.Options{EncodeOptions: o})
			},
		}}
	s := &Server{Engine: engine, Store: db, Signer: signer, Clients: clientip.NewResolver(trusted),
		Location: sample.Prague, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Ready: db.Ping,
		Limiter: &FailureLimiter{Max: 5, Window: time.Minute}}
	if setup != nil {
		setup(s, db)
	}
	// The listener and connection context are cmd/custexport's, so every test here also runs
	// through the request-line limit and its re-arming on kept-alive connections.
	srv := httptest.NewUnstartedServer(s.Handler())
	srv.Listener = LimitRequestLines(srv.Listener, MaxRequestLine, nil)
	srv.Config.ConnContext = RequestLineConnContext
	srv.Start()
	t.Cleanup(srv.Close)
	f := &fixture{t: t, db: db, signer: signer, srv: srv, server: s}
	f.partner = f.newPartner("Účetní firma")
	return f
}

// waitForExports waits until every running download has ended, its slot freed and its log
// entry written: the event the tests wait for after cutting a download off. It fails the test
// if that takes longer than timeout.
func (f *fixture) waitForExports(timeout time.Duration) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(f.t.Context(), timeout)
	defer cancel()
	if err := f.server.WaitForExports(ctx); err != nil {
		f.t.Fatalf("the running downloads did not end within %s: %v", timeout, err)
	}
}

func (f *fixture) newPartner(name string) *custexport.Partner {
	salt, _ := linksign.NewSalt()
	p := &custexport.Partner{Name: name, LinkSalt: salt}
	if err := f.db.CreatePartner(context.Background(), p, custexport.Principal{Kind: custexport.PrincipalOperator}); err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) link(p *custexport.Partner, file string, params url.Values) string {
	return f.signer.SignedURL(f.srv.URL, p.ID, p.LinkSalt, "/export/"+file, params)
}

// dial opens a raw connection to the server, closed when the test ends.
func (f *fixture) dial() net.Conn {
	f.t.Helper()
	conn, err := net.Dial("tcp", f.srv.Listener.Addr().String())
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { conn.Close() })
	return conn
}

func (f *fixture) get(rawURL string, header ...string) (*http.Response, string) {
	f.t.Helper()
	return f.do(http.MethodGet, rawURL, header...)
}

func (f *fixture) do(method, rawURL string, header ...string) (*http.Response, string) {
	f.t.Helper()
	req, _ := http.NewRequest(method, rawURL, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (f *fixture) lastLog() custexport.AccessEntry {
	var last custexport.AccessEntry
	f.db.AccessEntries(context.Background(), time.Time{}, func(e *custexport.AccessEntry) error { last = *e; return nil })
	return last
}

func TestServedDownload(t *testing.T) {
	f := newFixture(t, 300)
	resp, body := f.get(f.link(f.partner, "customers.csv", url.Values{"dateFrom": {"2020-1-1"}, "encoding": {"windows-1250"}}))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	for header, want := range map[string]string{
		"Content-Type":           "text/csv; charset=windows-1250",
		"Cache-Control":          "no-store",
		"Referrer-Policy":        "no-referrer",
		"X-Content-Type-Options": "nosniff",
	} {
		if got := resp.Header.Get(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="customers-`) || !strings.HasSuffix(cd, `.csv"`) {
		t.Errorf("Content-Disposition = %q", cd)
	}
	cr := csv.NewReader(strings.NewReader(body))
	cr.Comma = ';'
	records, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rows := len(records) - 1
	e := f.lastLog()
	if rows <= 0 || rows >= 300 || e.Outcome != custexport.OutcomeServed || e.Rows != int64(rows) || e.Filter != "2020-01-01.." || e.Principal.Name != "Účetní firma" {
		t.Fatalf("%d rows served; log %+v", rows, e)
	}
	if _, err := f.db.Partner(context.Background(), f.partner.ID); err != nil {
		t.Fatal(err)
	}
	if p, _ := f.db.Partner(context.Background(), f.partner.ID); p.LastUsedAt.IsZero() {
		t.Error("the partner's last use was not recorded")
	}
}

func TestGzip(t *testing.T) {
	f := newFixture(t, 50)
	link := f.link(f.partner, "customers.xml", nil)
	req, _ := http.NewRequest(http.MethodGet, link, nil)
	req.Header.Set("Accept-Encoding", "gzip") // set by hand, so the client does not unzip
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding = %q", resp.Header.Get("Content-Encoding"))
	}
	if head, _ := f.do(http.MethodHead, link, "Accept-Encoding", "gzip"); head.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("HEAD: Content-Encoding %q, the GET's is gzip", head.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	xml, _ := io.ReadAll(zr)
	if strings.Count(string(xml), "<CUSTOMER>") != 50 {
		t.Fatalf("gunzipped XML holds %d customers, want 50", strings.Count(string(xml), "<CUSTOMER>"))
	}
}

func TestAnswers(t *testing.T) {
	f := newFixture(t, 20)
	ctx := context.Background()
	good := f.link(f.partner, "customers.csv", url.Values{"dateFrom": {"2020-01-01"}})
	u, _ := url.Parse(good)
	q := u.Query()
	with := func(change func(url.Values)) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = append([]string(nil), vs...)
		}
		change(v)
		c := *u
		c.RawQuery = v.Encode()
		return c.String()
	}
	deleted := f.newPartner("Bývalý")
	deletedLink := f.link(deleted, "customers.csv", nil)
	f.db.DeletePartner(ctx, deleted.ID, custexport.Principal{})
	regenerated := f.newPartner("Přegenerovaný")
	regeneratedLink := f.link(regenerated, "customers.csv", nil)
	f.db.RegeneratePartner(ctx, regenerated.ID, []byte("new salt 16 byte"), custexport.Principal{})
	expired := f.newPartner("Prošlý")
	f.db.SetPartnerValidUntil(ctx, expired.ID, custexport.Date{Year: 2020, Month: 1, Day: 1}, custexport.Principal{})
	expiredLink := f.link(expired, "customers.csv", nil)
	ipOnly := f.link(f.partner, "customers.csv", url.Values{"ip": {"192.0.2.0/24"}})
	plain := f.link(f.partner, "customers.csv", nil)
	hashAlone := func(file, hash string) string { return f.srv.URL + "/export/" + file + "?hash=" + hash }
	plainHash := plain[len(plain)-64:]
	xmlPlain := f.link(f.partner, "customers.xml", nil)

	cases := []struct {
		name, url string
		header    []string
		status    int
		outcome   custexport.Outcome
		reason    string
		body      string
	}{
		{"HashMissing", with(func(v url.Values) { v.Del("hash") }), nil, 403, custexport.OutcomeDenied, "hash", "Přístup odepřen."},
		{"HashMalformed", with(func(v url.Values) { v.Set("hash", "xyz") }), nil, 403, custexport.OutcomeDenied, "hash", ""},
		{"HashWrong", with(func(v url.Values) { v.Set("hash", strings.Repeat("ab", 32)) }), nil, 403, custexport.OutcomeDenied, "hash", ""},
		{"ParameterChanged", with(func(v url.Values) { v.Set("dateFrom", "2019-01-01") }), nil, 403, custexport.OutcomeDenied, "hash", ""},
		{"ParameterAdded", with(func(v url.Values) { v.Set("guard", "0") }), nil, 403, custexport.OutcomeDenied, "hash", ""},
		{"ParameterRemoved", with(func(v url.Values) { v.Del("dateFrom") }), nil, 403, custexport.OutcomeDenied, "hash", ""},
		{"ParameterRepeated", with(func(v url.Values) { v.Add("dateFrom", "2020-01-01") }), nil, 403, custexport.OutcomeDenied, "hash", ""},
		{"OtherFormat", strings.Replace(good, "customers.csv", "customers.xml", 1), nil, 403, custexport.OutcomeDenied, "hash", ""},
		{"UnknownPartner", with(func(v url.Values) { v.Set("partnerId", "999") }), nil, 403, custexport.OutcomeDenied, "unknown or deleted partner 999", ""},
		{"DeletedPartner", deletedLink, nil, 403, custexport.OutcomeDenied, "unknown or deleted", ""},
		{"RegeneratedPartner", regeneratedLink, nil, 403, custexport.OutcomeDenied, "hash", ""},
		{"ExpiredPartner", expiredLink, nil, 403, custexport.OutcomeDenied, "expired", ""},
		{"IPNotAllowed", ipOnly, []string{"X-Forwarded-For", "198.51.100.7"}, 403, custexport.OutcomeDenied, "not in the link's ip list", ""},
		{"IPAllowed", ipOnly, []string{"X-Forwarded-For", "192.0.2.55"}, 200, custexport.OutcomeServed, "", ""},
		{"EnglishDenial", with(func(v url.Values) { v.Del("hash") }), []string{"Accept-Language", "en-GB,en;q=0.9"}, 403, custexport.OutcomeDenied, "hash", "Access denied."},
		{"BadDate", f.link(f.partner, "customers.csv", url.Values{"dateFrom": {"2024-13-01"}}), nil, 400, custexport.OutcomeBadRequest, "dateFrom", "dateFrom"},
		{"FromAfterUntil", f.link(f.partner, "customers.csv", url.Values{"dateFrom": {"2024-02-01"}, "dateUntil": {"2024-01-01"}}), nil, 400, custexport.OutcomeBadRequest, "dateFrom", "dateFrom"},
		{"BadEncoding", f.link(f.partner, "customers.csv", url.Values{"encoding": {"latin2"}}), nil, 400, custexport.OutcomeBadRequest, "encoding", "encoding"},
		{"BadGuard", f.link(f.partner, "customers.csv", url.Values{"guard": {"maybe"}}), nil, 400, custexport.OutcomeBadRequest, "guard", "guard"},
		{"BadIPList", f.link(f.partner, "customers.csv", url.Values{"ip": {"10.0.0.300"}}), nil, 400, custexport.OutcomeBadRequest, "10.0.0.300", "ip"},
		{"UnknownParameter", f.link(f.partner, "customers.csv", url.Values{"colour": {"red"}}), nil, 400, custexport.OutcomeBadRequest, "colour", "colour"},
		{"TooLong", good + "&x=" + strings.Repeat("a", 5000), nil, 414, custexport.OutcomeBadRequest, "query", ""},
		// The caller's dates and the hash alone (SPEC section 5).
		{"CallerDates", plain + "&dateFrom=2009-01-01&dateUntil=2026-12-07", nil, 200, custexport.OutcomeServed, "", ""},
		{"CallerDateEmpty", plain + "&dateFrom=", nil, 400, custexport.OutcomeBadRequest, "dateFrom: is empty", "dateFrom"},
		{"CallerDateRepeated", plain + "&dateUntil=2024-01-01&dateUntil=2024-01-02", nil, 400, custexport.OutcomeBadRequest, "dateUntil: given 2 times", "dateUntil"},
		{"CallerDateYear10000", plain + "&dateUntil=10000-01-01", nil, 400, custexport.OutcomeBadRequest, "dateUntil", "dateUntil"},
		{"CallerDatesReversed", plain + "&dateFrom=2024-02-01&dateUntil=2024-1-1", nil, 400, custexport.OutcomeBadRequest, "dateFrom", "dateFrom"},
		{"CallerDatesOnRangeLink", good + "&dateUntil=2030-01-01", nil, 403, custexport.OutcomeDenied, "hash malformed or wrong", ""},
		{"HashAlone", hashAlone("customers.csv", plainHash), nil, 200, custexport.OutcomeServed, "", ""},
		{"HashAloneXML", hashAlone("customers.xml", xmlPlain[len(xmlPlain)-64:]), nil, 200, custexport.OutcomeServed, "", ""},
		{"HashAloneWithDates", hashAlone("customers.csv", plainHash) + "&dateFrom=2009-1-1", nil, 200, custexport.OutcomeServed, "", ""},
		{"HashAloneWrong", hashAlone("customers.csv", strings.Repeat("ab", 32)), nil, 403, custexport.OutcomeDenied, "hash alone matches no partner", ""},
		{"HashAloneMalformed", hashAlone("customers.csv", "xyz"), nil, 403, custexport.OutcomeDenied, "hash alone matches no partner", ""},
		{"HashAloneOtherFormat", hashAlone("customers.xlsx", plainHash), nil, 403, custexport.OutcomeDenied, "for /export/customers.csv, not /export/customers.xlsx", ""},
		{"HashAloneOfIPLink", hashAlone("customers.csv", ipOnly[len(ipOnly)-64:]), nil, 403, custexport.OutcomeDenied, "hash alone matches no partner", ""},
		{"HashAloneOfRangeLink", hashAlone("customers.csv", good[len(good)-64:]), nil, 403, custexport.OutcomeDenied, "hash alone matches no partner", ""},
		{"HashAloneExpired", hashAlone("customers.csv", expiredLink[len(expiredLink)-64:]), nil, 403, custexport.OutcomeDenied, "expired", ""},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Each case from its own address, so the failure limiter does not interfere.
			header := append([]string{"X-Forwarded-For", "203.0.113." + string(rune('1'+i%9)) + string(rune('0'+i/9))}, tc.header...)
			resp, body := f.get(tc.url, header...)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; body %q", resp.StatusCode, tc.status, body)
			}
			if tc.body != "" && !strings.Contains(body, tc.body) {
				t.Errorf("body %q does not contain %q", body, tc.body)
			}
			if tc.status == 403 && body != "Přístup odepřen.\n" && body != "Access denied.\n" {
				t.Errorf("a denial must be generic, got %q", body)
			}
			e := f.lastLog()
			if e.Outcome != tc.outcome || !strings.Contains(e.Reason, tc.reason) {
				t.Errorf("logged %s %q, want %s containing %q", e.Outcome, e.Reason, tc.outcome, tc.reason)
			}

			// HEAD answers exactly as GET, without a body and without an export, and is logged.
			head, headBody := f.do(http.MethodHead, tc.url, header...)
			if head.StatusCode != tc.status || headBody != "" {
				t.Errorf("HEAD: status %d with %d body bytes, want %d and none", head.StatusCode, len(headBody), tc.status)
			}
			wantReason := tc.reason
			if tc.outcome == custexport.OutcomeServed {
				wantReason = exporter.HeadersOnlyReason
			}
			if e := f.lastLog(); e.Outcome != tc.outcome || !strings.Contains(e.Reason, wantReason) || e.Rows != 0 || e.Bytes != 0 {
				t.Errorf("HEAD logged %s %q, %d rows, %d bytes; want %s containing %q, nothing exported", e.Outcome, e.Reason, e.Rows, e.Bytes, tc.outcome, wantReason)
			}
		})
	}
}

// The caller's dates narrow what a link signed without a range serves, and the access log
// records the range actually served; a hash alone serves as its plain link does.
func TestCallerDatesServedAndLogged(t *testing.T) {
	f := newFixture(t, 300)
	plain := f.link(f.partner, "customers.csv", nil)
	count := func(rawURL string) int {
		t.Helper()
		resp, body := f.get(rawURL)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: status %d: %s", rawURL, resp.StatusCode, body)
		}
		cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff")))
		cr.Comma = ';'
		records, err := cr.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return len(records) - 1
	}
	all := count(plain)
	narrowed := count(plain + "&dateFrom=2025-1-1&dateUntil=2025-06-30")
	if e := f.lastLog(); e.Filter != "2025-01-01..2025-06-30" || e.Rows != int64(narrowed) {
		t.Errorf("logged filter %q and %d rows, want 2025-01-01..2025-06-30 and %d", e.Filter, e.Rows, narrowed)
	}
	if narrowed == 0 || narrowed >= all {
		t.Fatalf("the caller's range gave %d of %d customers: no narrowing to test", narrowed, all)
	}
	if got := count(f.srv.URL + "/export/customers.csv?hash=" + plain[len(plain)-64:] + "&dateFrom=2025-01-01&dateUntil=2025-6-30"); got != narrowed {
		t.Errorf("the hash alone with the same dates served %d customers, its link %d", got, narrowed)
	}
	if e := f.lastLog(); e.Principal != f.partner.Principal() || e.Filter != "2025-01-01..2025-06-30" {
		t.Errorf("the hash alone was logged for %+v with %q", e.Principal, e.Filter)
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	f := newFixture(t, 5)
	for _, path := range []string{"/export/customers.pdf", "/export/..%2Fcustomers.csv", "/export/customers%2Ecsv%2F", "/export/x/customers.csv", "/export/"} {
		resp, _ := f.get(f.srv.URL + path)
		if resp.StatusCode != 404 {
			t.Errorf("GET %s: status %d, want 404", path, resp.StatusCode)
		}
	}
	link := f.link(f.partner, "customers.csv", nil)
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		req, _ := http.NewRequest(method, link, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: status %d, Allow %q", method, resp.StatusCode, resp.Header.Get("Allow"))
		}
	}
	resp, err := http.Head(link)
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("HEAD: %v %v", resp, err)
	}
}

func TestFailedAttemptsAreRateLimitedPerAddress(t *testing.T) {
	f := newFixture(t, 5)
	good := f.link(f.partner, "customers.csv", nil)
	bad := good[:len(good)-4] + "0000"
	for i := 0; i < 5; i++ {
		if resp, _ := f.get(bad, "X-Forwarded-For", "198.51.100.9"); resp.StatusCode != 403 {
			t.Fatalf("attempt %d: %d", i, resp.StatusCode)
		}
	}
	resp, _ := f.get(good, "X-Forwarded-For", "198.51.100.9")
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("after 5 failures even a good link from that address: %d (Retry-After %q), want 429", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	f.server.FlushRefusals(context.Background()) // rate-limited attempts are logged as a count per window
	if e := f.lastLog(); e.Outcome != custexport.OutcomeRateLimited || !strings.HasPrefix(e.Reason, "1 attempts refused by the rate limiter from 198.51.100.9/32") {
		t.Fatalf("logged %s: %q", e.Outcome, e.Reason)
	}
	if resp, _ := f.get(good, "X-Forwarded-For", "198.51.100.10"); resp.StatusCode != 200 {
		t.Fatalf("the partner from another address: %d, want 200", resp.StatusCode)
	}
}

// Wrong hashes sent alone count in the failure limiter like any other denial: guessing a hash
// without a partnerId is no cheaper than with one.
func TestHashAloneFailuresAreRateLimited(t *testing.T) {
	f := newFixture(t, 5)
	good := f.link(f.partner, "customers.csv", nil)
	alone := f.srv.URL + "/export/customers.csv?hash="
	for i := 0; i < 5; i++ {
		if resp, _ := f.get(alone+strings.Repeat(string(rune('a'+i)), 64), "X-Forwarded-For", "198.51.100.20"); resp.StatusCode != 403 {
			t.Fatalf("wrong hash alone %d: %d", i, resp.StatusCode)
		}
	}
	if resp, _ := f.get(alone+good[len(good)-64:], "X-Forwarded-For", "198.51.100.20"); resp.StatusCode != 429 {
		t.Fatalf("after 5 wrong hashes alone, even the right one from that address: %d, want 429", resp.StatusCode)
	}
	if resp, _ := f.get(alone+good[len(good)-64:], "X-Forwarded-For", "198.51.100.21"); resp.StatusCode != 200 {
		t.Fatalf("the right hash alone from another address: %d, want 200", resp.StatusCode)
	}
}

// openSlowDownload starts a download and reads only its headers; the server blocks once the
// socket buffers are full, so the export is surely still running.
func openSlowDownload(t *testing.T, link string) (net.Conn, *http.Response) {
	t.Helper()
	u, _ := url.Parse(link)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	conn.(*net.TCPConn).SetReadBuffer(4096)
	req, _ := http.NewRequest(http.MethodGet, link, nil)
	if err := req.Write(conn); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatal(err)
	}
	return conn, resp
}

func TestOneExportPerPartner(t *testing.T) {
	f := newFixture(t, 20000)
	link := f.link(f.partner, "customers.xml", nil)
	conn, resp := openSlowDownload(t, link)
	if resp.StatusCode != 200 {
		t.Fatalf("first download: %d", resp.StatusCode)
	}
	second, body := f.get(link)
	if second.StatusCode != 429 || second.Header.Get("Retry-After") == "" || !strings.Contains(body, "již probíhá") {
		t.Fatalf("second download of the same partner: %d %q (Retry-After %q)", second.StatusCode, body, second.Header.Get("Retry-After"))
	}
	if head, _ := f.do(http.MethodHead, link); head.StatusCode != 429 || head.Header.Get("Retry-After") == "" {
		t.Fatalf("HEAD while the partner's download runs: %d (Retry-After %q), want 429 as for GET", head.StatusCode, head.Header.Get("Retry-After"))
	}
	if e := f.lastLog(); e.Outcome != custexport.OutcomeBusy {
		t.Fatalf("the busy HEAD was logged %s", e.Outcome)
	}
	other := f.newPartner("Sklad")
	if resp, _ := f.get(f.link(other, "customers.csv", nil)); resp.StatusCode != 200 {
		t.Fatalf("another partner meanwhile: %d, want 200", resp.StatusCode)
	}
	// The client goes away mid-download: the export stops, is logged aborted, frees the slot.
	conn.Close()
	f.waitForExports(10 * time.Second)
	if resp, _ := f.get(link); resp.StatusCode != 200 {
		t.Fatalf("the slot is still taken after the disconnected download ended (status %d)", resp.StatusCode)
	}
	var aborted int
	f.db.AccessEntries(context.Background(), time.Time{}, func(e *custexport.AccessEntry) error {
		if e.Outcome == custexport.OutcomeAborted && e.Principal.ID == f.partner.ID {
			aborted++
		}
		return nil
	})
	if aborted != 1 {
		t.Fatalf("%d aborted entries for the disconnected download, want 1", aborted)
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	f := newFixture(t, 5)
	f.get(f.link(f.partner, "customers.csv", nil))
	for path, want := range map[string]string{
		"/healthz": "ok",
		"/readyz":  "ready",
		"/metrics": `custexport_exports_total{format="csv",outcome="served"} 1`,
	} {
		resp, body := f.get(f.srv.URL + path)
		if resp.StatusCode != 200 || !strings.Contains(body, want) {
			t.Errorf("%s: %d %q, want %q", path, resp.StatusCode, body, want)
		}
		if resp.Header.Get("X-Frame-Options") != "DENY" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("%s lacks the security headers", path)
		}
	}
	f.db.Close()
	if resp, _ := f.get(f.srv.URL + "/readyz"); resp.StatusCode != 503 {
		t.Errorf("/readyz with the database closed: %d, want 503", resp.StatusCode)
	}
}
