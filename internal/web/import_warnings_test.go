package web

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// uploadForm posts a file to the Import page with the given form fields (no dry run unless
// asked).
func (af *adminFixture) uploadForm(c *http.Client, fields map[string]string, name string, content []byte, header ...string) (*http.Response, string) {
	af.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, af.srv.URL+"/customers/import", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return af.send(c, req, header...)
}

// The admin page lists what a spreadsheet did to the export (a real LibreOffice round trip)
// as warnings in the page's language, with stored and incoming values, applies none of them,
// and applies them all when "Použít i hodnoty s varováním" is checked; the Log tab keeps them.
func TestImportWarningsOnThePage(t *testing.T) {
	af, c := signedIn(t, 0)
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join("..", "csvimport", "testdata", "spreadsheet", name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	if _, body := af.uploadForm(c, nil, "export.csv", read("export.csv")); !strings.Contains(body, `<dd id="import-created">21</dd>`) {
		t.Fatalf("importing the export into an empty shop:\n%s", body)
	}
	page, body := af.do(c, http.MethodGet, "/customers/import", nil)
	if page.StatusCode != http.StatusOK || !strings.Contains(body, `name="accept_warnings"`) || !strings.Contains(body, "Použít i hodnoty s varováním") ||
		!strings.Contains(body, "exportujte XLSX") {
		t.Fatalf("the import page lacks the checkbox or the spreadsheet advice:\n%s", body)
	}
	saved := read("libreoffice-cs.csv")
	_, body = af.uploadForm(c, nil, "z tabulky.csv", saved)
	for _, want := range []string{
		`<dd id="import-updated">0</dd>`, `<dd id="import-warnings">14</dd>`,
		"Hodnoty s varováním nebyly použity",
		`<td data-label="Sloupec">companyId</td><td data-label="Uložená hodnota"><span class="value">00235679</span></td><td data-label="Hodnota v souboru"><span class="value">235679</span></td><td data-label="Důvod"><span>ztratily se úvodní nuly`,
		"text se změnil na datum", "číslo ve vědeckém zápisu", "konce řádků CRLF se změnily na LF",
		"Sloupce jen pro export (ignorovány): changeTime",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the Czech report lacks %q", want)
		}
	}
	if strings.Contains(body, "looks like spreadsheet damage") {
		t.Error("the Czech report says the English reason")
	}
	_, body = af.uploadForm(c, map[string]string{"accept_warnings": "1"}, "z tabulky.csv", saved, "Accept-Language", "en")
	for _, want := range []string{`<dd id="import-updated">9</dd>`, "The values with warnings were applied", "the leading zeros were lost", `id="import-accept" checked`} {
		if !strings.Contains(body, want) {
			t.Errorf("the English report with warnings accepted lacks %q", want)
		}
	}
	if _, body := af.do(c, http.MethodGet, "/customers/import/log", nil); !strings.Contains(body, "14 varování (použita)") || !strings.Contains(body, "14 varování</summary>") {
		t.Error("the import log does not keep the warnings")
	}
}
