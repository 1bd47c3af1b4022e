package csvfile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/sample"
	"golang.org/x/text/encoding/charmap"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const bom = "\xEF\xBB\xBF"

// encodeAll exports customers with opts and returns the file and the replacement count.
func encodeAll(t testing.TB, opts custexport.EncodeOptions, customers []custexport.Customer) ([]byte, int64) {
	t.Helper()
	var out bytes.Buffer
	e := New(&out, opts)
	sample.Encode(t, e, customers)
	return out.Bytes(), e.Replaced()
}

func TestGolden(t *testing.T) {
	tests := []struct {
		file         string
		opts         custexport.EncodeOptions
		wantReplaced int64
	}{
		// 8 = 😀 + 東京商事 + 東京 + 🎉, none of which windows-1250 has; UTF-8 replaces nothing.
		{"golden-utf8.csv", custexport.EncodeOptions{Encoding: custexport.EncodingUTF8, FormulaGuard: true, Location: sample.Prague}, 0},
		{"golden-windows1250.csv", custexport.EncodeOptions{Encoding: custexport.EncodingWindows1250, FormulaGuard: true, Location: sample.Prague}, 8},
		{"golden-noguard.csv", custexport.EncodeOptions{FormulaGuard: false, Location: sample.Prague}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, replaced := encodeAll(t, tt.opts, sample.Customers())
			if replaced != tt.wantReplaced {
				t.Errorf("Replaced() = %d, want %d", replaced, tt.wantReplaced)
			}
			sample.Golden(t, filepath.Join("testdata", tt.file), got, *update)
		})
	}
}

// TestHeader checks the first line against the SPEC's tag list written out by hand, so that a
// change of the column table shows up here and not only in the golden files.
func TestHeader(t *testing.T) {
	const want = `"guid";"accountGuid";"email";"registrationDate";"billingFullName";"billingCompany";"billingStreet";` +
		`"billingHouseNumber";"billingCity";"billingDistrict";"billingAdditional";"billingZip";` +
		`"billingCountryCode";"companyId";"vatId";"taxId";"phone";"deliveryFullName";"deliveryCompany";` +
		`"deliveryStreet";"deliveryHouseNumber";"deliveryCity";"deliveryDistrict";"deliveryAdditional";` +
		`"deliveryZip";"deliveryCountryCode";"customerGroup";"priceList";"priceRatio";"birthDate";` +
		`"remark";"disabledOrders";"changeTime"` + "\r\n"
	for _, enc := range []custexport.Encoding{"", custexport.EncodingUTF8, custexport.EncodingWindows1250} {
		t.Run("encoding="+string(enc), func(t *testing.T) {
			got, _ := encodeAll(t, custexport.EncodeOptions{Encoding: enc, FormulaGuard: true}, nil)
			wantFile := bom + want
			if enc == custexport.EncodingWindows1250 {
				wantFile = want
			}
			if string(got) != wantFile {
				t.Errorf("zero customers wrote\n%q\nwant\n%q", got, wantFile)
			}
		})
	}
}

func TestUnsupportedEncoding(t *testing.T) {
	var out bytes.Buffer
	e := New(&out, custexport.EncodeOptions{Encoding: "latin1"})
	c := sample.Customers()[0]
	if err := e.Encode(&c); custexport.ErrorCode(err) != custexport.CodeInvalid {
		t.Errorf("Encode error = %v, want a CodeInvalid error", err)
	}
	if err := e.Close(); err == nil {
		t.Error("Close returned nil for an unsupported encoding")
	}
	if out.Len() != 0 {
		t.Errorf("wrote %q, want nothing", out.Bytes())
	}
}

// row encodes one customer and returns its data row (without header and CRLF) split on the
// delimiters between quoted fields. The values used with it contain no `";"`.
func row(t *testing.T, opts custexport.EncodeOptions, c custexport.Customer) []string {
	fields, _ := rowReplaced(t, opts, c)
	return fields
}

