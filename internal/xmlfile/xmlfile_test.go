package xmlfile

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/sample"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.xml from the encoder's output")

const golden = "testdata/golden.xml"

func TestGolden(t *testing.T) {
	sample.Golden(t, golden, encode(t, sample.Customers(), sample.Prague), *update)
	if code, out := xmllint(t, golden); code != 0 {
		t.Fatalf("xmllint rejects %s (exit %d):\n%s", golden, code, out)
	}
}

// TestFixtureValues reads the fixture export back with encoding/xml and checks every value,
// plus the cases the fixture exists for, spelled out.
func TestFixtureValues(t *testing.T) {
	cs := sample.Customers()
	doc := encode(t, cs, sample.Prague)
	checkXMLChars(t, doc)
	got := decode(t, doc)
	compareDoc(t, got, cs, sample.Prague)

	for _, tc := range []struct{ name, got, want string }{
		{"first 02:30 is summer time", got.Customers[4].CreationTime, "2024-10-27T02:30:00+02:00"},
		{"second 02:30 is winter time", got.Customers[5].CreationTime, "2024-10-27T02:30:00+01:00"},
		{"UTC evening is next day in Prague", got.Customers[1].CreationTime, "2018-12-01T00:30:00+01:00"},
		{"CR LF survives", got.Customers[0].Remark, "Volat před 10:00; \"VIP\" zákazník\nDruhý řádek\r\nTřetí řádek"},
		{"control characters replaced", got.Customers[4].Remark, "bell\uFFFD vertical\uFFFDtab form\uFFFDfeed end"},
		{"spaces kept", got.Customers[4].Billing.FullName, "  Mezery kolem  "},
		{"tab kept", got.Customers[4].Billing.City, "Tab\tuvnitř"},
		{"formula text kept as is", got.Customers[2].CustomerGroup, "=1+1"},
		{"leading zeros kept", got.Customers[2].Billing.Zip, "00100"},
		{"price ratio", got.Customers[0].PriceRatio, "0.7800"},
		{"zero price ratio", got.Customers[4].PriceRatio, "0.0000"},
		{"empty birth date", got.Customers[1].BirthDate, ""},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	if n := len(got.Customers[6].Delivery); n != 3 {
		t.Errorf("last customer has %d delivery addresses, want 3", n)
	}
	for _, want := range []string{"&#13;", "&amp; syn", "<DELIVERY_ADDRESSES/>", "<BIRTH_DATE/>"} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("output lacks %q", want)
		}
	}
	if bytes.Contains(doc, []byte("\r")) {
		t.Error("output holds a literal CR; parsers would turn it into LF")
	}
}

func TestZeroCustomers(t *testing.T) {
	doc := encode(t, nil, sample.Prague)
	want := "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CUSTOMERS>\n</CUSTOMERS>\n"
	if string(doc) != want {
		t.Fatalf("got %q, want %q", doc, want)
	}
	mustValidate(t, "empty.xml", doc)
	if got := decode(t, doc); len(got.Customers) != 0 {
		t.Fatalf("read %d customers from an empty export", len(got.Customers))
	}
}

// TestNastyCustomers validates and reads back customers made of the characters that break
// XML writers, with every text field sometimes at its maximum length.
func TestNastyCustomers(t *testing.T) {
	cs := nastyCustomers(50)
	doc := encode(t, cs, sample.Prague)
	checkXMLChars(t, doc)
	mustValidate(t, "nasty.xml", doc)
	compareDoc(t, decode(t, doc), cs, sample.Prague)
}

