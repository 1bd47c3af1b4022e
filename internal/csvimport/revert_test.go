package csvimport_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/csvimport"
	"github.com/custexport/custexport/internal/sqlite"
)

// listChanges reads an import's change list as "line guid kind column: old → new".
func listChanges(t testing.TB, db custexport.ChangeStore, id int64) []string {
	t.Helper()
	var out []string
	err := db.ImportChanges(context.Background(), custexport.ChangeQuery{ImportID: id, Limit: -1}, func(ch *custexport.FieldChange) error {
		if ch.Seq != int64(len(out)+1) {
			return fmt.Errorf("entry %d numbered %d", len(out)+1, ch.Seq)
		}
		s := fmt.Sprintf("%d %s %s", ch.Line, ch.GUID, ch.Kind)
		if ch.Column != "" {
			s += fmt.Sprintf(" %s: %q → %q", ch.Column, ch.Old, ch.New)
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// record stores an import's entry as the CLI and the admin page do after Run.
func record(t testing.TB, db custexport.ImportStore, rec *custexport.ImportRecord) {
	t.Helper()
	if err := db.RecordImport(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
}

// maskChangeTime blanks the changeTime column of an export: the one column a revert is allowed
// to leave different (it is a change, and stamped as one).
func maskChangeTime(t testing.TB, data []byte) [][]string {
	t.Helper()
	rows := parseCSV(t, data, ';')
	col := column(t, rows, "changeTime")
	for _, r := range rows[1:] {
		r[col] = ""
	}
	return rows
}

// The preview: an import and its dry run list every changed field with its line, guid, column,
// old and new value, and every created customer; the applied list is in the log entry's
// transaction, the dry one stored by RecordImport; the dry run writes no customer.
func TestImportChangeList(t *testing.T) {
	db, _ := smallStore(t)
	rows := parseCSV(t, exportCSV(t, db, custexport.EncodingUTF8, true), ';')
	a, b := rows[3][0], rows[10][0]
	setCell(t, rows, a, "billingCity", "Nové Město na Moravě")
	setCell(t, rows, b, "phone", "+420 603 111 222")
	setCell(t, rows, b, "priceRatio", "0.85")
	added := slices.Clone(rows[1])
	added[0], added[column(t, rows, "accountGuid")], added[column(t, rows, "email")] = "", "", "nova.zakaznice@example.cz"
	rows = append(rows, added)
	file := formatCSV(rows, exportStyle)
	beforeCSV := exportCSV(t, db, custexport.EncodingUTF8, true)
	cityA, phoneB, ratioB := "", "", ""
	old := parseCSV(t, beforeCSV, ';')
	for _, r := range old[1:] {
		switch r[0] {
		case a:
			cityA = r[column(t, old, "billingCity")]
		case b:
			phoneB, ratioB = r[column(t, old, "phone")], r[column(t, old, "priceRatio")]
		}
	}
	lineOf := func(guid string) int {
		i := slices.IndexFunc(rows, func(r []string) bool { return r[0] == guid })
		return bytes.Count(formatCSV(rows[:i], exportStyle), []byte("\n")) + 1
	}

	dry := mustImport(t, db, file, csvimport.Options{DryRun: true})
	if dry.ID != 0 || dry.Pending == nil || dry.Changes != 4 {
		t.Fatalf("a dry run: id %d, pending %v, %d changes; want 0, a list, 4", dry.ID, dry.Pending, dry.Changes)
	}
	record(t, db, dry)
	if got := exportCSV(t, db, custexport.EncodingUTF8, true); !bytes.Equal(got, beforeCSV) {
		t.Fatal("the dry run changed the shop")
	}
	applied := mustImport(t, db, file, csvimport.Options{})
	if applied.ID == 0 || applied.Pending != nil || applied.Changes != 4 {
		t.Fatalf("an applied import: id %d, pending %v, %d changes", applied.ID, applied.Pending, applied.Changes)
	}
	record(t, db, applied)
	want := []string{
		fmt.Sprintf("%d %s changed billingCity: %q → %q", lineOf(a), a, cityA, "Nové Město na Moravě"),
		fmt.Sprintf("%d %s changed phone: %q → %q", lineOf(b), b, phoneB, "+420 603 111 222"),
		fmt.Sprintf("%d %s changed priceRatio: %q → %q", lineOf(b), b, ratioB, "0,8500"),
		fmt.Sprintf("%d GUID created", lineOf("")),
	}
	for _, id := range []int64{dry.ID, applied.ID} {
		got := listChanges(t, db, id)
		// Each run generated its own guid for the new customer.
		if len(got) == 4 {
			f := strings.Fields(got[3])
			if _, err := custexport.ParseGUID(f[1]); err != nil {
				t.Errorf("the created customer's entry %q has no guid", got[3])
			}
			got[3] = strings.Replace(got[3], f[1], "GUID", 1)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("import %d's list:\n%s\nwant:\n%s", id, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	log, _, err := db.Imports(context.Background(), 0, 10)
	if err != nil || len(log) != 2 || log[0].ID != applied.ID || log[0].Changes != 4 || log[1].Changes != 4 || !log[1].DryRun {
		t.Fatalf("the log: %+v, %v", log, err)
	}
}

// The undo: reverting an import restores the export byte for byte but changeTime, removes the
// customers it created, and is logged with its own change list; its dry run writes nothing; an
// import is reverted once, and a revert is not reverted.
func TestImportRevertRestoresExport(t *testing.T) {
	db, _ := smallStore(t)
	ctx := context.Background()
	beforeCSV := exportCSV(t, db, custexport.EncodingUTF8, true)
	rows := parseCSV(t, beforeCSV, ';')
	a, b, c := rows[3][0], rows[10][0], "6e6e6e6e-6e6e-4e6e-8e6e-6e6e6e6e6e6e"
	emailA := rows[3][column(t, rows, "email")]
	setCell(t, rows, a, "billingCity", "Nové Město na Moravě")
	setCell(t, rows, b, "remark", "")
	setCell(t, rows, b, "birthDate", "1999-12-31")
	setCell(t, rows, c, "priceRatio", "0.85")
	setCell(t, rows, c, "disabledOrders", "1")
	setCell(t, rows, c, "registrationDate", "2020-01-02 03:04:05")
	// b takes the e-mail a gives up on an earlier row: the revert has to give b's back first.
	setCell(t, rows, a, "email", "nova.adresa@example.cz")
	setCell(t, rows, b, "email", emailA)
	added := slices.Clone(rows[1])
	added[0], added[column(t, rows, "accountGuid")], added[column(t, rows, "email")] = "", "", "nova.zakaznice@example.cz"
	rows = append(rows, added)
	imp := mustImport(t, db, formatCSV(rows, exportStyle), csvimport.Options{})
	wantCounts(t, imp, int64(len(rows)-1), 1, 3, int64(len(rows)-5), 0)
	record(t, db, imp)
	if bytes.Equal(exportCSV(t, db, custexport.EncodingUTF8, true), beforeCSV) {
		t.Fatal("the import changed nothing")
	}
	afterImport := exportCSV(t, db, custexport.EncodingUTF8, true)

	revert := func(id int64, dry bool) (*custexport.ImportRecord, error) {
		rec := &custexport.ImportRecord{}
		err := csvimport.Revert(ctx, db, id, csvimport.Options{Location: prague, DryRun: dry}, rec)
		if rec.Error = ""; err != nil {
			rec.Error = err.Error()
		}
		record(t, db, rec)
		return rec, err
	}
	preview, err := revert(imp.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(exportCSV(t, db, custexport.EncodingUTF8, true), afterImport) {
		t.Fatal("the revert's dry run changed the shop")
	}
	if preview.Removed != 1 || preview.Updated != 3 || preview.Skipped != 0 || preview.Changes != 2+3+3+1 {
		t.Fatalf("the revert's preview: %+v", preview)
	}
	done, err := revert(imp.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if done.Removed != 1 || done.Updated != 3 || done.Skipped != 0 || done.Reverts != imp.ID {
		t.Fatalf("the revert: %+v", done)
	}
	got, want := maskChangeTime(t, exportCSV(t, db, custexport.EncodingUTF8, true)), maskChangeTime(t, beforeCSV)
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("the export after the revert differs from the one before the import:\n%s\nwant:\n%s",
			formatCSV(got, exportStyle), formatCSV(want, exportStyle))
	}
	if l1, l2 := listChanges(t, db, preview.ID), listChanges(t, db, done.ID); !slices.Equal(l1, l2) || !strings.Contains(strings.Join(l2, "\n"), " removed") {
		t.Fatalf("the preview's list:\n%s\nthe revert's:\n%s", strings.Join(l1, "\n"), strings.Join(l2, "\n"))
	}
	for _, tc := range []struct {
		id  int64
		key string
	}{{imp.ID, "revert_twice"}, {done.ID, "revert_of_revert"}, {preview.ID, "revert_dry_run"}} {
		_, err := revert(tc.id, false)
		var e *custexport.Error
		if !errors.As(err, &e) || e.Reason != tc.key || e.Code != custexport.CodeConflict {
			t.Errorf("reverting import %d: %v, want reason %s", tc.id, err, tc.key)
		}
	}
	rec := &custexport.ImportRecord{}
	if err := csvimport.Revert(ctx, db, 999, csvimport.Options{}, rec); !isCode(err, custexport.CodeNotFound) {
		t.Errorf("reverting an unknown import: %v", err)
	}
}

// Fields changed again since the import, a created customer changed since, and a customer
// deleted since are listed and left alone; the rest is restored.
func TestImportRevertKeepsChangedSince(t *testing.T) {
	db, before := smallStore(t)
	rows := parseCSV(t, exportCSV(t, db, custexport.EncodingUTF8, true), ';')
	a := rows[3][0]
	setCell(t, rows, a, "phone", "+420 111")
	setCell(t, rows, a, "billingCity", "Brno")
	added := slices.Clone(rows[1])
	added[0], added[column(t, rows, "accountGuid")], added[column(t, rows, "email")] = "", "", "nova.zakaznice@example.cz"
	rows = append(rows, added)
	imp := mustImport(t, db, formatCSV(rows, exportStyle), csvimport.Options{})
	record(t, db, imp)
	var created string
	for g := range stored(t, db) {
		if _, ok := before[g]; !ok {
			created = g
		}
	}
	later := fmt.Sprintf("guid;phone\r\n%s;+420 222\r\n", a) + fmt.Sprintf("%s;+420 999\r\n", created)
	record(t, db, mustImport(t, db, []byte(later), csvimport.Options{}))

	rec := &custexport.ImportRecord{}
	if err := csvimport.Revert(context.Background(), db, imp.ID, csvimport.Options{Location: prague}, rec); err != nil {
		t.Fatal(err)
	}
	after := stored(t, db)
	if c := after[a]; c.Phone != "+420 222" || c.Billing.City != before[a].Billing.City {
		t.Fatalf("after the revert: phone %q (want the later one), city %q (want %q)", c.Phone, c.Billing.City, before[a].Billing.City)
	}
	if _, ok := after[created]; !ok {
		t.Fatal("a created customer changed since was removed")
	}
	var keys []string
	for _, s := range rec.SkippedRows {
		keys = append(keys, s.Key+" "+s.Column+" "+s.Args[0])
	}
	slices.Sort(keys)
	want := []string{"revert_changed_since phone " + a, "revert_created_changed  " + created}
	if !slices.Equal(keys, want) || rec.Skipped != 2 || rec.Updated != 1 || rec.Removed != 0 {
		t.Fatalf("revert %+v; skipped %q, want %q", rec.ImportCounts, keys, want)
	}
}

func isCode(err error, code custexport.Code) bool {
	var e *custexport.Error
	return errors.As(err, &e) && e.Code == code
}

// revertedMeanwhile is a store on which another revert of the same import commits between
// Revert's first check and its transaction.
type revertedMeanwhile struct {
	*sqlite.DB
	t  *testing.T
	id int64
}

func (s *revertedMeanwhile) Import(ctx context.Context, apply bool, fn func(custexport.ImportTx) error) error {
	rec := &custexport.ImportRecord{}
	if err := csvimport.Revert(ctx, s.DB, s.id, csvimport.Options{Location: prague}, rec); err != nil {
		s.t.Fatal(err)
	}
	record(s.t, s.DB, rec)
	return s.DB.Import(ctx, apply, fn)
}

// Two reverts of one import at once: the one that gets the transaction second is refused there,
// not applied and logged as a second revert.
func TestImportRevertRacesAnother(t *testing.T) {
	db, _ := smallStore(t)
	rows := parseCSV(t, exportCSV(t, db, custexport.EncodingUTF8, true), ';')
	setCell(t, rows, rows[3][0], "phone", "+420 111")
	imp := mustImport(t, db, formatCSV(rows, exportStyle), csvimport.Options{})
	record(t, db, imp)
	rec := &custexport.ImportRecord{}
	err := csvimport.Revert(context.Background(), &revertedMeanwhile{DB: db, t: t, id: imp.ID}, imp.ID, csvimport.Options{Location: prague}, rec)
	var e *custexport.Error
	if !errors.As(err, &e) || e.Reason != "revert_twice" || rec.Updated != 0 || rec.ID != 0 {
		t.Fatalf("the second revert: %v, %+v", err, rec.ImportCounts)
	}
}
