// Package csvfile writes the customer export as CSV (SPEC section 2): a header row of the
// column tags, ';' as delimiter, every field quoted, CRLF record ends, UTF-8 with a BOM or
// windows-1250 without one, and the formula guard.
//
// The writer is hand-written rather than built on encoding/csv because the export must run at
// a fraction of `sqlite3 -csv` time: values are escaped straight into one fixed buffer, ASCII
// runs are copied whole, and Encode allocates nothing.
package csvfile

import (
	"encoding/binary"
	"errors"
	"io"
	"math/bits"
	"strings"
	"unicode/utf8"

	"github.com/custexport/custexport"
	"golang.org/x/text/encoding/charmap"
)

var (
	_ custexport.Encoder            = (*Encoder)(nil)
	_ custexport.ReplacementCounter = (*Encoder)(nil)
)

const (
	// bufSize is large enough that the underlying writer sees few, big writes.
	bufSize = 128 << 10
	// slack is room reserved around every field for the delimiter, the quotes, the guard
	// quote, the record end and any non-text value (the longest is a 27-byte decimal).
	slack = 64
	// maxChunk bounds how much of one value is escaped at once: escaping at most triples it
	// (an invalid byte becomes the 3-byte U+FFFD), so a chunk always fits the empty buffer.
	maxChunk = (bufSize - slack) / 3
)

var errClosed = errors.New("csvfile: Encode after Close")

// Encoder writes customers as CSV rows. It is not safe for concurrent use.
type Encoder struct {
	w        io.Writer
	buf      []byte // len is the pending output; cap stays bufSize, so appends never allocate
	err      error  // first error; once set nothing more reaches w
	cp1250   bool
	guard    bool
	closed   bool
	replaced int64
	// One clock per date-time column: each keeps the zone period of its previous value, and
	// registration dates arrive in order while change times do not.
	regClock, changeClock *custexport.ShopClock
}

// New returns an Encoder writing to w. The BOM (UTF-8 only) and the header row are buffered at
// once, so an export of no customers is still a valid file with its header.
func New(w io.Writer, opts custexport.EncodeOptions) *Encoder {
	e := &Encoder{
		w:           w,
		buf:         make([]byte, 0, bufSize),
		guard:       opts.FormulaGuard,
		regClock:    custexport.NewShopClock(opts.Location),
		changeClock: custexport.NewShopClock(opts.Location),
	}
	switch opts.Encoding {
	case "", custexport.EncodingUTF8:
		e.buf = append(e.buf, 0xEF, 0xBB, 0xBF) // BOM: Excel reads the file as UTF-8 only with it
	case custexport.EncodingWindows1250:
		e.cp1250 = true
	default:
		// Writing some other encoding than asked for would corrupt the file silently.
		e.err = custexport.Errorf(custexport.CodeInvalid, "csvfile: unsupported encoding %q", opts.Encoding)
		return e
	}
	for col := range custexport.Column(custexport.NumColumns) {
		e.buf = e.appendText(e.buf, col.Tag(), false)
	}
	e.buf = endRecord(e.buf)
	return e
}

// noAddress stands in for the default delivery address of a customer without one.
var noAddress custexport.Address

