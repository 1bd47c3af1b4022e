package web

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/storetest"
)

// uploadFile posts a CSV to the Import page, applied or as a dry run.
func (af *adminFixture) uploadFile(c *http.Client, name, content string, dry bool, header ...string) (*http.Response, string) {
	af.t.Helper()
	fields := map[string]string{"encoding": "auto"}
	if dry {
		fields["dry_run"] = "1"
	}
	return af.uploadForm(c, fields, name, []byte(content), header...)
}

var importIDText = regexp.MustCompile(`id="import-id">Import č\. (\d+)`)

// reportedID is the import a report page names.
func reportedID(t *testing.T, body string) string {
	t.Helper()
	m := importIDText.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the report names no import:\n%s", body[:min(len(body), 3000)])
	}
	return m[1]
}

// changesCSV downloads an import's change list.
func (af *adminFixture) changesCSV(c *http.Client, id string) [][]string {
	af.t.Helper()
	resp, body := af.do(c, http.MethodGet, "/customers/import/"+id+"/changes.csv", nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		af.t.Fatalf("changes download: %d %s", resp.StatusCode, resp.Header)
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff")))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		af.t.Fatal(err)
	}
	return rows
}

// The preview on the admin page: a dry run's and an import's report list the changed fields
// (line, guid, column, old → new, values escaped) and created customers, the first 1,000 on the
// page and all of them in the CSV download (formula guard on values from the file); a past
// import's page keeps them (Log tab). The undo: a button on the report leads to a confirmation
// page; the revert's preview writes nothing; the revert restores the customers and is logged;
// a cross-site POST is refused; a second revert is refused in the page's language.
func TestImportPreviewAndRevertPages(t *testing.T) {
	af, c := signedIn(t, 20)
	_, before := storetest.ReadAll(t, af.db, custexport.SnapshotQuery{})
	a, b := before[3], before[7]
	file := fmt.Sprintf("guid;phone;billingCompany\r\n%s;+420 111;%s\r\n%s;%s;\"=HYPERLINK(\"\"x\"\")<script>\"\r\n",
		a.GUID, a.Billing.Company, b.GUID, b.Phone)
	var more strings.Builder
	more.WriteString("email;billingFullName\r\n")
	for i := range custexport.MaxPreviewChanges + 1 {
		fmt.Fprintf(&more, "nova%d@example.cz;Nová %d\r\n", i, i)
	}

	resp, body := af.uploadFile(c, "upravy.csv", file, true)
	if resp.StatusCode != http.StatusOK || strings.Count(body, `<tr data-kind="changed">`) != 2 ||
		!strings.Contains(body, "Změněny 2 položky") || !strings.Contains(body, "=HYPERLINK(&#34;x&#34;)&lt;script&gt;") {
		t.Fatalf("the dry run's report: %d\n%s", resp.StatusCode, body)
	}
	if strings.Contains(body, `id="import-revert"`) {
		t.Error("a dry run offers a revert")
	}
	dryID := reportedID(t, body)
	rows := af.changesCSV(c, dryID)
	want := [][]string{{"seq", "line", "guid", "kind", "column", "old", "new"},
		{"1", "2", a.GUID, "changed", "phone", a.Phone, "'+420 111"}, // guarded as the export guards it,
		{"2", "3", b.GUID, "changed", "billingCompany", b.Billing.Company, `'=HYPERLINK("x")<script>`}}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Fatalf("the dry run's CSV:\n%q\nwant:\n%q", rows, want)
	}
	if _, now := storetest.ReadAll(t, af.db, custexport.SnapshotQuery{}); now[3].Phone != a.Phone {
		t.Fatal("the dry run changed a customer")
	}

	_, body = af.uploadFile(c, "upravy.csv", file, false)
	id := reportedID(t, body)
	if !strings.Contains(body, `href="/customers/import/`+id+`/revert"`) {
		t.Fatalf("the import's report offers no revert:\n%s", body)
	}
	_, body = af.uploadFile(c, "nove.csv", more.String(), false)
	manyID := reportedID(t, body)
	if n := strings.Count(body, `<tr data-kind="created">`); n != custexport.MaxPreviewChanges || !strings.Contains(body, "Zobrazeno prvních 1000") {
		t.Fatalf("a report of 1,001 created customers shows %d", n)
	}
	if rows := af.changesCSV(c, manyID); len(rows) != custexport.MaxPreviewChanges+2 || rows[1001][3] != "created" {
		t.Fatalf("the CSV of 1,001 created customers has %d rows", len(rows))
	}

	// The Log tab links every import's page, which keeps its changes.
	_, body = af.do(c, http.MethodGet, "/customers/import/log", nil)
	if !strings.Contains(body, `href="/customers/import/`+id+`"`) || !strings.Contains(body, `href="/customers/import/`+id+`/revert"`) ||
		strings.Contains(body, `href="/customers/import/`+dryID+`/revert"`) {
		t.Fatal("the import log does not link the import and its revert (and only an applied import's)")
	}
	resp, body = af.do(c, http.MethodGet, "/customers/import/"+id, nil)
	if resp.StatusCode != http.StatusOK || strings.Count(body, `<tr data-kind="changed">`) != 2 || strings.Contains(body, `id="import-form"`) {
		t.Fatalf("a past import's page: %d\n%s", resp.StatusCode, body)
	}

	// Revert: asked first; previewed without writing; refused across sites; then done.
	resp, body = af.do(c, http.MethodGet, "/customers/import/"+id+"/revert", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `action="/customers/import/`+id+`/revert"`) || !strings.Contains(body, "Vrátit import č. "+id) {
		t.Fatalf("the revert's confirmation: %d\n%s", resp.StatusCode, body)
	}
	resp, body = af.do(c, http.MethodPost, "/customers/import/"+id+"/revert", url.Values{"dry_run": {"1"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Kontrola vrácení importu č. "+id) || strings.Count(body, `<tr data-kind="changed">`) != 2 {
		t.Fatalf("the revert's preview: %d\n%s", resp.StatusCode, body)
	}
	if _, now := storetest.ReadAll(t, af.db, custexport.SnapshotQuery{}); now[3].Phone != "+420 111" {
		t.Fatal("the revert's preview changed a customer")
	}
	resp, _ = af.do(c, http.MethodPost, "/customers/import/"+id+"/revert", url.Values{}, "Sec-Fetch-Site", "cross-site")
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a cross-site revert: %d, want 403", resp.StatusCode)
	}
	resp, body = af.do(c, http.MethodPost, "/customers/import/"+id+"/revert", url.Values{})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Výsledek vrácení importu č. "+id) {
		t.Fatalf("the revert: %d\n%s", resp.StatusCode, body)
	}
	_, now := storetest.ReadAll(t, af.db, custexport.SnapshotQuery{})
	for i := range before {
		if now[i].Phone != before[i].Phone || now[i].Billing.Company != before[i].Billing.Company {
			t.Fatalf("customer %d after the revert: %q %q, want %q %q", i, now[i].Phone, now[i].Billing.Company, before[i].Phone, before[i].Billing.Company)
		}
	}
	_, body = af.do(c, http.MethodGet, "/customers/import/log", nil)
	if !strings.Contains(body, "vrácení importu č. "+id) || !strings.Contains(body, "vráceno importem č.") ||
		strings.Contains(body, `href="/customers/import/`+id+`/revert"`) {
		t.Fatal("the log does not show the revert, or still offers one")
	}
	resp, body = af.do(c, http.MethodGet, "/customers/import/"+id+"/revert", nil)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Import č. "+id+" už byl vrácen.") {
		t.Fatalf("a second revert: %d\n%s", resp.StatusCode, body)
	}
	resp, body = af.do(c, http.MethodPost, "/customers/import/"+id+"/revert", url.Values{}, "Accept-Language", "en")
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Import #"+id+" has been reverted already.") {
		t.Fatalf("a second revert's POST: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := af.do(c, http.MethodGet, "/customers/import/"+strconv.Itoa(999)+"/changes.csv", nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("changes of an unknown import: %d", resp.StatusCode)
	}
}
