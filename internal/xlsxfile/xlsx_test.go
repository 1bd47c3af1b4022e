package xlsxfile

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/sample"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// pythonPath is Debian's python with python3-openpyxl; the python3 first on PATH may be
// another installation without it.
const pythonPath = "/usr/bin/python3"

func sampleOptions(guard bool) Options {
	var o Options
	o.Location = sample.Prague
	o.FormulaGuard = guard
	return o
}

// rowsOptions are sampleOptions(true) announcing n customers.
func rowsOptions(n int) Options {
	o := sampleOptions(true)
	o.Rows = int64(n)
	return o
}

// encode writes customers to an in-memory workbook.
func encode(t testing.TB, customers []custexport.Customer, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	opts.Rows = int64(len(customers))
	sample.Encode(t, New(&buf, opts), customers)
	return buf.Bytes()
}

// readPart returns one part of the workbook, failing when it is missing.
func readPart(t testing.TB, data []byte, name string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("zip: %v", err)
	}
	f, err := zr.Open(name)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return b
}

func TestGolden(t *testing.T) {
	data := encode(t, sample.Customers(), sampleOptions(true))
	for _, name := range []string{"xl/worksheets/sheet1.xml", "xl/styles.xml", "xl/workbook.xml"} {
		sample.Golden(t, filepath.Join("testdata", "golden", filepath.Base(name)), readPart(t, data, name), *update)
	}
}

// TestPackage checks the parts every reader needs and that each XML part is well-formed.
func TestPackage(t *testing.T) {
	data := encode(t, sample.Customers(), sampleOptions(true))
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if f.Method != zip.Deflate {
			t.Errorf("%s: method %d, want deflate", f.Name, f.Method)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		d := xml.NewDecoder(rc)
		for {
			if _, err := d.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Errorf("%s: %v", f.Name, err)
				break
			}
		}
		rc.Close()
	}
	want := "xl/worksheets/sheet1.xml xl/workbook.xml xl/_rels/workbook.xml.rels xl/styles.xml _rels/.rels [Content_Types].xml"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("parts %q, want %q", got, want)
	}
}

// pyCell is one cell as testdata/openpyxl_dump.py prints it.
type pyCell struct {
	V            any    `json:"v"`
	Kind         string `json:"kind"`
	Type         string `json:"type"`
	QuotePrefix  bool   `json:"quotePrefix"`
	NumberFormat string `json:"numberFormat"`
	Bold         bool   `json:"bold"`
}

type pySheet struct {
	Name        string      `json:"name"`
	FreezePanes *string     `json:"freezePanes"`
	PaneState   *string     `json:"paneState"`
	AutoFilter  *string     `json:"autoFilter"`
	MaxRow      int         `json:"maxRow"`
	MaxColumn   int         `json:"maxColumn"`
	Rows        [][]*pyCell `json:"rows"`
}

// openpyxl loads the workbook with openpyxl and returns its sheets.
func openpyxl(t *testing.T, data []byte) []pySheet {
	t.Helper()
	out := runOpenpyxl(t, "openpyxl_dump.py", data)
	var book struct{ Sheets []pySheet }
	if err := json.Unmarshal(out, &book); err != nil {
		t.Fatalf("openpyxl output: %v", err)
	}
	return book.Sheets
}

// runOpenpyxl runs a script of testdata on the workbook and returns what it prints.
func runOpenpyxl(t *testing.T, script string, data []byte) []byte {
	t.Helper()
	if _, err := os.Stat(pythonPath); err != nil {
		t.Fatalf("%s not found: apt-get install python3 python3-openpyxl", pythonPath)
	}
	path := filepath.Join(t.TempDir(), "customers.xlsx")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(pythonPath, filepath.Join("testdata", script), path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if strings.Contains(stderr.String(), "No module named 'openpyxl'") {
			t.Fatalf("openpyxl missing: apt-get install python3-openpyxl")
		}
		t.Fatalf("openpyxl (%s) could not read the workbook: %v\n%s", script, err, stderr.String())
	}
	return out
}