// Encode writes one customer as one row. It returns the encoder's first error, if any.
func (e *Encoder) Encode(c *custexport.Customer) error {
	if e.closed {
		return errClosed
	}
	if e.err != nil {
		return e.err
	}
	d := &noAddress
	if len(c.Delivery) > 0 {
		d = &c.Delivery[0]
	}
	// The text values by column, read directly rather than through c.Text, whose switch per
	// field is a measurable part of a row; TestColumnValues checks both agree.
	vals := [custexport.NumColumns]string{
		custexport.ColGUID:                c.GUID,
		custexport.ColAccountGUID:         c.AccountGUID,
		custexport.ColEmail:               c.Email,
		custexport.ColBillingFullName:     c.Billing.FullName,
		custexport.ColBillingCompany:      c.Billing.Company,
		custexport.ColBillingStreet:       c.Billing.Street,
		custexport.ColBillingHouseNumber:  c.Billing.HouseNumber,
		custexport.ColBillingCity:         c.Billing.City,
		custexport.ColBillingDistrict:     c.Billing.District,
		custexport.ColBillingAdditional:   c.Billing.Additional,
		custexport.ColBillingZip:          c.Billing.Zip,
		custexport.ColBillingCountryCode:  c.Billing.CountryCode,
		custexport.ColCompanyID:           c.CompanyID,
		custexport.ColVatID:               c.VatID,
		custexport.ColTaxID:               c.TaxID,
		custexport.ColPhone:               c.Phone,
		custexport.ColDeliveryFullName:    d.FullName,
		custexport.ColDeliveryCompany:     d.Company,
		custexport.ColDeliveryStreet:      d.Street,
		custexport.ColDeliveryHouseNumber: d.HouseNumber,
		custexport.ColDeliveryCity:        d.City,
		custexport.ColDeliveryDistrict:    d.District,
		custexport.ColDeliveryAdditional:  d.Additional,
		custexport.ColDeliveryZip:         d.Zip,
		custexport.ColDeliveryCountryCode: d.CountryCode,
		custexport.ColCustomerGroup:       c.CustomerGroup,
		custexport.ColPriceList:           c.PriceList,
		custexport.ColRemark:              c.Remark,
	}
	b := e.buf
	for col := range custexport.Column(custexport.NumColumns) {
		s := vals[col]
		if len(b)+3*len(s)+slack > cap(b) {
			if len(s) > maxChunk {
				e.buf = e.longText(b, s)
				b = e.buf
				continue
			}
			e.buf = b
			e.flush()
			b = e.buf
		}
		if col.Kind() == custexport.KindText {
			b = e.appendText(b, s, e.guard)
			continue
		}
		b = append(b, '"')
		switch col {
		case custexport.ColRegistrationDate:
			if !c.RegistrationDate.IsZero() {
				b = e.regClock.Wall(c.RegistrationDate).AppendDateTime(b)
			}
		case custexport.ColChangeTime:
			if !c.ChangeTime.IsZero() {
				b = e.changeClock.Wall(c.ChangeTime).AppendDateTime(b)
			}
		case custexport.ColBirthDate:
			if !c.BirthDate.IsZero() {
				b = c.BirthDate.AppendISO(b)
			}
		case custexport.ColPriceRatio:
			b = c.PriceRatio.AppendDecimal(b, ',')
		case custexport.ColDisabledOrders:
			if c.DisabledOrders {
				b = append(b, '1')
			} else {
				b = append(b, '0')
			}
		default:
			// A new non-text column needs a case here; failing loudly beats a silently empty field.
			panic("csvfile: no writer for column " + col.Tag())
		}
		b = append(b, '"', ';')
	}
	e.buf = endRecord(b)
	return e.err
}

// endRecord turns the delimiter after the last field into the CRLF record end; every field
// leaves room for the extra byte.
func endRecord(b []byte) []byte {
	b[len(b)-1] = '\r'
	return append(b, '\n')
}

// Close flushes the buffer and returns the first error of the encoder's life. It does not
// close the underlying writer.
func (e *Encoder) Close() error {
	if !e.closed {
		e.closed = true
		e.flush()
	}
	return e.err
}

// Replaced is the number of characters written as a substitute: '?' for what windows-1250
// cannot represent, '?' or U+FFFD for each byte of invalid UTF-8. Call it from the goroutine
// that encodes (typically after Close).
func (e *Encoder) Replaced() int64 { return e.replaced }

func (e *Encoder) flush() {
	if e.err == nil && len(e.buf) > 0 {
		n, err := e.w.Write(e.buf)
		if err == nil && n < len(e.buf) {
			err = io.ErrShortWrite
		}
		e.err = err
	}
	// After an error the buffer is still emptied, so a failed export costs no more memory.
	e.buf = e.buf[:0]
}

// appendText appends one quoted text field and the delimiter. b has room for 3*len(s)+slack
// more bytes.
func (e *Encoder) appendText(b []byte, s string, guard bool) []byte {
	b = append(b, '"')
	// The table spares the call for the many values that cannot need the guard.
	if guard && s != "" && mayNeedGuard[s[0]] && custexport.NeedsFormulaGuard(s) {
		b = append(b, '\'')
	}
	// Copy the value, then look for the first byte that needs more than a copy, reading
	// eight bytes at a time straight from the buffer (it has room to read past the value).
	n := len(b)
	b = append(b, s...)
	if k := plainPrefix(b[n:cap(b)], len(s)); k < len(s) {
		b = e.escape(b[:n+k], s[k:])
	}
	return append(b, '"', ';')
}

// longText writes a field longer than a third of the buffer in chunks with a flush in
// between, so that the buffer never grows. It returns the buffer to continue with.
func (e *Encoder) longText(b []byte, s string) []byte {
	e.buf = b
	e.flush()
	b = append(e.buf, '"')
	if e.guard && custexport.NeedsFormulaGuard(s) {
		b = append(b, '\'')
	}
	for s != "" {
		k := len(s)
		if k > maxChunk {
			k = chunkEnd(s, maxChunk)
		}
		if len(b)+3*k+slack > cap(b) {
			e.buf = b
			e.flush()
			b = e.buf
		}
		b = e.escape(b, s[:k])
		s = s[k:]
	}
	return append(b, '"', ';')
}

const (
	lsb   = 0x0101010101010101
	msb   = 0x8080808080808080
	quote = '"' * lsb
)

