package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/i18n"
)

// visibleText is what a page shows and says: its text without tags, and the texts of the
// attributes a screen reader reads or a pointer shows.
func visibleText(page string) string {
	var b strings.Builder
	for _, m := range spokenAttr.FindAllStringSubmatch(page, -1) {
		b.WriteString(html.UnescapeString(m[1]) + "\n")
	}
	b.WriteString(html.UnescapeString(tag.ReplaceAllString(page, "\n")))
	return b.String()
}

var (
	tag        = regexp.MustCompile(`<[^>]*>`)
	spokenAttr = regexp.MustCompile(`(?:aria-label|title|placeholder|alt|data-copied)="([^"]*)"`)
)

// englishInCzech lists the English a Czech page shows: the fixed phrases of every English text
// of the translation table, and the English the log and the import keep (stored reasons, skip
// reasons, refusals).
func englishInCzech(page string) []string {
	text := visibleText(page)
	var found []string
	for _, phrase := range append(i18n.EnglishFragments(), storedEnglish...) {
		if strings.Contains(text, phrase) {
			found = append(found, phrase)
		}
	}
	return found
}

// storedEnglish are parts of the English texts the access log, the jobs and the import keep.
var storedEnglish = []string{"created (valid until", "no expiry", "not in the link's ip list", "too many failed attempts",
	"hash malformed or wrong", "unknown or deleted partner", "file of export job", "is already running", "sessions ended",
	"is not an e-mail address", "the header row", "this is a ZIP file", "Page not found", "Method Not Allowed", "404 page not found",
	"user: ", "operator: "} // "partner: " is Czech too