// decodeXString undoes the "_xHHHH_" escaping of ECMA-376 (ST_Xstring) the way Excel does:
// left to right, exactly four hex digits, lowercase x. openpyxl leaves it to the caller for
// inline strings.
func decodeXString(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i+7 <= len(s) && s[i] == '_' && s[i+1] == 'x' && s[i+6] == '_' && isHex(s[i+2:i+6]) {
			v, _ := strconv.ParseUint(s[i+2:i+6], 16, 16)
			b.WriteRune(rune(v))
			i += 6
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(s string) bool {
	return strings.Trim(s, "0123456789abcdefABCDEF") == ""
}

// stored is the text a reader must get back for s: invalid UTF-8 and U+FFFE/U+FFFF become
// U+FFFD, everything else is kept.
func stored(s string) string {
	return strings.Map(func(r rune) rune {
		if r == 0xFFFE || r == 0xFFFF {
			return utf8.RuneError
		}
		return r
	}, string([]rune(s)))
}

// storedCell is stored(s) cut to Excel's cell limit.
func storedCell(s string) string { return stored(truncateCell(s)) }

// want is the value a reader should show for one column of a customer: a string for text, a
// shop-time "YYYY-MM-DDTHH:MM:SS" for date-times and dates, a float64 for numbers, nil for
// no cell.
func want(c *custexport.Customer, col custexport.Column, loc *time.Location) any {
	switch col.Kind() {
	case custexport.KindText:
		if s := c.Text(col); s != "" {
			return storedCell(s)
		}
	case custexport.KindDateTime:
		if t := timeValue(c, col); !t.IsZero() {
			return t.In(loc).Format("2006-01-02T15:04:05")
		}
	case custexport.KindDate:
		if d := dateValue(c, col); !d.IsZero() {
			return d.String() + "T00:00:00"
		}
	case custexport.KindDecimal:
		return c.PriceRatio.Float()
	case custexport.KindBool:
		if c.DisabledOrders {
			return 1.0
		}
		return 0.0
	}
	return nil
}

// checkRow compares one openpyxl row with a customer.
func checkRow(t *testing.T, where string, row []*pyCell, c *custexport.Customer, loc *time.Location, guard bool) {
	t.Helper()
	for i := range custexport.NumColumns {
		col := custexport.Column(i)
		var cell *pyCell
		if i < len(row) {
			cell = row[i]
		}
		w := want(c, col, loc)
		name := fmt.Sprintf("%s %s%s", where, colNames[i], col.Tag())
		switch {
		case w == nil:
			if cell != nil {
				t.Errorf("%s: got %#v, want no cell", name, cell)
			}
			continue
		case cell == nil:
			t.Errorf("%s: no cell, want %q", name, w)
			continue
		}
		switch col.Kind() {
		case custexport.KindText:
			s, _ := cell.V.(string)
			if cell.Type != "s" || decodeXString(s) != w {
				t.Errorf("%s: got %q (type %s), want %q", name, s, cell.Type, w)
			}
			if qp := guard && custexport.NeedsFormulaGuard(c.Text(col)); cell.QuotePrefix != qp {
				t.Errorf("%s: quotePrefix %v, want %v", name, cell.QuotePrefix, qp)
			}
		case custexport.KindDateTime, custexport.KindDate:
			if cell.Kind != "datetime" || cell.V != w {
				t.Errorf("%s: got %s %v, want datetime %v", name, cell.Kind, cell.V, w)
			}
			if f := map[custexport.Kind]string{custexport.KindDateTime: "yyyy-mm-dd hh:mm:ss", custexport.KindDate: "yyyy-mm-dd"}[col.Kind()]; cell.NumberFormat != f {
				t.Errorf("%s: number format %q, want %q", name, cell.NumberFormat, f)
			}
		default:
			if cell.Kind != "number" || cell.V != w {
				t.Errorf("%s: got %s %v, want number %v", name, cell.Kind, cell.V, w)
			}
		}
	}
}

// checkHeader checks a sheet's header row and the sheet settings that come with it.
func checkHeader(t *testing.T, s pySheet) {
	t.Helper()
	if len(s.Rows) == 0 || len(s.Rows[0]) != custexport.NumColumns {
		t.Fatalf("%s: no header row of %d cells", s.Name, custexport.NumColumns)
	}
	for i, cell := range s.Rows[0] {
		if tag := custexport.Column(i).Tag(); cell == nil || cell.V != tag || !cell.Bold {
			t.Errorf("%s header %s: got %#v, want bold %q", s.Name, colNames[i], cell, tag)
		}
	}
	if s.FreezePanes == nil || *s.FreezePanes != "A2" || s.PaneState == nil || *s.PaneState != "frozen" {
		t.Errorf("%s: freeze_panes %v, pane state %v, want A2 frozen", s.Name, s.FreezePanes, s.PaneState)
	}
	if wantRef := fmt.Sprintf("A1:%s%d", colNames[custexport.NumColumns-1], s.MaxRow); s.AutoFilter == nil || *s.AutoFilter != wantRef {
		t.Errorf("%s: auto_filter.ref %v, want %s", s.Name, s.AutoFilter, wantRef)
	}
}

func TestOpenpyxlSample(t *testing.T) {
	t.Parallel()
	customers := sample.Customers()
	for _, guard := range []bool{true, false} {
		t.Run(fmt.Sprintf("guard=%v", guard), func(t *testing.T) {
			t.Parallel()
			sheets := openpyxl(t, encode(t, customers, sampleOptions(guard)))
			if len(sheets) != 1 || sheets[0].Name != "Customers" {
				t.Fatalf("sheets %+v, want one named Customers", sheets)
			}
			s := sheets[0]
			checkHeader(t, s)
			if s.MaxRow != len(customers)+1 || len(s.Rows) != len(customers)+1 {
				t.Fatalf("%d rows, want %d", s.MaxRow, len(customers)+1)
			}
			for i := range customers {
				checkRow(t, fmt.Sprintf("row %d", i+2), s.Rows[i+1], &customers[i], sample.Prague, guard)
			}

			// What openpyxl itself returns for the escaped texts, without decodeXString:
			// it does not decode _xHHHH_ in inline strings, unlike Excel and LibreOffice.
			row := s.Rows[5] // control@example.com
			for col, raw := range map[custexport.Column]string{
				custexport.ColBillingCompany:  "Řídicí_x0001_znak",
				custexport.ColBillingStreet:   "Literal _x005F_x0041_ text",
				custexport.ColRemark:          "bell_x0007_ vertical_x000B_tab form_x000C_feed end",
				custexport.ColBillingFullName: "  Mezery kolem  ",
				custexport.ColBillingCity:     "Tab\tuvnitř",
			} {
				if got := row[col].V; got != raw {
					t.Errorf("openpyxl %s: got %q, want %q", col.Tag(), got, raw)
				}
			}
			// CR LF survives as CR LF (written as &#13; + LF).
			if got, w := s.Rows[1][custexport.ColRemark].V, customers[0].Remark; got != w {
				t.Errorf("remark with CR LF: got %q, want %q", got, w)
			}
			// Leading zeros survive: text cells, not numbers.
			for _, tc := range []struct {
				cell *pyCell
				want string
			}{
				{s.Rows[2][custexport.ColBillingZip], "01001"},
				{s.Rows[1][custexport.ColCompanyID], "00123456"},
			} {
				if tc.cell.V != tc.want || tc.cell.Type != "s" {
					t.Errorf("got %#v, want the string %q", tc.cell, tc.want)
				}
			}
			guarded := s.Rows[3][custexport.ColBillingFullName]
			if guarded.V != `=HYPERLINK("http://evil.example/","klikni")` || guarded.Type != "s" || guarded.QuotePrefix != guard {
				t.Errorf("guarded full name: %#v", guarded)
			}
		})
	}
}

// numbered returns n simple customers whose guid and e-mail carry their index.
func numbered(n int) []custexport.Customer {
	cs := make([]custexport.Customer, n)
	base := time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC)
	for i := range cs {
		cs[i] = custexport.Customer{
			GUID:             fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1),
			Email:            fmt.Sprintf("c%02d@example.cz", i+1),
			RegistrationDate: base.Add(time.Duration(i) * time.Hour),
			Billing:          custexport.Address{FullName: fmt.Sprintf("Zákazník %02d", i+1), Zip: fmt.Sprintf("%05d", i*100)},
			PriceRatio:       custexport.PriceRatio(10000 - i),
			ChangeTime:       base.Add(time.Duration(i) * time.Minute),
		}
	}
	return cs
}