// plainPrefix returns how many of the first n bytes of w are ASCII other than '"', checking
// eight at a time; w must have at least n+7 bytes. Scanning the copy in the buffer rather
// than the string measured faster: the 8-byte loads need no bounds checks per byte and the
// tail of a value needs no byte loop.
func plainPrefix(w []byte, n int) int {
	for i := 0; i < n; i += 8 {
		x := binary.LittleEndian.Uint64(w[i:])
		q := x ^ quote              // a zero byte where x has '"'
		m := (x | (q-lsb)&^q) & msb // the top bit of every byte that is not plain
		if r := n - i; r < 8 {
			m &= 1<<(8*r) - 1 // beyond the value: whatever the buffer held before
		}
		if m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	return n
}

// mayNeedGuard marks the first bytes with which a value can need the formula guard. It is
// derived from custexport.NeedsFormulaGuard, which stays the one definition: that decision
// depends on the first byte only, except that '-' is exempt when a plain number follows, and
// "x" is never one.
var mayNeedGuard = func() (t [256]bool) {
	for b := range t {
		t[b] = custexport.NeedsFormulaGuard(string([]byte{byte(b), 'x'}))
	}
	return t
}()

// chunkEnd returns a cut point ≤ limit that does not split a UTF-8 sequence, so that escaping
// the two halves writes exactly what escaping the whole would.
func chunkEnd(s string, limit int) int {
	for i := limit; i > limit-utf8.UTFMax && i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return i
		}
	}
	// Three continuation bytes in a row: no valid sequence spans the cut, and invalid bytes
	// are replaced one at a time anyway.
	return limit
}

// escape appends s with quotes doubled, in the output encoding; the caller has made room for
// 3*len(s) bytes (an invalid byte becomes the 3-byte U+FFFD). Invalid UTF-8 bytes and, in
// windows-1250, runes the code page lacks are replaced and counted.
func (e *Encoder) escape(b []byte, s string) []byte {
	n := len(b)
	b = b[:cap(b)]
	for i := 0; i < len(s); {
		// Eight bytes at a time while they are ASCII without '"': most of every value.
		for ; i+8 <= len(s); i += 8 {
			x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
				uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
			q := x ^ quote // a zero byte where x has '"'
			if (x|(q-lsb)&^q)&msb != 0 {
				break
			}
			binary.LittleEndian.PutUint64(b[n:], x)
			n += 8
		}
		if i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			b[n] = c
			n++
			if c == '"' {
				b[n] = '"'
				n++
			}
			i++
			continue
		}
		// Two-byte sequences, which cover Czech and Slovak, are decoded here: the call to
		// utf8.DecodeRuneInString's out-of-line path costs more than the rest of the loop.
		if c >= 0xC2 && c <= 0xDF && i+1 < len(s) && s[i+1]&0xC0 == 0x80 {
			if e.cp1250 {
				r := rune(c&0x1F)<<6 | rune(s[i+1]&0x3F)
				if int(r) < len(to1250) && to1250[r] != 0 {
					b[n] = to1250[r]
				} else {
					b[n] = '?'
					e.replaced++
				}
				n++
			} else {
				b[n], b[n+1] = c, s[i+1]
				n += 2
			}
			i += 2
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case e.cp1250:
			if int(r) < len(to1250) && to1250[r] != 0 {
				b[n] = to1250[r]
			} else {
				// Also invalid UTF-8 (RuneError): U+FFFD has no windows-1250 byte either.
				b[n] = '?'
				e.replaced++
			}
			n++
		case r == utf8.RuneError && size == 1:
			n += utf8.EncodeRune(b[n:], utf8.RuneError)
			e.replaced++
		default:
			n += copy(b[n:], s[i:i+size])
		}
		i += size
	}
	return b[:n]
}

// to1250 maps runes to windows-1250 bytes; 0 means the code page has no byte for the rune
// (NUL itself is ASCII and never looked up). It is built from charmap's decoding table
// because charmap's encoder fails on, or writes 0x1A for, unrepresentable runes, while the
// SPEC wants '?' and a count.
var to1250 = func() []byte {
	var top rune
	for b := 0x80; b < 0x100; b++ {
		if r := charmap.Windows1250.DecodeByte(byte(b)); r != utf8.RuneError {
			top = max(top, r)
		}
	}
	t := make([]byte, top+1)
	for b := 1; b < 0x100; b++ {
		// Undefined bytes (0x81, 0x83, …) decode to U+FFFD and must not map back.
		if r := charmap.Windows1250.DecodeByte(byte(b)); r != utf8.RuneError {
			t[r] = byte(b)
		}
	}
	return t
}()

// Windows1250Text is s as it reads back from a windows-1250 export: every rune the code page
// lacks is '?'. The import compares with it, so that a round trip through windows-1250 never
// overwrites the characters the file could not carry.
func Windows1250Text(s string) string {
	return strings.Map(func(r rune) rune {
		if r < utf8.RuneSelf || int(r) < len(to1250) && to1250[r] != 0 {
			return r
		}
		return '?'
	}, s)
}
