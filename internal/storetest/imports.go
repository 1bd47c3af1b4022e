package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/sample"
)

var importTests = []test{
	{"ImportLogRoundTrip", testImportLogRoundTrip},
	{"ImportTransaction", testImportTransaction},
	{"ImportSeenAndOwner", testImportSeenAndOwner},
	{"ImportUpdatePromotesDelivery", testImportUpdatePromotesDelivery},
	{"ImportUpdateKeepsFurtherDelivery", testImportUpdateKeepsFurtherDelivery},
	{"ImportEmailChange", testImportEmailChange},
	{"ImportRepeatedGUID", testImportRepeatedGUID},
	{"ImportLookupOrders", testImportLookupOrders},
	{"ImportAfterWrites", testImportAfterWrites},
}

// The import log keeps every field of a record, lists newest first and pages.
func testImportLogRoundTrip(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	if got, total, err := db.Imports(ctx, 0, 10); err != nil || total != 0 || len(got) != 0 {
		t.Fatalf("a new store's import log: %+v, %d, %v", got, total, err)
	}
	at := time.Date(2026, 3, 1, 10, 0, 0, 123e6, time.UTC)
	recs := []custexport.ImportRecord{
		{
			At: at, Principal: custexport.Principal{Kind: custexport.PrincipalOperator, Name: "root"},
			File: "zákazníci 2026.csv", Encoding: custexport.EncodingWindows1250, Delimiter: ",",
			ImportCounts: custexport.ImportCounts{Rows: 10, Created: 1, Updated: 2, Unchanged: 4, Skipped: 3},
			Unknown:      []string{"heslo", "Poznámka"},
			SkippedRows: []custexport.SkippedRow{
				{Line: 3, Column: "email", Reason: `"x" is not an e-mail address`},
				{Line: 7, Reason: "the row has 2 fields, the header 3"},
				{Line: 12, Column: "remark", Reason: "longer than 65535 characters (70000)"},
			},
		},
		{
			At: at.Add(time.Minute), Principal: custexport.Principal{Kind: custexport.PrincipalUser, ID: 4, Name: "Eva"},
			File: "customers.xlsx", DryRun: true,
			Error: "this is a ZIP file (an XLSX export?), not a CSV; export as CSV to import",
		},
		{
			// Warnings and ignored columns (issue 17) are kept with the record in both stores.
			At: at.Add(2 * time.Minute), Principal: custexport.Principal{Kind: custexport.PrincipalOperator, Name: "root"},
			File: "z tabulky.csv", Encoding: custexport.EncodingUTF8, Delimiter: ";", AcceptWarnings: true,
			ImportCounts: custexport.ImportCounts{Rows: 3, Unchanged: 2, Skipped: 1},
			Ignored:      []string{"changeTime"},
			SkippedRows:  []custexport.SkippedRow{{Line: 4, Column: "priceRatio", Reason: "price ratio 12.0000 is outside (0, 10]", Key: "price_ratio_range", Args: []string{"12.0000"}}},
			Warnings:     2,
			WarningRows: []custexport.ImportWarning{
				{Line: 2, GUID: "0b9e3c1a-5f6d-4e2b-9a7c-1d2e3f405162", Column: "billingZip", Stored: "03401", Incoming: "3401", Key: custexport.WarnZerosLost, Reason: "leading zeros lost"},
				{Line: 3, Column: "remark", Stored: "a\r\nb", Incoming: "a\nb", Key: custexport.WarnCRLF, Reason: "CRLF lost"},
			},
		},
		{Principal: custexport.Principal{Kind: custexport.PrincipalOperator, Name: "cron"}, File: "now.csv", Encoding: custexport.EncodingUTF8, Delimiter: ";"},
	}
	for i := range recs {
		if err := db.RecordImport(ctx, &recs[i]); err != nil {
			t.Fatal(err)
		}
		if recs[i].ID == 0 {
			t.Fatalf("record %d got no ID", i)
		}
	}
	if last := recs[len(recs)-1]; last.At.IsZero() || time.Since(last.At) > time.Minute {
		t.Errorf("a record without At got %v, want now", last.At)
	}
	got, total, err := db.Imports(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(recs); total != int64(n) || len(got) != n {
		t.Fatalf("Imports: %d records of %d, want %d of %d", len(got), total, n, n)
	}
	for i, g := range got {
		want := recs[len(recs)-1-i]
		if !g.At.Equal(want.At) {
			t.Errorf("record %d: At %v, want %v", i, g.At, want.At)
		}
		g.At = want.At
		if want.Unknown == nil {
			want.Unknown = []string{}
		}
		if want.SkippedRows == nil {
			want.SkippedRows = []custexport.SkippedRow{}
		}
		if g.Unknown == nil {
			g.Unknown = []string{}
		}
		if g.SkippedRows == nil {
			g.SkippedRows = []custexport.SkippedRow{}
		}
		if !reflect.DeepEqual(g, want) {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, g, want)
		}
	}
	page, total, err := db.Imports(ctx, 1, 1)
	if err != nil || total != 4 || len(page) != 1 || page[0].ID != recs[2].ID {
		t.Fatalf("Imports(1, 1) = %+v, %d, %v; want the second newest record", page, total, err)
	}
	if page, total, err := db.Imports(ctx, 4, 10); err != nil || total != 4 || len(page) != 0 {
		t.Fatalf("Imports past the end = %+v, %d, %v; want none of 3", page, total, err)
	}
}

