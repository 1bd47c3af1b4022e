package csvimport_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/csvimport"
)

// Every invalid row is skipped with its line, column and reason, and the valid rows around it
// are applied. The file's rows:
//
//	line 1    header
//	line 2-3  update of customer A (new phone; a remark with CRLF inside quotes spans two lines)
//	line 4    new customer new1@example.cz
//	line 5    the row under test
//	line 6    new customer new2@example.cz
func TestBadRowsAreSkipped(t *testing.T) {
	const (
		a = "0b9e3c1a-5f6d-4e2b-9a7c-1d2e3f405162" // jan.novak@example.cz
		b = "1c2d3e4f-0000-4000-8000-000000000002" // zuzana.kovacova@example.sk
		c = "3b3b3b3b-3b3b-4b3b-8b3b-3b3b3b3b3b3b" // zoe@example.com
	)
	tags := []string{"guid", "email", "billingFullName", "registrationDate", "birthDate", "billingCountryCode",
		"deliveryCountryCode", "priceRatio", "companyId", "vatId", "phone", "remark", "disabledOrders"}
	newRow := func(email string) map[string]string {
		return map[string]string{"email": email, "billingFullName": "Nový Zákazník", "priceRatio": "1"}
	}
	update := func(guid string) map[string]string { return map[string]string{"guid": guid} } // the rest from the export
	cases := []struct {
		name   string
		row    map[string]string
		column string
		reason string
	}{
		{"BadEmail", merge(update(c), "email", "zoe.example.com"), "email", "not an e-mail address"},
		{"BadEmailTwoAts", merge(newRow("a@b@example.com"), "", ""), "email", "not an e-mail address"},
		{"EmailWithSpace", merge(newRow("jan novak@example.cz"), "", ""), "email", "spaces"},
		{"EmailNoDomainDot", merge(newRow("jan@localhost"), "", ""), "email", "dot"},
		{"BadRegistrationDate", merge(update(c), "registrationDate", "2024-13-45 10:00:00"), "registrationDate", "not a date and time"},
		{"CzechRegistrationDate", merge(update(c), "registrationDate", "31.12.2024"), "registrationDate", "not a date and time"},
		{"BadBirthDate", merge(update(c), "birthDate", "1985-02-30"), "birthDate", "not a date"},
		{"TextBirthDate", merge(newRow("n@example.com"), "birthDate", "včera"), "birthDate", "not a date"},
		{"CountryCodeThreeLetters", merge(update(c), "billingCountryCode", "CZE"), "billingCountryCode", "two-letter country code"},
		{"CountryCodeDigit", merge(update(c), "deliveryCountryCode", "C1"), "deliveryCountryCode", "two-letter country code"},
		{"CountryName", merge(newRow("n@example.com"), "billingCountryCode", "Česko"), "billingCountryCode", "two-letter country code"},
		{"PriceRatioText", merge(update(c), "priceRatio", "sleva"), "priceRatio", "not a number"},
		{"PriceRatioFiveDecimals", merge(update(c), "priceRatio", "0,12345"), "priceRatio", "at most 4 decimals"},
		{"PriceRatioTwoSeparators", merge(update(c), "priceRatio", "1,000.5"), "priceRatio", "not a number"},
		{"BadBoolean", merge(update(c), "disabledOrders", "možná"), "disabledOrders", "0/1, true/false, ano/ne, yes/no"},
		{"GUIDTooShort", merge(update(c), "guid", "3b3b3b3b"), "guid", "malformed guid"},
		{"GUIDNotHex", merge(update(c), "guid", "3b3b3b3b-3b3b-4b3b-8b3b-3b3b3b3b3b3g"), "guid", "malformed guid"},
		{"GUIDBraces", merge(newRow("n@example.com"), "guid", "{3b3b3b3b-3b3b-4b3b-8b3b-3b3b3b3b3b3b}"), "guid", "malformed guid"},
		{"CompanyIDTooLong", merge(update(c), "companyId", "1234567890123456789"), "companyId", "longer than 18 characters (19)"},
		{"VatIDTooLong", merge(newRow("n@example.com"), "vatId", "CZ123456789012345"), "vatId", "longer than 16 characters (17)"},
		{"RemarkTooLong", merge(update(c), "remark", strings.Repeat("ž", 65536)), "remark", "longer than 65535 characters (65536)"},
		{"PhoneTooLong", merge(update(c), "phone", strings.Repeat("7", 31)), "phone", "longer than 30 characters"},
		{"DuplicateGUID", merge(update(strings.ToUpper(a)), "phone", "111"), "guid", "appears on an earlier row"},
		{"DuplicateEmailNewRows", newRow("NEW1@Example.CZ"), "email", "appears on an earlier row"},
		// An unchanged e-mail on an earlier row is not remembered as the file's; the owner check
		// refuses the later row instead.
		{"DuplicateEmailOfUpdatedRow", merge(update(c), "email", "Jan.Novak@example.cz"), "email", "already registered (customer " + a + ")"},
		{"DuplicateChangedEmail", merge(update(c), "email", "NEW1@example.cz"), "email", "appears on an earlier row"},
		{"EmailRegisteredNewRow", newRow("Zuzana.Kovacova@example.SK"), "email", "already registered (customer " + b + ")"},
		{"EmailRegisteredUnknownGUID", merge(newRow("zuzana.kovacova@example.sk"), "guid", "aaaaaaaa-0000-4000-8000-000000000001"), "email", "already registered"},
		{"EmailRegisteredUpdate", merge(update(c), "email", "zuzana.kovacova@example.sk"), "email", "already registered (customer " + b + ")"},
		{"NewRowWithoutEmail", merge(newRow(""), "", ""), "email", "email is required"},
		{"NewRowBlankName", merge(newRow("n@example.com"), "billingFullName", "   "), "billingFullName", "billingFullName is required"},
		{"NewRowEmptyName", merge(newRow("n@example.com"), "billingFullName", ""), "billingFullName", "billingFullName is required"},
		{"ClearEmailOnUpdate", merge(update(c), "email", ""), "email", "email is required"},
		{"ClearNameOnUpdate", merge(update(c), "billingFullName", ""), "billingFullName", "billingFullName is required"},
		{"UnclosedQuoteMidFile", nil, "", "a character follows the closing quote"},
	}
	_, before := smallStore(t)
	exported := only(t, parseCSV(t, template.csv, ';'), tags...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db, _ := smallStore(t)
			rowOf := func(cells map[string]string) []string {
				out := make([]string, len(tags))
				if g := cells["guid"]; g != "" {
					if _, known := before[strings.ToLower(g)]; known {
						for _, r := range exported[1:] {
							if strings.EqualFold(r[0], g) {
								copy(out, r)
							}
						}
					}
				}
				for i, tag := range tags {
					if v, ok := cells[tag]; ok {
						out[i] = v
					}
				}
				return out
			}
			rows := [][]string{
				tags,
				rowOf(map[string]string{"guid": a, "phone": "+420 111 222 333", "remark": "první\r\ndruhý řádek"}),
				rowOf(newRow("new1@example.cz")),
				nil,
				rowOf(newRow("new2@example.cz")),
			}
			var file []byte
			if tc.row != nil {
				rows[3] = rowOf(tc.row)
				file = formatCSV(rows, exportStyle)
			} else {
				rows[3] = rowOf(update(c))
				file = formatCSV(rows, exportStyle)
				// Break line 5: a character after a closing quote.
				lines := strings.SplitAfter(string(file), "\r\n")
				lines[4] = strings.Replace(lines[4], `";"`, `"x;"`, 1)
				file = []byte(strings.Join(lines, ""))
			}
			rec := mustImport(t, db, file, csvimport.Options{})
			wantCounts(t, rec, 4, 2, 1, 0, 1)
			got := rec.SkippedRows[0]
			if got.Line != 5 || got.Column != tc.column || !strings.Contains(got.Reason, tc.reason) {
				t.Fatalf("skipped %+v, want line 5, column %q, a reason with %q", got, tc.column, tc.reason)
			}
			after := stored(t, db)
			if after[a].Phone != "+420 111 222 333" || after[a].Remark != "první\r\ndruhý řádek" {
				t.Errorf("the valid update before the bad row was not applied: phone %q, remark %q", after[a].Phone, after[a].Remark)
			}
			emails := map[string]bool{}
			for g, cust := range after {
				if _, ok := before[g]; !ok {
					emails[cust.Email] = true
				}
			}
			if len(emails) != 2 || !emails["new1@example.cz"] || !emails["new2@example.cz"] {
				t.Errorf("created %v, want exactly new1@ and new2@example.cz", emails)
			}
			for _, g := range []string{b, c} {
				if d := changes(map[string]custexport.Customer{g: before[g]}, map[string]custexport.Customer{g: after[g]}); len(d) > 0 {
					t.Errorf("a skipped row changed a customer: %v", d)
				}
			}
		})
	}
}

