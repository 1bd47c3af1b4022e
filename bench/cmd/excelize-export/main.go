// Command excelize-export is the excelize anchor of `make bench` (SPEC section 13): it writes
// the product's XLSX export with excelize's StreamWriter, the usual way to write a large sheet
// in Go. It reads SQLite with the product's driver and query, so it differs from the product
// only in the XLSX writer.
//
// Usage: excelize-export -db custexport.db -o out.xlsx
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/custexport/custexport/bench/internal/columns"
	"github.com/ncruces/go-sqlite3"
	"github.com/xuri/excelize/v2"
)

// maxRows is Excel's row limit per sheet; like the product, the export continues on
// "Customers 2".
const maxRows = 1048576

func main() {
	db := flag.String("db", "", "SQLite database `file`")
	out := flag.String("o", "", "XLSX `file` to write")
	flag.Parse()
	if *db == "" || *out == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := export(*db, *out); err != nil {
		fmt.Fprintln(os.Stderr, "excelize-export:", err)
		os.Exit(1)
	}
}

// styles are the cell styles the product uses too.
type styles struct{ bold, dateTime, date, ratio int }

func export(dbPath, out string) error {
	conn, err := sqlite3.OpenFlags(dbPath, sqlite3.OPEN_READONLY)
	if err != nil {
		return err
	}
	defer conn.Close()
	stmt, _, err := conn.Prepare(columns.Select())
	if err != nil {
		return err
	}
	defer stmt.Close()

	f := excelize.NewFile()
	defer f.Close()
	var st styles
	if st.bold, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
		return err
	}
	if st.dateTime, err = numFmt(f, "yyyy-mm-dd hh:mm:ss"); err != nil {
		return err
	}
	if st.date, err = numFmt(f, "yyyy-mm-dd"); err != nil {
		return err
	}
	if st.ratio, err = numFmt(f, "0.0000"); err != nil {
		return err
	}
	sheet, row := 0, maxRows
	var sw *excelize.StreamWriter
	// One slice reused for every row: SetRow encodes the values before it returns.
	values := make([]any, len(columns.All))
	for stmt.Step() {
		if row == maxRows {
			sheet++
			if sw, err = newSheet(f, sw, sheet, st); err != nil {
				return err
			}
			row = 1
		}
		row++
		for i, c := range columns.All {
			values[i] = cell(stmt, i, c.Kind, st)
		}
		ref, err := excelize.CoordinatesToCellName(1, row)
		if err != nil {
			return err
		}
		if err := sw.SetRow(ref, values); err != nil {
			return err
		}
	}
	if err := stmt.Err(); err != nil {
		return err
	}
	if sw == nil { // no rows: still write the header
		if sw, err = newSheet(f, nil, 1, st); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.SaveAs(out)
}

func numFmt(f *excelize.File, format string) (int, error) {
	return f.NewStyle(&excelize.Style{CustomNumFmt: &format})
}

// newSheet flushes the previous sheet's writer and starts sheet n with its header row.
func newSheet(f *excelize.File, prev *excelize.StreamWriter, n int, st styles) (*excelize.StreamWriter, error) {
	name := "Customers"
	if n > 1 {
		name = fmt.Sprintf("Customers %d", n)
	}
	if prev != nil {
		if err := prev.Flush(); err != nil {
			return nil, err
		}
	}
	var err error
	if n == 1 {
		err = f.SetSheetName("Sheet1", name)
	} else {
		_, err = f.NewSheet(name)
	}
	if err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return nil, err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	header := make([]any, len(columns.All))
	for i, c := range columns.All {
		header[i] = excelize.Cell{StyleID: st.bold, Value: c.Tag}
	}
	return sw, sw.SetRow("A1", header)
}

// excelEpoch is Excel's serial day number of 1970-01-01.
const excelEpoch = 25569

// cell converts one column of the current row. Empty text is no cell at all, as in the product.
func cell(stmt *sqlite3.Stmt, i int, kind columns.Kind, st styles) any {
	switch kind {
	case columns.DateTime:
		// UTC, not shop time: the product must convert to Europe/Prague, so this shortcut
		// only makes the anchor faster, i.e. the target stricter.
		return excelize.Cell{StyleID: st.dateTime, Value: excelEpoch + float64(stmt.ColumnInt64(i))/86400}
	case columns.Date:
		d, err := time.Parse(time.DateOnly, stmt.ColumnText(i))
		if err != nil { // '' = unknown
			return nil
		}
		return excelize.Cell{StyleID: st.date, Value: float64(excelEpoch + d.Unix()/86400)}
	case columns.Ratio:
		return excelize.Cell{StyleID: st.ratio, Value: float64(stmt.ColumnInt64(i)) / 10000}
	case columns.Bool:
		return stmt.ColumnInt64(i)
	}
	if s := stmt.ColumnText(i); s != "" {
		return s
	}
	return nil
}