// Import commits only a successful, non-dry run; an error from fn, a dry run and a cancelled
// context leave the database as it was, and the store is usable afterwards.
func testImportTransaction(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	cs := sample.Customers()
	insert(t, db, cs[:2]...)
	write := func(tx custexport.ImportTx) error {
		c := cs[2]
		if err := tx.Insert(ctx, &c); err != nil {
			return err
		}
		if err := updateStored(ctx, tx, cs[0].GUID, func(c *custexport.Customer) { c.Phone = "+420 1" }); err != nil {
			return err
		}
		// The owner check sees the import's own writes (the importer relies on it to refuse a
		// later row taking the e-mail).
		if owner, err := tx.EmailOwner(ctx, cs[2].Email); err != nil || owner != cs[2].GUID {
			return errors.Join(err, errors.New("the inserted customer's e-mail has no owner in its own import"))
		}
		return nil
	}
	phone := func() string {
		_, all := ReadAll(t, db, custexport.SnapshotQuery{})
		for _, c := range all {
			if c.GUID == cs[0].GUID {
				return c.Phone
			}
		}
		return ""
	}
	boom := errors.New("boom")
	if err := db.Import(ctx, true, func(tx custexport.ImportTx) error { return errors.Join(write(tx), boom) }); !errors.Is(err, boom) {
		t.Fatalf("Import with a failing fn: %v", err)
	}
	if err := db.Import(ctx, false, write); err != nil {
		t.Fatalf("dry Import: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	err := db.Import(cancelled, true, func(tx custexport.ImportTx) error {
		if err := write(tx); err != nil {
			return err
		}
		cancel()
		_, err := tx.EmailOwner(cancelled, "x@example.com") // interrupted
		return err
	})
	if err == nil {
		t.Fatal("an Import whose context was cancelled inside succeeded")
	}
	if n, _ := db.CountCustomers(ctx); n != 2 || phone() != cs[0].Phone {
		t.Fatalf("after three failed or dry imports: %d customers, phone %q; want 2 and %q", n, phone(), cs[0].Phone)
	}
	// A write conflict inside fn is a domain error and also writes nothing.
	err = db.Import(ctx, true, func(tx custexport.ImportTx) error {
		c := cs[3]
		if err := tx.Insert(ctx, &c); err != nil {
			return err
		}
		dup := cs[4]
		dup.Email = strings.ToUpper(cs[1].Email)
		return tx.Insert(ctx, &dup)
	})
	if e := wantCode(t, "an import inserting a taken e-mail", err, custexport.CodeConflict); e.Field != "email" {
		t.Errorf("conflict %+v, want field email", e)
	}
	if n, _ := db.CountCustomers(ctx); n != 2 {
		t.Fatalf("a failed import left %d customers, want 2", n)
	}
	if err := db.Import(ctx, true, write); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.CountCustomers(ctx); n != 3 || phone() != "+420 1" {
		t.Fatalf("after the import: %d customers, phone %q", n, phone())
	}
	// Other writers and readers work after the imports.
	insert(t, db, cs[5])
	if n, _ := db.CountCustomers(ctx); n != 4 {
		t.Fatalf("after an insert following the imports: %d customers, want 4", n)
	}
}

