package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/csvimport"
	"github.com/custexport/custexport/internal/sample"
)

// The tests of SPEC section 1's changeTime: stamped by every write path on every real change,
// with the store's clock, and never on an unchanged customer. They join the import group here,
// beside their code, rather than in tests()' list of groups.
func init() {
	importTests = append(importTests,
		test{"ChangeTimeInsertCustomers", testChangeTimeInsertCustomers},
		test{"ChangeTimeImport", testChangeTimeImport})
}

// InsertCustomers keeps a change time the caller brings (the seed's own, a copied shop's) and
// stamps the store's clock on a customer without one, leaving the caller's slice alone.
func testChangeTimeInsertCustomers(t *testing.T, db custexport.Database) {
	clock := UseClock(t, db)
	cs := sample.Customers()[:2]
	cs[1].ChangeTime = time.Time{}
	if err := db.InsertCustomers(t.Context(), cs); err != nil {
		t.Fatal(err)
	}
	if !cs[1].ChangeTime.IsZero() {
		t.Errorf("InsertCustomers changed the caller's customer: changeTime %v", cs[1].ChangeTime)
	}
	got := byGUID(t, db)
	if want := sample.Customers()[0].ChangeTime; !got[cs[0].GUID].ChangeTime.Equal(want) {
		t.Errorf("a customer's own changeTime became %v, want it kept: %v", got[cs[0].GUID].ChangeTime, want)
	}
	if !got[cs[1].GUID].ChangeTime.Equal(clock.Now()) {
		t.Errorf("a customer without changeTime got %v, want the store's clock %v", got[cs[1].GUID].ChangeTime, clock.Now())
	}
}

// The import stamps the store's clock on the customers it creates and changes, and only on
// them; a changeTime column is ignored, whatever it says, and listed as ignored.
func testChangeTimeImport(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	clock := UseClock(t, db)
	cs := sample.Customers()
	insert(t, db, cs...)
	before := byGUID(t, db)
	clock.Advance(time.Hour)
	stamp := clock.Now()

	a, b := cs[0], cs[6] // a changes its phone, b is given as it is
	file := "guid;email;billingFullName;phone;changeTime\n" +
		a.GUID + ";" + a.Email + ";" + a.Billing.FullName + ";+420 603 111 222;2030-01-01 00:00:00\n" +
		b.GUID + ";" + b.Email + ";" + b.Billing.FullName + ";" + b.Phone + ";2030-01-01 00:00:00\n" +
		";nova@example.cz;Nová Zákaznice;;2030-01-01 00:00:00\n"
	run := func(dry bool) *custexport.ImportRecord {
		t.Helper()
		rec := &custexport.ImportRecord{}
		if err := csvimport.Run(ctx, db, strings.NewReader(file), csvimport.Options{Location: sample.Prague, DryRun: dry}, rec); err != nil {
			t.Fatal(err)
		}
		if strings.Join(rec.Ignored, ",") != "changeTime" {
			t.Errorf("ignored columns %q, want changeTime", rec.Ignored)
		}
		return rec
	}
	if rec := run(true); rec.Created != 1 || rec.Updated != 1 || rec.Unchanged != 1 {
		t.Fatalf("dry run: %+v", rec.ImportCounts)
	}
	if got := byGUID(t, db); len(got) != len(before) || !got[a.GUID].ChangeTime.Equal(before[a.GUID].ChangeTime) {
		t.Fatalf("a dry run wrote: %d customers, changeTime %v", len(got), got[a.GUID].ChangeTime)
	}
	if rec := run(false); rec.Created != 1 || rec.Updated != 1 || rec.Unchanged != 1 {
		t.Fatalf("import: %+v %+v", rec.ImportCounts, rec.SkippedRows)
	}
	got := byGUID(t, db)
	if !got[a.GUID].ChangeTime.Equal(stamp) {
		t.Errorf("changed customer: changeTime %v, want the store's clock %v", got[a.GUID].ChangeTime, stamp)
	}
	if !got[b.GUID].ChangeTime.Equal(before[b.GUID].ChangeTime) {
		t.Errorf("unchanged customer: changeTime %v, want it kept: %v", got[b.GUID].ChangeTime, before[b.GUID].ChangeTime)
	}
	var created *custexport.Customer
	for g, c := range got {
		if _, ok := before[g]; !ok {
			created = &c
		}
	}
	if created == nil || !created.ChangeTime.Equal(stamp) || !created.RegistrationDate.Equal(stamp) {
		t.Fatalf("new customer %+v: want changeTime and registrationDate %v", created, stamp)
	}
	// The same file again changes nothing: nobody is stamped.
	clock.Advance(time.Hour)
	if rec := run(false); rec.Updated != 0 || rec.Created != 0 || rec.Skipped != 1 {
		t.Fatalf("the file again: %+v %+v (the new row is now an e-mail taken)", rec.ImportCounts, rec.SkippedRows)
	}
	for g, c := range byGUID(t, db) {
		if !c.ChangeTime.Equal(got[g].ChangeTime) {
			t.Errorf("customer %s re-stamped by an import that changed nothing: %v, was %v", g, c.ChangeTime, got[g].ChangeTime)
		}
	}
}

// byGUID reads every customer, keyed by guid.
func byGUID(t *testing.T, db custexport.Database) map[string]custexport.Customer {
	t.Helper()
	_, all := ReadAll(t, db, custexport.SnapshotQuery{})
	m := make(map[string]custexport.Customer, len(all))
	for _, c := range all {
		m[c.GUID] = c
	}
	return m
}
