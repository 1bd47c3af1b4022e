package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/sample"
)

// The change list of an import (SPEC section 10, preview and undo).
var importChangeTests = []test{
	{"ImportChangesInTransaction", testImportChangesInTransaction},
	{"ImportChangesPending", testImportChangesPending},
	{"ImportRevertedBy", testImportRevertedBy},
	{"ImportDelete", testImportDelete},
}

// changeEntries makes n entries of a change list, with values no store may alter.
func changeEntries(n int) []custexport.FieldChange {
	out := make([]custexport.FieldChange, n)
	for i := range out {
		out[i] = custexport.FieldChange{Line: i + 2, GUID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Kind: custexport.ChangeField,
			Column: "remark", Old: "řádek\r\n" + fmt.Sprint(i), New: "", Digest: ""}
	}
	out[n-1].Kind, out[n-1].Column, out[n-1].Old, out[n-1].Digest = custexport.ChangeCreated, "", "", "d1g35t"
	return out
}

// readChanges reads a change list whole.
func readChanges(t *testing.T, db custexport.Database, q custexport.ChangeQuery) []custexport.FieldChange {
	t.Helper()
	var out []custexport.FieldChange
	if err := db.ImportChanges(t.Context(), q, func(ch *custexport.FieldChange) error {
		out = append(out, *ch)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// An applied import's list and log entry land with its transaction, numbered from 1; a
// rolled-back or dry one leaves neither; the list reads back in order, from a point, limited,
// and reversed; RecordImport brings the entry written in the transaction up to date.
func testImportChangesInTransaction(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	entries := changeEntries(5000) // more than one batch of a store that copies in batches
	write := func(rec *custexport.ImportRecord) func(custexport.ImportTx) error {
		return func(tx custexport.ImportTx) error {
			for i := range entries {
				ch := entries[i]
				if err := tx.RecordChange(ctx, &ch); err != nil {
					return err
				}
				if ch.Seq != int64(i+1) {
					return fmt.Errorf("entry %d numbered %d", i, ch.Seq)
				}
			}
			return tx.LogImport(ctx, rec)
		}
	}
	boom := errors.New("boom")
	failed := &custexport.ImportRecord{Principal: operator, File: "failed.csv"}
	if err := db.Import(ctx, true, func(tx custexport.ImportTx) error { return errors.Join(write(failed)(tx), boom) }); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if err := db.Import(ctx, false, write(&custexport.ImportRecord{Principal: operator, File: "dry.csv"})); err != nil {
		t.Fatal(err)
	}
	if _, total, _ := db.Imports(ctx, 0, 10); total != 0 {
		t.Fatalf("a failed and a dry import left %d log entries", total)
	}
	rec := &custexport.ImportRecord{Principal: operator, File: "in.csv", Encoding: custexport.EncodingUTF8, Delimiter: ";",
		ImportCounts: custexport.ImportCounts{Rows: 5000, Updated: 4999, Created: 1}}
	if err := db.Import(ctx, true, write(rec)); err != nil {
		t.Fatal(err)
	}
	if rec.ID == 0 || rec.Changes != 5000 {
		t.Fatalf("LogImport: id %d, changes %d", rec.ID, rec.Changes)
	}
	rec.Error = "set after the import"
	if err := db.RecordImport(ctx, rec); err != nil {
		t.Fatal(err)
	}
	got, total, err := db.Imports(ctx, 0, 10)
	if err != nil || total != 1 || got[0].ID != rec.ID || got[0].Changes != 5000 || got[0].Error != rec.Error || got[0].Updated != 4999 || got[0].File != "in.csv" {
		t.Fatalf("the log after an applied import: %+v, %d, %v", got, total, err)
	}
	all := readChanges(t, db, custexport.ChangeQuery{ImportID: rec.ID, Limit: -1})
	if len(all) != len(entries) {
		t.Fatalf("%d changes read, want %d", len(all), len(entries))
	}
	for i := range all {
		want := entries[i]
		want.Seq = int64(i + 1)
		if !reflect.DeepEqual(all[i], want) {
			t.Fatalf("change %d read as %+v, want %+v", i, all[i], want)
		}
	}
	page := readChanges(t, db, custexport.ChangeQuery{ImportID: rec.ID, After: 1000, Limit: 3})
	if len(page) != 3 || page[0].Seq != 1001 || page[2].Seq != 1003 {
		t.Fatalf("after 1000, 3: %+v", page)
	}
	back := readChanges(t, db, custexport.ChangeQuery{ImportID: rec.ID, Limit: 2, Reverse: true})
	if len(back) != 2 || back[0].Seq != 5000 || back[1].Seq != 4999 {
		t.Fatalf("reversed: %+v", back)
	}
	if other := readChanges(t, db, custexport.ChangeQuery{ImportID: rec.ID + 1, Limit: -1}); len(other) != 0 {
		t.Fatalf("another import's list: %d entries", len(other))
	}
}

// A dry run's list comes to RecordImport as Pending and is stored with its entry.
func testImportChangesPending(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	entries := changeEntries(3)
	rec := &custexport.ImportRecord{Principal: operator, File: "dry.csv", DryRun: true, Pending: sliceSource(entries)}
	if err := db.RecordImport(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if rec.Changes != 3 {
		t.Fatalf("Changes = %d, want 3", rec.Changes)
	}
	got, err := db.ImportByID(ctx, rec.ID)
	if err != nil || got.Changes != 3 || !got.DryRun || got.File != "dry.csv" {
		t.Fatalf("ImportByID = %+v, %v", got, err)
	}
	read := readChanges(t, db, custexport.ChangeQuery{ImportID: rec.ID, Limit: -1})
	if len(read) != 3 || read[2].Kind != custexport.ChangeCreated || read[2].Digest != "d1g35t" || read[0].Old != entries[0].Old {
		t.Fatalf("the pending list read back: %+v", read)
	}
	wantCode(t, "ImportByID of an unknown id", func() error { _, err := db.ImportByID(ctx, rec.ID+100); return err }(), custexport.CodeNotFound)
}

// sliceSource is a custexport.ChangeSource of a slice.
type sliceSource []custexport.FieldChange

func (s sliceSource) EachChange(fn func(*custexport.FieldChange) error) error {
	for i := range s {
		ch := s[i]
		if err := fn(&ch); err != nil {
			return err
		}
	}
	return nil
}

// An import knows its applied revert: not a dry one, not a refused one.
func testImportRevertedBy(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	orig := &custexport.ImportRecord{Principal: operator, File: "in.csv"}
	if err := db.RecordImport(ctx, orig); err != nil {
		t.Fatal(err)
	}
	for _, r := range []custexport.ImportRecord{
		{Principal: operator, Reverts: orig.ID, DryRun: true},
		{Principal: operator, Reverts: orig.ID, Error: "refused"},
	} {
		if err := db.RecordImport(ctx, &r); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := db.ImportByID(ctx, orig.ID); got.RevertedBy != 0 {
		t.Fatalf("a dry and a refused revert count as a revert: %d", got.RevertedBy)
	}
	rv := &custexport.ImportRecord{Principal: operator, Reverts: orig.ID, ImportCounts: custexport.ImportCounts{Removed: 2}}
	if err := db.RecordImport(ctx, rv); err != nil {
		t.Fatal(err)
	}
	got, err := db.ImportByID(ctx, orig.ID)
	if err != nil || got.RevertedBy != rv.ID {
		t.Fatalf("RevertedBy = %+v, %v; want %d", got, err, rv.ID)
	}
	list, _, _ := db.Imports(ctx, 0, 1)
	if list[0].ID != rv.ID || list[0].Reverts != orig.ID || list[0].Removed != 2 {
		t.Fatalf("the revert's entry: %+v", list[0])
	}
	if key, _ := custexport.RevertRefusal(got); key != "revert_twice" {
		t.Fatalf("RevertRefusal of a reverted import: %q", key)
	}
	if key, _ := custexport.RevertRefusal(&list[0]); key != "revert_of_revert" {
		t.Fatalf("RevertRefusal of a revert: %q", key)
	}
}

// Delete removes a customer inside the import's transaction, and only when it commits.
func testImportDelete(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	cs := sample.Customers()
	insert(t, db, cs[:2]...)
	del := func(tx custexport.ImportTx) error { return tx.Delete(ctx, cs[0].GUID) }
	if err := db.Import(ctx, false, del); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.CountCustomers(ctx); n != 2 {
		t.Fatalf("a dry delete left %d customers", n)
	}
	if err := db.Import(ctx, true, func(tx custexport.ImportTx) error {
		if err := del(tx); err != nil {
			return err
		}
		// The e-mail is free for another customer in the same transaction.
		c := cs[2]
		c.Email = cs[0].Email
		return tx.Insert(ctx, &c)
	}); err != nil {
		t.Fatal(err)
	}
	_, all := ReadAll(t, db, custexport.SnapshotQuery{})
	if len(all) != 2 || all[0].GUID == cs[0].GUID && all[1].GUID == cs[0].GUID {
		t.Fatalf("after the delete: %d customers", len(all))
	}
	for _, c := range all {
		if c.GUID == cs[0].GUID {
			t.Fatal("the deleted customer is still there")
		}
	}
}
