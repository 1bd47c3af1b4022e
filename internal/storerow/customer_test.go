package storerow

import (
	"reflect"
	"strings"
	"testing"

	"github.com/custexport/custexport"
)

// The further delivery addresses (all but the first) round-trip through their stored JSON,
// by the fast path for plain text and through encoding/json for escaped characters; one
// address or none stores nothing; damaged text is an error, and dst keeps what it held.
func TestExtraDelivery(t *testing.T) {
	first := custexport.Address{FullName: "Eva", City: "Brno"}
	for _, further := range [][]custexport.Address{
		{{Street: "Hlavní", HouseNumber: "1", Zip: "602 00", CountryCode: "CZ"}},
		{{FullName: `Quote " and \ backslash`, Company: "Tab\there"}, {Additional: "Ω ünïcode", District: "D", City: "C"}},
	} {
		text, err := EncodeExtraDelivery(append([]custexport.Address{first}, further...))
		if err != nil {
			t.Fatal(err)
		}
		got, err := AppendExtraDelivery([]custexport.Address{first}, text)
		if err != nil || !reflect.DeepEqual(got[1:], further) || got[0] != first {
			t.Fatalf("round trip of %+v through %s = %+v, %v", further, text, got, err)
		}
	}
	if text, err := EncodeExtraDelivery([]custexport.Address{first}); text != "" || err != nil {
		t.Fatalf("one address stored %q, %v", text, err)
	}
	if got, err := AppendExtraDelivery(nil, ""); got != nil || err != nil {
		t.Fatalf("nothing stored read as %+v, %v", got, err)
	}
	dst := []custexport.Address{first}
	got, err := AppendExtraDelivery(dst, `[{"city":"Brno"},{"city":`)
	if err == nil || !strings.Contains(err.Error(), "damaged") || len(got) != 1 {
		t.Fatalf("damaged text: %+v, %v", got, err)
	}
}

// The export's column list has IntColumns integers then TextColumns texts, each text has a
// field of the customer to go to except the birth date, which is parsed.
func TestExportColumns(t *testing.T) {
	cols := strings.Split(ExportColumns, ",")
	if len(cols) != IntColumns+TextColumns {
		t.Fatalf("ExportColumns has %d columns, want %d", len(cols), IntColumns+TextColumns)
	}
	if c := strings.TrimSpace(cols[IntColumns+BirthDateText]); c != "birth_date" {
		t.Fatalf("text %d is %q, want birth_date", BirthDateText, c)
	}
	var c custexport.Customer
	var d custexport.Address
	seen := map[*string]bool{}
	for i, field := range TextField {
		if (field == nil) != (i == BirthDateText) {
			t.Fatalf("text %d (%s): field %v", i, strings.TrimSpace(cols[IntColumns+i]), field != nil)
		}
		if field == nil {
			continue
		}
		p := field(&c, &d)
		if seen[p] {
			t.Fatalf("text %d (%s) goes to a field another text goes to", i, strings.TrimSpace(cols[IntColumns+i]))
		}
		seen[p] = true
	}
	// The texts follow the columns: guid, account guid, e-mail, then the billing name.
	*TextField[0](&c, &d), *TextField[1](&c, &d), *TextField[2](&c, &d), *TextField[3](&c, &d), *TextField[16](&c, &d) = "g", "a", "e", "b", "dn"
	if c.GUID != "g" || c.AccountGUID != "a" || c.Email != "e" || c.Billing.FullName != "b" || d.FullName != "dn" {
		t.Fatalf("fields filled %+v, delivery %+v", c, d)
	}
}