// rowReplaced is row that also returns the encoder's Replaced count.
func rowReplaced(t *testing.T, opts custexport.EncodeOptions, c custexport.Customer) ([]string, int64) {
	t.Helper()
	out, replaced := encodeAll(t, opts, []custexport.Customer{c})
	lines := strings.SplitN(string(out), "\r\n", 2)
	if len(lines) != 2 || !strings.HasSuffix(lines[1], "\r\n") {
		t.Fatalf("output is not header CRLF row CRLF: %q", out)
	}
	r := strings.TrimSuffix(lines[1], "\r\n")
	fields := strings.Split(r[1:len(r)-1], `";"`)
	if len(fields) != custexport.NumColumns {
		t.Fatalf("row has %d fields, want %d: %q", len(fields), custexport.NumColumns, r)
	}
	return fields, replaced
}

func TestFormulaGuard(t *testing.T) {
	tests := []struct {
		value   string
		guarded bool
	}{
		{"-12", false},
		{"-3,5", false},
		{"-3.5", false},
		{"12", false},
		{"", false},
		{"a=b", false},
		{"'already quoted", false},
		{"-", true},
		{"-5 %", true},
		{"-3,", true},
		{"-3.5.1", true},
		{"+420", true},
		{"+420 777 888 999", true},
		{"=1", true},
		{"@x", true},
		{"\tx", true},
		{"\rx", true},
		{"\nx", true},
		{"\x00x", true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.value), func(t *testing.T) {
			c := custexport.Customer{Billing: custexport.Address{City: tt.value}, CustomerGroup: tt.value}
			on := row(t, custexport.EncodeOptions{FormulaGuard: true}, c)
			want := tt.value
			if tt.guarded {
				want = "'" + tt.value
			}
			for _, col := range []custexport.Column{custexport.ColBillingCity, custexport.ColCustomerGroup} {
				if on[col] != want {
					t.Errorf("guard on: %s = %q, want %q", col.Tag(), on[col], want)
				}
			}
			off := row(t, custexport.EncodeOptions{FormulaGuard: false}, c)
			if off[custexport.ColBillingCity] != tt.value {
				t.Errorf("guard off: billingCity = %q, want %q", off[custexport.ColBillingCity], tt.value)
			}
		})
	}
}

// TestGuardOnlyText makes sure a negative price ratio, a non-text column, is never guarded
// even though its text "-0,5000" starts with '-'.
func TestGuardOnlyText(t *testing.T) {
	fields := row(t, custexport.EncodeOptions{FormulaGuard: true}, custexport.Customer{PriceRatio: -5000})
	if got := fields[custexport.ColPriceRatio]; got != "-0,5000" {
		t.Errorf("priceRatio = %q, want -0,5000", got)
	}
}

func TestQuotesAndNewLines(t *testing.T) {
	c := custexport.Customer{
		Billing: custexport.Address{FullName: `"`, Company: `a""b`, Street: `say "hi"`},
		Remark:  "line1\r\nline2\nline3\rend;x",
	}
	for _, enc := range []custexport.Encoding{custexport.EncodingUTF8, custexport.EncodingWindows1250} {
		t.Run(string(enc), func(t *testing.T) {
			out, _ := encodeAll(t, custexport.EncodeOptions{Encoding: enc}, []custexport.Customer{c})
			for _, want := range []string{
				`;""""`,                            // a lone quote: opening, doubled, closing
				`;"a""""b";`,                       // two quotes become four
				`;"say ""hi""";`,                   // quotes at the end of a value
				"\"line1\r\nline2\nline3\rend;x\"", // new lines and ';' kept as-is inside quotes
			} {
				if !bytes.Contains(out, []byte(want)) {
					t.Errorf("output lacks %q:\n%q", want, out)
				}
			}
			if n := bytes.Count(out, []byte("\r\n")); n != 3 {
				t.Errorf("found %d CRLF, want 3 (header end, remark, row end)", n)
			}
		})
	}
}