// A Czech page shows no English: every page state the tests can reach, in Czech, after the
// partner URL has logged its refusals (a wrong hash, an address not on the link's list, a busy
// partner) and imports were checked and refused. The same pages in English are English.
func TestCzechPagesSpeakCzech(t *testing.T) {
	af, c := signedIn(t, 30)
	ctx := context.Background()
	// The partner URL's own log entries, as it writes them.
	link := af.link(af.partner, "customers.csv", url.Values{"ip": {"203.0.113.7"}})
	if resp, _ := af.get(link, "X-Forwarded-For", "198.51.100.1"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a link from another address: %d", resp.StatusCode)
	}
	if resp, _ := af.get(strings.Replace(link, "hash=", "hash=00", 1), "X-Forwarded-For", "198.51.100.2"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a changed link: %d", resp.StatusCode)
	}
	if resp, _ := af.get(af.link(af.partner, "customers.csv", nil)); resp.StatusCode != http.StatusOK {
		t.Fatalf("a good link: %d", resp.StatusCode)
	}
	other := af.newPartner("Sklad")
	if err := af.db.RegeneratePartner(ctx, other.ID, []byte("0123456789abcdef"), af.user.Principal()); err != nil {
		t.Fatal(err)
	}
	if err := af.db.SetPartnerValidUntil(ctx, other.ID, custexport.Date{Year: 2030, Month: 1, Day: 1}, af.user.Principal()); err != nil {
		t.Fatal(err)
	}
	// An export job, finished; its file downloaded.
	resp, _ := af.do(c, http.MethodPost, "/customers/export", url.Values{"format": {"csv"}, "encoding": {"utf-8"}, "guard": {"1"}, "from": {"1. 1. 2020"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("starting an export: %d", resp.StatusCode)
	}
	af.admin.Jobs.Wait(ctx)
	job, _ := af.db.LatestJob(ctx, af.user.ID)
	if resp, _ := af.do(c, http.MethodGet, "/jobs/"+itoa(job.ID)+"/download", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("downloading the job's file: %d", resp.StatusCode)
	}
	// Imports: one with skipped rows, one refused.
	skips := "email;billingFullName;billingCountryCode\nno-at-sign.example.cz;Jana Nová;CZ\nok@example.cz;Petr;CZE\nok2@example.cz;Eva\n"
	_, report := af.upload(c, "zakaznici.csv", skips, "Accept-Language", "cs")
	_, refused := af.upload(c, "obrazek.csv", "PK\x03\x04 not a csv", "Accept-Language", "cs")
	// An applied import with changes and a created customer, its page, its revert's states.
	_, applied := af.uploadFile(c, "upravy.csv", "email;billingFullName;phone\nnova@example.cz;Nová;+420 1\n", false, "Accept-Language", "cs")
	imp := reportedID(t, applied)

	cs := func(method, path string, form url.Values) string {
		t.Helper()
		_, body := af.do(c, method, path, form, "Accept-Language", "cs")
		return body
	}
	id := itoa(af.partner.ID)
	pages := map[string]string{
		"customers":      cs("GET", "/customers", nil),
		"export":         cs("GET", "/customers/export?job="+itoa(job.ID), nil),
		"link":           cs("GET", "/customers/export?link=1&partner="+id+"&format=csv&encoding=utf-8&guard=1&from=1.1.2025&ip=10.0.0.0/8", nil),
		"link errors":    cs("GET", "/customers/export?link=1&partner=999&format=xml&encoding=windows-1250&from=31.13.2025&ip=10.0.0.300", nil),
		"export errors":  cs("POST", "/customers/export", url.Values{"from": {"31122025x"}, "until": {"2020-02-30"}, "format": {"csv"}}),
		"log":            cs("GET", "/customers/export/log", nil),
		"log errors":     cs("GET", "/customers/export/log?from=zítra", nil),
		"import report":  report,
		"import refused": refused,
		"import log":     cs("GET", "/customers/import/log", nil),
		"import":         cs("GET", "/customers/import", nil),
		"import applied": applied,
		"import page":    cs("GET", "/customers/import/"+imp, nil),
		"revert confirm": cs("GET", "/customers/import/"+imp+"/revert", nil),
		"revert preview": cs("POST", "/customers/import/"+imp+"/revert", url.Values{"dry_run": {"1"}}),
		"revert":         cs("POST", "/customers/import/"+imp+"/revert", nil),
		"revert twice":   cs("GET", "/customers/import/"+imp+"/revert", nil),
		"partners":       cs("GET", "/settings/partners", nil),
		"partner error":  cs("POST", "/settings/partners", url.Values{"name": {""}, "valid_until": {"31.2.2030"}}),
		"delete":         cs("GET", "/settings/partners/"+id+"/delete", nil),
		"regenerate":     cs("GET", "/settings/partners/"+id+"/regenerate", nil),
		"password":       cs("POST", "/account/password", url.Values{"current": {"wrong"}, "new": {"x"}, "repeat": {"y"}}),
		"not found":      cs("GET", "/no/such/page", nil),
		"no such job":    cs("GET", "/jobs/999/download", nil),
		"wrong method":   cs("GET", "/logout", nil),
	}
	_, pages["login"] = af.do(af.client(), "GET", "/login", nil, "Accept-Language", "cs")
	for name, body := range pages {
		if !strings.Contains(body, `<html lang="cs">`) {
			t.Errorf("%s: not a Czech HTML page:\n%.300s", name, body)
			continue
		}
		if found := englishInCzech(body); len(found) > 0 {
			t.Errorf("the Czech page %q shows English: %q", name, found)
		}
	}
	// What the pages must say instead, as a check that the states above are the ones meant.
	for name, want := range map[string]string{
		"log":            "adresa klienta 198.51.100.1 není v seznamu IP adres odkazu",
		"import report":  "není e-mailová adresa",
		"import refused": "Soubor začíná jako soubor ZIP (XLSX?), ale nedá se přečíst",
		"import log":     "Soubor začíná jako soubor ZIP (XLSX?), ale nedá se přečíst",
		"not found":      "<title>Stránka nenalezena · Export zákazníků</title>",
		"wrong method":   "<h1>Nepovolená metoda</h1>",
		"delete":         `<button class="danger" id="confirm">Smazat partnera Účetní firma</button>`,
		"link errors":    "„10.0.0.300“ není IP adresa ani rozsah CIDR",
		"import applied": "vytvořen",
		"revert confirm": "Vrátit import č. " + imp,
		"revert":         "Výsledek vrácení importu č. " + imp,
		"revert twice":   "už byl vrácen",
	} {
		if !strings.Contains(pages[name], want) {
			t.Errorf("the Czech page %q lacks %q", name, want)
		}
	}
	// The test can fail: an English page is full of what it looks for.
	_, english := af.do(c, "GET", "/customers/export/log", nil, "Accept-Language", "en")
	if found := englishInCzech(english); len(found) < 3 {
		t.Errorf("the English access log shows only %q of the English phrases", found)
	}
}

// 404 and 405 are HTML pages in the visitor's language, with a title and lang; 405 keeps Allow.
func TestNotFoundPages(t *testing.T) {
	af := newAdminFixture(t, 1, "http://127.0.0.1")
	c := af.client()
	for _, tc := range []struct {
		method, path, lang, title string
		status                    int
	}{
		{"GET", "/nothing-here", "cs", "Stránka nenalezena", 404},
		{"GET", "/nothing-here", "en", "Page not found", 404},
		{"GET", "/logout", "cs", "Nepovolená metoda", 405},
		{"DELETE", "/customers", "en", "Method not allowed", 405},
	} {
		resp, body := af.do(c, tc.method, tc.path, nil, "Accept-Language", tc.lang)
		if resp.StatusCode != tc.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(body, `<html lang="`+tc.lang+`">`) || !strings.Contains(body, "<title>"+tc.title+" · ") ||
			!strings.Contains(body, "<h1>"+tc.title+"</h1>") {
			t.Errorf("%s %s (%s): %d %s\n%.400s", tc.method, tc.path, tc.lang, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		if tc.status == 405 && resp.Header.Get("Allow") == "" {
			t.Errorf("%s %s: 405 without Allow", tc.method, tc.path)
		}
	}
	// A route's own answers are untouched: the partner URL's 405 is its plain text.
	resp, _ := af.do(c, "POST", "/export/customers.csv", nil)
	if resp.StatusCode != 405 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("the partner URL's 405: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// A partner that downloaded on every one of the last days and then stopped is flagged as
// silent after more than three days; one that downloads now and then is not; failures since
// its last download are counted.
func TestPartnerHealth(t *testing.T) {
	af, c := signedIn(t, 1)
	ctx := context.Background()
	daily, sometimes := af.newPartner("Denní sklad"), af.newPartner("Občasné CRM")
	now := time.Now()
	day := 24 * time.Hour
	add := func(p *custexport.Partner, at time.Time, outcome custexport.Outcome) {
		t.Helper()
		e := &custexport.AccessEntry{At: at, Principal: custexport.Principal{Kind: custexport.PrincipalPartner, ID: p.ID, Name: p.Name},
			Channel: custexport.ChannelURL, Outcome: outcome, Format: custexport.FormatCSV}
		if err := af.db.AppendAccess(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	// Oldest first, as the log is written: the daily partner every day from 12 to 5 days ago,
	// then two denials; the other on two days only.
	add(sometimes, now.Add(-20*day), custexport.OutcomeServed)
	for d := 12; d >= 5; d-- {
		add(daily, now.Add(-time.Duration(d)*day), custexport.OutcomeServed)
	}
	add(sometimes, now.Add(-9*day), custexport.OutcomeServed)
	add(daily, now.Add(-2*day), custexport.OutcomeDenied)
	add(daily, now.Add(-1*day), custexport.OutcomeDenied)
	for _, lang := range []string{"cs", "en"} {
		_, body := af.do(c, "GET", "/settings/partners", nil, "Accept-Language", lang)
		rows := map[int64]string{}
		for _, p := range []*custexport.Partner{daily, sometimes, af.partner} {
			i := strings.Index(body, `<tr data-partner-id="`+itoa(p.ID)+`"`)
			if i < 0 {
				t.Fatalf("no row of %s", p.Name)
			}
			row := body[i:]
			rows[p.ID] = row[:strings.Index(row, "</tr>")]
		}
		want := map[string][]string{
			"cs": {"Naposledy staženo", "stahuje denně", "2 neúspěšné pokusy od té doby", "stahoval denně, ale 5 dní nic nestáhl"},
			"en": {"Last downloaded", "downloads daily", "2 failed attempts since", "has not downloaded for 5 days"},
		}[lang]
		for _, w := range want {
			if !strings.Contains(rows[daily.ID], w) {
				t.Errorf("%s: the daily partner's row lacks %q:\n%s", lang, w, rows[daily.ID])
			}
		}
		if !strings.Contains(body, `id="partner-silent-`+itoa(daily.ID)+`"`) {
			t.Errorf("%s: no warning above the list for the silent daily partner", lang)
		}
		if strings.Contains(body, `id="partner-silent-`+itoa(sometimes.ID)+`"`) || strings.Contains(rows[sometimes.ID], want[1]) {
			t.Errorf("%s: the occasional partner is taken for a daily one:\n%s", lang, rows[sometimes.ID])
		}
		if never := map[string]string{"cs": "Za 60 dní žádné úspěšné stažení", "en": "No successful download in 60 days"}[lang]; !strings.Contains(rows[af.partner.ID], never) {
			t.Errorf("%s: the partner that never downloaded: %s", lang, rows[af.partner.ID])
		}
	}
}

// The access-log chart counts the attempts of each of the last 30 days by outcome (events are
// not attempts), and says the same as a table.
func TestAccessChart(t *testing.T) {
	af, c := signedIn(t, 1)
	ctx := context.Background()
	now := time.Now()
	for i, o := range []custexport.Outcome{custexport.OutcomeServed, custexport.OutcomeServed, custexport.OutcomeDenied, custexport.OutcomeEvent} {
		e := &custexport.AccessEntry{At: now.Add(-time.Duration(i) * time.Minute), Principal: custexport.Principal{Kind: custexport.PrincipalPartner, ID: af.partner.ID},
			Channel: custexport.ChannelURL, Outcome: o}
		if err := af.db.AppendAccess(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	old := &custexport.AccessEntry{At: now.Add(-40 * 24 * time.Hour), Principal: custexport.Principal{Kind: custexport.PrincipalPartner, ID: af.partner.ID},
		Channel: custexport.ChannelURL, Outcome: custexport.OutcomeDenied}
	if err := af.db.AppendAccess(ctx, old); err != nil {
		t.Fatal(err)
	}
	chart, err := af.admin.accessChart(ctx, i18n.CS, now)
	if err != nil {
		t.Fatal(err)
	}
	last := chart.Days[len(chart.Days)-1]
	if len(chart.Days) != 30 || chart.Total != 3 || last.Total != 3 || last.Counts[0] != 2 || last.Counts[1] != 1 || chart.Max != 3 {
		t.Fatalf("the chart: %d days, total %d, today %+v, max %d; want today's 2 served and 1 denied only", len(chart.Days), chart.Total, last, chart.Max)
	}
	_, body := af.do(c, "GET", "/customers/export/log", nil, "Accept-Language", "cs")
	for _, want := range []string{`role="img" aria-labelledby="chart-svg-title chart-svg-desc"`, "<title id=\"chart-svg-title\">Pokusy o stažení za posledních 30 dní</title>",
		"celkem 3 pokusy", `<rect class="o-served"`, `<rect class="o-denied"`, "<summary>Graf jako tabulka</summary>"} {
		if !strings.Contains(body, want) {
			t.Errorf("the access-log page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script") && strings.Contains(body, "<script>") {
		t.Error("the chart page has an inline script")
	}
}