func TestOpenpyxlContinuation(t *testing.T) {
	t.Parallel()
	customers := numbered(10)
	opts := sampleOptions(true)
	opts.MaxDataRowsPerSheet = 3
	sheets := openpyxl(t, encode(t, customers, opts))
	var names []string
	var rows [][]*pyCell
	for _, s := range sheets {
		names = append(names, s.Name)
		checkHeader(t, s)
		rows = append(rows, s.Rows[1:]...)
	}
	if got, w := strings.Join(names, "|"), "Customers|Customers 2|Customers 3|Customers 4"; got != w {
		t.Errorf("sheets %s, want %s", got, w)
	}
	if len(rows) != len(customers) {
		t.Fatalf("%d data rows, want %d", len(rows), len(customers))
	}
	for i := range customers {
		checkRow(t, fmt.Sprintf("data row %d", i+1), rows[i], &customers[i], sample.Prague, true)
	}
}

// TestOpenpyxlExactlyFull: a sheet that is exactly full must not be followed by an empty one.
func TestOpenpyxlExactlyFull(t *testing.T) {
	t.Parallel()
	opts := sampleOptions(true)
	opts.MaxDataRowsPerSheet = 3
	sheets := openpyxl(t, encode(t, numbered(6), opts))
	if len(sheets) != 2 || sheets[1].MaxRow != 4 {
		t.Fatalf("got %d sheets, want 2 of 3 rows each", len(sheets))
	}
}

