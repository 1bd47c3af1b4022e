package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/sqlite"
)

// exportedCustomers reads guid, email, billingFullName and phone of every customer from a CSV
// export without the formula guard (encoding/csv is enough for these columns).
func exportedCustomers(t *testing.T, c *cli) [][]string {
	t.Helper()
	out, _ := c.mustRun("export", "--format", "csv", "--no-guard")
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\ufeff")))
	r.Comma = ';'
	records, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	for _, rec := range records[1:] {
		rows = append(rows, []string{rec[custexport.ColGUID], rec[custexport.ColEmail], rec[custexport.ColBillingFullName], rec[custexport.ColPhone]})
	}
	return rows
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func importLog(t *testing.T, c *cli) []custexport.ImportRecord {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(c.dataDir, "custexport.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	recs, _, err := db.Imports(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// The report names the file, the encoding and delimiter found, the counts, the ignored columns
// and every skipped row with its line and column; the import log holds the same. A dry run says
// so and changes nothing.
func TestImportReport(t *testing.T) {
	c := newCLI(t)
	c.mustRun("seed", "--customers", "300", "--seed", "3")
	cs := exportedCustomers(t, c)
	a, b, d := cs[10], cs[20], cs[30]
	file := fmt.Sprintf("guid;email;billingFullName;phone;heslo\r\n"+
		"%s;%s;%s;+420 111 222 333;x\r\n"+
		"%s;not-an-email;%s;%s;x\r\n"+
		";nova@example.cz;Nová Zákaznice;;x\r\n"+
		"%s;%s;%s;%s;x\r\n",
		a[0], a[1], a[2], b[0], b[2], b[3], d[0], d[1], d[2], d[3])
	path := writeFile(t, "úpravy.csv", []byte(file))
	xmlBefore, _ := c.mustRun("export", "--format", "xml")

	out, errOut := c.mustRun("import", path, "--dry-run")
	for _, want := range []string{
		"file:       " + path + "\n",
		"encoding:   utf-8, delimiter \";\"\n",
		"rows:       4\ncreated:    1\nupdated:    1\nunchanged:  1\nskipped:    1\n",
		"ignored columns (unknown tags): heslo\n",
		"skipped rows:\n  line 3, email: \"not-an-email\" is not an e-mail address",
		"dry run: nothing was written",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry-run report lacks %q:\n%s", want, out)
		}
	}
	if errOut != "" {
		t.Errorf("stderr: %q", errOut)
	}
	if xml, _ := c.mustRun("export", "--format", "xml"); xml != xmlBefore {
		t.Fatal("a dry run changed the customers")
	}

	out, _ = c.mustRun("import", "--encoding", "auto", path)
	if !strings.Contains(out, "created:    1\nupdated:    1\nunchanged:  1\nskipped:    1\n") || !strings.Contains(out, "applied in one transaction") {
		t.Fatalf("import report:\n%s", out)
	}
	after := exportedCustomers(t, c)
	if len(after) != len(cs)+1 {
		t.Fatalf("%d customers after the import, want %d", len(after), len(cs)+1)
	}
	for _, row := range after {
		if row[0] == a[0] && row[3] != "+420 111 222 333" || row[0] == b[0] && row[1] != b[1] {
			t.Errorf("customer after the import: %v", row)
		}
	}

	log := importLog(t, c)
	if len(log) != 2 {
		t.Fatalf("%d imports logged, want 2 (the dry run and the import)", len(log))
	}
	for i, rec := range log {
		if rec.File != "úpravy.csv" || rec.DryRun != (i == 1) || rec.Encoding != custexport.EncodingUTF8 || rec.Delimiter != ";" ||
			rec.Principal.Kind != custexport.PrincipalOperator || rec.Principal.Name != "operator" ||
			rec.ImportCounts != (custexport.ImportCounts{Rows: 4, Created: 1, Updated: 1, Unchanged: 1, Skipped: 1}) ||
			len(rec.SkippedRows) != 1 || rec.SkippedRows[0].Line != 3 || rec.SkippedRows[0].Column != "email" ||
			fmt.Sprint(rec.Unknown) != "[heslo]" || rec.Error != "" {
			t.Errorf("log record %d: %+v", i, rec)
		}
	}

	// A windows-1250 export of the result comes back unchanged, its encoding detected.
	cp := filepath.Join(t.TempDir(), "cp1250.csv")
	c.mustRun("export", "--format", "csv", "--encoding", "windows-1250", "-o", cp)
	out, _ = c.mustRun("import", cp)
	if want := fmt.Sprintf("encoding:   windows-1250, delimiter \";\"\nrows:       %d\ncreated:    0\nupdated:    0\nunchanged:  %d\n", len(after), len(after)); !strings.Contains(out, want) {
		t.Fatalf("windows-1250 round trip report:\n%s\nwant %q", out, want)
	}
}

// Exit codes: 2 for a mistake on the command line, 1 for a file refused whole (nothing written,
// the refusal logged), 0 for an empty file.
func TestImportExitCodes(t *testing.T) {
	c := newCLI(t)
	c.mustRun("seed", "--customers", "50")
	dir := t.TempDir()
	xlsx := filepath.Join(dir, "customers.xlsx")
	c.mustRun("export", "--format", "xlsx", "-o", xlsx)
	cp1250 := filepath.Join(dir, "cp1250.csv")
	c.mustRun("export", "--format", "csv", "--encoding", "windows-1250", "-o", cp1250)
	utf8 := filepath.Join(dir, "utf8.csv")
	c.mustRun("export", "--format", "csv", "-o", utf8)
	binary := writeFile(t, "data.bin", []byte("guid;email\n\x00\x01\x02"))
	ole := writeFile(t, "locked.xlsx", append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 1024)...))
	xlsxData, err := os.ReadFile(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	utf8Data, err := os.ReadFile(utf8)
	if err != nil {
		t.Fatal(err)
	}
	noBOM := writeFile(t, "libreoffice.csv", bytes.TrimPrefix(utf8Data, []byte("\xef\xbb\xbf"))) // as LibreOffice saves UTF-8
	otherZip := writeFile(t, "other.zip", bytes.Replace(xlsxData, []byte("xl/workbook.xml"), []byte("xl/workbook.xmX"), -1))
	empty := writeFile(t, "empty.csv", nil)
	xmlBefore, _ := c.mustRun("export", "--format", "xml")

	cases := []struct {
		name   string
		args   []string
		code   int
		want   []string
		logged string // the error in the import log; "" when nothing is logged
	}{
		{"NoFile", nil, exitUsage, []string{"give exactly one FILE (CSV or XLSX)"}, ""},
		{"TwoFiles", []string{utf8, cp1250}, exitUsage, []string{"exactly one FILE"}, ""},
		{"BadEncoding", []string{utf8, "--encoding", "latin1"}, exitUsage, []string{"--encoding", "utf-8, windows-1250", "auto"}, ""},
		{"UnknownFlag", []string{"--force", utf8}, exitUsage, []string{"force"}, ""},
		{"BadMaxSize", []string{utf8, "--max-size", "lots"}, exitUsage, []string{"max-size"}, ""},
		{"Missing", []string{filepath.Join(dir, "nope.csv")}, exitError, []string{"nope.csv", "no such file"}, ""},
		{"Directory", []string{dir}, exitError, []string{"is a directory"}, ""},
		{"Encrypted", []string{ole}, exitError, []string{"locked.xlsx refused, nothing was written", "encrypted (password-protected) workbook"}, "encrypted"},
		{"NoCustomersSheet", []string{otherZip}, exitError, []string{"refused, nothing was written", "not an XLSX workbook"}, "not an XLSX workbook"},
		{"Forced1250OnUTF8", []string{noBOM, "--encoding", "windows-1250"}, exitError, []string{"refused", "valid UTF-8 with accented characters", "as utf-8"}, "valid UTF-8"},
		{"Binary", []string{binary}, exitError, []string{"refused, nothing was written", "binary data"}, "binary data"},
		{"TooLarge", []string{"--max-size", "1000", utf8}, exitError, []string{"refused", "larger than the limit of 1000 bytes"}, "limit of 1000 bytes"},
		{"ForcedUTF8", []string{cp1250, "--encoding", "utf-8"}, exitError, []string{"refused", "line 2, column", "invalid UTF-8", "--encoding windows-1250"}, "invalid UTF-8"},
	}
	logged := 0
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.refuses(t, nil, tc.code, tc.want, append([]string{"import"}, tc.args...)...)
			if tc.logged != "" {
				logged++
				log := importLog(t, c)
				if len(log) != logged || !strings.Contains(log[0].Error, tc.logged) || log[0].Rows+log[0].Created+log[0].Updated != 0 && tc.name != "ForcedUTF8" {
					t.Errorf("import log after the refusal: %d records, newest %+v", len(log), log[0])
				}
			} else if len(importLog(t, c)) != logged {
				t.Error("a usage mistake was logged as an import")
			}
		})
	}
	if xml, _ := c.mustRun("export", "--format", "xml"); xml != xmlBefore {
		t.Fatal("a refused import changed the customers")
	}
	out, _ := c.mustRun("import", empty)
	if !strings.Contains(out, "rows:       0\ncreated:    0\nupdated:    0\nunchanged:  0\nskipped:    0\n") {
		t.Errorf("empty file report:\n%s", out)
	}
	if code, _, errOut := c.run(context.Background(), "import", "--help"); code != exitOK || !strings.Contains(errOut, "--max-size") {
		t.Errorf("import --help: exit %d, %q", code, errOut)
	}
	if !bytes.Contains([]byte(xmlBefore), []byte("<CUSTOMER>")) {
		t.Fatal("the XML export holds no customers")
	}
}