// TestSchemaRejects proves the schema is strict: each broken variant of a valid export must
// fail schema validation (xmllint exit code 3), not merely parse.
func TestSchemaRejects(t *testing.T) {
	valid := encode(t, sample.Customers(), sample.Prague)
	for _, tc := range []struct{ name, pattern, repl string }{
		{"MissingChangeTime", `<CHANGE_TIME>[^<]*</CHANGE_TIME>`, ``},
		{"MissingEmptyElement", `<DISTRICT/>`, ``},
		{"MissingAccounts", `<ACCOUNTS>.*?</ACCOUNTS>`, ``},
		{"MissingIsDefault", `<IS_DEFAULT>1</IS_DEFAULT>`, ``},
		{"MissingDisabledOrders", `<DISABLED_ORDERS>0</DISABLED_ORDERS>`, ``},
		{"PriceListBeforeGroup", `(<CUSTOMER_GROUP>[^<]*</CUSTOMER_GROUP>)(<PRICE_LIST>[^<]*</PRICE_LIST>)`, `$2$1`},
		{"PhoneBeforeEmail", `(<EMAIL>[^<]*</EMAIL>)(<PHONE>[^<]*</PHONE>)`, `$2$1`},
		{"UnknownElement", `<REMARK>`, `<PASSWORD>x</PASSWORD><REMARK>`},
		{"TwoAccounts", `</ACCOUNT>`, `</ACCOUNT><ACCOUNT><GUID>a0c1e2f3-1111-4a11-9a11-0000000000a9</GUID><EMAIL/><PHONE/><MAIN_ACCOUNT>0</MAIN_ACCOUNT></ACCOUNT>`},
		{"MissingAccountGUID", `<ACCOUNT><GUID>[^<]*</GUID>`, `<ACCOUNT>`},
		{"BadAccountGUID", `<ACCOUNT><GUID>a0c1e2f3-`, `<ACCOUNT><GUID>a0c1e2f3`},
		{"BadGUID", `<GUID>0b9e3c1a-`, `<GUID>0b9e3c1`},
		{"TimeWithoutOffset", `(<CREATION_TIME>[^<+]*)\+\d\d:\d\d`, `$1`},
		{"TimeWithZ", `(<CHANGE_TIME>[^<+]*)\+\d\d:\d\d`, `${1}Z`},
		{"BadBoolean", `<IS_DEFAULT>1</IS_DEFAULT>`, `<IS_DEFAULT>true</IS_DEFAULT>`},
		{"LowerCaseCountry", `<COUNTRY_CODE>CZ</COUNTRY_CODE>`, `<COUNTRY_CODE>cz</COUNTRY_CODE>`},
		{"DecimalComma", `<PRICE_RATIO>0.7800`, `<PRICE_RATIO>0,7800`},
		{"BirthDateWithZone", `<BIRTH_DATE>1985-03-07`, `<BIRTH_DATE>1985-03-07Z`},
		{"PhoneTooLong", `<PHONE>\+420 777 888 999</PHONE>`, `<PHONE>` + strings.Repeat("9", 31) + `</PHONE>`},
		{"StreetTooLong", `<STREET>Dlouhá</STREET>`, `<STREET>` + strings.Repeat("á", 256) + `</STREET>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			broken := regexp.MustCompile(tc.pattern).ReplaceAll(valid, []byte(tc.repl))
			if bytes.Equal(broken, valid) {
				t.Fatalf("pattern %q does not occur; the test would prove nothing", tc.pattern)
			}
			decode(t, broken) // still well-formed: only the schema can catch it
			path := filepath.Join(t.TempDir(), "broken.xml")
			if err := os.WriteFile(path, broken, 0o600); err != nil {
				t.Fatal(err)
			}
			if code, out := xmllint(t, path); code != 3 {
				t.Fatalf("xmllint exit %d, want 3 (fails to validate):\n%s", code, out)
			}
		})
	}
}

// TestSchemaCopy keeps the repository-root customers.xsd (SPEC: "the repository ships the
// XSD") identical to the embedded canonical one.
func TestSchemaCopy(t *testing.T) {
	root, err := os.ReadFile("../../customers.xsd")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(root, Schema) {
		t.Fatal("customers.xsd at the repository root differs from internal/xmlfile/customers.xsd; copy the canonical one over it")
	}
}

// TestStreams checks that output leaves in chunks while customers arrive, not only at Close.
func TestStreams(t *testing.T) {
	var w countingWriter
	enc := New(&w, custexport.EncodeOptions{Location: sample.Prague})
	cs := sample.Customers()
	for i := 0; i < 1000; i++ {
		if err := enc.Encode(&cs[i%len(cs)]); err != nil {
			t.Fatal(err)
		}
	}
	if w.writes == 0 {
		t.Fatal("nothing written before Close")
	}
	before := w.writes
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	if w.writes != before+1 {
		t.Errorf("Close made %d writes, want 1", w.writes-before)
	}
	if w.closed {
		t.Error("Close closed the underlying writer")
	}
}

func TestWriteError(t *testing.T) {
	boom := errors.New("disk full")
	w := &failingWriter{err: boom}
	enc := New(w, custexport.EncodeOptions{})
	big := sample.Customers()[0]
	big.Remark = strings.Repeat("x", flushAt) // fills the buffer, so Encode writes
	if err := enc.Encode(&big); !errors.Is(err, boom) {
		t.Fatalf("Encode = %v, want %v", err, boom)
	}
	if err := enc.Encode(&big); !errors.Is(err, boom) {
		t.Fatalf("Encode after a failure = %v, want %v", err, boom)
	}
	if err := enc.Close(); !errors.Is(err, boom) {
		t.Fatalf("Close = %v, want %v", err, boom)
	}
	if w.calls != 1 {
		t.Errorf("writer called %d times, want 1: nothing is written after the first error", w.calls)
	}
}

func TestCloseTwice(t *testing.T) {
	var out bytes.Buffer
	enc := New(&out, custexport.EncodeOptions{})
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	n := out.Len()
	if err := enc.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	if out.Len() != n {
		t.Error("second Close wrote again")
	}
	c := sample.Customers()[0]
	if err := enc.Encode(&c); err == nil {
		t.Error("Encode after Close succeeded")
	}
}

// TestEncodeAllocs holds the performance promise: no allocation per customer once running.
func TestEncodeAllocs(t *testing.T) {
	enc := New(io.Discard, custexport.EncodeOptions{Location: sample.Prague})
	if allocs := sample.EncodeAllocs(t, enc, 1000); allocs != 0 {
		t.Fatalf("Encode allocates %.2f times per customer, want 0", allocs)
	}
}

func TestAppendEscaped(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain ASCII", "plain ASCII"},
		{"a&b<c>d\"e'f", "a&amp;b&lt;c&gt;d\"e'f"},
		{"]]>", "]]&gt;"},
		{"\r\n\t", "&#13;\n\t"},
		{"\x00\x01\x1f\x7f", "\uFFFD\uFFFD\uFFFD\x7f"},
		{"\uFFFE\uFFFF\uFFFD", "\uFFFD\uFFFD\uFFFD"},
		{"\xff", "\uFFFD"},
		{"\xc3A", "\uFFFDA"},                             // lead byte without its continuation
		{"\xc1\x81", "\uFFFD\uFFFD"},                     // overlong encoding of 'A'
		{"\u0080\u07ff", "\u0080\u07ff"},                 // the two-byte range ends
		{"a\xc3", "a\uFFFD"},                             // truncated sequence
		{"\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD"},           // encoded surrogate: three invalid bytes
		{"\xf4\x90\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"}, // beyond U+10FFFF
		{"Žluťoučký kůň 😀 東京 \u0085\u2028", "Žluťoučký kůň 😀 東京 \u0085\u2028"},
	} {
		if got := string(appendEscaped(nil, tc.in)); got != tc.want {
			t.Errorf("appendEscaped(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	cs := sample.Customers()
	b.SetBytes(int64(len(encode(b, cs, sample.Prague)) / len(cs)))
	b.ReportAllocs()
	enc := New(io.Discard, custexport.EncodeOptions{Location: sample.Prague})
	i := 0
	for b.Loop() {
		if err := enc.Encode(&cs[i%len(cs)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// nastyCustomers returns n deterministic customers built from characters that break XML
// writers; the first has every text field at its maximum length.
func nastyCustomers(n int) []custexport.Customer {
	r := rand.New(rand.NewPCG(2024, 10))
	pieces := []string{
		"a", "Ž", "ř", " ", "  ", "&", "<", ">", "&amp;", "]]>", "\"", "'", "\t", "\n", "\r",
		"\r\n", "\x00", "\x01", "\x0b", "\x1f", "\x7f", "\u0085", "\u2028", "\uFFFD", "\uFFFE",
		"\uFFFF", "😀", "東京", "\xff", "\xc3", "\xed\xa0\x80", "&#13;", "<!--", "<![CDATA[",
		"_x0041_", "=1+1", ";", "</REMARK>",
	}
	str := func(max int) string {
		var sb strings.Builder
		for k := r.IntN(12); k > 0; k-- {
			sb.WriteString(pieces[r.IntN(len(pieces))])
		}
		return clip(sb.String(), max)
	}
	full := func(max int) string { // exactly max characters
		return clip(strings.Repeat(pieces[r.IntN(len(pieces))], max), max)
	}
	countries := []string{"", "CZ", "SK", "DE"}
	// 2000-01-01 to 2030-01-01, plus the doubled hour of 2024.
	instant := func() time.Time {
		if r.IntN(5) == 0 {
			return time.Unix(1729989000+int64(r.IntN(7200)), 0).UTC()
		}
		return time.Unix(946684800+r.Int64N(946684800), 0).UTC()
	}
	cs := make([]custexport.Customer, n)
	for i := range cs {
		text := str
		if i == 0 {
			text = full
		}
		addr := func() custexport.Address {
			return custexport.Address{
				FullName: text(255), Company: text(255), Street: text(255), HouseNumber: text(255),
				City: text(255), District: text(255), Additional: text(255), Zip: text(255),
				CountryCode: countries[r.IntN(len(countries))],
			}
		}
		c := custexport.Customer{
			GUID: fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x",
				r.Uint32(), r.IntN(1<<16), r.IntN(1<<12), r.IntN(1<<12), r.Int64N(1<<48)),
			Email:            text(255),
			RegistrationDate: instant(),
			Billing:          addr(),
			CompanyID:        text(18),
			VatID:            text(16),
			TaxID:            text(16),
			Phone:            text(30),
			CustomerGroup:    text(255),
			PriceList:        text(255),
			PriceRatio:       custexport.PriceRatio(r.IntN(30000)),
			Remark:           text(65535),
			DisabledOrders:   r.IntN(2) == 1,
			ChangeTime:       instant(),
			AccountGUID:      fmt.Sprintf("a%07x-0000-4000-8000-%012x", i, i),
		}
		for k := r.IntN(4); k > 0; k-- {
			c.Delivery = append(c.Delivery, addr())
		}
		if r.IntN(2) == 0 {
			c.BirthDate = custexport.Date{Year: 1900 + r.IntN(120), Month: time.Month(1 + r.IntN(12)), Day: 1 + r.IntN(28)}
		}
		cs[i] = c
	}
	return cs
}

type countingWriter struct {
	writes int
	closed bool
}

func (w *countingWriter) Write(p []byte) (int, error) { w.writes++; return len(p), nil }
func (w *countingWriter) Close() error                { w.closed = true; return nil }

type failingWriter struct {
	err   error
	calls int
}

func (w *failingWriter) Write([]byte) (int, error) { w.calls++; return 0, w.err }

// BenchmarkEncodeTypical encodes a plain Czech customer as most rows of a real shop look,
// in export order, so the shop clock's zone cache works as it does in an export.
func BenchmarkEncodeTypical(b *testing.B) {
	c := custexport.Customer{
		GUID: "0b9e3c1a-5f6d-4e2b-9a7c-1d2e3f405162", Email: "jan.novak1234@example.cz",
		RegistrationDate: time.Date(2016, 3, 1, 8, 15, 0, 0, time.UTC),
		Billing: custexport.Address{FullName: "Jan Novák", Street: "Dlouhá", HouseNumber: "12/3a",
			City: "Žďár nad Sázavou", Zip: "59101", CountryCode: "CZ"},
		Phone:         "+420 777 888 999",
		Delivery:      []custexport.Address{{FullName: "Jan Novák", Street: "Skladová", HouseNumber: "1", City: "Brno", Zip: "60200", CountryCode: "CZ"}},
		CustomerGroup: "Maloobchod", PriceList: "Hlavní ceník", PriceRatio: custexport.NoDiscount,
		BirthDate: custexport.Date{Year: 1985, Month: 3, Day: 7}, Remark: "Volat před 10:00",
	}
	c.ChangeTime = c.RegistrationDate
	b.SetBytes(int64(len(encode(b, []custexport.Customer{c}, sample.Prague)) - len(header) - len(trailer)))
	b.ReportAllocs()
	enc := New(io.Discard, custexport.EncodeOptions{Location: sample.Prague})
	for b.Loop() {
		c.RegistrationDate = c.RegistrationDate.Add(5 * time.Minute)
		c.ChangeTime = c.RegistrationDate
		if err := enc.Encode(&c); err != nil {
			b.Fatal(err)
		}
	}
}
