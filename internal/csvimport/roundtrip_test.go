package csvimport_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/csvimport"
)

// Importing an unchanged export, in either encoding and with the formula guard on or off,
// reports every row unchanged and leaves every stored value as it was: emoji and CJK too,
// although the windows-1250 file carries them as '?'.
func TestRoundTripChangesNothing(t *testing.T) {
	t.Parallel()
	db := openStore(t)
	seedStore(t, db, 3000)
	before := stored(t, db)
	xmlBefore := exportXML(t, db)
	n := int64(len(before))
	for _, tc := range []struct {
		enc   custexport.Encoding
		guard bool
	}{
		{custexport.EncodingUTF8, true},
		{custexport.EncodingUTF8, false},
		{custexport.EncodingWindows1250, true},
		{custexport.EncodingWindows1250, false},
	} {
		t.Run(fmt.Sprintf("%s/guard=%v", tc.enc, tc.guard), func(t *testing.T) {
			data := exportCSV(t, db, tc.enc, tc.guard)
			if tc.enc == custexport.EncodingWindows1250 {
				// The file really lost the characters: the round trip must not write them back as '?'.
				for _, lost := range []string{"😀", "李小龍", "東京"} {
					if bytes.Contains(data, []byte(lost)) {
						t.Fatalf("a windows-1250 file holds %q as UTF-8", lost)
					}
				}
				want, _ := charmap.Windows1250.NewEncoder().String("\"Zoë ? Šťastná\"")
				if !bytes.Contains(data, []byte(want)) {
					t.Fatal("the windows-1250 file lacks the emoji name written with '?'")
				}
			} else if got := formatCSV(parseCSV(t, data, ';'), exportStyle); !bytes.Equal(got, data) && tc.guard {
				t.Fatal("the test's CSV reader and writer do not reproduce the export byte for byte")
			}
			rec := mustImport(t, db, data, csvimport.Options{})
			wantCounts(t, rec, n, 0, 0, n, 0)
			if rec.Encoding != tc.enc || rec.Delimiter != ";" || len(rec.Unknown) != 0 {
				t.Errorf("detected encoding %q, delimiter %q, unknown %v; want %s, \";\", none", rec.Encoding, rec.Delimiter, rec.Unknown, tc.enc)
			}
			if diff := changes(before, stored(t, db)); len(diff) > 0 {
				t.Fatalf("an unchanged file changed %d values, e.g.\n%s", len(diff), strings.Join(diff[:min(len(diff), 10)], "\n"))
			}
		})
	}
	t.Run("ForcedEncoding", func(t *testing.T) {
		rec := mustImport(t, db, exportCSV(t, db, custexport.EncodingWindows1250, true), csvimport.Options{Encoding: custexport.EncodingWindows1250})
		wantCounts(t, rec, n, 0, 0, n, 0)
	})
	// After all five imports: every value, every delivery address, every change time as before.
	if !bytes.Equal(exportXML(t, db), xmlBefore) {
		t.Fatal("the XML export differs after the round trips")
	}
	if diff := changes(before, stored(t, db)); len(diff) > 0 {
		t.Fatalf("changed: %v", diff[:min(len(diff), 10)])
	}
}