// TestColumnValues gives every text field a different value and checks each lands in the
// column whose c.Text it is: Encode reads the fields directly, not through c.Text.
func TestColumnValues(t *testing.T) {
	addr := func(prefix string) custexport.Address {
		return custexport.Address{
			FullName: prefix + "FullName", Company: prefix + "Company", Street: prefix + "Street",
			HouseNumber: prefix + "HouseNumber", City: prefix + "City", District: prefix + "District",
			Additional: prefix + "Additional", Zip: prefix + "Zip", CountryCode: prefix + "CountryCode",
		}
	}
	c := custexport.Customer{
		GUID: "guid", AccountGUID: "accountGuid", Email: "email", Billing: addr("billing"), CompanyID: "companyId", VatID: "vatId",
		TaxID: "taxId", Phone: "phone", Delivery: []custexport.Address{addr("delivery"), addr("other")},
		CustomerGroup: "customerGroup", PriceList: "priceList", Remark: "remark",
	}
	for _, enc := range []custexport.Encoding{custexport.EncodingUTF8, custexport.EncodingWindows1250} {
		out, _ := encodeAll(t, custexport.EncodeOptions{Encoding: enc}, []custexport.Customer{c})
		records := readBack(t, out, enc)
		for col := range custexport.Column(custexport.NumColumns) {
			if col.Kind() != custexport.KindText {
				continue
			}
			if got := records[1][col]; got != col.Tag() || c.Text(col) != col.Tag() {
				t.Errorf("%s: column %s holds %q, c.Text gives %q", enc, col.Tag(), got, c.Text(col))
			}
		}
	}
	// No delivery address: the delivery columns are empty.
	c.Delivery = nil
	fields := row(t, custexport.EncodeOptions{}, c)
	for col := custexport.ColDeliveryFullName; col <= custexport.ColDeliveryCountryCode; col++ {
		if fields[col] != "" {
			t.Errorf("without delivery address %s = %q, want empty", col.Tag(), fields[col])
		}
	}
}

func TestValues(t *testing.T) {
	c := sample.Customers()[4] // the first 02:30 of 2024-10-27
	c.BirthDate = custexport.Date{Year: 2000, Month: 2, Day: 29}
	c.PriceRatio = 7
	tests := []struct {
		name string
		opts custexport.EncodeOptions
		c    custexport.Customer
		want map[custexport.Column]string
	}{
		{"shop time", custexport.EncodeOptions{Location: sample.Prague}, c, map[custexport.Column]string{
			custexport.ColRegistrationDate: "2024-10-27 02:30:00",
			custexport.ColChangeTime:       "2024-10-27 02:30:00",
			custexport.ColBirthDate:        "2000-02-29",
			custexport.ColPriceRatio:       "0,0007",
			custexport.ColDisabledOrders:   "0",
		}},
		// Zero dates and times are empty fields; nil Location is UTC.
		{"zero values", custexport.EncodeOptions{}, custexport.Customer{DisabledOrders: true, ChangeTime: c.ChangeTime}, map[custexport.Column]string{
			custexport.ColRegistrationDate: "",
			custexport.ColBirthDate:        "",
			custexport.ColChangeTime:       "2024-10-27 00:30:00",
			custexport.ColPriceRatio:       "0,0000",
			custexport.ColDisabledOrders:   "1",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields := row(t, tt.opts, tt.c)
			for col, w := range tt.want {
				if fields[col] != w {
					t.Errorf("%s = %q, want %q", col.Tag(), fields[col], w)
				}
			}
		})
	}
}

func TestInvalidUTF8(t *testing.T) {
	c := custexport.Customer{Remark: "a\xffb\xe2\x82c\"\xed\xa0\x80"} // stray byte, truncated €, quote, surrogate
	tests := []struct {
		enc          custexport.Encoding
		want         string
		wantReplaced int64
	}{
		// Every invalid byte is replaced on its own, as utf8.DecodeRune reports them.
		{custexport.EncodingUTF8, "a\uFFFDb\uFFFD\uFFFDc\"\"\uFFFD\uFFFD\uFFFD", 6},
		{custexport.EncodingWindows1250, `a?b??c""???`, 6},
	}
	for _, tt := range tests {
		t.Run(string(tt.enc), func(t *testing.T) {
			fields, replaced := rowReplaced(t, custexport.EncodeOptions{Encoding: tt.enc}, c)
			if f := fields[custexport.ColRemark]; f != tt.want {
				t.Errorf("remark = %q, want %q", f, tt.want)
			}
			if replaced != tt.wantReplaced {
				t.Errorf("Replaced() = %d, want %d", replaced, tt.wantReplaced)
			}
		})
	}
}

