package csvimport_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/csvimport"
	"github.com/custexport/custexport/internal/sample"
)

// The implausible values of issue 17 are skipped with their rule as the reason, each on its own
// row; an IČO with a wrong check digit is a warning, not a skip; and what is stored is never
// judged: a row repeating a stored implausible value (the sample's price ratio 0, its control
// character in a company) changes another field without being skipped.
func TestImplausibleValuesAreSkipped(t *testing.T) {
	db, before := smallStore(t)
	db.SetClock(func() time.Time { return time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC) })
	header := "email;billingFullName;billingCompany;billingZip;billingCountryCode;companyId;priceRatio;birthDate;registrationDate"
	rows := []struct{ row, column, key string }{
		{"a1@example.cz;A;;;CZ;;-0,5;;", "priceRatio", custexport.ReasonPriceRatioRange},
		{"a2@example.cz;A;;;CZ;;100000;;", "priceRatio", custexport.ReasonPriceRatioRange},
		{"a3@example.cz;A;;ABC;CZ;;;;", "billingZip", custexport.ReasonZip},
		{"a4@example.cz;A;;;XX;;;;", "billingCountryCode", custexport.ReasonCountryCode},
		{"a5@example.cz;\"A\x01B\";;;CZ;;;;", "billingFullName", custexport.ReasonControlChars},
		{"a6@example.cz;A;\"Firma\x07\";;CZ;;;;", "billingCompany", custexport.ReasonControlChars},
		{"a7@example.cz;A;;;CZ;;;2090-01-01;", "birthDate", custexport.ReasonFutureDate},
		{"a8@example.cz;A;;;CZ;;;;2090-01-01 10:00:00", "registrationDate", custexport.ReasonFutureDate},
		{"a9@example.cz;A;;;CZ;;;;2026-03-29 02:30:00", "registrationDate", custexport.ReasonTimeMissing},
		{"b1@example.cz;A;;;CZ;;;;2025-10-26 02:30:00", "registrationDate", custexport.ReasonTimeTwice},
		{"b2@example.cz;A;;;CZ;1234567;;;", "companyId", custexport.ReasonCompanyID},
	}
	var file strings.Builder
	file.WriteString(header + "\n")
	for _, r := range rows {
		file.WriteString(r.row + "\n")
	}
	// Plausible: a Slovak ZIP with a space, a price ratio of 10, an IČO with a wrong check
	// digit (created without it, and warned about).
	file.WriteString("ok1@example.cz;OK;;010 01;SK;00235678;10;2026-06-01;2026-03-29 03:30:00\n")
	rec := mustImport(t, db, []byte(file.String()), csvimport.Options{})
	if rec.Skipped != int64(len(rows)) || rec.Created != 1 {
		t.Fatalf("%s %+v", counts(rec), rec.SkippedRows)
	}
	for i, r := range rows {
		s := rec.SkippedRows[i]
		if s.Line != i+2 || s.Column != r.column || s.Key != r.key || s.Reason == "" {
			t.Errorf("row %d: skipped %+v, want column %s, key %s", i+2, s, r.column, r.key)
		}
	}
	if rec.Warnings != 1 || rec.WarningRows[0].Key != custexport.WarnCompanyIDCheck || rec.WarningRows[0].Incoming != "00235678" {
		t.Fatalf("warnings %+v, want the IČO's check digit", rec.WarningRows)
	}
	var created custexport.Customer
	for g, c := range stored(t, db) {
		if _, ok := before[g]; !ok {
			created = c
		}
	}
	if created.CompanyID != "" || created.PriceRatio != custexport.MaxPriceRatio || created.Billing.Zip != "010 01" {
		t.Fatalf("created %+v: want no IČO (warned, not accepted), ratio 10, ZIP 010 01", created)
	}

	// What is stored is not judged: the sample's zero price ratio and control character stay,
	// and another field of their row changes.
	ctl := sample.Customers()[4]
	file.Reset()
	fmt.Fprintf(&file, "guid;billingCompany;priceRatio;phone\n%s;\"%s\";0,0000;777 000 111\n", ctl.GUID, ctl.Billing.Company)
	rec = mustImport(t, db, []byte(file.String()), csvimport.Options{})
	if rec.Updated != 1 || rec.Skipped != 0 {
		t.Fatalf("a row repeating stored implausible values: %s %+v", counts(rec), rec.SkippedRows)
	}
	if got := changedFields(before, stored(t, db)); !strings.Contains(strings.Join(got, ","), ctl.GUID+" phone") ||
		strings.Contains(strings.Join(got, ","), ctl.GUID+" billingCompany") {
		t.Fatalf("changed %v: want the phone of %s, not its company", got, ctl.GUID)
	}
}
