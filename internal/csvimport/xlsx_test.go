package csvimport_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/csvimport"
	"github.com/custexport/custexport/internal/xlsxfile"
)

// exportXLSX is the shop's XLSX export, continued on a new sheet every perSheet customers (0:
// Excel's limit).
func exportXLSX(t testing.TB, db custexport.Database, perSheet int) []byte {
	t.Helper()
	e := engine(nil)
	e.Store = db
	e.Encoders[custexport.FormatXLSX] = func(w io.Writer, o custexport.EncodeOptions) custexport.Encoder {
		return xlsxfile.New(w, xlsxfile.Options{EncodeOptions: o, MaxDataRowsPerSheet: perSheet})
	}
	var buf bytes.Buffer
	if _, err := e.Export(context.Background(), custexport.ExportOptions{Format: custexport.FormatXLSX, FormulaGuard: true}, &buf, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The export's own XLSX, on one sheet or continued on "Customers 2", "Customers 3", …, comes
// back unchanged: every typed cell (dates, date-times, the price ratio, disabledOrders) is
// read back as the text the import compares.
func TestXLSXRoundTrip(t *testing.T) {
	db, before := smallStore(t)
	for _, perSheet := range []int{0, 7} {
		data := exportXLSX(t, db, perSheet)
		rec := mustImport(t, db, data, csvimport.Options{})
		n := int64(len(before))
		wantCounts(t, rec, n, 0, 0, n, 0)
		if rec.Encoding != custexport.EncodingXLSX || rec.Delimiter != "" {
			t.Errorf("encoding %q, delimiter %q; want xlsx and none", rec.Encoding, rec.Delimiter)
		}
		if d := changes(before, stored(t, db)); len(d) > 0 {
			t.Fatalf("the round trip changed %v", d)
		}
	}
}

// pythonPath is Debian's python with python3-openpyxl; the python3 first on PATH may be
// another installation without it.
const pythonPath = "/usr/bin/python3"

// editXLSX edits cells of a workbook with openpyxl (testdata/xlsx_edit.py).
func editXLSX(t *testing.T, data []byte, edits []xlsxEdit) []byte {
	t.Helper()
	if _, err := os.Stat(pythonPath); err != nil {
		t.Fatalf("%s not found: apt-get install python3 python3-openpyxl", pythonPath)
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.xlsx"), filepath.Join(dir, "out.xlsx")
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	spec, _ := json.Marshal(edits)
	if msg, err := exec.Command(pythonPath, filepath.Join("testdata", "xlsx_edit.py"), in, out, string(spec)).CombinedOutput(); err != nil {
		t.Fatalf("openpyxl: %v\n%s", err, msg)
	}
	edited, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return edited
}

type xlsxEdit struct {
	GUID   string `json:"guid"`
	Column string `json:"column"`
	Value  any    `json:"value"`
	Type   string `json:"type"`
	Format string `json:"format,omitempty"`
}

// libreOffice opens a workbook in LibreOffice and saves it as XLSX again (headless): shared
// strings, its own styles and number formats, booleans as t="b".
func libreOffice(t *testing.T, data []byte) []byte {
	t.Helper()
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		t.Fatal("soffice not found: apt-get install libreoffice-calc-nogui")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "customers.xlsx")
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "saved")
	cmd := exec.Command(soffice, "--headless", "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
		"--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", out, in)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, msg)
	}
	saved, err := os.ReadFile(filepath.Join(out, "customers.xlsx"))
	if err != nil {
		t.Fatalf("soffice wrote no file: %v", err)
	}
	return saved
}

// lfOnly reports whether a change is LibreOffice's known quirk: a remark's CRLF saved as LF
// (spreadsheet damage that the import's warnings are about, not the reader's doing).
func lfOnly(change string) bool {
	_, values, ok := strings.Cut(change, " remark: ")
	if !ok {
		return false
	}
	old, updated, _ := strings.Cut(values, " → ")
	o, _ := strconv.Unquote(old)
	u, _ := strconv.Unquote(updated)
	return o != u && strings.ReplaceAll(o, "\r\n", "\n") == u
}

