package csvimport_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/csvimport"
	"github.com/custexport/custexport/internal/sqlite"
	"github.com/custexport/custexport/internal/storetest"
)

// The fixtures of testdata/spreadsheet (made by make.sh there): the product's export of 21
// customers, and that file opened and saved by LibreOffice as a shop owner's spreadsheet does it.
var spreadsheetFiles = []string{"libreoffice-cs.csv", "libreoffice-en.csv"}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "spreadsheet", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// spreadsheetShop is a store holding the customers of the fixtures' export, made by importing
// it: every customer created with the guid and values the export has.
func spreadsheetShop(t *testing.T) (*sqlite.DB, map[string]custexport.Customer) {
	t.Helper()
	db := openStore(t)
	clock := storetest.NewClock(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	db.SetClock(clock.Now)
	rec := mustImport(t, db, fixture(t, "export.csv"), csvimport.Options{})
	if rec.Created != 21 || rec.Skipped != 0 || rec.Warnings != 0 {
		t.Fatalf("importing the export into an empty shop: %s, %d warnings %+v %+v", counts(rec), rec.Warnings, rec.SkippedRows, rec.WarningRows)
	}
	clock.Advance(time.Hour) // a later import's changes get a later changeTime
	return db, stored(t, db)
}

// cellWarning is a warning as the test expects it.
type cellWarning struct {
	line             int
	column           string
	stored, incoming string
}

// damagedCells compares the export with what the spreadsheet saved, cell by cell: every cell
// whose text differs, except the price ratio (1,0000 → 1 is the same number) and the header.
func damagedCells(t *testing.T, exported, saved []byte) []cellWarning {
	t.Helper()
	a, b := parseCSV(t, exported, ';'), parseCSV(t, saved, ';')
	if len(a) != len(b) {
		t.Fatalf("the export has %d records, the saved file %d", len(a), len(b))
	}
	var out []cellWarning
	line := 2
	for r := 1; r < len(a); r++ {
		for c, v := range a[r] {
			if a[0][c] != "priceRatio" && b[r][c] != v {
				out = append(out, cellWarning{line, a[0][c], v, b[r][c]})
			}
		}
		for _, v := range a[r] {
			line += strings.Count(v, "\n")
		}
		line++
	}
	return out
}

func warningsOf(rec *custexport.ImportRecord) []cellWarning {
	var out []cellWarning
	for _, w := range rec.WarningRows {
		out = append(out, cellWarning{w.Line, w.Column, w.Stored, w.Incoming})
	}
	return out
}

func sortWarnings(ws []cellWarning) {
	slices.SortFunc(ws, func(a, b cellWarning) int {
		if a.line != b.line {
			return a.line - b.line
		}
		return strings.Compare(a.column, b.column)
	})
}

// What LibreOffice did to the export (leading zeros of ZIPs, IČO and phones lost, phones'
// spaces lost, a street turned into a date, an 18-digit number in scientific notation, CRLFs
// turned into LFs) is listed, every damaged cell and nothing else, and applied nowhere: the
// import of the saved file changes no customer. With AcceptWarnings the same cells are applied,
// and only they.
func TestSpreadsheetDamageIsListedNotApplied(t *testing.T) {
	exported := fixture(t, "export.csv")
	for _, name := range spreadsheetFiles {
		t.Run(name, func(t *testing.T) {
			db, before := spreadsheetShop(t)
			saved := fixture(t, name)
			want := damagedCells(t, exported, saved)
			kinds := map[string]bool{}

			rec := mustImport(t, db, saved, csvimport.Options{})
			wantCounts(t, rec, 21, 0, 0, 21, 0)
			got := warningsOf(rec)
			sortWarnings(got)
			sortWarnings(want)
			if !slices.Equal(got, want) {
				t.Fatalf("warnings:\n%s\nwant every damaged cell:\n%s", listWarnings(got), listWarnings(want))
			}
			if rec.Warnings != int64(len(want)) {
				t.Errorf("%d warnings counted, %d listed", rec.Warnings, len(want))
			}
			for _, w := range rec.WarningRows {
				kinds[w.Key] = true
				if w.Reason == "" || w.GUID == "" {
					t.Errorf("warning without reason or guid: %+v", w)
				}
			}
			for _, k := range []string{custexport.WarnZerosLost, custexport.WarnNumberFormat, custexport.WarnDate,
				custexport.WarnScientific, custexport.WarnCRLF} {
				if !kinds[k] {
					t.Errorf("no warning of kind %s: the fixture should hold that damage (%v)", k, kinds)
				}
			}
			if ch := changes(before, stored(t, db)); len(ch) > 0 {
				t.Fatalf("damage applied:\n%s", strings.Join(ch, "\n"))
			}
			if rec.Ignored == nil || rec.Ignored[0] != "changeTime" {
				t.Errorf("ignored columns %q, want changeTime", rec.Ignored)
			}

			// Accepted: exactly the warned cells change, to what the file says.
			rec = mustImport(t, db, saved, csvimport.Options{AcceptWarnings: true})
			if rec.Skipped != 0 || rec.Warnings != int64(len(want)) || !rec.AcceptWarnings {
				t.Fatalf("accepting: %s, %d warnings, %+v", counts(rec), rec.Warnings, rec.SkippedRows)
			}
			after := stored(t, db)
			var wantChanges []string
			for _, w := range rec.WarningRows {
				col, _ := custexport.ColumnByTag(w.Column)
				was := before[w.GUID]
				wantChanges = append(wantChanges, fmt.Sprintf("%s %s: %q → %q", w.GUID, w.Column, was.Text(col), w.Incoming))
			}
			slices.Sort(wantChanges)
			if got := changes(before, after); !slices.Equal(got, wantChanges) {
				t.Fatalf("accepted warnings changed:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantChanges, "\n"))
			}
		})
	}
}

func listWarnings(ws []cellWarning) string {
	var b strings.Builder
	for _, w := range ws {
		fmt.Fprintf(&b, "  line %d %s: %q → %q\n", w.line, w.column, w.stored, w.incoming)
	}
	return b.String()
}

// A file unchanged apart from three edited cells changes exactly those three fields: the
// export itself, and the spreadsheet's copy, whose damage stays listed and unapplied.
func TestThreeEditedCells(t *testing.T) {
	for _, name := range append([]string{"export.csv"}, spreadsheetFiles...) {
		t.Run(name, func(t *testing.T) {
			db, before := spreadsheetShop(t)
			data := fixture(t, name)
			delim := byte(';')
			rows := parseCSV(t, data, delim)
			// The third, fifth and last customers: a city, a phone and a remark typed anew.
			g := column(t, rows, "guid")
			a, b, c := rows[3][g], rows[5][g], rows[len(rows)-1][g]
			setCell(t, rows, a, "billingCity", "Nové Město na Moravě")
			setCell(t, rows, b, "phone", "+420 603 111 222")
			setCell(t, rows, c, "remark", "Volat po 16:00.")
			style := csvStyle{delim: delim, quoting: quoteMinimal, lf: true}
			if name == "export.csv" {
				style = exportStyle
			}
			rec := mustImport(t, db, formatCSV(rows, style), csvimport.Options{})
			if rec.Skipped != 0 || rec.Updated != 3 {
				t.Fatalf("%s %+v", counts(rec), rec.SkippedRows)
			}
			if name == "export.csv" && rec.Warnings != 0 {
				t.Errorf("warnings about an unchanged export: %+v", rec.WarningRows)
			}
			if name != "export.csv" && rec.Warnings == 0 {
				t.Errorf("the spreadsheet's damage went unlisted")
			}
			got := changedFields(before, stored(t, db))
			want := []string{a + " billingCity", b + " phone", c + " remark"}
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("changed %v, want %v", got, want)
			}
		})
	}
}
