package xmlfile

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"testing"

	"github.com/custexport/custexport/internal/sample"
)

// FuzzEncodeXML puts arbitrary text into several fields and checks that the document is
// well-formed, holds only characters XML 1.0 allows and reads back to the documented values.
// When it only runs its seeds (plain go test), each document is also validated by xmllint.
func FuzzEncodeXML(f *testing.F) {
	sample.AddFuzzSeeds(f, 5)
	f.Add("\x00", "\r\n", "\xff\xfe", "\uFFFE\uFFFF", "]]>&<\r")
	f.Add("\xed\xa0\x80", "\xc3", "&#13;", "</REMARK>", "<![CDATA[x]]>")
	seedOnly := !fuzzing()

	f.Fuzz(func(t *testing.T, name, street, city, phone, remark string) {
		cs := sample.Customers()[:1]
		c := &cs[0]
		c.Billing.FullName = clip(name, 255)
		c.Billing.Street = clip(street, 255)
		c.Delivery[1].City = clip(city, 255)
		c.Phone = clip(phone, 30)
		c.Remark = clip(remark, 65535)
		c.CustomerGroup = c.Billing.Street

		doc := encode(t, cs, sample.Prague)

		dec := xml.NewDecoder(bytes.NewReader(doc))
		for {
			_, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("not well-formed: %v\n%q", err, doc)
			}
		}
		checkXMLChars(t, doc)
		got := decode(t, doc)
		compareDoc(t, got, cs, sample.Prague)
		// Text XML can carry must come back exactly as it went in.
		for _, v := range []struct{ got, in string }{
			{got.Customers[0].Billing.FullName, c.Billing.FullName},
			{got.Customers[0].Remark, c.Remark},
		} {
			if xmlSafe(v.in) == v.in && v.got != v.in {
				t.Fatalf("read back %q, want %q", v.got, v.in)
			}
		}
		if seedOnly {
			mustValidate(t, "fuzz.xml", doc)
		}
	})
}