func TestOpenpyxlNoCustomers(t *testing.T) {
	t.Parallel()
	sheets := openpyxl(t, encode(t, nil, sampleOptions(true)))
	if len(sheets) != 1 || sheets[0].MaxRow != 1 {
		t.Fatalf("got %+v, want one sheet with just the header", sheets)
	}
	checkHeader(t, sheets[0])
}

// nastyPieces are the fragments nasty strings are built from.
var nastyPieces = []string{
	"a", "Zoë", "Žluťoučký kůň", " ", "  ", "\t", "\n", "\r", "\r\n", "\x00", "\x01", "\x08", "\x0b",
	"\x0c", "\x1f", "\x7f", "\u0085", "\u00a0", "\u2028", "\ufeff", "\ufffe", "\uffff", "\ufffd",
	"_x0041_", "_x005F_", "_x005f_x0041_", "_X0041_", "_x12", "_x00zz_", "__x0000__", "_",
	"&", "&amp;", "<", ">", "]]>", "<t>", "\"", "'", "=", "+", "-", "@", "=1+1", "-12", "0", "01234",
	"😀", "東京", "e\u0301", "\xff", "\xc3", "\xe2\x82", "\xed\xa0\x80", "𝔘",
}

// nasty returns a random string of nasty pieces.
func nasty(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(8) {
		b.WriteString(nastyPieces[r.IntN(len(nastyPieces))])
	}
	return b.String()
}

// nastyCustomers returns n customers with nasty strings in every text field.
func nastyCustomers(n int, seed uint64) []custexport.Customer {
	r := rand.New(rand.NewPCG(seed, 0))
	cs := make([]custexport.Customer, n)
	addr := func() custexport.Address {
		return custexport.Address{
			FullName: nasty(r), Company: nasty(r), Street: nasty(r), HouseNumber: nasty(r), City: nasty(r),
			District: nasty(r), Additional: nasty(r), Zip: nasty(r), CountryCode: nasty(r),
		}
	}
	for i := range cs {
		remark := nasty(r) + nasty(r) + nasty(r)
		if i == 0 { // longer than Excel's cell limit
			remark = strings.Repeat("Dlouhá poznámka 😀 ", 2000)
		}
		cs[i] = custexport.Customer{
			GUID: nasty(r), AccountGUID: nasty(r), Email: nasty(r), Billing: addr(), CompanyID: nasty(r), VatID: nasty(r),
			TaxID: nasty(r), Phone: nasty(r), Delivery: []custexport.Address{addr()},
			CustomerGroup: nasty(r), PriceList: nasty(r), Remark: remark,
			RegistrationDate: time.Unix(r.Int64N(2e9), 0), ChangeTime: time.Unix(r.Int64N(2e9), 0),
			PriceRatio: custexport.PriceRatio(r.Int64N(30000)), DisabledOrders: r.IntN(2) == 1,
		}
	}
	return cs
}

