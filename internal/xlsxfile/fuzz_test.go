package xlsxfile

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"io"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/sample"
)

// FuzzEncodeXLSX puts arbitrary strings into text fields and checks that the workbook opens
// with archive/zip, that every part is well-formed XML without a character XML 1.0 forbids,
// and that decoding each <t> (XML, then _xHHHH_) gives back the stored text.
func FuzzEncodeXLSX(f *testing.F) {
	sample.AddFuzzSeeds(f, 4, true)
	f.Add("_x005F_x0041_", "\r\r\n\n", " \x00 ", "\xff\xfe\ufffe\uffff", false)
	f.Add("SKU_x0041\x01", "_x0041_x0042_", "_x12\x08", "_x004", true)
	f.Fuzz(func(t *testing.T, fullName, company, street, remark string, guard bool) {
		c := sample.Customers()[0]
		c.Billing.FullName, c.Billing.Company, c.Billing.Street, c.Remark = fullName, company, street, remark
		data := encode(t, []custexport.Customer{c}, sampleOptions(guard))

		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("zip: %v", err)
		}
		var sheet []byte
		for _, zf := range zr.File {
			rc, err := zf.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatalf("%s: %v", zf.Name, err)
			}
			if bad := forbiddenChar(b); bad >= 0 {
				t.Fatalf("%s: character XML 1.0 forbids at byte %d: %q", zf.Name, bad, b[bad:min(len(b), bad+8)])
			}
			if zf.Name == "xl/worksheets/sheet1.xml" {
				sheet = b
			}
		}
		texts, err := cellTexts(sheet)
		if err != nil {
			t.Fatalf("sheet1.xml: %v", err)
		}
		for col, v := range map[custexport.Column]string{custexport.ColBillingFullName: fullName,
			custexport.ColBillingCompany: company, custexport.ColBillingStreet: street, custexport.ColRemark: remark} {
			ref := colNames[col] + "2"
			got, ok := texts[ref]
			if v == "" {
				if ok {
					t.Errorf("%s: cell %q for an empty value", ref, got)
				}
				continue
			}
			if w := storedCell(v); decodeXString(got) != w {
				t.Errorf("%s: got %q, want %q", ref, decodeXString(got), w)
			}
		}
	})
}

// forbiddenChar returns the offset of the first invalid UTF-8 or non-XML-1.0 character in b,
// or -1.
func forbiddenChar(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		ok := r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xD7FF ||
			r >= 0xE000 && r <= 0xFFFD && !(r == utf8.RuneError && size == 1) || r >= 0x10000 && r <= 0x10FFFF
		if !ok {
			return i
		}
		i += size
	}
	return -1
}

// cellTexts parses a worksheet with encoding/xml and returns the text of every inline-string
// cell by reference, as an XML parser delivers it (entities and character references
// decoded, line ends normalised; _xHHHH_ left alone). A cell without a reference is the next
// column of its row, as readers place it.
func cellTexts(sheet []byte) (map[string]string, error) {
	texts := map[string]string{}
	d := xml.NewDecoder(bytes.NewReader(sheet))
	var row, ref string
	col := -1
	var inT bool
	var text []byte
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return texts, nil
		}
		if err != nil {
			return nil, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			switch tok.Name.Local {
			case "row":
				row, col = attr(tok, "r"), -1
			case "c":
				col++
				if r := attr(tok, "r"); r != "" {
					col = slices.Index(colNames[:], strings.TrimRight(r, "0123456789"))
				}
				ref, text = colNames[col]+row, text[:0]
			case "t":
				inT = true
			}
		case xml.CharData:
			if inT {
				text = append(text, tok...)
			}
		case xml.EndElement:
			switch tok.Name.Local {
			case "t":
				inT = false
			case "is":
				texts[ref] = string(text)
			}
		}
	}
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}