// Text from the file reaches the terminal escaped: unknown header tags and the values quoted in
// skip reasons can neither drive the terminal (ESC) nor forge report lines (LF). A file of more
// bad rows than a report keeps lists the first 10,000 and counts the rest.
func TestImportReportFromHostileFile(t *testing.T) {
	c := newCLI(t)
	c.mustRun("seed", "--customers", "5")
	var b strings.Builder
	b.WriteString("email;billingFullName;\"\x1b[2Jevil\";\"two\nlines\"\r\n")
	b.WriteString("\"x\x1b[31m@example.cz\";\"X\";;\r\n")
	for i := range custexport.MaxReportedSkips + 4 {
		fmt.Fprintf(&b, "bad%d;Bad;;\r\n", i)
	}
	out, _ := c.mustRun("import", writeFile(t, "hostile.csv", []byte(b.String())))
	if strings.ContainsAny(out, "\x1b") {
		t.Errorf("the report holds a raw ESC")
	}
	for _, want := range []string{
		"ignored columns (unknown tags): \"\\x1b[2Jevil\", \"two\\nlines\"\n",
		"  line 3, email: \"x\\x1b[31m@example.cz\" is not an e-mail address", // the header spans lines 1-2
		fmt.Sprintf("skipped:    %d\n", custexport.MaxReportedSkips+5),
		"  … and 5 more skipped rows (only the first 10000 are listed)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out[:min(len(out), 600)])
		}
	}
	if n := strings.Count(out, "\n  line "); n != custexport.MaxReportedSkips {
		t.Errorf("the report lists %d skipped rows, want %d", n, custexport.MaxReportedSkips)
	}
	log := importLog(t, c)
	if len(log) != 1 || log[0].Skipped != int64(custexport.MaxReportedSkips+5) || len(log[0].SkippedRows) != custexport.MaxReportedSkips {
		t.Fatalf("import log: %d records, skipped %d, %d listed", len(log), log[0].Skipped, len(log[0].SkippedRows))
	}
}