func TestOpenpyxlNastyStrings(t *testing.T) {
	t.Parallel()
	customers := nastyCustomers(50, 1)
	sheets := openpyxl(t, encode(t, customers, sampleOptions(true)))
	if len(sheets) != 1 || len(sheets[0].Rows) != len(customers)+1 {
		t.Fatalf("got %d sheets, want 1 with %d rows", len(sheets), len(customers)+1)
	}
	for i := range customers {
		checkRow(t, fmt.Sprintf("row %d", i+2), sheets[0].Rows[i+1], &customers[i], sample.Prague, true)
	}
}

// rowEncoder is an Encoder for appendRow alone.
func rowEncoder(loc *time.Location, guard bool) *Encoder {
	e := &Encoder{guard: guard}
	e.setClocks(loc)
	return e
}

// TestEveryColumnHasACell: a customer with every field set fills all columns, so no column
// kind is silently dropped (timeValue and dateValue know every date column).
func TestEveryColumnHasACell(t *testing.T) {
	c := sample.Customers()[0]
	c.TaxID, c.Delivery[0].Company, c.Delivery[0].District, c.Delivery[0].Additional = "x", "x", "x", "x"
	e := rowEncoder(sample.Prague, true)
	row := string(e.appendRow(nil, &c, 2))
	if n := strings.Count(row, "<c ") + strings.Count(row, "<c>"); n != custexport.NumColumns || strings.Contains(row, "<c r=") {
		t.Errorf("%d cells, want %d without references: %s", n, custexport.NumColumns, row)
	}
}

// TestDatesOutsideExcelRange: dates Excel cannot show as serial numbers stay readable as text.
func TestDatesOutsideExcelRange(t *testing.T) {
	c := custexport.Customer{
		BirthDate:        custexport.Date{Year: 1890, Month: 5, Day: 2},
		RegistrationDate: time.Date(1900, 2, 28, 10, 0, 0, 0, time.UTC),
	}
	e := rowEncoder(time.UTC, true)
	row := string(e.appendRow(nil, &c, 2))
	for _, w := range []string{`<c r="` + colNames[custexport.ColRegistrationDate] + `2" t="inlineStr"><is><t>1900-02-28 10:00:00</t>`,
		`<c r="` + colNames[custexport.ColPriceRatio] + `2" s="4"><v>0.0000</v></c><c t="inlineStr"><is><t>1890-05-02</t>`} {
		if !strings.Contains(row, w) {
			t.Errorf("row lacks %s: %s", w, row)
		}
	}
}

func TestTruncateCell(t *testing.T) {
	long := strings.Repeat("a", maxCellChars-1)
	for _, tc := range []struct{ in, want string }{
		{long + "bc", long + "b"},
		{long + "😀", long},                // a surrogate pair would be split: left out
		{long[1:] + "😀x", long[1:] + "😀"}, // exactly the limit
		{strings.Repeat("ž", maxCellChars+1), strings.Repeat("ž", maxCellChars)},
		{"short", "short"},
	} {
		if got := truncateCell(tc.in); got != tc.want {
			t.Errorf("truncateCell(%d bytes) = %d bytes, want %d", len(tc.in), len(got), len(tc.want))
		}
	}
}

func TestSerialIsTheFirstFloatNotBelowTheSecond(t *testing.T) {
	for _, days := range []int64{61, 25569, 33876, 45000, 2958465} {
		for sec := 0; sec < 86400; sec += 3 {
			v := serial(days, sec)
			exact := big.NewRat(days*86400+int64(sec), 86400)
			below := math.Nextafter(v, 0)
			if new(big.Rat).SetFloat64(v).Cmp(exact) < 0 || new(big.Rat).SetFloat64(below).Cmp(exact) >= 0 {
				t.Fatalf("serial(%d, %d) = %v, not the first float64 at or above %s", days, sec, v, exact.FloatString(20))
			}
		}
	}
}