func merge(m map[string]string, tag, value string) map[string]string {
	if tag != "" {
		m[tag] = value
	}
	return m
}

// A remark of exactly 65,535 characters (two bytes each in UTF-8) is accepted; the limit counts
// characters, not bytes.
func TestLongestRemarkAccepted(t *testing.T) {
	db, _ := smallStore(t)
	g := "3b3b3b3b-3b3b-4b3b-8b3b-3b3b3b3b3b3b"
	long := strings.Repeat("ž", 65535)
	rec := mustImport(t, db, formatCSV([][]string{{"guid", "remark", "companyId"}, {g, long, "123456789012345678"}}, exportStyle), csvimport.Options{})
	wantCounts(t, rec, 1, 0, 1, 0, 0)
	if c := stored(t, db)[g]; c.Remark != long || c.CompanyID != "123456789012345678" {
		t.Fatalf("remark of %d characters, companyId %q stored", len([]rune(c.Remark)), c.CompanyID)
	}
}

// A new customer needs an e-mail and a name: a file without the email column can update
// customers but not create them.
func TestNewCustomerNeedsEmailColumn(t *testing.T) {
	db, before := smallStore(t)
	file := "guid;billingFullName\n" +
		"aaaaaaaa-0000-4000-8000-000000000001;Nikdo Neznámý\n" +
		"3b3b3b3b-3b3b-4b3b-8b3b-3b3b3b3b3b3b;Zoë Nová\n" +
		";Bez Guid\n"
	rec := mustImport(t, db, []byte(file), csvimport.Options{})
	wantCounts(t, rec, 3, 0, 1, 0, 2)
	for i, want := range []custexport.SkippedRow{
		{Line: 2, Column: "email", Reason: "a new customer needs email, and the file has no such column", Key: "new_needs_column", Args: []string{"email"}},
		{Line: 4, Column: "email", Reason: "a new customer needs email, and the file has no such column", Key: "new_needs_column", Args: []string{"email"}},
	} {
		if got := rec.SkippedRows[i]; !reflect.DeepEqual(got, want) {
			t.Errorf("skipped row %d: %+v, want %+v", i, got, want)
		}
	}
	if got := changedFields(before, stored(t, db)); fmt.Sprint(got) != "[3b3b3b3b-3b3b-4b3b-8b3b-3b3b3b3b3b3b billingFullName]" {
		t.Errorf("changed %v", got)
	}
}

