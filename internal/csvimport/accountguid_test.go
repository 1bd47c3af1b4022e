package csvimport_test

import (
	"strings"
	"testing"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/csvimport"
)

// accountGuid on import (SPEC section 1): an existing customer keeps its own, a new one takes a
// well-formed, unused one from the file. The file's rows:
//
//	line 2  update of customer A (new phone), its accountGuid as exported
//	line 3  the row under test
//	line 4  new customer new2@example.cz with accountGuid fresh2 from the file
//
// (TakenByTheFilesNewRow swaps the last two.)
func TestAccountGUIDOnImport(t *testing.T) {
	const (
		a      = "0b9e3c1a-5f6d-4e2b-9a7c-1d2e3f405162" // sample customer 0
		c      = "3b3b3b3b-3b3b-4b3b-8b3b-3b3b3b3b3b3b" // sample customer 3
		fresh  = "f7e5a000-0000-4000-8000-000000000001"
		fresh2 = "f7e5a000-0000-4000-8000-000000000002"
	)
	_, before := smallStore(t)
	accountA, accountC := before[a].AccountGUID, before[c].AccountGUID
	if accountA == "" || accountC == "" || accountA == accountC {
		t.Fatalf("sample account guids %q, %q: want two distinct", accountA, accountC)
	}
	tags := []string{"guid", "accountGuid", "email", "billingFullName", "phone"}
	newRow := func(account, email string) []string { return []string{"", account, email, "Nový Zákazník", ""} }
	update := func(guid, account, phone string) []string {
		return []string{guid, account, before[guid].Email, before[guid].Billing.FullName, phone}
	}
	cases := []struct {
		name    string
		row     []string
		column  string // "" when the row is applied
		reason  string
		account string // the account guid the row's customer then has (applied rows)
	}{
		{"NewKeepsTheFilesAccountGUID", newRow(fresh, "n@example.com"), "", "", fresh},
		{"NewAccountGUIDInUpperCase", newRow(strings.ToUpper(fresh), "n@example.com"), "", "", fresh},
		{"NewWithoutAccountGUIDGetsOne", newRow("", "n@example.com"), "", "", ""},
		{"NewWithUnknownGUIDKeepsBoth", append([]string{"aaaaaaaa-0000-4000-8000-000000000001"}, newRow(fresh, "n@example.com")[1:]...), "", "", fresh},
		{"SameOnExisting", update(c, accountC, "111"), "", "", accountC},
		{"SameOnExistingUpperCase", update(c, strings.ToUpper(accountC), "111"), "", "", accountC},
		{"EmptyOnExistingKeepsIt", update(c, "", "111"), "", "", accountC},
		{"Malformed", newRow("f7e5a000-0000-4000-8000-00000000000", "n@example.com"), "accountGuid", "malformed accountGuid", ""},
		{"MalformedNotHex", newRow("f7e5a000-0000-4000-8000-00000000000g", "n@example.com"), "accountGuid", "malformed accountGuid", ""},
		{"MalformedOnExisting", update(c, "{"+accountC+"}", "111"), "accountGuid", "malformed accountGuid", ""},
		{"TakenByStoredCustomer", newRow(accountC, "n@example.com"), "accountGuid", "already belongs to customer " + c, ""},
		{"TakenUpperCase", newRow(strings.ToUpper(accountC), "n@example.com"), "accountGuid", "already belongs to customer " + c, ""},
		{"TakenByTheFilesNewRow", newRow(fresh2, "n@example.com"), "accountGuid", "appears on an earlier row", ""},
		{"ChangedOnExisting", update(c, fresh, "111"), "accountGuid", "differs from the customer's " + accountC, ""},
		{"OtherCustomersOnExisting", update(c, accountA, "111"), "accountGuid", "differs from the customer's", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db, _ := smallStore(t)
			rows := [][]string{tags, update(a, accountA, "+420 111 222 333"), tc.row, newRow(fresh2, "new2@example.cz")}
			line := 3
			if tc.name == "TakenByTheFilesNewRow" {
				rows[2], rows[3] = rows[3], rows[2] // the file's own account guid comes first
				line = 4
			}
			rec := mustImport(t, db, formatCSV(rows, exportStyle), csvimport.Options{})
			after := stored(t, db)
			if after[a].Phone != "+420 111 222 333" || after[a].AccountGUID != accountA {
				t.Errorf("customer A: phone %q, account %q; want the update applied and %s kept", after[a].Phone, after[a].AccountGUID, accountA)
			}
			byEmail := map[string]custexport.Customer{}
			for g, cust := range after {
				if _, old := before[g]; !old {
					byEmail[cust.Email] = cust
				}
			}
			if tc.column != "" {
				if rec.Skipped != 1 || len(rec.SkippedRows) != 1 {
					t.Fatalf("%s, %+v; want the row skipped", counts(rec), rec.SkippedRows)
				}
				got := rec.SkippedRows[0]
				if got.Line != line || got.Column != tc.column || !strings.Contains(got.Reason, tc.reason) || !strings.HasPrefix(got.Key, "account_guid_") {
					t.Fatalf("skipped %+v, want line %d, column %q, a reason with %q", got, line, tc.column, tc.reason)
				}
				if after[c].AccountGUID != accountC || after[c].Phone != before[c].Phone {
					t.Errorf("customer C changed: account %q, phone %q", after[c].AccountGUID, after[c].Phone)
				}
				if _, made := byEmail["n@example.com"]; made {
					t.Error("the skipped new customer was created")
				}
				return
			}
			if rec.Skipped != 0 {
				t.Fatalf("%s, skipped %+v; want every row applied", counts(rec), rec.SkippedRows)
			}
			if n, ok := byEmail["n@example.com"]; ok {
				if tc.account != "" && n.AccountGUID != tc.account {
					t.Errorf("new customer's account guid %q, want %q", n.AccountGUID, tc.account)
				}
				if _, err := custexport.ParseGUID(n.AccountGUID); err != nil || n.AccountGUID == fresh2 {
					t.Errorf("new customer's account guid %q: want a fresh UUID of its own", n.AccountGUID)
				}
			} else if after[c].AccountGUID != tc.account || after[c].Phone != "111" {
				t.Errorf("customer C: account %q, phone %q; want %s and the update applied", after[c].AccountGUID, after[c].Phone, tc.account)
			}
			if n2 := byEmail["new2@example.cz"]; n2.AccountGUID != fresh2 {
				t.Errorf("new2's account guid %q, want the file's %s", n2.AccountGUID, fresh2)
			}
		})
	}
}

// An unchanged export carries every customer's accountGuid, and importing it changes nothing.
func TestAccountGUIDRoundTrip(t *testing.T) {
	db, before := smallStore(t)
	rows := parseCSV(t, exportCSV(t, db, custexport.EncodingUTF8, true), ';')
	col := column(t, rows, "accountGuid")
	if col != column(t, rows, "guid")+1 {
		t.Errorf("accountGuid is column %d, want right after guid", col)
	}
	seen := map[string]bool{}
	for _, r := range rows[1:] {
		if _, err := custexport.ParseGUID(r[col]); err != nil || seen[r[col]] {
			t.Fatalf("accountGuid %q: want a UUID of its own", r[col])
		}
		seen[r[col]] = true
	}
	rec := mustImport(t, db, formatCSV(rows, exportStyle), csvimport.Options{})
	wantCounts(t, rec, int64(len(before)), 0, 0, int64(len(before)), 0)
	if d := changes(before, stored(t, db)); len(d) > 0 {
		t.Errorf("the round trip changed %v", d)
	}
}