func TestAppendEscaped(t *testing.T) {
	for in, w := range map[string]string{
		"plain":              "plain",
		"a&b<c>d":            "a&amp;b&lt;c&gt;d",
		"]]>":                "]]&gt;",
		"r\r\nn":             "r&#13;\nn",
		"\x00\x01\x1f\t\n":   "_x0000__x0001__x001F_\t\n",
		"_x0041_":            "_x005F_x0041_",
		"_x005F_":            "_x005F_x005F_",
		"_X0041_ _x004_":     "_X0041_ _x004_",
		"SKU_x0041\x01":      "SKU_x005F_x0041_x0001_",
		"_x0041\t _x0041\r":  "_x0041\t _x0041&#13;",
		"_x0041_x0042_":      "_x005F_x0041_x005F_x0042_",
		"__x00aB_":           "__x005F_x00aB_",
		"\xff\xc3 ok":        "\uFFFD\uFFFD ok",
		"\uFFFE\uFFFF\uFFFD": "\uFFFD\uFFFD\uFFFD",
		"Žluťoučký 😀":        "Žluťoučký 😀",
	} {
		if got, _ := appendEscaped(nil, in); string(got) != w {
			t.Errorf("appendEscaped(%q) = %q, want %q", in, got, w)
		}
	}
}

type failWriter struct{ n int }

var errDisk = errors.New("disk full")

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n -= len(p); f.n < 0 {
		return 0, errDisk
	}
	return len(p), nil
}

func TestWriteErrorIsReturned(t *testing.T) {
	customers := nastyCustomers(2000, 2)
	e := New(&failWriter{n: 1000}, rowsOptions(len(customers)))
	var err error
	for i := 0; i < len(customers) && err == nil; i++ {
		err = e.Encode(&customers[i])
	}
	if cerr := e.Close(); !errors.Is(cerr, errDisk) {
		t.Errorf("Close = %v, want %v", cerr, errDisk)
	}
	if !errors.Is(err, errDisk) {
		t.Errorf("Encode = %v, want %v", err, errDisk)
	}
}

