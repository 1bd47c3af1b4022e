package web

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/logformat"
)

// The export form and the link box follow the domain's one rule: XML or XLSX with
// windows-1250 is refused beside the encoding field (the form used to switch it to UTF-8
// quietly), while XML without an encoding, as the page sends it once its script has disabled
// the CSV-only select, is UTF-8.
func TestExportFormRefusesXMLWithWindows1250(t *testing.T) {
	af, c := signedIn(t, 20)
	ctx := context.Background()

	for _, format := range []string{"xml", "xlsx"} {
		resp, body := af.do(c, http.MethodPost, "/customers/export", url.Values{"format": {format}, "encoding": {"windows-1250"}, "guard": {"1"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="export-encoding-error"`) || !strings.Contains(body, "jen pro CSV") {
			t.Fatalf("%s with windows-1250: %d, want 400 with the Czech error beside the encoding", format, resp.StatusCode)
		}
	}
	if j, _ := af.db.LatestJob(ctx, af.user.ID); j != nil {
		t.Fatal("a refused form started a job")
	}

	resp, _ := af.do(c, http.MethodPost, "/customers/export", url.Values{"format": {"xml"}, "guard": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("XML without an encoding: %d, want 303 (started)", resp.StatusCode)
	}
	af.admin.Jobs.Wait(ctx)
	j, _ := af.db.LatestJob(ctx, af.user.ID)
	if j == nil || j.Options.Format != "xml" || j.Options.Encoding != "utf-8" {
		t.Fatalf("XML without an encoding made job %+v, want an XML job in UTF-8", j)
	}

	id := itoa(af.partner.ID)
	resp, body := af.do(c, http.MethodGet, "/customers/export?link=1&partner="+id+"&format=xml&encoding=windows-1250&guard=1", nil,
		"Accept-Language", "en")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="link-encoding-error"`) ||
		!strings.Contains(body, "windows-1250 applies to CSV only") || strings.Contains(body, `id="link-url"`) {
		t.Fatalf("link box, XML with windows-1250: %d, want 400 with the English error beside the encoding", resp.StatusCode)
	}
}

// Field errors are said from the error's reason in the page's language, beside the field the
// error names: a reversed range of the access log stands beside "from".
func TestAccessLogFilterErrors(t *testing.T) {
	af, c := signedIn(t, 5)
	for _, tc := range []struct{ query, lang, field, want string }{
		{"from=2024-05-01&until=2024-04-01", "cs", "from", "Datum „od“ je po datu „do“."},
		{"from=2024-05-01&until=2024-04-01", "en", "from", "The “from” date is after the “until” date."},
		{"from=2024-02-30", "cs", "from", "„2024-02-30“ není datum. Napište den, měsíc a rok, např. 31. 12. 2025."},
		{"until=1.13.2024", "en", "until", "&#34;1.13.2024&#34; is not a date. Write the day, month and year, e.g. 2025-12-31 or 31. 12. 2025."},
		{"until=22025-12-31", "cs", "until", "„22025-12-31“ není datum. Napište den, měsíc a rok, např. 31. 12. 2025."},
	} {
		resp, body := af.do(c, http.MethodGet, "/customers/export/log?"+tc.query, nil, "Accept-Language", tc.lang)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `<p class="field-error" id="log-`+tc.field+`-error">`+tc.want+`</p>`) ||
			!strings.Contains(body, `id="log-`+tc.field+`" value=`) || !strings.Contains(body, `aria-describedby="log-dates-hint log-`+tc.field+`-error" aria-invalid="true"`) {
			t.Errorf("log filter %s (%s): %d, want 400 saying %q beside %s, which is aria-invalid and described by it:\n%s", tc.query, tc.lang, resp.StatusCode, tc.want, tc.field, body)
		}
	}
	// A day as a Czech user types it is understood: with dots, with spaces, or eight digits.
	for _, typed := range []string{"1.4.2024", "1. 4. 2024", "01042024", "20240401", "2024-04-01"} {
		resp, body := af.do(c, http.MethodGet, "/customers/export/log?from="+url.QueryEscape(typed), nil, "Accept-Language", "cs")
		if resp.StatusCode != http.StatusOK || strings.Contains(body, "field-error") {
			t.Errorf("log filter from=%q: %d, want it understood as 1 April 2024", typed, resp.StatusCode)
		}
	}
}

// formDate turns what a Czech user types into the domain's YYYY-MM-DD, and leaves anything
// else for the domain's rule to refuse.
func TestFormDate(t *testing.T) {
	for typed, want := range map[string]string{
		"31.12.2025": "2025-12-31", "31. 12. 2025": "2025-12-31", " 7.3.2026 ": "2026-03-07", "31122025": "2025-12-31",
		"20251231": "2025-12-31", "01022025": "2025-02-01", "2025-12-31": "2025-12-31",
		"31.2.2025": "31.2.2025", "32122025": "32122025", "22025-12-31": "22025-12-31", "": "", "zítra": "zítra",
	} {
		if got := formDate(typed); got != want {
			t.Errorf("formDate(%q) = %q, want %q", typed, got, want)
		}
	}
}

// upload posts a CSV to the Import page as a dry run.
func (af *adminFixture) upload(c *http.Client, name, content string, header ...string) (*http.Response, string) {
	af.t.Helper()
	return af.uploadForm(c, map[string]string{"encoding": "auto", "dry_run": "1"}, name, []byte(content), header...)
}

// Import skip reasons and refusals are Czech in the Czech UI (they were English), English in
// the English one; the CLI's English text stays in the report.
func TestImportReasonsTranslated(t *testing.T) {
	af, c := signedIn(t, 5)
	file := "email;billingFullName;birthDate;billingCountryCode;priceRatio;disabledOrders\n" +
		"no-at-sign.example.cz;Jana Nová;;CZ;1;0\n" +
		"ok@example.cz;Petr Starý;1990-02-30;CZ;1;0\n" +
		"ok2@example.cz;Eva Malá;;CZE;1;0\n" +
		"ok3@example.cz;Ota Velký;;CZ;1,23456;0\n" +
		"ok4@example.cz;Iva Tichá;;CZ;1;snad\n" +
		"ok5@example.cz;;;CZ;1;0\n" +
		"ok6@example.cz;Jan Krátký;;CZ\n" +
		"ok7@example.cz;\"Ne\"uzavřeno;;CZ;1;0\n"
	czech := []string{
		"„no-at-sign.example.cz“ není e-mailová adresa",
		"„1990-02-30“ není datum (RRRR-MM-DD)",
		"„CZE“ není dvoupísmenný kód země",
		"„1,23456“ není číslo s nejvýše 4 desetinnými místy",
		"„snad“ není 0/1, true/false, ano/ne, yes/no",
		"billingFullName je povinné",
		"řádek má 4 pole, záhlaví 6",
		"neplatné CSV: za uzavírací uvozovkou",
	}
	resp, body := af.upload(c, "zakaznici.csv", file)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("import: %d", resp.StatusCode)
	}
	for _, want := range czech {
		if !strings.Contains(body, want) {
			t.Errorf("the Czech report lacks %q", want)
		}
	}
	for _, english := range []string{"is not an e-mail address", "is not a date", "is required", "not valid CSV", "skip."} {
		if strings.Contains(body, english) {
			t.Errorf("the Czech report says %q", english)
		}
	}
	// The log of imports keeps the keys, so it is Czech too.
	if _, body := af.do(c, http.MethodGet, "/customers/import/log", nil); !strings.Contains(body, "„CZE“ není dvoupísmenný kód země") {
		t.Error("the import log's skip reasons are not Czech")
	}
	if _, body := af.upload(c, "zakaznici.csv", file, "Accept-Language", "en"); !strings.Contains(body, "&#34;CZE&#34; is not a two-letter country code") {
		t.Error("the English report lacks the English reason")
	}

	resp, body = af.upload(c, "export.xml", "<?xml version=\"1.0\"?><customers/>")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Toto je soubor XML, ne CSV") {
		t.Fatalf("an XML file: %d, want 400 refused in Czech", resp.StatusCode)
	}
}

