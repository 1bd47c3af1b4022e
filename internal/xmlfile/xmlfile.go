// Package xmlfile writes the XML customer export (SPEC section 2): UTF-8, a <CUSTOMERS> root and
// one <CUSTOMER> per customer with Shoptet's UPPER_SNAKE element names. Every element is always
// present, and every document it writes validates against the schema it ships (Schema,
// customers.xsd).
//
// The writer is hand-written rather than encoding/xml: it appends straight into one large
// buffer, copies runs of text that need no escaping in one piece, and allocates nothing per
// customer, which is what the export's speed target needs.
//
// Text rules:
//   - &, < and > are escaped as entities; quotes are left alone (they only matter in attributes,
//     and the format has none).
//   - CR is written as &#13;: a parser normalises a literal CR or CR LF to LF, so "a\r\nb" in a
//     remark would otherwise come back as "a\nb". TAB and LF are written as they are.
//   - Characters XML 1.0 forbids (C0 controls other than TAB, LF and CR; U+FFFE and U+FFFF) and
//     bytes that are not valid UTF-8 (including encoded surrogates) are each replaced by U+FFFD.
//     Such a document cannot carry them in any form — even &#1; is forbidden — and failing the
//     whole export over one stray control character in a remark would serve nobody; U+FFFD
//     keeps the character count (so length limits still hold) and marks the spot visibly.
//   - An empty value is written as a self-closing element (<DISTRICT/>), which XML defines to
//     be the same as <DISTRICT></DISTRICT> and is shorter.
//
// The formula guard of CSV and XLSX does not apply: XML is a data format read by programs, not
// a spreadsheet that evaluates cells, so values are written exactly as stored.
//
// Layout: each CUSTOMER is one line (unless its text holds line breaks) without indentation.
// Indenting every element would add about a third to the file for no machine benefit, while a
// line per customer keeps the file readable, diffable and usable with head, grep and wc -l.
package xmlfile

import (
	_ "embed"
	"errors"
	"io"
	"time"
	"unicode/utf8"

	"github.com/custexport/custexport"
)

// Schema is the XSD that every document written by this package validates against; the web
// server serves it and the repository root holds an identical copy. Callers must not modify it.
//
//go:embed customers.xsd
var Schema []byte

var _ custexport.Encoder = (*Encoder)(nil)

const (
	// flushAt is how full the buffer gets before it is written out: large enough that a
	// write costs little per customer, small enough that the first bytes leave early.
	flushAt = 64 << 10
	// headroom lets a typical customer (about 1 KiB) be appended past flushAt without the
	// buffer growing; a customer with a huge remark grows it once, and it stays that size.
	headroom = 16 << 10

	header  = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CUSTOMERS>\n"
	trailer = "</CUSTOMERS>\n"
)

var errClosed = errors.New("xmlfile: Encode after Close")

// Encoder writes one XML export document; it implements custexport.Encoder. It is not safe
// for concurrent use.
type Encoder struct {
	w      io.Writer
	clock  *custexport.ShopClock
	buf    []byte
	err    error // the first error; once set, nothing more is written
	closed bool
}

// New starts a document on w. Only opts.Location is used: XML is always UTF-8 and has no
// formula guard. Nothing is written to w until the buffer fills or Close is called.
func New(w io.Writer, opts custexport.EncodeOptions) *Encoder {
	buf := make([]byte, 0, flushAt+headroom)
	return &Encoder{w: w, clock: custexport.NewShopClock(opts.Location), buf: append(buf, header...)}
}

// Encode appends one <CUSTOMER> element and writes the buffer out when it is full.
func (e *Encoder) Encode(c *custexport.Customer) error {
	if e.err != nil {
		return e.err
	}
	if e.closed {
		return errClosed
	}
	b := e.buf
	b = append(b, "<CUSTOMER>"...)
	b = appendElem(b, "GUID", c.GUID)
	b = e.appendTime(b, "CREATION_TIME", c.RegistrationDate)
	b = e.appendTime(b, "CHANGE_TIME", c.ChangeTime)

	b = append(b, "<ACCOUNTS><ACCOUNT>"...)
	b = appendElem(b, "GUID", c.AccountGUID)
	b = appendElem(b, "EMAIL", c.Email)
	b = appendElem(b, "PHONE", c.Phone)
	b = append(b, "<MAIN_ACCOUNT>1</MAIN_ACCOUNT></ACCOUNT></ACCOUNTS>"...)

	b = append(b, "<BILLING_ADDRESS>"...)
	b = appendAddress(b, &c.Billing)
	b = appendElem(b, "COMPANY_ID", c.CompanyID)
	b = appendElem(b, "VAT_ID", c.VatID)
	b = appendElem(b, "TAX_ID", c.TaxID)
	b = append(b, "</BILLING_ADDRESS>"...)

	if len(c.Delivery) == 0 {
		b = append(b, "<DELIVERY_ADDRESSES/>"...)
	} else {
		b = append(b, "<DELIVERY_ADDRESSES>"...)
		for i := range c.Delivery {
			b = append(b, "<DELIVERY_ADDRESS>"...)
			b = appendAddress(b, &c.Delivery[i])
			// The default address comes first (custexport.Customer.Delivery).
			b = appendBool(b, "IS_DEFAULT", i == 0)
			b = append(b, "</DELIVERY_ADDRESS>"...)
		}
		b = append(b, "</DELIVERY_ADDRESSES>"...)
	}

	b = appendElem(b, "CUSTOMER_GROUP", c.CustomerGroup)
	b = appendElem(b, "PRICE_LIST", c.PriceList)
	b = append(b, "<PRICE_RATIO>"...)
	b = c.PriceRatio.AppendDecimal(b, '.')
	b = append(b, "</PRICE_RATIO>"...)
	if c.BirthDate.IsZero() {
		b = append(b, "<BIRTH_DATE/>"...)
	} else {
		b = append(b, "<BIRTH_DATE>"...)
		b = c.BirthDate.AppendISO(b)
		b = append(b, "</BIRTH_DATE>"...)
	}
	b = appendElem(b, "REMARK", c.Remark)
	b = appendBool(b, "DISABLED_ORDERS", c.DisabledOrders)
	b = append(b, "</CUSTOMER>\n"...)
	e.buf = b

	if len(b) >= flushAt {
		e.flush()
	}
	return e.err
}

