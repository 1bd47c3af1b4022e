package sqlite

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/sample"
)

// The import log keeps every field of a record, lists newest first and pages.
func TestImportLogRoundTrip(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
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
	if recs[2].At.IsZero() || time.Since(recs[2].At) > time.Minute {
		t.Errorf("a record without At got %v, want now", recs[2].At)
	}
	got, total, err := db.Imports(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if total != 3 || len(got) != 3 {
		t.Fatalf("Imports: %d records of %d, want 3 of 3", len(got), total)
	}
	for i, g := range got {
		want := recs[2-i]
		want.At = want.At.Truncate(time.Millisecond)
		if want.Unknown == nil {
			want.Unknown = []string{}
		}
		if want.SkippedRows == nil {
			want.SkippedRows = []custexport.SkippedRow{}
		}
		if !reflect.DeepEqual(g, want) {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, g, want)
		}
	}
	page, total, err := db.Imports(ctx, 1, 1)
	if err != nil || total != 3 || len(page) != 1 || page[0].ID != recs[1].ID {
		t.Fatalf("Imports(1, 1) = %+v, %d, %v; want the middle record", page, total, err)
	}
}

// Import commits only a successful, non-dry run; an error from fn, a dry run and a cancelled
// context leave the database as it was, and the connection is usable afterwards.
func TestImportTransaction(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	cs := sample.Customers()
	if err := db.InsertCustomers(ctx, cs[:2]); err != nil {
		t.Fatal(err)
	}
	write := func(tx custexport.ImportTx) error {
		c := cs[2]
		if err := tx.Insert(ctx, &c); err != nil {
			return err
		}
		got, _, err := tx.Customer(ctx, cs[0].GUID)
		if err != nil || got == nil {
			return errors.Join(err, errors.New("stored customer not found"))
		}
		got.Phone = "+420 1"
		return tx.Update(ctx, got)
	}
	phone := func() string {
		_, all := readAll(t, db, custexport.SnapshotQuery{})
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
	if err := db.Import(ctx, true, write); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.CountCustomers(ctx); n != 3 || phone() != "+420 1" {
		t.Fatalf("after the import: %d customers, phone %q", n, phone())
	}
}

// The duplicate keys of one import do not leak into the next one on the same connection, and
// an e-mail owner is found whatever its letter case.
func TestImportSeenAndOwner(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	if err := db.InsertCustomers(ctx, sample.Customers()); err != nil {
		t.Fatal(err)
	}
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
			want.Delivery = want.Delivery[:min(len(want.Delivery), 1)]
			if len(want.Delivery) == 0 {
				want.Delivery = nil
			}
			if !reflect.DeepEqual(normalise([]custexport.Customer{*got}), normalise([]custexport.Customer{want})) {
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
func TestImportUpdatePromotesDelivery(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	c := sample.Customers()[6] // three addresses
	c.Delivery[1].Company = `Sklad "A" <&> 😀 \ line` + "\n" + "break"
	if err := db.InsertCustomers(ctx, []custexport.Customer{c}); err != nil {
		t.Fatal(err)
	}
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
		_, all := readAll(t, db, custexport.SnapshotQuery{AllDelivery: true})
		_, flat := readAll(t, db, custexport.SnapshotQuery{})
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
	}
}
