package web

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The login page sends the browser back only to a path of this server. Browsers read a
// Location leniently: a backslash counts as a slash and tabs and newlines are dropped, so each
// of these would lead off the site.
func TestLoginRedirectStaysOnTheSite(t *testing.T) {
	af := newAdminFixture(t, 5, "http://127.0.0.1")
	for _, evil := range []string{
		"https://evil.example/", "//evil.example/", "/\\evil.example", "/./\\evil.example",
		"/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "\\\\evil.example",
		"/%09/evil.example\x00", "/\u0085/evil.example", "http:/evil.example", "/x\\..\\..\\evil",
		"", "customers", "javascript:alert(1)", "/%2F%2Fevil.example",
	} {
		resp, _ := af.do(af.client(), http.MethodPost, "/login", url.Values{"user": {"Jana"}, "password": {adminPassword}, "next": {evil}})
		if got := resp.Header.Get("Location"); got != "/customers" {
			t.Errorf("next=%q redirected to %q, want /customers", evil, got)
		}
		if got := localPath(evil); got != "/customers" {
			t.Errorf("localPath(%q) = %q", evil, got)
		}
		// The language switch goes back the same way.
		resp, _ = af.do(af.client(), http.MethodPost, "/lang", url.Values{"lang": {"en"}, "back": {evil}})
		if got := resp.Header.Get("Location"); got != "/customers" {
			t.Errorf("back=%q redirected to %q, want /customers", evil, got)
		}
	}
	for _, own := range []string{"/customers/export", "/customers/export/log?outcome=denied&page=2", "/settings/partners#new"} {
		if got := localPath(own); got != own {
			t.Errorf("localPath(%q) = %q, want it kept", own, got)
		}
	}
}

// /static/ serves its files, never a listing of them.
func TestStaticHasNoListing(t *testing.T) {
	f := newFixture(t, 1)
	for _, dir := range []string{"/static/", "/static", "/static/./", "/static//"} {
		resp, body := f.get(f.srv.URL + dir)
		if resp.StatusCode == http.StatusOK || strings.Contains(body, "app.css") {
			t.Errorf("%s: %d %q, want no listing", dir, resp.StatusCode, body)
		}
	}
	if resp, body := f.get(f.srv.URL + "/static/"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("/static/: %d %q, want 404", resp.StatusCode, body)
	}
	if resp, _ := f.get(f.srv.URL + "/static/app.css"); resp.StatusCode != http.StatusOK {
		t.Errorf("/static/app.css: %d, want 200", resp.StatusCode)
	}
}

// /metrics counts the admin page's imports by result and the rows of applied ones (SPEC
// section 12).
func TestMetricsCountImports(t *testing.T) {
	af, c := signedIn(t, 5)
	file := "email;billingFullName;billingCountryCode\nnew1@example.cz;Jana Nová;CZ\nnew2@example.cz;Petr Nový;CZ\nbad;Eva;CZ\n"
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("encoding", "utf-8")
	fw, _ := mw.CreateFormFile("file", "zakaznici.csv")
	fw.Write([]byte(file))
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, af.srv.URL+"/customers/import", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if resp, body := af.send(c, req); resp.StatusCode != http.StatusOK {
		t.Fatalf("import: %d %s", resp.StatusCode, body)
	}
	af.upload(c, "zakaznici.csv", file)                               // a dry run
	af.upload(c, "export.xml", "<?xml version=\"1.0\"?><customers/>") // refused
	_, body := af.get(af.srv.URL + "/metrics")
	for _, want := range []string{
		`custexport_imports_total{result="applied"} 1`,
		`custexport_imports_total{result="dry_run"} 1`,
		`custexport_imports_total{result="refused"} 1`,
		`custexport_import_rows_total{change="created"} 2`,
		`custexport_import_rows_total{change="skipped"} 1`,
		`custexport_import_rows_total{change="updated"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, body)
		}
	}
}
