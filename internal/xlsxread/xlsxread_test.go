package xlsxread

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"
)

func open(t *testing.T, data []byte) (*Workbook, error) {
	t.Helper()
	return Open(bytes.NewReader(data), int64(len(data)))
}

type row struct {
	fields []string
	line   int
	err    string
}

func readAll(t *testing.T, r *Rows) []row {
	t.Helper()
	var out []row
	for {
		fields, line, err := r.Next()
		if err == io.EOF {
			return out
		}
		var bad *BadCell
		switch {
		case errors.As(err, &bad):
			out = append(out, row{line: line, err: bad.Error()})
		case err != nil:
			t.Fatalf("Next: %v", err)
		default:
			out = append(out, row{fields: append([]string(nil), fields...), line: line})
		}
	}
}

// A workbook written by openpyxl and saved by LibreOffice (testdata/make_fixture.py): shared
// strings, LibreOffice's own number formats with escaped literals, dates, date-times, a ZIP
// and a company id as zero-padded numbers, booleans, formulas with cached values, an error
// cell, an empty row, a second sheet "Customers 2" repeating the header, a sheet not asked for.
func TestLibreOfficeWorkbook(t *testing.T) {
	data, err := os.ReadFile("testdata/libreoffice.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	wb, err := open(t, data)
	if err != nil {
		t.Fatal(err)
	}
	if got := wb.Sheets(); !reflect.DeepEqual(got, []string{"Customers", "Customers 2", "Notes"}) {
		t.Fatalf("sheets %q", got)
	}
	got := readAll(t, wb.Rows([]string{"Customers", "Customers 2"}))
	header := []string{"guid", "billingZip", "companyId", "birthDate", "registrationDate", "disabledOrders", "priceRatio", "phone", "remark", "total"}
	want := []row{
		{fields: header, line: 1},
		{fields: []string{"a1", "03401", "00465101", "1985-02-28", "2024-10-27 02:30:00", "1", "0.85", "420906922589", "Řádek 1\nřádek 2", "0.3"}, line: 2},
		{fields: []string{"a2", "110 00", "00465101", "2000-01-01", "1999-12-31 23:59:59", "0", "1", "+420 906 922 589", "_x0041_ literal", "0.25"}, line: 3},
		{fields: []string{"a3", "034 01", "", "", "", "", "", "", "after an empty row"}, line: 5},
		{line: 6, err: "line 6: cell J6 holds the spreadsheet error #N/A"},
		{fields: []string{"b1", "01234"}, line: 7},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rows:\n got %+v\nwant %+v", got, want)
	}
}

// zipOf makes a zip of the named parts, deflated.
func zipOf(t *testing.T, parts map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range parts {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// workbook is the smallest workbook: one sheet "Customers" with the given sheet XML rows.
func workbook(sheetData string, more map[string]string) map[string]string {
	parts := map[string]string{
		"xl/workbook.xml": `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Customers" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
		"xl/worksheets/sheet1.xml": `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + sheetData + `</sheetData></worksheet>`,
		"xl/sharedStrings.xml":     `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><r><t>ri</t></r><r><t xml:space="preserve">ch </t></r><rPh><t>PHONETIC</t></rPh></si></sst>`,
	}
	for k, v := range more {
		parts[k] = v
	}
	return parts
}

// Cells as other writers make them: inline strings with escapes, rich text runs in a shared
// string (the phonetic run left out), cells without references, a bounded row.
func TestCellsAndBounds(t *testing.T) {
	data := zipOf(t, workbook(`<row><c t="inlineStr"><is><t>a_x000D_&#13;b</t></is></c><c t="s"><v>0</v></c><c r="E1" t="b"><v>1</v></c></row>`+
		`<row r="3"><c t="inlineStr"><is><t>ěščřž</t></is></c><c><v>1e3</v></c><c r="F3" t="inlineStr"><is><t>beyond</t></is></c></row>`, nil))
	wb, err := open(t, data)
	if err != nil {
		t.Fatal(err)
	}
	r := wb.Rows([]string{"Customers"})
	fields, line, err := r.Next()
	if err != nil || line != 1 || !reflect.DeepEqual(fields, []string{"a\r\rb", "rich ", "", "", "1"}) {
		t.Fatalf("row 1: %q, %d, %v", fields, line, err)
	}
	r.SetBounds(1<<20, 3, []int{4, 10, 10})
	fields, line, err = r.Next()
	if err != nil || line != 3 || !reflect.DeepEqual(fields, []string{"ěš", "1000", ""}) {
		t.Fatalf("row 3: %q, %d, %v", fields, line, err)
	}
	if !reflect.DeepEqual(r.Cut, []Cut{{Index: 0, Chars: 5}}) || r.Extra != 3 || !r.ExtraFull {
		t.Errorf("cut %v, extra %d %v", r.Cut, r.Extra, r.ExtraFull)
	}
}

// Hostile workbooks are refused with the kind of what is wrong, having inflated and held no
// more than the bounds.
func TestRefusedWorkbooks(t *testing.T) {
	// A zip bomb: 20 MiB of one byte in a 20 KiB part (an XML comment, so that only its
	// ratio is at fault).
	var bomb bytes.Buffer
	zw := zip.NewWriter(&bomb)
	for name, body := range workbook("", nil) {
		w, _ := zw.Create(name)
		if name == "xl/worksheets/sheet1.xml" {
			io.WriteString(w, `<worksheet><!--`)
			chunk := bytes.Repeat([]byte("a"), 1<<20)
			for range 20 {
				w.Write(chunk)
			}
			io.WriteString(w, `--></worksheet>`)
			continue
		}
		io.WriteString(w, body)
	}
	zw.Close()
	// A token of 2 MiB: a cell's text without a tag in between, compressing little.
	rnd := rand.New(rand.NewPCG(1, 2))
	var long strings.Builder
	for long.Len() < 2<<20 {
		long.WriteByte(byte('a' + rnd.IntN(26)))
	}
	for _, tc := range []struct {
		name  string
		data  []byte
		kind  Kind
		sheet bool // found when the sheet is read, not at Open
	}{
		{"NotAZip", []byte("PK\x03\x04 but nothing more"), NotZip, false},
		{"NoWorkbook", zipOf(t, map[string]string{"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<x/>"}), NotWorkbook, false},
		{"Bomb", bomb.Bytes(), Bomb, true},
		{"LongToken", zipOf(t, workbook(`<row><c t="inlineStr"><is><t>`+long.String()+`</t></is></c></row>`, nil)), TooLarge, true},
		{"BadXML", zipOf(t, workbook(`<row><c><v>1&bogus;</v></c></row>`, nil)), Broken, true},
		{"SharedStringMissing", zipOf(t, workbook(`<row><c t="s"><v>7</v></c></row>`, nil)), Broken, true},
		{"HeaderDiffers", zipOf(t, workbook(`<row><c t="inlineStr"><is><t>guid</t></is></c></row>`, map[string]string{
			"xl/workbook.xml": `<workbook xmlns:r="r"><sheets><sheet name="Customers" r:id="rId1"/><sheet name="Customers 2" r:id="rId1b"/></sheets></workbook>`,
			"xl/_rels/workbook.xml.rels": `<Relationships><Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/>` +
				`<Relationship Id="rId1b" Type="x/worksheet" Target="/xl/worksheets/sheet2.xml"/></Relationships>`,
			"xl/worksheets/sheet2.xml": `<worksheet><sheetData><row><c t="inlineStr"><is><t>email</t></is></c></row></sheetData></worksheet>`,
		})), HeaderDiffers, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wb, err := open(t, tc.data)
			if err == nil && tc.sheet {
				r := wb.Rows([]string{"Customers", "Customers 2"}[:len(wb.Sheets())])
				for err == nil {
					_, _, err = r.Next()
				}
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != tc.kind {
				t.Fatalf("error %v; want kind %d", err, tc.kind)
			}
		})
	}
}
