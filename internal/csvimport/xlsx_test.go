package csvimport_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/csvimport"
	"github.com/custexport/custexport/internal/xlsxfile"
)

// exportXLSX is the shop's XLSX export, continued on a new sheet every perSheet customers (0:
// Excel's limit).
func exportXLSX(t testing.TB, db custexport.Database, perSheet int) []byte {
	t.Helper()
	e := engine(nil)
	e.Store = db
	e.Encoders[custexport.FormatXLSX] = func(w io.Writer, o custexport.EncodeOptions) custexport.Encoder {
		return xlsxfile.New(w, xlsxfile.Options{EncodeOptions: o, MaxDataRowsPerSheet: perSheet})
	}
	var buf bytes.Buffer
	if _, err := e.Export(context.Background(), custexport.ExportOptions{Format: custexport.FormatXLSX, FormulaGuard: true}, &buf, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The export's own XLSX, on one sheet or continued on "Customers 2", "Customers 3", …, comes
// back unchanged: every typed cell (dates, date-times, the price ratio, disabledOrders) is
// read back as the text the import compares.
func TestXLSXRoundTrip(t *testing.T) {
	db, before := smallStore(t)
	for _, perSheet := range []int{0, 7} {
		data := exportXLSX(t, db, perSheet)
		rec := mustImport(t, db, data, csvimport.Options{})
		n := int64(len(before))
		wantCounts(t, rec, n, 0, 0, n, 0)
		if rec.Encoding != custexport.EncodingXLSX || rec.Delimiter != "" {
			t.Errorf("encoding %q, delimiter %q; want xlsx and none", rec.Encoding, rec.Delimiter)
		}
		if d := changes(before, stored(t, db)); len(d) > 0 {
			t.Fatalf("the round trip changed %v", d)
		}
	}
}