// Three edited cells of an export change exactly those three fields of those three customers;
// the decimal point of the edited priceRatio is accepted beside the export's commas.
func TestEditedCellsChangeOnlyThem(t *testing.T) {
	db, before := smallStore(t)
	rows := parseCSV(t, exportCSV(t, db, custexport.EncodingUTF8, true), ';')
	a, b, c := rows[3][0], rows[10][0], "6e6e6e6e-6e6e-4e6e-8e6e-6e6e6e6e6e6e" // c has three delivery addresses
	setCell(t, rows, a, "billingCity", "Nové Město na Moravě")
	setCell(t, rows, b, "phone", "+420 603 111 222")
	setCell(t, rows, c, "priceRatio", "0.85")
	rec := mustImport(t, db, formatCSV(rows, exportStyle), csvimport.Options{})
	n := int64(len(before))
	wantCounts(t, rec, n, 0, 3, n-3, 0)
	got := changes(before, stored(t, db))
	want := []string{
		fmt.Sprintf("%s billingCity: %q → %q", a, before[a].Billing.City, "Nové Město na Moravě"),
		fmt.Sprintf("%s phone: %q → %q", b, before[b].Phone, "+420 603 111 222"),
		fmt.Sprintf("%s priceRatio: %q → %q", c, "1.0000", "0.8500"),
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// An edited windows-1250 file changes the edited cell only: the emoji and CJK of the same row,
// which the file carries as '?', stay as stored.
func TestEditedWindows1250File(t *testing.T) {
	db, before := smallStore(t)
	rows := parseCSV(t, template.csv, ';')
	g := "3b3b3b3b-3b3b-4b3b-8b3b-3b3b3b3b3b3b" // Zoë 😀 Šťastná of 東京商事
	setCell(t, rows, g, "phone", "+81 3 1234 5678")
	setCell(t, rows, g, "billingStreet", "Šibuja 1")
	rec := mustImport(t, db, formatCSV(rows, csvStyle{delim: ';', quoting: quoteAll, cp1250: true}), csvimport.Options{})
	n := int64(len(before))
	wantCounts(t, rec, n, 0, 1, n-1, 0)
	if rec.Encoding != custexport.EncodingWindows1250 {
		t.Fatalf("detected %s", rec.Encoding)
	}
	want := []string{g + " billingStreet", g + " phone"}
	if got := changedFields(before, stored(t, db)); !slices.Equal(got, want) {
		t.Fatalf("changed %v, want %v", got, want)
	}
	if c := stored(t, db)[g]; c.Billing.FullName != "Zoë 😀 Šťastná" || c.Billing.Company != "東京商事" {
		t.Fatalf("name %q, company %q after the windows-1250 edit", c.Billing.FullName, c.Billing.Company)
	}
}

// A file with the guid and one more column changes only that column, even where the customer
// has fields no other column of the file mentions (delivery addresses, remark, dates).
func TestUpdateTouchesOnlyPresentColumns(t *testing.T) {
	db, before := smallStore(t)
	all := parseCSV(t, exportCSV(t, db, custexport.EncodingUTF8, true), ';')
	rows := only(t, all, "guid", "phone")
	g := "0b9e3c1a-5f6d-4e2b-9a7c-1d2e3f405162"
	setCell(t, rows, g, "phone", "") // clears the phone
	setCell(t, rows, "6e6e6e6e-6e6e-4e6e-8e6e-6e6e6e6e6e6e", "phone", "+421 905 000 111")
	rec := mustImport(t, db, formatCSV(rows, exportStyle), csvimport.Options{})
	n := int64(len(before))
	wantCounts(t, rec, n, 0, 2, n-2, 0)
	want := []string{
		"0b9e3c1a-5f6d-4e2b-9a7c-1d2e3f405162 phone",
		"6e6e6e6e-6e6e-4e6e-8e6e-6e6e6e6e6e6e phone",
	}
	if got := changedFields(before, stored(t, db)); !slices.Equal(got, want) {
		t.Fatalf("changed %v, want %v", got, want)
	}
}

// A row without guid creates a customer with a generated guid; a row with an unknown
// well-formed guid creates it with that guid, upper case stored in lower case. Fields the file
// lacks get their defaults.
func TestCreate(t *testing.T) {
	db, before := smallStore(t)
	file := "guid;email;billingFullName;billingCountryCode;priceRatio\r\n" +
		";nova@example.cz;Nová Zákaznice;cz;0,9\r\n" +
		"A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D; presun@example.sk ;Přesunutý Zákazník; sk ;\r\n"
	rec := mustImport(t, db, []byte(file), csvimport.Options{})
	wantCounts(t, rec, 2, 2, 0, 0, 0)
	// Without a guid column at all.
	rec = mustImport(t, db, []byte("email;billingFullName\nbez.guid@example.com;山田 太郎\n"), csvimport.Options{})
	wantCounts(t, rec, 1, 1, 0, 0, 0)

	after := stored(t, db)
	created := map[string]custexport.Customer{}
	for g, c := range after {
		if _, ok := before[g]; !ok {
			created[c.Email] = c
		} else if d := changes(map[string]custexport.Customer{g: before[g]}, map[string]custexport.Customer{g: c}); len(d) > 0 {
			t.Errorf("an existing customer changed: %v", d)
		}
	}
	if len(created) != 3 {
		t.Fatalf("created %d customers, want 3", len(created))
	}
	for _, email := range []string{"nova@example.cz", "bez.guid@example.com"} {
		c := created[email]
		if g, err := custexport.ParseGUID(c.GUID); err != nil || g != c.GUID {
			t.Errorf("%s got guid %q, want a generated lower-case guid", email, c.GUID)
		}
	}
	moved := created["presun@example.sk"]
	if moved.GUID != "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d" {
		t.Errorf("the moved customer has guid %q, want the file's in lower case", moved.GUID)
	}
	if moved.PriceRatio != custexport.NoDiscount || moved.Billing.CountryCode != "SK" {
		t.Errorf("an empty priceRatio gives %s, want 1.0000; country %q", moved.PriceRatio, moved.Billing.CountryCode)
	}
	nova := created["nova@example.cz"]
	if nova.Billing.FullName != "Nová Zákaznice" || nova.Billing.CountryCode != "CZ" || nova.PriceRatio != 9000 {
		t.Errorf("new customer stored as %+v", nova)
	}
	if nova.RegistrationDate.IsZero() || nova.ChangeTime.IsZero() {
		t.Errorf("a new customer without registrationDate has none stored: %v / %v", nova.RegistrationDate, nova.ChangeTime)
	}
	if created["bez.guid@example.com"].Billing.FullName != "山田 太郎" {
		t.Errorf("CJK name stored as %q", created["bez.guid@example.com"].Billing.FullName)
	}
	// The created customers round-trip like the others.
	n := int64(len(after))
	wantCounts(t, mustImport(t, db, exportCSV(t, db, custexport.EncodingUTF8, true), csvimport.Options{}), n, 0, 0, n, 0)
}

// An empty cell clears an optional field of every kind.
func TestEmptyCellClearsOptionalField(t *testing.T) {
	db, before := smallStore(t)
	g := "0b9e3c1a-5f6d-4e2b-9a7c-1d2e3f405162" // Jan Novák: company, birth date, remark, 78 %
	file := "guid;billingCompany;companyId;birthDate;priceRatio;remark;disabledOrders;deliveryCity\r\n" +
		g + ";;;;;;;\r\n"
	rec := mustImport(t, db, []byte(file), csvimport.Options{})
	wantCounts(t, rec, 1, 0, 1, 0, 0)
	after := stored(t, db)
	c := after[g]
	if c.Billing.Company != "" || c.CompanyID != "" || !c.BirthDate.IsZero() || c.Remark != "" || c.Delivery[0].City != "" {
		t.Errorf("fields not cleared: %+v", c)
	}
	if c.PriceRatio != custexport.NoDiscount || c.DisabledOrders {
		t.Errorf("an empty priceRatio/disabledOrders gives %s/%v, want 1.0000/false", c.PriceRatio, c.DisabledOrders)
	}
	want := []string{g + " billingCompany", g + " birthDate", g + " companyId", g + " deliveryCity", g + " priceRatio", g + " remark"}
	if got := changedFields(before, after); !slices.Equal(got, want) {
		t.Fatalf("changed %v, want %v", got, want)
	}
}

// Clearing every delivery column of a customer with several delivery addresses removes the
// default one and the next becomes the default, the same in every export format (XML lists
// the addresses, CSV shows the default); the next round trip changes nothing.
func TestClearDefaultDeliveryAddress(t *testing.T) {
	db, before := smallStore(t)
	header := []string{"guid"}
	for col := custexport.ColDeliveryFullName; col <= custexport.ColDeliveryCountryCode; col++ {
		header = append(header, col.Tag())
	}
	rows := [][]string{header}
	three, two := "6e6e6e6e-6e6e-4e6e-8e6e-6e6e6e6e6e6e", "0b9e3c1a-5f6d-4e2b-9a7c-1d2e3f405162"
	for _, g := range []string{three, two} {
		rows = append(rows, append([]string{g}, make([]string, len(header)-1)...))
	}
	rec := mustImport(t, db, formatCSV(rows, exportStyle), csvimport.Options{})
	wantCounts(t, rec, 2, 0, 2, 0, 0)
	after := stored(t, db)
	for _, g := range []string{three, two} {
		if got, want := after[g].Delivery, before[g].Delivery[1:]; !slices.Equal(got, want) {
			t.Fatalf("delivery addresses after clearing the default:\n got %+v\nwant %+v", got, want)
		}
	}
	// The CSV export shows the new default address in the delivery columns.
	exported := parseCSV(t, exportCSV(t, db, custexport.EncodingUTF8, true), ';')
	for _, r := range exported[1:] {
		if g := r[0]; g == three || g == two {
			if city, want := r[column(t, exported, "deliveryCity")], before[g].Delivery[1].City; city != want {
				t.Errorf("the CSV export shows delivery city %q for %s, the XML export %q", city, g, want)
			}
		}
	}
	n := int64(len(after))
	rec = mustImport(t, db, exportCSV(t, db, custexport.EncodingUTF8, true), csvimport.Options{})
	wantCounts(t, rec, n, 0, 0, n, 0)
	if diff := changes(after, stored(t, db)); len(diff) > 0 {
		t.Fatalf("the round trip after clearing changed %v", diff)
	}
}

// Decimal comma and point; booleans in every accepted spelling, any letter case.
func TestValueSpellings(t *testing.T) {
	db, _ := smallStore(t)
	g := "5d5d5d5d-5d5d-4d5d-8d5d-5d5d5d5d5d5d"
	for _, tc := range []struct {
		ratio, disabled string
		want            custexport.PriceRatio
		wantDisabled    bool
	}{
		{"0,78", "0", 7800, false},
		{"0.7801", "1", 7801, true},
		{"1", "false", 10000, false},
		{"1,5", "TRUE", 15000, true},
		{" 2.25 ", "ne", 22500, false},
		{"0,0001", "Ano", 1, true},
		{"2", "No", 20000, false},
		{"0.5", "YES", 5000, true},
		{"10", "True", 100000, true}, // the largest plausible ratio (custexport.CheckPriceRatio)
	} {
		file := fmt.Sprintf("guid;priceRatio;disabledOrders\n%s;%s;%s\n", g, tc.ratio, tc.disabled)
		rec := mustImport(t, db, []byte(file), csvimport.Options{})
		if rec.Skipped != 0 {
			t.Fatalf("%q/%q skipped: %+v", tc.ratio, tc.disabled, rec.SkippedRows)
		}
		c := stored(t, db)[g]
		if c.PriceRatio != tc.want || c.DisabledOrders != tc.wantDisabled {
			t.Errorf("priceRatio %q, disabledOrders %q stored as %s, %v; want %s, %v", tc.ratio, tc.disabled, c.PriceRatio, c.DisabledOrders, tc.want, tc.wantDisabled)
		}
	}
}

// The formula guard's quote is removed before a value that needs it ('=…, '+…, '-…, '@…); a
// quote the value itself starts with stays, and so does one before a plain number.
func TestFormulaGuardQuote(t *testing.T) {
	db, _ := smallStore(t)
	g := "5d5d5d5d-5d5d-4d5d-8d5d-5d5d5d5d5d5d"
	for _, tc := range []struct{ cell, want string }{
		{"'=SUM(A1:A2)", "=SUM(A1:A2)"},
		{"'+420 777 888 999", "+420 777 888 999"},
		{"'-bez ulice-", "-bez ulice-"},
		{"'@home", "@home"},
		{"'\tTab", "\tTab"},
		{"''=x", "''=x"}, // '=x needs no guard: the quote is the value's own
		{"'Tisková", "'Tisková"},
		{"'s Hertogenbosch", "'s Hertogenbosch"},
		{"'-5", "'-5"},
		{"'", "'"},
		{"=bez stráže", "=bez stráže"},
	} {
		file := formatCSV([][]string{{"guid", "billingStreet"}, {g, tc.cell}}, exportStyle)
		mustImport(t, db, file, csvimport.Options{})
		if got := stored(t, db)[g].Billing.Street; got != tc.want {
			t.Errorf("cell %q stored as %q, want %q", tc.cell, got, tc.want)
		}
	}
}
