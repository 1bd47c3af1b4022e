package xlsxread

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"
)

// FuzzWorkbook: any bytes as a workbook, any sheet part: Open and reading every row never
// panic, end in io.EOF or an error of this package, and keep the bounds they were given.
func FuzzWorkbook(f *testing.F) {
	fixture, err := os.ReadFile("testdata/libreoffice.xlsx")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(fixture, "")
	f.Add([]byte("PK\x03\x04"), "")
	f.Add([]byte(nil), `<row r="2"><c r="B2" t="s"><v>0</v></c><c t="n" s="3"><v>45592.5</v></c><c t="e"><v>#N/A</v></c></row>`)
	f.Add([]byte(nil), `<row><c t="inlineStr"><is><t>_x0041__x005F_x0042_</t><rPh><t>x</t></rPh></is></c><c r="XFE1"/></row>`)
	f.Fuzz(func(t *testing.T, data []byte, sheet string) {
		if len(data) == 0 {
			data = zipOf(t, workbook(sheet, nil))
		}
		wb, err := Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Open: %T %v", err, err)
			}
			return
		}
		r := wb.Rows([]string{"Customers", "Customers 2"})
		defer r.Close()
		r.SetBounds(1<<16, 4, []int{3, 3, 3, 3})
		for range 10_000 {
			fields, _, err := r.Next()
			var e *Error
			var bad *BadCell
			switch {
			case err == io.EOF, errors.As(err, &e):
				return
			case errors.As(err, &bad):
				continue
			case err != nil:
				t.Fatalf("Next: %T %v", err, err)
			}
			if len(fields) > 4 && r.header != nil && r.seen {
				// The first row (the header) is read before the bounds; the rest keep them.
				for _, v := range fields {
					if len(v) > 3 {
						t.Fatalf("a field of %d bytes kept past its limit of 3", len(v))
					}
				}
			}
		}
	})
}
