package csvimport

import (
	"bytes"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/csvfile"
	"github.com/custexport/custexport/internal/sample"
	"github.com/custexport/custexport/internal/seed"
)

// The unchanged check of the round trip: every row the export wrote (both encodings, guard on
// and off, emoji that windows-1250 turns into '?') is the stored customer, and a different
// value in any one column is not.
func TestAsExported(t *testing.T) {
	prague, err := time.LoadLocation("Europe/Prague")
	if err != nil {
		t.Fatal(err)
	}
	customers := sample.Customers()
	gen := seed.New(11, 300, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	for range 300 {
		var c custexport.Customer
		gen.Next(&c)
		customers = append(customers, c)
	}
	for _, enc := range []custexport.Encoding{custexport.EncodingUTF8, custexport.EncodingWindows1250} {
		for _, guard := range []bool{true, false} {
			var buf bytes.Buffer
			e := csvfile.New(&buf, custexport.EncodeOptions{Encoding: enc, FormulaGuard: guard, Location: prague})
			for i := range customers {
				if err := e.Encode(&customers[i]); err != nil {
					t.Fatal(err)
				}
			}
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			text := bytes.TrimPrefix(buf.Bytes(), []byte("\xef\xbb\xbf"))
			if enc == custexport.EncodingWindows1250 {
				text, _ = charmap.Windows1250.NewDecoder().Bytes(text)
			}
			rec := &custexport.ImportRecord{Encoding: enc}
			im := &importer{opts: Options{Location: prague}, rec: rec,
				regClock: custexport.NewShopClock(prague), changeClock: custexport.NewShopClock(prague)}
			r := newRecordReader(bytes.NewReader(text), ';')
			header, _, err := r.Read()
			if err != nil {
				t.Fatal(err)
			}
			if err := im.readHeader(header); err != nil {
				t.Fatal(err)
			}
			for i := range customers {
				fields, line, err := r.Read()
				if err != nil {
					t.Fatal(err)
				}
				values, ok, err := im.values(fields, line, r.text())
				if err != nil || !ok {
					t.Fatalf("row %d: %v %v", i, ok, err)
				}
				stored := customers[i]
				stored.Delivery = stored.Delivery[:min(1, len(stored.Delivery))]
				if !im.asExported(&stored, &values) {
					t.Fatalf("%s guard %v: the export's row of %s is not seen as the stored customer", enc, guard, stored.GUID)
				}
				for col := range custexport.Column(custexport.NumColumns) {
					if col == custexport.ColGUID || col == custexport.ColChangeTime {
						continue // the key; and a column the import ignores (export only)
					}
					changed := values
					changed[col] = otherValue(col, values[col])
					if im.asExported(&stored, &changed) {
						t.Fatalf("%s: %s changed from %q to %q is still seen as the stored customer", stored.GUID, col.Tag(), values[col], changed[col])
					}
				}
			}
		}
	}
}

// otherValue is a valid value of the column's kind that differs from v.
func otherValue(col custexport.Column, v string) string {
	pick := func(a, b string) string {
		if v == a {
			return b
		}
		return a
	}
	switch col.Kind() {
	case custexport.KindDateTime:
		return pick("2001-02-03 04:05:06", "2001-02-03 04:05:07")
	case custexport.KindDate:
		return pick("2001-02-03", "2001-02-04")
	case custexport.KindDecimal:
		return pick("0,5000", "0,6000")
	case custexport.KindBool:
		return pick("0", "1")
	}
	return v + "x"
}