// Close ends the document, writes out what is buffered and returns the first error of the
// encoder's life. It does not close the underlying writer; calling it again does nothing more.
func (e *Encoder) Close() error {
	if !e.closed {
		e.closed = true
		e.buf = append(e.buf, trailer...)
		e.flush() // does nothing after an earlier error
	}
	return e.err
}

func (e *Encoder) flush() {
	if e.err != nil || len(e.buf) == 0 {
		return
	}
	_, e.err = e.w.Write(e.buf)
	e.buf = e.buf[:0]
}

// appendTime writes an instant as ISO 8601 shop time with its offset, e.g.
// 2024-10-27T02:30:00+01:00, so that the doubled hour when clocks go back stays unambiguous.
func (e *Encoder) appendTime(b []byte, name string, t time.Time) []byte {
	b = openTag(b, name)
	b = e.clock.Wall(t).AppendISO8601(b)
	return closeTag(b, name)
}

// appendAddress writes the address fields shared by billing and delivery addresses.
func appendAddress(b []byte, a *custexport.Address) []byte {
	b = appendElem(b, "FULL_NAME", a.FullName)
	b = appendElem(b, "COMPANY", a.Company)
	b = appendElem(b, "STREET", a.Street)
	b = appendElem(b, "HOUSE_NUMBER", a.HouseNumber)
	b = appendElem(b, "CITY", a.City)
	b = appendElem(b, "DISTRICT", a.District)
	b = appendElem(b, "ADDITIONAL", a.Additional)
	b = appendElem(b, "ZIP", a.Zip)
	return appendElem(b, "COUNTRY_CODE", a.CountryCode)
}

func appendBool(b []byte, name string, v bool) []byte {
	b = openTag(b, name)
	if v {
		b = append(b, '1')
	} else {
		b = append(b, '0')
	}
	return closeTag(b, name)
}

// appendElem writes a text element, self-closing when the value is empty.
func appendElem(b []byte, name, v string) []byte {
	if v == "" {
		b = append(b, '<')
		b = append(b, name...)
		return append(b, '/', '>')
	}
	b = openTag(b, name)
	b = appendEscaped(b, v)
	return closeTag(b, name)
}

func openTag(b []byte, name string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	return append(b, '>')
}

func closeTag(b []byte, name string) []byte {
	b = append(b, '<', '/')
	b = append(b, name...)
	return append(b, '>')
}

// asciiPlain marks the ASCII bytes that are copied unchanged: everything from space up, except
// the three markup characters, plus TAB and LF.
var asciiPlain = func() (t [utf8.RuneSelf]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	t['&'], t['<'], t['>'] = false, false, false
	t['\t'], t['\n'] = true, true
	return t
}()

// appendEscaped appends s as XML character data. Runs that need no change are copied whole;
// see the package comment for what is changed and why.
func appendEscaped(b []byte, s string) []byte {
	start := 0 // s[start:i] is pending, unchanged text
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if asciiPlain[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '&':
				b = append(b, "&amp;"...)
			case '<':
				b = append(b, "&lt;"...)
			case '>':
				b = append(b, "&gt;"...)
			case '\r':
				b = append(b, "&#13;"...)
			default: // a C0 control XML 1.0 forbids
				b = append(b, "\uFFFD"...)
			}
			i++
			start = i
			continue
		}
		// Two-byte sequences (Czech and Slovak letters) are always allowed: skip them
		// without a full decode.
		if c >= 0xC2 && c < 0xE0 && i+1 < len(s) && s[i+1]&0xC0 == 0x80 {
			i += 2
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		// DecodeRuneInString reports invalid UTF-8, including encoded surrogates, as
		// (RuneError, 1); a genuine U+FFFD in the text has size 3 and is kept.
		if (r == utf8.RuneError && size == 1) || r == 0xFFFE || r == 0xFFFF {
			b = append(b, s[start:i]...)
			b = append(b, "\uFFFD"...)
			start = i + size
		}
		i += size
	}
	return append(b, s[start:]...)
}