// The duplicate keys of one import do not leak into the next one, and an e-mail owner is found
// whatever its letter case.
func testImportSeenAndOwner(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	insert(t, db, sample.Customers()...)
	for range 3 {
		err := db.Import(ctx, false, func(tx custexport.ImportTx) error {
			for i, key := range []string{"guid:a", "email:ž@example.cz", "guid:a", "email:ž@example.cz", "email:Ž@example.cz"} {
				seen, err := tx.SeenInFile(ctx, key)
				if err != nil {
					return err
				}
				if want := i == 2 || i == 3; seen != want {
					t.Errorf("SeenInFile(%q) = %v at call %d, want %v", key, seen, i, want)
				}
			}
			owner, err := tx.EmailOwner(ctx, "JAN.NOVAK@Example.CZ")
			if err != nil || owner != "0b9e3c1a-5f6d-4e2b-9a7c-1d2e3f405162" {
				t.Errorf("EmailOwner = %q, %v", owner, err)
			}
			if owner, err := tx.EmailOwner(ctx, "nobody@example.cz"); err != nil || owner != "" {
				t.Errorf("EmailOwner(unknown) = %q, %v; want \"\"", owner, err)
			}
			c, _, err := tx.Customer(ctx, "ffffffff-0000-4000-8000-000000000000")
			if err != nil || c != nil {
				t.Errorf("Customer(unknown) = %v, %v; want nil, nil", c, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Customer returns the flat record as stored.
	err := db.Import(ctx, false, func(tx custexport.ImportTx) error {
		for _, want := range sample.Customers() {
			got, _, err := tx.Customer(ctx, want.GUID)
			if err != nil {
				return err
			}
			if got == nil {
				t.Errorf("Customer(%s) = nil", want.GUID)
				continue
			}
			want.Delivery = want.Delivery[:min(len(want.Delivery), 1)]
			if len(want.Delivery) == 0 {
				want.Delivery = nil
			}
			if !reflect.DeepEqual(Normalise([]custexport.Customer{*got}), Normalise([]custexport.Customer{want})) {
				t.Errorf("Customer(%s):\n got %+v\nwant %+v", want.GUID, *got, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// An update that empties the default delivery address makes the next one the default in the
// stored form, so that readers of the default alone (CSV, XLSX) and readers of every address
// (XML) agree; escaped text in the further addresses survives the move.
func testImportUpdatePromotesDelivery(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	c := sample.Customers()[6] // three addresses
	c.Delivery[1].Company = `Sklad "A" <&> 😀 \ line` + "\n" + "break"
	insert(t, db, c)
	for want := 2; want >= 0; want-- {
		err := db.Import(ctx, true, func(tx custexport.ImportTx) error {
			got, _, err := tx.Customer(ctx, c.GUID)
			if err != nil {
				return err
			}
			got.Delivery = nil // every delivery column cleared
			return tx.Update(ctx, got)
		})
		if err != nil {
			t.Fatal(err)
		}
		_, all := ReadAll(t, db, custexport.SnapshotQuery{AllDelivery: true})
		_, flat := ReadAll(t, db, custexport.SnapshotQuery{})
		wantAll := c.Delivery[len(c.Delivery)-want:]
		if len(wantAll) == 0 {
			wantAll = nil
		}
		if !reflect.DeepEqual(all[0].Delivery, wantAll) {
			t.Fatalf("%d addresses left:\n got %+v\nwant %+v", want, all[0].Delivery, wantAll)
		}
		if want > 0 && !reflect.DeepEqual(flat[0].Delivery, wantAll[:1]) {
			t.Fatalf("the default address read alone %+v, want %+v", flat[0].Delivery, wantAll[:1])
		}
		if want == 0 && len(flat[0].Delivery) != 0 {
			t.Fatalf("no address left, but the default reads as %+v", flat[0].Delivery)
		}
	}
}

// Update rewrites the flat record (the default delivery address) and keeps the further
// addresses, which a flat file does not carry.
func testImportUpdateKeepsFurtherDelivery(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	c := sample.Customers()[6] // three addresses
	insert(t, db, c)
	newDefault := custexport.Address{FullName: "Nová Adresa", City: "Plzeň", Zip: "30100", CountryCode: "CZ"}
	err := db.Import(ctx, true, func(tx custexport.ImportTx) error {
		got, _, err := tx.Customer(ctx, c.GUID)
		if err != nil {
			return err
		}
		if len(got.Delivery) != 1 {
			t.Errorf("the import's Customer has %d delivery addresses, want the default only", len(got.Delivery))
		}
		got.Delivery = []custexport.Address{newDefault}
		got.Remark = "změněno"
		return tx.Update(ctx, got)
	})
	if err != nil {
		t.Fatal(err)
	}
	_, all := ReadAll(t, db, custexport.SnapshotQuery{AllDelivery: true})
	want := append([]custexport.Address{newDefault}, c.Delivery[1:]...)
	if len(all) != 1 || !reflect.DeepEqual(all[0].Delivery, want) || all[0].Remark != "změněno" {
		t.Fatalf("after the update: %+v\nwant delivery %+v", all, want)
	}
}

// An update may change the e-mail: the new one is owned at once (in the same import), the old
// one is free, and one taken by another customer is refused as a conflict.
func testImportEmailChange(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	cs := sample.Customers()
	insert(t, db, cs[:3]...)
	err := db.Import(ctx, true, func(tx custexport.ImportTx) error {
		if err := updateStored(ctx, tx, cs[0].GUID, func(c *custexport.Customer) { c.Email = "Jan.Novy@Example.cz" }); err != nil {
			return err
		}
		if owner, err := tx.EmailOwner(ctx, "jan.novy@example.cz"); err != nil || owner != cs[0].GUID {
			t.Errorf("the new e-mail's owner = %q, %v; want %s", owner, err, cs[0].GUID)
		}
		if owner, err := tx.EmailOwner(ctx, cs[0].Email); err != nil || owner != "" {
			t.Errorf("the old e-mail's owner = %q, %v; want none", owner, err)
		}
		// The old e-mail is free for a new customer of the same import.
		n := cs[3]
		n.Email = strings.ToUpper(cs[0].Email)
		if err := tx.Insert(ctx, &n); err != nil {
			t.Errorf("inserting a customer with the freed e-mail: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Changing to an e-mail another customer has is a conflict (the importer checks EmailOwner
	// first; the store's unique rule is the last guard). The failed import writes nothing.
	err = db.Import(ctx, true, func(tx custexport.ImportTx) error {
		return updateStored(ctx, tx, cs[1].GUID, func(c *custexport.Customer) {
			c.Remark = "must not be stored"
			c.Email = strings.ToUpper(cs[2].Email)
		})
	})
	if e := wantCode(t, "an update to a taken e-mail", err, custexport.CodeConflict); e.Field != "email" {
		t.Errorf("conflict %+v, want field email", e)
	}
	_, all := ReadAll(t, db, custexport.SnapshotQuery{})
	emails := map[string]string{}
	for _, c := range all {
		emails[c.GUID] = c.Email
	}
	if emails[cs[0].GUID] != "Jan.Novy@Example.cz" || emails[cs[1].GUID] != cs[1].Email || emails[cs[3].GUID] != strings.ToUpper(cs[0].Email) {
		t.Fatalf("after the import the e-mails are %v", emails)
	}
	// The unique rule still holds for the changed e-mail.
	dup := cs[4]
	dup.Email = "JAN.NOVY@EXAMPLE.CZ"
	wantCode(t, "inserting the changed e-mail again", db.InsertCustomers(ctx, []custexport.Customer{dup}), custexport.CodeConflict)
}

// updateStored does what the importer does to a row of a stored customer: it reads the
// customer by guid in the import (a missing one is an error), applies change and updates it.
func updateStored(ctx context.Context, tx custexport.ImportTx, guid string, change func(c *custexport.Customer)) error {
	c, _, err := tx.Customer(ctx, guid)
	if err != nil || c == nil {
		return errors.Join(err, fmt.Errorf("stored customer %s not found", guid))
	}
	change(c)
	return tx.Update(ctx, c)
}

// Customer reports a guid asked for earlier in the same import, known or not, and one the
// import inserted; a new import starts afresh.
func testImportRepeatedGUID(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	cs := sample.Customers()
	insert(t, db, cs[:3]...)
	unknown := "ffffffff-0000-4000-8000-000000000001"
	for round := range 2 {
		err := db.Import(ctx, false, func(tx custexport.ImportTx) error {
			for i, step := range []struct {
				guid     string
				found    bool
				repeated bool
			}{
				{cs[1].GUID, true, false},
				{cs[0].GUID, true, false},
				{cs[1].GUID, true, true},
				{unknown, false, false},
				{cs[2].GUID, true, false},
				{unknown, false, true},
				{cs[0].GUID, true, true},
				{cs[1].GUID, true, true},
			} {
				c, repeated, err := tx.Customer(ctx, step.guid)
				if err != nil {
					return err
				}
				if (c != nil) != step.found || repeated != step.repeated {
					t.Errorf("round %d, call %d (%s): found %v, repeated %v; want %v, %v", round, i, step.guid, c != nil, repeated, step.found, step.repeated)
				}
				if c != nil && c.GUID != step.guid {
					t.Errorf("call %d: asked for %s, got %s", i, step.guid, c.GUID)
				}
			}
			// A customer the import inserts is a repeat when its guid comes again.
			n := cs[3]
			if c, repeated, err := tx.Customer(ctx, n.GUID); err != nil || c != nil || repeated {
				t.Errorf("a new guid: %v, repeated %v, %v", c, repeated, err)
			}
			if err := tx.Insert(ctx, &n); err != nil {
				return err
			}
			// Whether Customer then returns the staged row is the store's choice (SQLite does,
			// PostgreSQL answers from the customers as the import found them); it is a repeat.
			if _, repeated, err := tx.Customer(ctx, n.GUID); err != nil || !repeated {
				t.Errorf("the inserted customer asked for again: repeated %v, %v; want repeated", repeated, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// Customer answers every order of guids a file can have exactly as lookups by guid would, and
// reports each guid asked for twice (stores may read a file in export order from a stream).
func testImportLookupOrders(t *testing.T, db custexport.Database) {
	seeded(t, db, 1500)
	_, flat := ReadAll(t, db, custexport.SnapshotQuery{}) // export order, flat records
	byGUID, orders := LookupOrders(flat)
	for _, tc := range orders {
		t.Run(tc.Name, func(t *testing.T) {
			ctx := t.Context()
			err := db.Import(ctx, false, func(tx custexport.ImportTx) error {
				return AskEach(t, ctx, tx, tc.GUIDs, byGUID)
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Writes of the import do not confuse its later lookups: a customer updated to another
// registration date (another place in export order) is still found and a repeat, one inserted
// is a repeat when asked for again, the e-mail owner check sees both, and the commit stores
// them. (Whether Customer returns the values the import wrote or those it found is the store's
// choice: the importer never asks twice for one guid but to refuse the repeat.)
func testImportAfterWrites(t *testing.T, db custexport.Database) {
	seeded(t, db, 2000)
	_, flat := ReadAll(t, db, custexport.SnapshotQuery{})
	ctx := t.Context()
	var moved, added custexport.Customer
	err := db.Import(ctx, true, func(tx custexport.ImportTx) error {
		// Move the 10th customer to the end of export order, then read on in order.
		c, _, err := tx.Customer(ctx, flat[10].GUID)
		if err != nil || c == nil {
			return errors.Join(err, errors.New("not found"))
		}
		moved = Clone(c)
		moved.RegistrationDate = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		moved.Phone = "+420 777 000 000"
		moved.Email = "moved@example.cz"
		if err := tx.Update(ctx, &moved); err != nil {
			return err
		}
		added = flat[0]
		added.GUID, added.Email = "eeeeeeee-0000-4000-8000-000000000001", "added@example.cz"
		added.AccountGUID = AccountFor(added.GUID)
		if got, repeated, err := tx.Customer(ctx, added.GUID); err != nil || got != nil || repeated {
			t.Fatalf("a new guid: %v, repeated %v, %v; want nil, not repeated", got, repeated, err)
		}
		if err := tx.Insert(ctx, &added); err != nil {
			return err
		}
		if _, err := AskAllInOrder(t, ctx, tx, flat, 10); err != nil {
			return err
		}
		if _, repeated, err := tx.Customer(ctx, added.GUID); err != nil || !repeated {
			t.Fatalf("the inserted customer: repeated %v, %v; want repeated", repeated, err)
		}
		for email, want := range map[string]string{"moved@example.cz": moved.GUID, "added@example.cz": added.GUID, flat[10].Email: ""} {
			if owner, err := tx.EmailOwner(ctx, email); err != nil || owner != want {
				t.Errorf("EmailOwner(%s) = %q, %v; want %q", email, owner, err, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	total, all := ReadAll(t, db, custexport.SnapshotQuery{})
	if total != 2001 || len(all) != 2001 {
		t.Fatalf("after the import: %d customers, want 2001", total)
	}
	last := all[len(all)-1]
	if last.GUID != moved.GUID || last.Phone != moved.Phone || last.Email != moved.Email || !last.RegistrationDate.Equal(moved.RegistrationDate) {
		t.Errorf("the last customer in export order is %+v, want the moved one %+v", last, moved)
	}
	found := false
	for _, c := range all {
		found = found || (c.GUID == added.GUID && c.Email == added.Email)
	}
	if !found {
		t.Error("the inserted customer was not stored")
	}
}

// GUIDOrder is an order in which an import file may ask for customers: its name and guids.
type GUIDOrder struct {
	Name  string
	GUIDs []string
}

// The names of LookupOrders' orders, for tests that expect more of some.
const (
	OrderExport      = "export order"
	OrderFromMiddle  = "from the middle on"
	OrderGaps        = "rows left out"
	OrderReversed    = "reversed"
	OrderShuffled    = "shuffled"
	OrderEachTwice   = "each row twice"
	OrderFileTwice   = "the whole file twice"
	OrderWithUnknown = "unknown guids between"
)

// LookupOrders returns customers in export order (flat, as ReadAll reads them) by guid, and the
// orders a file can ask for them in: n = len(flat) in export order; its second half (a filtered
// export); every tenth left out and a block from 7n/30 to 19n/30; reversed; shuffled; each of
// the first n/2 twice in a row; all of it twice; two unknown guids after the first n/3.
func LookupOrders(flat []custexport.Customer) (map[string]custexport.Customer, []GUIDOrder) {
	n := len(flat)
	byGUID := map[string]custexport.Customer{}
	var order []string
	for _, c := range flat {
		byGUID[c.GUID] = c
		order = append(order, c.GUID)
	}
	reversed := slices.Clone(order)
	slices.Reverse(reversed)
	shuffled := slices.Clone(order)
	rand.New(rand.NewPCG(1, 2)).Shuffle(n, func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	var gaps []string
	for i, g := range order {
		if i%10 != 3 && (i < n*7/30 || i >= n*19/30) {
			gaps = append(gaps, g)
		}
	}
	var twice []string
	for _, g := range order[:n/2] {
		twice = append(twice, g, g)
	}
	unknown := "ffffffff-0000-4000-8000-000000000000"
	return byGUID, []GUIDOrder{
		{OrderExport, order},
		{OrderFromMiddle, order[n/2:]},
		{OrderGaps, gaps},
		{OrderReversed, reversed},
		{OrderShuffled, shuffled},
		{OrderEachTwice, twice},
		{OrderFileTwice, append(slices.Clone(order), order...)},
		{OrderWithUnknown, append(append(slices.Clone(order[:n/3]), unknown, unknown), order[n/3:]...)},
	}
}

// AskAllInOrder asks tx for every customer of flat, in order, after the import asked for the
// one at index repeat (and moved it in export order): each is found, and only that one is
// reported as repeated. It returns that customer as this second lookup found it.
func AskAllInOrder(t *testing.T, ctx context.Context, tx custexport.ImportTx, flat []custexport.Customer, repeat int) (*custexport.Customer, error) {
	t.Helper()
	var again *custexport.Customer
	for i, want := range flat {
		got, repeated, err := tx.Customer(ctx, want.GUID)
		if err != nil {
			return nil, err
		}
		if got == nil || got.GUID != want.GUID {
			t.Fatalf("row %d: got %v, want %s", i, got, want.GUID)
		}
		if repeated != (i == repeat) {
			t.Fatalf("row %d: repeated = %v", i, repeated)
		}
		if i == repeat {
			again = got
		}
	}
	return again, nil
}

// AskEach asks tx for each guid in turn and checks the answers: a stored customer (in byGUID)
// comes back with its flat record, an unknown guid as nil, and a guid asked for before is
// reported as repeated.
func AskEach(t *testing.T, ctx context.Context, tx custexport.ImportTx, guids []string, byGUID map[string]custexport.Customer) error {
	t.Helper()
	asked := map[string]bool{}
	for i, g := range guids {
		got, repeated, err := tx.Customer(ctx, g)
		if err != nil {
			return err
		}
		if repeated != asked[g] {
			t.Fatalf("call %d (%s): repeated = %v, want %v", i, g, repeated, asked[g])
		}
		asked[g] = true
		want, known := byGUID[g]
		if !known {
			if got != nil {
				t.Fatalf("call %d: unknown guid %s found: %+v", i, g, got)
			}
			continue
		}
		if got == nil {
			t.Fatalf("call %d: %s not found", i, g)
		}
		if !reflect.DeepEqual(Normalise([]custexport.Customer{*got}), Normalise([]custexport.Customer{want})) {
			t.Fatalf("call %d (%s):\n got %+v\nwant %+v", i, g, *got, want)
		}
	}
	return nil
}
