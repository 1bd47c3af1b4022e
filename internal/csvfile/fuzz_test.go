package csvfile

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/sample"
)

// FuzzEncodeCSV puts arbitrary strings into several text fields and checks that encoding/csv,
// which shares no code with the encoder, reads back exactly the header and one record with the
// original values, in both encodings.
func FuzzEncodeCSV(f *testing.F) {
	sample.AddFuzzSeeds(f, 4)
	f.Add("\"", "\"\"", "\r\n", "\r\r\n\n")
	f.Add("\xff", "-3,5", "=1", "\x00x")
	f.Fuzz(func(t *testing.T, name, street, phone, remark string) {
		c := custexport.Customer{
			GUID:     name,
			Billing:  custexport.Address{FullName: name, Street: street},
			Phone:    phone,
			Delivery: []custexport.Address{{City: street, Zip: phone}},
			Remark:   remark,
		}
		fuzzed := []custexport.Column{
			custexport.ColGUID, custexport.ColBillingFullName, custexport.ColBillingStreet,
			custexport.ColPhone, custexport.ColDeliveryCity, custexport.ColDeliveryZip, custexport.ColRemark,
		}
		for _, enc := range []custexport.Encoding{custexport.EncodingUTF8, custexport.EncodingWindows1250} {
			for _, guard := range []bool{true, false} {
				out, replaced := encodeAll(t, custexport.EncodeOptions{Encoding: enc, FormulaGuard: guard}, []custexport.Customer{c})
				records := readBack(t, out, enc)
				if len(records) != 2 {
					t.Fatalf("%s: read %d records, want header and 1 row", enc, len(records))
				}
				var wantReplaced int64
				for _, col := range fuzzed {
					orig := c.Text(col)
					got := records[1][col]
					if guard && custexport.NeedsFormulaGuard(orig) {
						var ok bool
						if got, ok = strings.CutPrefix(got, "'"); !ok {
							t.Fatalf("%s %s: %q lacks the guard quote", enc, col.Tag(), records[1][col])
						}
					}
					want, n := expectText(orig, enc)
					wantReplaced += n
					if enc == custexport.EncodingUTF8 && utf8.ValidString(orig) && want != orig {
						t.Fatalf("valid UTF-8 %q would be changed to %q", orig, want)
					}
					// encoding/csv turns the CRLF at the end of every line it reads into LF, also
					// inside a quoted field, so a value's CRLF comes back as LF. The encoder
					// writes CRLF as-is (the golden files check that); compare modulo this.
					if got != strings.ReplaceAll(want, "\r\n", "\n") {
						t.Fatalf("%s guard=%v %s: read back %q, want %q", enc, guard, col.Tag(), got, want)
					}
				}
				if replaced != wantReplaced {
					t.Fatalf("%s: Replaced() = %d, want %d", enc, replaced, wantReplaced)
				}
				if enc == custexport.EncodingUTF8 && !utf8.Valid(bytes.TrimPrefix(out, []byte(bom))) {
					t.Fatalf("UTF-8 output is not valid UTF-8: %q", out)
				}
			}
		}
	})
}