// The partner form applies the domain's rule for a partner's text (custexport.ValidatePartner,
// which the stores apply too): a control or invisible character in the name or the note is
// refused beside its field, in the page's language, and nothing is saved.
func TestPartnerFormRefusesControlCharacters(t *testing.T) {
	af, c := signedIn(t, 10)
	ctx := context.Background()
	before, _ := af.db.Partners(ctx)
	cases := []struct {
		form   url.Values
		field  string // the id of the error paragraph
		czech  string // what the Czech page says
		letter string // the character named (U+ is escaped in HTML)
	}{
		{url.Values{"name": {"Evil\x1b[2J"}}, "partner-name-error", "řídicí znak", "001B"},
		{url.Values{"name": {"Sklad\u202eexe.txt"}}, "partner-name-error", "řídicí znak", "202E"},
		{url.Values{"name": {"Sklad"}, "note": {"daily\rsync"}}, "partner-note-error", "řídicí znak", "000D"},
		{url.Values{"name": {strings.Repeat("n", 201)}}, "partner-name-error", "delší než 200 znaků", ""},
	}
	for _, tc := range cases {
		resp, body := af.do(c, http.MethodPost, "/settings/partners", tc.form)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="`+tc.field+`"`) ||
			!strings.Contains(body, tc.czech) || !strings.Contains(body, tc.letter) {
			t.Errorf("%q: status %d, want 400 with %s saying %q %s", tc.form, resp.StatusCode, tc.field, tc.czech, tc.letter)
		}
	}
	if after, _ := af.db.Partners(ctx); len(after) != len(before) {
		t.Fatalf("a refused partner form saved a partner: %d before, %d after", len(before), len(after))
	}
}

// The admin's "Stáhnout jako CSV" is the access log rendered by the one renderer that
// `custexport log --format csv` uses: the same bytes for the same entries, with a hostile user
// agent escaped and guarded.
func TestAccessLogCSVIsTheSharedRenderer(t *testing.T) {
	af, c := signedIn(t, 10)
	ctx := context.Background()
	evil := "=HYPERLINK(\"http://x\")\r\n2099-01-01\x1b[2J"
	if err := af.db.AppendAccess(ctx, &custexport.AccessEntry{At: time.Now(), Principal: custexport.Principal{Kind: custexport.PrincipalPartner, ID: 9, Name: "-Sklad"},
		Channel: custexport.ChannelURL, ClientIP: "192.0.2.1", UserAgent: evil, Format: custexport.FormatCSV, Outcome: custexport.OutcomeDenied, Reason: "hash missing"}); err != nil {
		t.Fatal(err)
	}

	resp, body := af.do(c, http.MethodGet, "/customers/export/log?format=csv", nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV download: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var want bytes.Buffer
	out := logformat.NewCSV(&want, af.admin.Location)
	err := af.db.QueryAccess(ctx, custexport.AccessQuery{}, out.Entry)
	if closeErr := out.Close(); err != nil || closeErr != nil {
		t.Fatal(err, closeErr)
	}
	if body != want.String() {
		t.Errorf("admin CSV differs from the shared renderer's:\n%s\nwant:\n%s", body, want.String())
	}
	if strings.Contains(body, "\x1b") || strings.Contains(body, "\r\n2099") || !strings.Contains(body, `'-Sklad`) {
		t.Errorf("the hostile entry is not escaped and guarded:\n%s", body)
	}
}