// Line numbers count physical lines: new lines inside quoted fields, empty lines and a row
// with the wrong number of fields all move them.
func TestSkippedLineNumbers(t *testing.T) {
	db, _ := smallStore(t)
	file := "email;billingFullName;remark\r\n" +
		"a@example.com;A;\"one\r\ntwo\r\nthree\"\r\n" + // lines 2-4
		"\r\n" + // line 5, empty: not a row
		"bad;B;\r\n" + // line 6
		"c@example.com;C\r\n" + // line 7: a field short
		"d@example.com;D;\"x\n\"\n" + // lines 8-9 (LF)
		"e@example.com;;\n" // line 10: no name
	rec := mustImport(t, db, []byte(file), csvimport.Options{})
	wantCounts(t, rec, 5, 2, 0, 0, 3)
	var got []string
	for _, s := range rec.SkippedRows {
		got = append(got, fmt.Sprintf("%d %s", s.Line, s.Column))
	}
	if want := "[6 email 7  10 billingFullName]"; fmt.Sprint(got) != want {
		t.Fatalf("skipped %v (%+v), want %s", got, rec.SkippedRows, want)
	}
	if !strings.Contains(rec.SkippedRows[1].Reason, "2 fields, the header 3") {
		t.Errorf("short row reason %q", rec.SkippedRows[1].Reason)
	}
}

// A NUL byte past the part of the file sniffed for binary data refuses its row only, with a
// reason: no store keeps NUL in a customer value (PostgreSQL cannot).
func TestNULBeyondTheSniffedStartSkipsItsRow(t *testing.T) {
	db, before := smallStore(t)
	g := "3b3b3b3b-3b3b-4b3b-8b3b-3b3b3b3b3b3b"
	filler := strings.Repeat("x", 70<<10)
	file := "guid;remark;phone;filler\n" + // filler: an unknown column, ignored
		g + ";new remark;111;" + filler + "\n" +
		g[:35] + "c;bad\x00remark;222;\n"
	rec := mustImport(t, db, []byte(file), csvimport.Options{})
	if len(rec.SkippedRows) != 1 || rec.SkippedRows[0].Line != 3 || rec.SkippedRows[0].Column != "remark" ||
		!strings.Contains(rec.SkippedRows[0].Reason, "NUL") {
		t.Fatalf("skipped %+v, want line 3's remark for its NUL", rec.SkippedRows)
	}
	if got := changedFields(before, stored(t, db)); fmt.Sprint(got) != "["+g+" phone "+g+" remark]" {
		t.Errorf("changed %v", got)
	}
}
