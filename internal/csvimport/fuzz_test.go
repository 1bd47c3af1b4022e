package csvimport_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ncruces/go-sqlite3/driver"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/csvfile"
	"github.com/custexport/custexport/internal/csvimport"
	"github.com/custexport/custexport/internal/sqlite"
)

// fuzzStore is one small database per fuzz process: the store under test, a second plain SQL
// handle on the same file for the checks, and a copy of the customers to restore after an
// input that changed them (so every input meets the same data and a crasher reproduces).
type fuzzStore struct {
	db  *sqlite.DB
	raw *sql.DB
	n   int // customers in the pristine state
}

var fuzzStores = map[string]*fuzzStore{}
var fuzzMu sync.Mutex

// openFuzzStore makes the named store once per process: seeded customers (seeded) or none.
func openFuzzStore(t testing.TB, name string, seeded bool) *fuzzStore {
	fuzzMu.Lock()
	defer fuzzMu.Unlock()
	if s := fuzzStores[name]; s != nil {
		return s
	}
	dir, err := os.MkdirTemp("", "csvimport-fuzz")
	if err != nil {
		t.Fatal(err)
	}
	fuzzDirs = append(fuzzDirs, dir)
	path := filepath.Join(dir, name+".db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetClock(func() time.Time { return fuzzNow })
	s := &fuzzStore{db: db}
	if seeded {
		seedStore(t, db, 40)
	}
	if s.raw, err = driver.Open("file:" + path); err != nil {
		t.Fatal(err)
	}
	if _, err := s.raw.Exec(`CREATE TABLE fuzz_pristine AS SELECT * FROM customer`); err != nil {
		t.Fatal(err)
	}
	if err := s.raw.QueryRow(`SELECT count(*) FROM customer`).Scan(&s.n); err != nil {
		t.Fatal(err)
	}
	fuzzStores[name] = s
	return s
}

// fuzzNow is the fuzz stores' clock: what the import stamps as changeTime.
var fuzzNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// implausible lists the plausibility rules of the domain that the customer breaks, by their
// skip keys (custexport.Error.Reason).
func implausible(c *custexport.Customer) map[string]bool {
	keys := map[string]bool{}
	add := func(err error) {
		var e *custexport.Error
		if errors.As(err, &e) {
			keys[e.Reason] = true
		}
	}
	add(custexport.CheckPriceRatio(c.PriceRatio))
	add(custexport.CheckZip(c.Billing.CountryCode, c.Billing.Zip))
	_, err := custexport.CheckCompanyID(c.Billing.CountryCode, c.CompanyID)
	add(err)
	d := c.DefaultDelivery()
	for _, s := range []string{c.Billing.FullName, c.Billing.Company, d.FullName, d.Company} {
		add(custexport.CheckName(s))
	}
	y, m, day := fuzzNow.In(prague).Date()
	add(custexport.CheckNotFutureDay(c.BirthDate, custexport.Date{Year: y, Month: m, Day: day}))
	add(custexport.CheckNotFuture(c.RegistrationDate, fuzzNow, prague))
	_, err = custexport.ParseLocalDateTime(time.DateTime, c.RegistrationDate.In(prague).Format(time.DateTime), prague)
	add(err)
	return keys
}

// fuzzDirs are removed by TestMain.
var fuzzDirs []string

// rows reads a table as guid → every column as text.
func (s *fuzzStore) rows(t testing.TB, table string) map[string]string {
	t.Helper()
	rs, err := s.raw.Query(`SELECT * FROM ` + table + ` ORDER BY guid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	cols, _ := rs.Columns()
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	guidCol := -1
	for i, c := range cols {
		if c == "guid" {
			guidCol = i
		}
	}
	out := map[string]string{}
	for rs.Next() {
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for i, v := range vals {
			if cols[i] != "id" {
				fmt.Fprintf(&b, "%s=%q ", cols[i], v)
			}
		}
		out[string(vals[guidCol])] = b.String()
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func (s *fuzzStore) restore(t testing.TB) {
	t.Helper()
	if _, err := s.raw.Exec(`DELETE FROM customer; INSERT INTO customer SELECT * FROM fuzz_pristine`); err != nil {
		t.Fatal(err)
	}
}

// Any bytes as a file: the import never panics, refuses the file or reports rows that add up,
// and the store then holds exactly what it reported: nothing after a refusal or a dry run,
// Created new customers and Updated changed ones after an import.
func FuzzImport(f *testing.F) {
	db := openStore(f)
	seedStore(f, db, 12)
	for _, enc := range []custexport.Encoding{custexport.EncodingUTF8, custexport.EncodingWindows1250} {
		f.Add(exportCSV(f, db, enc, true), uint8(0))
	}
	f.Add([]byte("guid;phone\n0b9e3c1a-5f6d-4e2b-9a7c-1d2e3f405162;\"+420 1\"\n"), uint8(0))
	f.Add([]byte("email,billingFullName,remark\nnovy@example.cz,Nový,\"a\r\nb\"\nNOVY@example.cz,Dva,\n"), uint8(1))
	f.Add([]byte("GUID;Email;billingfullname;priceRatio;disabledOrders;birthDate;registrationDate\n;a@b.cz;'=X;0.5;ano;2000-02-29;2024-10-27 02:30:00\n"), uint8(2))
	f.Add([]byte("email;billingFullName;\n\"x@y.cz\";\"Y\";\"\"\n"), uint8(4))
	f.Add([]byte("\xef\xbb\xbfguid;email\r\n\"unclosed;x\r\n"), uint8(0))
	f.Add([]byte("PK\x03\x04"), uint8(0))
	f.Add([]byte("guid\x00;email"), uint8(0))
	f.Add([]byte("email;billingFullName\n\xe9@example.cz;\x8a\n"), uint8(1))
	f.Add([]byte(""), uint8(0))
	f.Add([]byte("guid;billingCountryCode;deliveryCountryCode;companyId;remark\n2a2a2a2a-2a2a-4a2a-8a2a-2a2a2a2a2a2a; sk ;CZE;123456789012345678;\"\"\"\"\n"), uint8(0))
	f.Add([]byte("guid,registrationDate,changeTime,birthDate\n3B3B3B3B-3B3B-4B3B-8B3B-3B3B3B3B3B3B,2024-10-27T02:30:00,2024-10-27 02:30,1985-02-30\nnot-a-guid,,,\n"), uint8(0))
	f.Add([]byte("guid;email;priceRatio;disabledOrders\n5d5d5d5d-5d5d-4d5d-8d5d-5d5d5d5d5d5d;minimal@example.com;-1,2345;yes\n5d5d5d5d-5d5d-4d5d-8d5d-5d5d5d5d5d5d;x@y.cz;12345678901;maybe\n"), uint8(0))
	f.Add([]byte("guid;email;billingFullName;\n\"6e6e6e6e-6e6e-4e6e-8e6e-6e6e6e6e6e6e\";\"zoe@example.com\";\"Eva\";\"\"\n;\"\";\"\"\n"), uint8(8))
	f.Add([]byte("email;billingFullName;deliveryFullName;deliveryCity\r\n\"a@b.cz\"x;A;;\r\nb@c.cz;\"B\";;\"Brno\"\r\n"), uint8(0))
	f.Add([]byte("guid;email\r\n0b9e3c1a-5f6d-4e2b-9a7c-1d2e3f405162;ZOE@EXAMPLE.COM\r\n"), uint8(2))
	f.Fuzz(func(t *testing.T, file []byte, flags uint8) {
		s := openFuzzStore(t, "import", true)
		opts := csvimport.Options{Location: prague, DryRun: flags&4 != 0}
		switch flags & 3 {
		case 1:
			opts.Encoding = custexport.EncodingUTF8
		case 2:
			opts.Encoding = custexport.EncodingWindows1250
		}
		if flags&8 != 0 {
			opts.MaxBytes = int64(len(file) / 2)
		}
		rec := &custexport.ImportRecord{}
		err := csvimport.Run(context.Background(), s.db, bytes.NewReader(file), opts, rec)
		before, after := s.rows(t, "fuzz_pristine"), s.rows(t, "customer")
		created, changed := 0, 0
		for g, row := range after {
			switch old, ok := before[g]; {
			case !ok:
				created++
			case old != row:
				changed++
			}
		}
		if len(after) != len(before)+created {
			t.Fatalf("customers vanished: %d before, %d after, %d new", len(before), len(after), created)
		}
		if created+changed > 0 {
			defer s.restore(t)
		}
		if err != nil || opts.DryRun {
			if created+changed > 0 {
				t.Fatalf("import (error %v, dry run %v) wrote: %d created, %d changed", err, opts.DryRun, created, changed)
			}
			if err != nil {
				if custexport.ErrorCode(err) != custexport.CodeInvalid {
					t.Fatalf("a file refused with code %q: %v", custexport.ErrorCode(err), err)
				}
				return
			}
		} else if int64(created) != rec.Created || int64(changed) != rec.Updated {
			t.Fatalf("the import reported %s but created %d and changed %d customers", counts(rec), created, changed)
		}
		if rec.Rows != rec.Created+rec.Updated+rec.Unchanged+rec.Skipped {
			t.Fatalf("the counts do not add up: %s", counts(rec))
		}
		if int64(len(rec.SkippedRows)) != min(rec.Skipped, custexport.MaxReportedSkips) {
			t.Fatalf("%d skipped rows listed of %d", len(rec.SkippedRows), rec.Skipped)
		}
		for _, sk := range rec.SkippedRows {
			if sk.Line < 2 || sk.Reason == "" {
				t.Fatalf("skipped row without a line or reason: %+v", sk)
			}
			if _, ok := custexport.ColumnByTag(sk.Column); sk.Column != "" && !ok {
				t.Fatalf("skipped row names an unknown column: %+v", sk)
			}
		}
	})
}

// clip keeps s valid UTF-8 (the generator makes valid customers: what the shop stores) and at
// most n characters.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "?")
	s = strings.ReplaceAll(s, "\x00", "") // NUL: the import refuses a file holding one as binary
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n])
	}
	// A value that starts with a quote followed by what the formula guard protects cannot come
	// back: the export writes it unguarded and the import takes the quote for the guard's. See
	// TestFormulaGuardQuote.
	for len(s) > 1 && s[0] == '\'' && custexport.NeedsFormulaGuard(s[1:]) {
		s = s[1:]
	}
	return s
}

// A customer made from the fuzzer's values, exported with the real CSV encoder (either
// encoding, guard on or off) and imported into an empty store, reads back as it was: every
// text as written (as windows-1250 carries it), the numbers, the dates, the date-times as the
// shop-time text the export wrote.
func FuzzRoundTrip(f *testing.F) {
	f.Add("Jan Novák", "Novák & syn, s.r.o.", "Dlouhá 12", "Žďár nad Sázavou", "05901", "+420 777 888 999", "Volat před 10:00;\r\n\"VIP\"", "jan.novak", int64(7800), int64(1456819200), int64(30000), uint8(0))
	f.Add("Zoë 😀 Šťastná", "東京商事", "=HYPERLINK(\"x\")", "@SUM(A1)", "-", "'+420", "'Tisková\n", "zoe", int64(-12500), int64(1729989000), int64(0), uint8(3))
	f.Add("  Mezery  ", "\tTab", "-12", "-3,5", "", "", "bell\x07 \x0b \x0c", "a.b+c", int64(0), int64(1729992600), int64(-1), uint8(6))
	f.Add("李小龍", "", "", "", "", "", strings.Repeat("ř", 300), "x", int64(9999999999999), int64(4102444799), int64(73000), uint8(1))
	f.Fuzz(func(t *testing.T, name, company, street, city, zip, phone, remark, local string, ratio, reg, birth int64, flags uint8) {
		s := openFuzzStore(t, "roundtrip", false)
		defer s.restore(t)
		enc := custexport.EncodingUTF8
		if flags&1 != 0 {
			enc = custexport.EncodingWindows1250
		}
		guard := flags&2 == 0
		// A valid e-mail from the fuzzer's letters.
		local = strings.Map(func(r rune) rune {
			if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || strings.ContainsRune(".+-_", r) {
				return r
			}
			return -1
		}, strings.ToLower(local))
		name = clip(name, 255)
		if strings.TrimSpace(csvfile.Windows1250Text(name)) == "" {
			name = "N" + name
			name = string([]rune(name)[:min(255, len([]rune(name)))])
		}
		c := custexport.Customer{
			GUID:             "f0000000-0000-4000-8000-" + fmt.Sprintf("%012x", uint64(reg)&0xffffffffffff),
			AccountGUID:      "a0000000-0000-4000-8000-" + fmt.Sprintf("%012x", uint64(reg)&0xffffffffffff),
			Email:            clip("u"+local, 200) + "@example.cz",
			RegistrationDate: time.Unix(reg%4102444800, 0).UTC(),
			Billing: custexport.Address{FullName: name, Company: clip(company, 255), Street: clip(street, 255),
				City: clip(city, 255), Zip: clip(zip, 255), CountryCode: []string{"CZ", "SK", "", "AT"}[flags>>2&3]},
			Phone:          clip(phone, 30),
			CompanyID:      clip(zip, 18),
			CustomerGroup:  clip(city, 255),
			PriceRatio:     custexport.PriceRatio(ratio % 1e13),
			Remark:         clip(remark, 65535),
			DisabledOrders: flags&16 != 0,
			ChangeTime:     time.Unix((reg/7)%4102444800, 0).UTC(),
		}
		if c.RegistrationDate.Unix() < 0 {
			c.RegistrationDate = c.RegistrationDate.Add(4102444800 * time.Second)
		}
		if c.ChangeTime.Unix() < 0 {
			c.ChangeTime = c.ChangeTime.Add(4102444800 * time.Second)
		}
		if birth > 0 {
			d := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(birth%73000))
			c.BirthDate = custexport.Date{Year: d.Year(), Month: d.Month(), Day: d.Day()}
		}
		if flags&32 != 0 {
			c.Delivery = []custexport.Address{{FullName: clip(company, 255), City: clip(street, 255), CountryCode: "SK"}}
		}

		var file bytes.Buffer
		e := csvfile.New(&file, custexport.EncodeOptions{Encoding: enc, FormulaGuard: guard, Location: prague})
		if err := e.Encode(&c); err != nil {
			t.Fatal(err)
		}
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		rec := &custexport.ImportRecord{}
		opts := csvimport.Options{Location: prague}
		if enc == custexport.EncodingWindows1250 {
			// Forced: a windows-1250 file of ASCII, or whose bytes happen to form UTF-8, is
			// detected as UTF-8 (the BOM makes a UTF-8 export unambiguous).
			opts.Encoding = enc
		}
		if err := csvimport.Run(context.Background(), s.db, bytes.NewReader(file.Bytes()), opts, rec); err != nil {
			t.Fatalf("import of %q: %v", file.Bytes(), err)
		}
		if keys := implausible(&c); rec.Skipped == 1 && len(rec.SkippedRows) == 1 && keys[rec.SkippedRows[0].Key] {
			return // a value the domain's plausibility rules refuse (SPEC section 10), and said so
		}
		if counts(rec) != "rows=1 created=1 updated=0 unchanged=0 skipped=0" || rec.Encoding != enc {
			t.Fatalf("import of %q: %s %+v, encoding %s", file.Bytes(), counts(rec), rec.SkippedRows, rec.Encoding)
		}
		got := stored(t, s.db)
		if len(got) != 1 {
			t.Fatalf("%d customers stored", len(got))
		}
		back := got[c.GUID]
		want := c
		if enc == custexport.EncodingWindows1250 {
			for col := range custexport.Column(custexport.NumColumns) {
				if col.Kind() == custexport.KindText && col != custexport.ColGUID {
					want.SetText(col, csvfile.Windows1250Text(c.Text(col)))
				}
			}
		}
		// A warned value (a number in scientific notation, an IČO with a wrong check digit) is not
		// applied: the new customer's field stays empty.
		for _, w := range rec.WarningRows {
			col, _ := custexport.ColumnByTag(w.Column)
			want.SetText(col, "")
		}
		want.ChangeTime = fuzzNow // ignored in the file; stamped by the store's clock
		fw, fb := fields(&want), fields(&back)
		for _, col := range []custexport.Column{custexport.ColRegistrationDate, custexport.ColChangeTime} {
			wt, bt := want.RegistrationDate, back.RegistrationDate
			if col == custexport.ColChangeTime {
				wt, bt = want.ChangeTime, back.ChangeTime
			}
			// The doubled hour reads back as its first instance: the same shop-time text.
			fw[col.Tag()], fb[col.Tag()] = wt.In(prague).Format(time.DateTime), bt.In(prague).Format(time.DateTime)
		}
		for tag, v := range fw {
			if fb[tag] != v {
				t.Errorf("%s: %q came back as %q", tag, v, fb[tag])
			}
		}
		if t.Failed() {
			t.Logf("file: %q", file.Bytes())
		}
	})
}