// TestWindows1250Table compares the encoder's lookup table with charmap's own encoder for
// every rune of the Basic Multilingual Plane.
func TestWindows1250Table(t *testing.T) {
	enc := charmap.Windows1250.NewEncoder()
	e := New(io.Discard, custexport.EncodeOptions{Encoding: custexport.EncodingWindows1250})
	for r := rune(1); r < 0x10000; r++ {
		if r == '"' || (r >= 0xD800 && r <= 0xDFFF) {
			continue
		}
		want, err := enc.String(string(r))
		var wantReplaced int64
		if err != nil {
			want, wantReplaced = "?", 1
		}
		before := e.Replaced()
		if got := string(e.escape(make([]byte, 0, 16), string(r))); got != want {
			t.Fatalf("U+%04X: wrote %q, charmap writes %q", r, got, want)
		}
		if n := e.Replaced() - before; n != wantReplaced {
			t.Fatalf("U+%04X: counted %d replacements for %q", r, n, want)
		}
	}
}

// TestLongValue covers values longer than one buffer, which are escaped in chunks: the cut
// must not split a character, and the output must equal what a reader gets back.
func TestLongValue(t *testing.T) {
	unit := "ž\"a\xff😀東" // 1-4 byte runes, a quote and an invalid byte, so every cut offset occurs
	long := strings.Repeat(unit, 3*bufSize/len(unit))
	// The remark needs the formula guard, which long values must get too.
	c := custexport.Customer{Remark: "=" + long, Billing: custexport.Address{FullName: long[1:]}}
	for _, enc := range []custexport.Encoding{custexport.EncodingUTF8, custexport.EncodingWindows1250} {
		t.Run(string(enc), func(t *testing.T) {
			out, replaced := encodeAll(t, custexport.EncodeOptions{Encoding: enc, FormulaGuard: true}, []custexport.Customer{c})
			records := readBack(t, out, enc)
			for _, col := range []custexport.Column{custexport.ColRemark, custexport.ColBillingFullName} {
				want, n := expectText(c.Text(col), enc)
				if custexport.NeedsFormulaGuard(c.Text(col)) {
					want = "'" + want
				}
				if records[1][col] != want {
					t.Errorf("%s: read back %d bytes, want %d; %s", col.Tag(), len(records[1][col]), len(want),
						sample.FirstDiff([]byte(records[1][col]), []byte(want)))
				}
				replaced -= n
			}
			if replaced != 0 {
				t.Errorf("Replaced() is off by %d", replaced)
			}
		})
	}
}

// expectText is what a reader should get back for a value: invalid bytes replaced one by one
// and, in windows-1250, every rune charmap cannot encode as '?'; n counts the replacements.
func expectText(s string, enc custexport.Encoding) (string, int64) {
	var b strings.Builder
	var n int64
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		if r == utf8.RuneError && size == 1 {
			r = utf8.RuneError
			n++
			if enc == custexport.EncodingWindows1250 {
				r = '?'
			}
		} else if enc == custexport.EncodingWindows1250 {
			if _, err := charmap.Windows1250.NewEncoder().String(string(r)); err != nil {
				r = '?'
				n++
			}
		}
		b.WriteRune(r)
	}
	return b.String(), n
}

// readBack parses an export with encoding/csv after stripping the BOM or decoding
// windows-1250, and checks the framing every export must have.
func readBack(t testing.TB, out []byte, enc custexport.Encoding) [][]string {
	t.Helper()
	if enc == custexport.EncodingWindows1250 {
		if bytes.HasPrefix(out, []byte(bom)) {
			t.Fatal("windows-1250 output starts with a BOM")
		}
		var err error
		if out, err = charmap.Windows1250.NewDecoder().Bytes(out); err != nil {
			t.Fatal(err)
		}
	} else {
		if !bytes.HasPrefix(out, []byte(bom)) {
			t.Fatalf("UTF-8 output lacks the BOM: %q", out[:min(len(out), 10)])
		}
		out = out[len(bom):]
	}
	if !bytes.HasSuffix(out, []byte("\r\n")) {
		t.Fatal("output does not end with CRLF")
	}
	r := csv.NewReader(bytes.NewReader(out))
	r.Comma = ';'
	r.FieldsPerRecord = custexport.NumColumns
	records, err := r.ReadAll()
	if err != nil {
		t.Fatalf("encoding/csv cannot read the output: %v", err)
	}
	return records
}