// The export's XLSX edited in a spreadsheet and saved: by openpyxl (cells typed as a user types
// them: a ZIP code as the number 3401 formatted 00000, a birth date as a date), by LibreOffice
// (shared strings, its own styles, dates, numbers), and both one after the other. Exactly the
// edited fields change, to the text the CSV would have carried; an unedited workbook saved
// by LibreOffice changes nothing (but LibreOffice's CRLF → LF in remarks, for the damage
// warnings).
func TestXLSXEditedInSpreadsheets(t *testing.T) {
	db, before := smallStore(t)
	export := exportXLSX(t, db, 0)
	g := guids(before)
	edits := []xlsxEdit{
		{GUID: g[0], Column: "billingCity", Value: "Nové Město na Moravě", Type: "str"},
		{GUID: g[0], Column: "birthDate", Value: "1990-05-17", Type: "date", Format: "yyyy-mm-dd"},
		{GUID: g[1], Column: "billingZip", Value: 3401, Type: "number", Format: "00000"},
		{GUID: g[2], Column: "phone", Value: "+420 777 123 456", Type: "str"},
		{GUID: g[2], Column: "disabledOrders", Value: !before[g[2]].DisabledOrders, Type: "bool"},
	}
	disabled := map[bool]string{false: "false", true: "true"}
	want := []string{
		fmt.Sprintf("%s billingCity: %q → %q", g[0], before[g[0]].Billing.City, "Nové Město na Moravě"),
		fmt.Sprintf("%s birthDate: %q → %q", g[0], before[g[0]].BirthDate.String(), "1990-05-17"),
		fmt.Sprintf("%s billingZip: %q → %q", g[1], before[g[1]].Billing.Zip, "03401"),
		fmt.Sprintf("%s phone: %q → %q", g[2], before[g[2]].Phone, "+420 777 123 456"),
		fmt.Sprintf("%s disabledOrders: %q → %q", g[2], disabled[before[g[2]].DisabledOrders], disabled[!before[g[2]].DisabledOrders]),
	}
	slices.Sort(want)
	edited := editXLSX(t, export, edits)
	for _, tc := range []struct {
		name string
		file []byte
		want []string
	}{
		{"openpyxl", edited, want},
		{"LibreOffice", libreOffice(t, export), nil},
		{"openpyxlThenLibreOffice", libreOffice(t, edited), want},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, before := smallStore(t)
			rec := mustImport(t, db, tc.file, csvimport.Options{})
			if rec.Skipped > 0 || rec.Created > 0 {
				t.Fatalf("%s; skipped %+v", counts(rec), rec.SkippedRows)
			}
			var got []string
			for _, c := range changes(before, stored(t, db)) {
				if !strings.Contains(c, " changeTime: ") && !lfOnly(c) {
					got = append(got, c)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// zipFile makes a zip of the named parts.
func zipFile(t *testing.T, parts map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range slices.Sorted(maps.Keys(parts)) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, parts[name])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// replacePart rewrites one part of a workbook (or adds it).
func replacePart(t *testing.T, data []byte, name, body string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string]string{name: body}
	for _, f := range zr.File {
		if f.Name == name {
			continue
		}
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		parts[f.Name] = string(b)
	}
	return zipFile(t, parts)
}

// Workbooks that are not the export's, or are hostile, are refused as a whole with a reason
// saying what to do, and nothing is written: a password-protected workbook (an OLE container,
// as Excel and LibreOffice save one), a zip that is no workbook (an OpenDocument file), a
// workbook without the sheet Customers, a zip bomb, sheets with different header rows.
func TestXLSXRefused(t *testing.T) {
	db, before := smallStore(t)
	export := exportXLSX(t, db, 0)
	ole := append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 4096)...)
	renamed := replacePart(t, export, "xl/workbook.xml", `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="List1" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	var bomb bytes.Buffer
	zw := zip.NewWriter(&bomb)
	w, _ := zw.Create("xl/worksheets/sheet1.xml")
	zeros := make([]byte, 1<<20)
	for range 64 {
		w.Write(zeros)
	}
	zw.Close()
	bombed := replacePart(t, export, "xl/worksheets/sheet1.xml", "") // the sheet, then its bomb
	zr, _ := zip.NewReader(bytes.NewReader(bomb.Bytes()), int64(bomb.Len()))
	var out bytes.Buffer
	zo := zip.NewWriter(&out)
	src, _ := zip.NewReader(bytes.NewReader(bombed), int64(len(bombed)))
	for _, f := range src.File {
		if f.Name == "xl/worksheets/sheet1.xml" {
			f = zr.File[0]
		}
		if err := zo.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	zo.Close()
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"Encrypted", ole, "encrypted (password-protected) workbook"},
		{"OpenDocument", zipFile(t, map[string]string{"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<office/>"}), "not an XLSX workbook"},
		{"NoCustomersSheet", renamed, "no sheet named Customers (its sheets: List1)"},
		{"ZipBomb", out.Bytes(), "possible zip bomb"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := importFile(db, tc.file, csvimport.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || custexport.ErrorCode(err) != custexport.CodeInvalid {
				t.Fatalf("import: %v; want a refusal with %q", err, tc.want)
			}
			if reason, _, ok := csvimport.ReadRefusal(err.Error()); !ok || reason == "" {
				t.Errorf("ReadRefusal(%q) does not know it", err)
			}
			if rec.Rows != 0 || rec.Created+rec.Updated+rec.Unchanged != 0 {
				t.Errorf("a refused file reports %s", counts(rec))
			}
		})
	}
	if d := changes(before, stored(t, db)); len(d) > 0 {
		t.Fatalf("refused files changed %v", d)
	}
}

// Rows of an XLSX are bounded and checked as a CSV's are: a cell past its column's longest
// value is cut off while reading and its row skipped, an error cell (#N/A) skips its row, and
// the other rows apply; the export's XLSX through a reader that is no file (spooled).
func TestXLSXBadRows(t *testing.T) {
	db, before := smallStore(t)
	g := guids(before)
	edited := editXLSX(t, exportXLSX(t, db, 0), []xlsxEdit{
		{GUID: g[0], Column: "billingFullName", Value: strings.Repeat("Ž", 300), Type: "str"},
		{GUID: g[1], Column: "phone", Value: "=NA()", Type: "str"},
		{GUID: g[2], Column: "billingCity", Value: "Brno", Type: "str"},
	})
	edited = libreOffice(t, edited) // computes =NA() into an error cell
	rec := &custexport.ImportRecord{}
	err := csvimport.Run(t.Context(), db, io.MultiReader(bytes.NewReader(edited)), csvimport.Options{Location: prague, DryRun: true}, rec)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Skipped != 2 || rec.Updated < 1 {
		t.Fatalf("%s; skipped %+v", counts(rec), rec.SkippedRows)
	}
	keys := []string{rec.SkippedRows[0].Key, rec.SkippedRows[1].Key}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"too_long", "xlsx_error_cell"}) {
		t.Errorf("skipped %+v", rec.SkippedRows)
	}
}