// What a spreadsheet did to the export (a real LibreOffice round trip, internal/csvimport's
// fixture) is listed with line, column, stored and incoming value and not applied; the count
// and the export-only changeTime column are reported and logged. --accept-warnings applies the
// same values.
func TestImportSpreadsheetWarnings(t *testing.T) {
	c := newCLI(t)
	dir := filepath.Join("..", "..", "internal", "csvimport", "testdata", "spreadsheet")
	c.mustRun("migrate")
	if out, _ := c.mustRun("import", filepath.Join(dir, "export.csv")); !strings.Contains(out, "created:    21\n") {
		t.Fatalf("importing the export into an empty shop:\n%s", out)
	}
	xmlBefore, _ := c.mustRun("export", "--format", "xml")
	saved := filepath.Join(dir, "libreoffice-cs.csv")
	out, _ := c.mustRun("import", saved)
	for _, want := range []string{
		"updated:    0\nunchanged:  21\nskipped:    0\nwarnings:   14\n",
		"ignored columns (export only): changeTime\n",
		"warnings (not applied, the stored values were kept; --accept-warnings applies them):\n",
		"  line 2, companyId: stored \"00235679\", incoming \"235679\": looks like spreadsheet damage: the leading zeros were lost",
		", deliveryStreet: stored \"28. října\", incoming \"28.10.2026\": looks like spreadsheet damage: a text turned into a date\n",
		", remark: stored \"Adresa skladu:\\r\\nPrůmyslová 12\\r\\nKolín\", incoming \"Adresa skladu:\\nPrůmyslová 12\\nKolín\": ",
		"billingAdditional: stored \"400012345678901234\", incoming \"4,00012345678901E+017\": looks like spreadsheet damage: a number in scientific notation\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if xml, _ := c.mustRun("export", "--format", "xml"); xml != xmlBefore {
		t.Fatal("the damaged values were applied")
	}
	out, _ = c.mustRun("import", "--accept-warnings", saved)
	if !strings.Contains(out, "updated:    9\n") || !strings.Contains(out, "warnings (applied: --accept-warnings):\n") {
		t.Fatalf("report with --accept-warnings:\n%s", out)
	}
	if xml, _ := c.mustRun("export", "--format", "xml"); !strings.Contains(xml, "28.10.2026") || strings.Contains(xml, "28. října") {
		t.Fatal("--accept-warnings did not apply the warned values")
	}
	log := importLog(t, c)
	if len(log) != 3 || log[0].Warnings != 14 || !log[0].AcceptWarnings || log[1].Warnings != 14 || log[1].AcceptWarnings ||
		len(log[1].WarningRows) != 14 || fmt.Sprint(log[1].Ignored) != "[changeTime]" {
		t.Fatalf("import log: %+v", log)
	}
}

// The export's XLSX comes back through the CLI unchanged, every row read from the workbook; the
// report and the log say it was a workbook.
func TestImportXLSXRoundTrip(t *testing.T) {
	c := newCLI(t)
	c.mustRun("seed", "--customers", "120", "--seed", "5")
	xlsx := filepath.Join(t.TempDir(), "zákazníci.xlsx")
	c.mustRun("export", "--format", "xlsx", "-o", xlsx)
	out, _ := c.mustRun("import", xlsx)
	for _, want := range []string{"format:     XLSX workbook", "rows:       120\ncreated:    0\nupdated:    0\nunchanged:  120\nskipped:    0\n", "applied in one transaction"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if log := importLog(t, c); len(log) != 1 || log[0].Encoding != custexport.EncodingXLSX || log[0].Error != "" {
		t.Errorf("import log: %+v", log)
	}
}