// failWriter accepts limit bytes, then fails every write.
type failWriter struct {
	limit  int
	n      int
	writes int
	short  bool // report a short write without an error instead
}

var errDiskFull = errors.New("disk full")

func (w *failWriter) Write(p []byte) (int, error) {
	w.writes++
	if w.n+len(p) <= w.limit {
		w.n += len(p)
		return len(p), nil
	}
	k := w.limit - w.n
	w.n = w.limit
	if w.short {
		return k, nil
	}
	return k, errDiskFull
}

func TestWriteErrors(t *testing.T) {
	customers := sample.Customers()
	t.Run("ErrFromClose", func(t *testing.T) {
		w := &failWriter{limit: 10}
		e := New(w, custexport.EncodeOptions{})
		for i := range customers {
			if err := e.Encode(&customers[i]); err != nil {
				t.Fatalf("Encode failed before any write: %v", err)
			}
		}
		if err := e.Close(); !errors.Is(err, errDiskFull) {
			t.Fatalf("Close = %v, want %v", err, errDiskFull)
		}
		if err := e.Close(); !errors.Is(err, errDiskFull) {
			t.Errorf("second Close = %v, want the first error again", err)
		}
	})
	t.Run("ErrFromEncode", func(t *testing.T) {
		w := &failWriter{limit: bufSize + 100}
		e := New(w, custexport.EncodeOptions{})
		var err error
		n := 0
		for ; err == nil && n < 10000; n++ {
			err = e.Encode(&customers[n%len(customers)])
		}
		if !errors.Is(err, errDiskFull) {
			t.Fatalf("after %d rows Encode = %v, want %v", n, err, errDiskFull)
		}
		writes := w.writes
		if err := e.Encode(&customers[0]); !errors.Is(err, errDiskFull) {
			t.Errorf("Encode after the failure = %v, want %v", err, errDiskFull)
		}
		if err := e.Close(); !errors.Is(err, errDiskFull) {
			t.Errorf("Close = %v, want the first error %v", err, errDiskFull)
		}
		if w.writes != writes {
			t.Errorf("%d more writes after the failure, want none", w.writes-writes)
		}
	})
	t.Run("ErrShortWrite", func(t *testing.T) {
		e := New(&failWriter{limit: 10, short: true}, custexport.EncodeOptions{})
		if err := e.Close(); !errors.Is(err, io.ErrShortWrite) {
			t.Errorf("Close = %v, want %v", err, io.ErrShortWrite)
		}
	})
	t.Run("ErrEncodeAfterClose", func(t *testing.T) {
		e := New(io.Discard, custexport.EncodeOptions{})
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		if err := e.Encode(&customers[0]); err == nil {
			t.Error("Encode after Close returned nil")
		}
	})
}

// TestStreams checks that output leaves in buffer-sized writes while rows are still being
// encoded, so memory stays flat and the first bytes go out early.
func TestStreams(t *testing.T) {
	w := &failWriter{limit: 1 << 40}
	e := New(w, custexport.EncodeOptions{})
	customers := sample.Customers()
	for i := range 5000 {
		if err := e.Encode(&customers[i%len(customers)]); err != nil {
			t.Fatal(err)
		}
		if len(e.buf) > bufSize || cap(e.buf) != bufSize {
			t.Fatalf("buffer grew to len %d cap %d", len(e.buf), cap(e.buf))
		}
	}
	if w.writes == 0 {
		t.Fatal("nothing was written before Close")
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestEncodeAllocs(t *testing.T) {
	for _, enc := range []custexport.Encoding{custexport.EncodingUTF8, custexport.EncodingWindows1250} {
		e := New(io.Discard, custexport.EncodeOptions{Encoding: enc, FormulaGuard: true, Location: sample.Prague})
		if allocs := sample.EncodeAllocs(t, e, 5000); allocs != 0 {
			t.Errorf("%s: %v allocations per Encode, want 0", enc, allocs)
		}
	}
}
