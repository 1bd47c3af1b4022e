package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/csvimport"
	"github.com/custexport/custexport/internal/sample"
	"github.com/custexport/custexport/internal/storetest"
)

// An import's change list and its revert go through PostgreSQL's staged import (lookups from the
// snapshot cursor, updates merged at the end, deletes at once) exactly as through SQLite: the
// same list, the same revert report, and the customers as they were before the import but
// changeTime.
func TestImportRevertMatchesSQLite(t *testing.T) {
	_, dbs := openInstances(t, 1, nil)
	pg, lite := dbs[0], openSQLiteTwin(t)
	ctx := context.Background()
	cs := sample.Customers()
	a, b, c := cs[1], cs[2], cs[3]
	q := func(v string) string { return `"` + strings.ReplaceAll(v, `"`, `""`) + `"` }
	file := "guid;email;phone;remark;registrationDate;priceRatio;billingFullName\r\n" +
		a.GUID + ";nova.adresa@example.cz;+420 1;;2020-01-02 03:04:05;0,5;" + q(a.Billing.FullName) + "\r\n" + // a gives up its e-mail…
		b.GUID + ";" + q(a.Email) + ";+420 2;\"dva\r\nřádky\";;" + string(b.PriceRatio.AppendDecimal(nil, ',')) + ";" + q(b.Billing.FullName) + "\r\n" + // …which b takes
		c.GUID + ";" + q(c.Email) + ";" + q(c.Phone) + ";" + q(c.Remark) + ";;" + string(c.PriceRatio.AppendDecimal(nil, ',')) + ";" + q(c.Billing.FullName) + "\r\n" + // c as it is
		";nova@example.cz;+420 3;;;;Nová\r\n"
	type result struct {
		before, after []custexport.Customer
		list, revert  []string
		rec, rv       custexport.ImportRecord
	}
	run := func(db custexport.Database) result {
		t.Helper()
		var r result
		if err := db.InsertCustomers(ctx, cs); err != nil {
			t.Fatal(err)
		}
		_, r.before = storetest.ReadAll(t, db, custexport.SnapshotQuery{AllDelivery: true})
		rec := &custexport.ImportRecord{File: "in.csv"}
		if err := csvimport.Run(ctx, db, bytes.NewReader([]byte(file)), csvimport.Options{Location: sample.Prague}, rec); err != nil {
			t.Fatal(err)
		}
		if err := db.RecordImport(ctx, rec); err != nil {
			t.Fatal(err)
		}
		rv := &custexport.ImportRecord{}
		if err := csvimport.Revert(ctx, db, rec.ID, csvimport.Options{Location: sample.Prague}, rv); err != nil {
			t.Fatalf("%T: %v", db, err)
		}
		if err := db.RecordImport(ctx, rv); err != nil {
			t.Fatal(err)
		}
		_, r.after = storetest.ReadAll(t, db, custexport.SnapshotQuery{AllDelivery: true})
		for _, id := range []int64{rec.ID, rv.ID} {
			var list []string
			db.ImportChanges(ctx, custexport.ChangeQuery{ImportID: id, Limit: -1}, func(ch *custexport.FieldChange) error {
				if ch.Kind != custexport.ChangeField {
					ch.GUID = "new" // each store generated its own
				}
				list = append(list, fmt.Sprintf("%d %d %s %s %s %q→%q", ch.Seq, ch.Line, ch.GUID, ch.Kind, ch.Column, ch.Old, ch.New))
				return nil
			})
			if id == rec.ID {
				r.list = list
			} else {
				r.revert = list
			}
		}
		rec.At, rv.At, rec.Pending, rv.Pending = r.rec.At, r.rv.At, nil, nil
		r.rec, r.rv = *rec, *rv
		return r
	}
	want, got := run(lite), run(pg)
	if want.rec.Skipped != 0 {
		t.Fatalf("skipped: %+v", want.rec.SkippedRows)
	}
	if len(want.list) != 8 || !slices.Equal(got.list, want.list) {
		t.Fatalf("the import's list:\n got %q\nwant %q (SQLite)", got.list, want.list)
	}
	if len(want.revert) != 8 || !slices.Equal(got.revert, want.revert) {
		t.Fatalf("the revert's list:\n got %q\nwant %q (SQLite)", got.revert, want.revert)
	}
	if want.rec.ImportCounts != (custexport.ImportCounts{Rows: 4, Created: 1, Updated: 2, Unchanged: 1}) || got.rec.ImportCounts != want.rec.ImportCounts {
		t.Fatalf("the import's counts: %+v, SQLite %+v; skipped %+v", got.rec.ImportCounts, want.rec.ImportCounts, want.rec.SkippedRows)
	}
	if want.rv.ImportCounts != (custexport.ImportCounts{Rows: 3, Updated: 2, Removed: 1}) || got.rv.ImportCounts != want.rv.ImportCounts {
		t.Fatalf("the revert's counts: %+v, SQLite %+v", got.rv.ImportCounts, want.rv.ImportCounts)
	}
	for _, r := range []result{want, got} {
		if len(r.after) != len(r.before) {
			t.Fatalf("%d customers after the revert, %d before", len(r.after), len(r.before))
		}
		for i := range r.before {
			x, y := r.before[i], r.after[i]
			x.ChangeTime = y.ChangeTime
			if !reflect.DeepEqual(x, y) {
				t.Errorf("customer %s after the revert:\n%+v\nbefore:\n%+v", x.GUID, y, x)
			}
		}
	}
}