// TestStreams: the file leaves while customers still arrive, not at Close.
func TestStreams(t *testing.T) {
	var out countWriter
	customers := realistic(5000)
	e := New(&out, rowsOptions(len(customers)))
	for i := range customers {
		if err := e.Encode(&customers[i]); err != nil {
			t.Fatal(err)
		}
	}
	if out.n == 0 {
		t.Error("nothing written after 5000 customers")
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestCompressorGoroutineEnds: Close ends the compressor goroutine, and so does the garbage
// collector for an Encoder that was dropped without Close.
func TestCompressorGoroutineEnds(t *testing.T) {
	ended := func(exited <-chan struct{}) bool {
		for range 1000 {
			select {
			case <-exited:
				return true
			default:
				runtime.GC() // runs the cleanup of a dropped Encoder
				runtime.Gosched()
			}
		}
		return false
	}
	e := New(io.Discard, sampleOptions(true))
	e.Close()
	if !ended(e.comp.exited) {
		t.Error("the compressor goroutine still runs after Close")
	}
	exited := func() <-chan struct{} {
		c := sample.Customers()[0]
		e := New(io.Discard, rowsOptions(1))
		e.Encode(&c) // and dropped without Close
		return e.comp.exited
	}()
	if !ended(exited) {
		t.Error("the compressor goroutine of a dropped Encoder still runs")
	}
}

func TestEncodeAfterClose(t *testing.T) {
	e := New(io.Discard, sampleOptions(true))
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	c := sample.Customers()[0]
	if err := e.Encode(&c); err == nil {
		t.Error("Encode after Close succeeded")
	}
	if err := e.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

// TestLibreOffice converts the sample workbook and a continued one to CSV with LibreOffice,
// in one soffice run, and compares every cell with the value as formatted by the number format.
func TestLibreOffice(t *testing.T) {
	t.Parallel()
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		t.Fatal("soffice not found: apt-get install libreoffice-calc-nogui")
	}
	dir := t.TempDir()
	customers := sample.Customers()
	more := numbered(7)
	opts := sampleOptions(true)
	opts.MaxDataRowsPerSheet = 3
	nasty := nastyCustomers(50, 3)
	// LibreOffice truncates a date-time to whole seconds: random times catch a serial number
	// a few ulps below its second (1.5 % of them with WallTime.Serial()).
	r := rand.New(rand.NewPCG(9, 9))
	dates := make([]custexport.Customer, 2000)
	for i := range dates {
		dates[i] = custexport.Customer{RegistrationDate: time.Unix(r.Int64N(4e9)-1e9, 0), ChangeTime: time.Unix(r.Int64N(2e9), 0)}
	}
	files := map[string][]byte{
		"sample.xlsx": encode(t, customers, sampleOptions(true)),
		"more.xlsx":   encode(t, more, opts),
		"nasty.xlsx":  encode(t, nasty, sampleOptions(true)),
		"dates.xlsx":  encode(t, dates, sampleOptions(true)),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Tokens: ',' '"' UTF-8, line 1, -, language 0, don't quote all text, detect special
	// numbers (import only), save cell contents as shown, no formulas, keep spaces,
	// -1: every sheet to its own file "<name>-<sheet>.csv" (LibreOffice 7.2 and later).
	cmd := exec.Command(soffice, "--headless", "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
		"--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1",
		"--outdir", dir)
	for name := range files {
		cmd.Args = append(cmd.Args, filepath.Join(dir, name))
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}

	read := func(name string) [][]string {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			entries, _ := os.ReadDir(dir)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			t.Fatalf("%v; the directory has %q", err, names)
		}
		defer f.Close()
		r := csv.NewReader(f)
		r.FieldsPerRecord = -1
		rows, err := r.ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return rows
	}
	// LibreOffice quirks (7.4), left out of the comparison for the nasty strings:
	//   - a text with a line break becomes paragraphs, each CR, LF, CR LF or LF CR a break
	//     written back as LF (so the sample's CR LF reads as LF; in some texts a CR LF even
	//     read as two LFs); a CR in a text without LF stays a CR;
	//   - it decodes "_x" with 1 to 4 hex digits and "_" when the value is a C0 control or
	//     '_', so a literal "_x12" before a control character (written "_x12_x0001_")
	//     reads as U+0012 + "x0001_". Excel decodes exactly four digits, and escaping more
	//     '_' than Excel does makes Excel repair the file.
	lineBreakOrX := func(s string) bool { return strings.ContainsAny(s, "\r\n") || strings.Contains(s, "_x") }
	check := func(name string, rows [][]string, cs []custexport.Customer, skipQuirks bool) {
		t.Helper()
		if len(rows) != len(cs)+1 {
			t.Fatalf("%s: %d rows, want %d", name, len(rows), len(cs)+1)
		}
		for i := range custexport.NumColumns {
			if tag := custexport.Column(i).Tag(); rows[0][i] != tag {
				t.Errorf("%s header %d: %q, want %q", name, i, rows[0][i], tag)
			}
		}
		for r := range cs {
			for i := range custexport.NumColumns {
				col := custexport.Column(i)
				got := ""
				if i < len(rows[r+1]) {
					got = rows[r+1][i]
				}
				if skipQuirks && lineBreakOrX(cs[r].Text(col)) {
					continue
				}
				if w := wantShown(&cs[r], col, sample.Prague); got != w {
					t.Errorf("%s row %d %s: got %q, want %q", name, r+2, col.Tag(), got, w)
				}
			}
		}
	}
	check("sample", read("sample-Customers.csv"), customers, false)
	check("more 1", read("more-Customers.csv"), more[0:3], false)
	check("more 2", read("more-Customers 2.csv"), more[3:6], false)
	check("more 3", read("more-Customers 3.csv"), more[6:7], false)
	check("nasty", read("nasty-Customers.csv"), nasty, true)
	check("dates", read("dates-Customers.csv"), dates, false)
}

// wantShown is a cell as LibreOffice shows it: dates as their number format shows them,
// control characters as themselves, CR LF as LF (see the quirks in TestLibreOffice; the
// same for &#13; and _x000D_).
func wantShown(c *custexport.Customer, col custexport.Column, loc *time.Location) string {
	switch col.Kind() {
	case custexport.KindText:
		return strings.ReplaceAll(storedCell(c.Text(col)), "\r\n", "\n")
	case custexport.KindDateTime:
		if t := timeValue(c, col); !t.IsZero() {
			return t.In(loc).Format(time.DateTime)
		}
	case custexport.KindDate:
		return dateValue(c, col).String()
	case custexport.KindDecimal:
		return c.PriceRatio.String()
	case custexport.KindBool:
		if c.DisabledOrders {
			return "1"
		}
		return "0"
	}
	return ""
}

// TestOpenpyxlReadOnlySize: openpyxl's read-only mode gives every sheet's true size, the
// continuation sheets' too, and iterates exactly those rows. It reads the size from
// <dimension>; without one it says None, and scripts that size their reads by it fail.
func TestOpenpyxlReadOnlySize(t *testing.T) {
	t.Parallel()
	opts := sampleOptions(true)
	opts.MaxDataRowsPerSheet = 3
	for _, tc := range []struct {
		customers int
		rows      []int // per sheet, with the header row
	}{{10, []int{4, 4, 4, 2}}, {6, []int{4, 4}}, {1, []int{2}}, {0, []int{1}}} {
		out := runOpenpyxl(t, "openpyxl_readonly.py", encode(t, numbered(tc.customers), opts))
		var sheets []struct {
			Name              string
			MaxRow, MaxColumn *int
			Rows, Width       int
		}
		if err := json.Unmarshal(out, &sheets); err != nil {
			t.Fatalf("openpyxl output %s: %v", out, err)
		}
		if len(sheets) != len(tc.rows) {
			t.Fatalf("%d customers: %d sheets, want %d", tc.customers, len(sheets), len(tc.rows))
		}
		for i, s := range sheets {
			if s.MaxRow == nil || *s.MaxRow != tc.rows[i] || s.MaxColumn == nil || *s.MaxColumn != custexport.NumColumns {
				t.Errorf("%d customers, %s: max_row %v, max_column %v; want %d and %d", tc.customers, s.Name, deref(s.MaxRow), deref(s.MaxColumn), tc.rows[i], custexport.NumColumns)
			}
			if s.Rows != tc.rows[i] || s.Width != custexport.NumColumns {
				t.Errorf("%d customers, %s: iterated %d rows of %d cells, want %d of %d", tc.customers, s.Name, s.Rows, s.Width, tc.rows[i], custexport.NumColumns)
			}
		}
	}
}

func deref(p *int) any {
	if p == nil {
		return "None"
	}
	return *p
}

// The announced number of customers is kept: the sheets' ranges went out before their rows,
// so one customer more or fewer fails the export instead of writing a wrong range.
func TestRowsMustMatchTheAnnouncedNumber(t *testing.T) {
	cs := numbered(3)
	e := New(io.Discard, rowsOptions(2))
	for i := range 2 {
		if err := e.Encode(&cs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Encode(&cs[2]); err == nil || !strings.Contains(err.Error(), "more customers than the 2 announced") {
		t.Errorf("a third customer of two announced: %v", err)
	}
	e.Close()
	e = New(io.Discard, rowsOptions(3))
	e.Encode(&cs[0])
	if err := e.Close(); err == nil || !strings.Contains(err.Error(), "1 customers encoded, 3 announced") {
		t.Errorf("Close after one customer of three announced: %v", err)
	}
	// Unknown: no <dimension>, no check.
	var buf bytes.Buffer
	o := sampleOptions(true)
	o.Rows = custexport.UnknownRows
	e = New(&buf, o)
	e.Encode(&cs[0])
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if sheet := readPart(t, buf.Bytes(), "xl/worksheets/sheet1.xml"); bytes.Contains(sheet, []byte("<dimension")) {
		t.Error("a workbook of an unknown number of customers states a range")
	}
}
