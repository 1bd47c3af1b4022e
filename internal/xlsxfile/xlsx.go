// Package xlsxfile writes the customer export as an Excel workbook (SPEC section 2, XLSX).
//
// The SpreadsheetML parts are written by hand and streamed through archive/zip: no sheet is
// ever built in memory, so memory stays flat (a few MiB) whatever the number of rows, and the
// first bytes leave after the first two chunks of sheet XML, a couple of thousand rows. Text
// goes into inline strings rather than the shared-strings table, which would have to hold
// every distinct value until the end.
package xlsxfile

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/custexport/custexport"
	"github.com/klauspost/compress/flate"
)

// Options configure an Encoder.
type Options struct {
	custexport.EncodeOptions
	// MaxDataRowsPerSheet is the number of customers per worksheet before the export continues
	// on the next one; 0 means Excel's limit (1,048,576 rows minus the header row).
	MaxDataRowsPerSheet int
}

// excelMaxDataRows is Excel's row limit minus the header row.
const excelMaxDataRows = 1<<20 - 1

// Cell style indexes into cellXfs of styles.xml.
const (
	styleHeader      = "1"
	styleDateTime    = "2"
	styleDate        = "3"
	styleDecimal     = "4"
	styleQuotePrefix = "5"
)

// chunkSize is how much sheet XML collects before it goes to the compressor goroutine. Each
// hand-over wakes a goroutine and may leave a core spinning: with 64 KiB chunks two cores
// were no faster than one, with 256 KiB a third faster, with 1 MiB as fast for 7 % less CPU
// (BenchmarkEncode, GOMAXPROCS=2 against 1); larger gains nothing. Two chunks circulate, so
// this is most of the encoder's memory.
const chunkSize = 1 << 20

// compressionLevel is klauspost flate level 1. Per customer on one core (BenchmarkEncodeLevel)
// it takes 2.7 µs for 138 zip bytes; Huffman-only takes 2.45 µs but writes 657 bytes (4.8
// times the file), levels 2 and 3 take 17 % and 28 % longer for 2 % and 4 % smaller files.
// With compression on its own core, level 1 and Huffman-only export about equally fast.
const compressionLevel = flate.BestSpeed

// zipTime is the fixed modification time of every part, so equal input gives an equal file.
var zipTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

var errClosed = errors.New("xlsxfile: Encode after Close")

// Encoder writes customers as rows of an XLSX workbook.
//
// Compression, the larger half of the work, runs on a goroutine of its own: while it deflates
// one chunk of sheet XML, the caller's goroutine reads the next customers and builds the next
// chunk, so an export uses two cores. Everything is still written to w on the caller's
// goroutine, inside Encode and Close.
type Encoder struct {
	w       io.Writer
	zw      *zip.Writer                                  // writes into zout
	zout    *bytes.Buffer                                // zip bytes not yet written to w; touched only while the compressor is idle
	sheet   io.Writer                                    // the open worksheet part; nil before the first
	clocks  [custexport.NumColumns]*custexport.ShopClock // one per date-time column: each keeps its own zone period cached
	guard   bool
	maxRows int
	sheets  int    // worksheets started
	rows    int    // data rows on the open worksheet
	total   int64  // customers announced (EncodeOptions.Rows); negative: unknown
	done    int64  // customers encoded
	cur     *chunk // the chunk being filled; cur.xml is buf's storage
	buf     []byte // sheet XML not yet handed to the compressor
	comp    *compressor
	err     error
	closed  bool
}

var _ custexport.Encoder = (*Encoder)(nil)

// New returns an Encoder writing a workbook to w. Nothing is written before the first Encode or
// Close; w is never closed. Close must be called, also after an error, to end the compressor
// goroutine (an Encoder dropped without Close ends it when garbage collected).
func New(w io.Writer, opts Options) *Encoder {
	return newEncoder(w, opts, compressionLevel)
}

func newEncoder(w io.Writer, opts Options, level int) *Encoder {
	maxRows := opts.MaxDataRowsPerSheet
	if maxRows <= 0 || maxRows > excelMaxDataRows {
		maxRows = excelMaxDataRows
	}
	zout := new(bytes.Buffer)
	zw := zip.NewWriter(zout)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, level)
	})
	e := &Encoder{
		w:       w,
		zw:      zw,
		zout:    zout,
		guard:   opts.FormulaGuard,
		maxRows: maxRows,
		total:   opts.Rows,
		cur:     &chunk{xml: make([]byte, 0, chunkSize+16<<10)},
		comp:    startCompressor(zout),
	}
	e.buf = e.cur.xml
	e.setClocks(opts.Location)
	runtime.AddCleanup(e, (*compressor).stop, e.comp)
	return e
}

func (e *Encoder) setClocks(loc *time.Location) {
	for i := range e.clocks {
		if custexport.Column(i).Kind() == custexport.KindDateTime {
			e.clocks[i] = custexport.NewShopClock(loc)
		}
	}
}

// Encode writes one customer as one row, starting the next worksheet when the current one is
// full.
func (e *Encoder) Encode(c *custexport.Customer) error {
	if e.err != nil {
		return e.err
	}
	if e.closed {
		return errClosed
	}
	if e.done == e.total {
		// The sheet's <dimension> already went out with the announced number.
		e.err = fmt.Errorf("xlsxfile: more customers than the %d announced (EncodeOptions.Rows)", e.total)
		return e.err
	}
	if e.sheets == 0 || e.rows == e.maxRows {
		if e.startSheet(); e.err != nil {
			return e.err
		}
	}
	e.done++
	e.rows++
	e.buf = e.appendRow(e.buf, c, e.rows+1)
	if len(e.buf) >= chunkSize {
		e.handOff()
	}
	return e.err
}

// Close ends the last worksheet, writes the workbook, styles, content types and relationships,
// and finishes the zip file. It returns the first error of the encoder's life.
func (e *Encoder) Close() error {
	if e.closed {
		return e.err
	}
	e.closed = true
	defer e.comp.stop()
	if e.err == nil && e.total >= 0 && e.done != e.total {
		e.err = fmt.Errorf("xlsxfile: %d customers encoded, %d announced (EncodeOptions.Rows): the sheets' ranges would be wrong", e.done, e.total)
	}
	if e.err == nil && e.sheets == 0 {
		e.startSheet() // no customers: a workbook with just the header row
	}
	if e.err == nil {
		e.endSheet()
	}
	e.idle()
	for _, p := range e.packageParts() {
		if e.err != nil {
			break
		}
		var w io.Writer
		if w, e.err = e.create(p.name); e.err == nil {
			_, e.err = w.Write(p.data)
		}
	}
	if e.err == nil {
		e.err = e.zw.Close()
	}
	e.ship(e.zout.Bytes())
	e.zout.Reset()
	return e.err
}

func (e *Encoder) create(name string) (io.Writer, error) {
	return e.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: zipTime})
}

// handOff gives the collected sheet XML to the compressor and takes back the other chunk,
// writing out what was compressed from it.
func (e *Encoder) handOff() {
	e.cur.dst, e.cur.xml = e.sheet, e.buf
	e.comp.work <- e.cur
	e.cur = <-e.comp.done
	e.ship(e.cur.out)
	e.buf = e.cur.xml[:0]
}

// idle hands over the collected sheet XML and waits until the compressor has finished with
// everything, so that the zip writer may be used on this goroutine.
func (e *Encoder) idle() {
	if len(e.buf) > 0 {
		e.handOff()
	}
	c := <-e.comp.done
	e.ship(c.out)
	c.out = c.out[:0]
	e.comp.done <- c
}

// ship writes compressed bytes to w.
func (e *Encoder) ship(b []byte) {
	if e.err == nil && len(b) > 0 {
		_, e.err = e.w.Write(b)
	}
}

// chunk is a buffer of sheet XML on its way through the compressor, and the zip bytes it
// came back with.
type chunk struct {
	dst io.Writer // the worksheet part the XML belongs to
	xml []byte
	out []byte
}

// compressor deflates chunks on its own goroutine. Two chunks circulate: the Encoder fills
// one while the compressor works on the other; done always holds the one not in use.
type compressor struct {
	work     chan *chunk
	done     chan *chunk
	exited   chan struct{} // closed when the goroutine has ended
	stopOnce sync.Once
}

func startCompressor(zout *bytes.Buffer) *compressor {
	c := &compressor{work: make(chan *chunk), done: make(chan *chunk, 2), exited: make(chan struct{})}
	c.done <- &chunk{xml: make([]byte, 0, chunkSize+16<<10)}
	go func(work <-chan *chunk, done chan<- *chunk, exited chan<- struct{}) {
		defer close(exited)
		compress(work, done, zout)
	}(c.work, c.done, c.exited)
	return c
}

// compress runs on the compressor goroutine. Writing to the worksheet part deflates the XML
// into zout, whose bytes then travel back to the Encoder in the chunk. Write errors cannot
// happen here: zout is memory; writing to w is the Encoder's.
func compress(work <-chan *chunk, done chan<- *chunk, zout *bytes.Buffer) {
	for c := range work {
		c.dst.Write(c.xml)
		c.out = append(c.out[:0], zout.Bytes()...)
		zout.Reset()
		done <- c
	}
}

func (c *compressor) stop() { c.stopOnce.Do(func() { close(c.work) }) }

// startSheet ends the open worksheet, if any, and starts the next one with its header row.
func (e *Encoder) startSheet() {
	if e.sheets > 0 {
		if e.endSheet(); e.err != nil {
			return
		}
	}
	e.sheets++
	e.rows = 0
	e.idle()
	if e.sheet, e.err = e.create(sheetPath(e.sheets)); e.err != nil {
		return
	}
	// The sheet's range comes first (ECMA-376 orders <dimension> before the rows), so it is
	// computed from the announced number of customers rather than counted.
	e.buf = append(e.buf, xmlHeader+`<worksheet xmlns="`+nsMain+`">`+"\n"...)
	if e.total >= 0 {
		rows := min(int64(e.maxRows), e.total-e.done)
		e.buf = append(e.buf, `<dimension ref="A1:`...)
		e.buf = appendCellRef(e.buf, custexport.NumColumns-1, int(rows)+1)
		e.buf = append(e.buf, `"/>`+"\n"...)
	}
	e.buf = append(e.buf, `<sheetViews><sheetView`...)
	if e.sheets == 1 {
		e.buf = append(e.buf, ` tabSelected="1"`...)
	}
	e.buf = append(e.buf, sheetStart...)
}

// endSheet closes the open worksheet with its auto-filter, which follows sheetData.
func (e *Encoder) endSheet() {
	e.buf = append(e.buf, "</sheetData>\n"+`<autoFilter ref="A1:`...)
	e.buf = appendCellRef(e.buf, custexport.NumColumns-1, e.rows+1)
	e.buf = append(e.buf, `"/>`+"\n</worksheet>"...)
}

func sheetPath(n int) string { return "xl/worksheets/sheet" + strconv.Itoa(n) + ".xml" }

// appendRow appends the <row> of one customer. Empty values get no cell at all.
func (e *Encoder) appendRow(b []byte, c *custexport.Customer, row int) []byte {
	var rowBuf [8]byte
	r := strconv.AppendInt(rowBuf[:0], int64(row), 10)
	b = append(b, `<row r="`...)
	b = append(b, r...)
	b = append(b, `">`...)
	next := 0 // the column a cell without a reference lands in
	for i := range custexport.NumColumns {
		col := custexport.Column(i)
		switch col.Kind() {
		case custexport.KindText:
			s := c.Text(col)
			if s == "" {
				continue
			}
			if len(s) > maxCellChars {
				s = truncateCell(s)
			}
			b = appendCellStart(b, i, r, &next)
			if e.guard && custexport.NeedsFormulaGuard(s) {
				// Excel's quote prefix shows the text as typed and keeps it from ever
				// becoming a formula, without changing the stored value.
				b = append(b, ` s="`+styleQuotePrefix+`"`...)
			}
			b = appendInlineString(b, s)
		case custexport.KindDateTime:
			t := timeValue(c, col)
			if t.IsZero() {
				continue
			}
			w := e.clocks[i].Wall(t)
			b = appendCellStart(b, i, r, &next)
			days := custexport.DaySerial(w.Year, w.Month, w.Day)
			if days < firstSerial || w.Year > 9999 {
				b = appendInlineString(b, string(w.AppendDateTime(make([]byte, 0, 19))))
				continue
			}
			b = append(b, ` s="`+styleDateTime+`"><v>`...)
			b = strconv.AppendFloat(b, serial(days, w.Hour*3600+w.Minute*60+w.Second), 'f', -1, 64)
			b = append(b, "</v></c>"...)
		case custexport.KindDate:
			d := dateValue(c, col)
			if d.IsZero() {
				continue
			}
			b = appendCellStart(b, i, r, &next)
			serial := custexport.DaySerial(d.Year, int(d.Month), d.Day)
			if serial < firstSerial || d.Year > 9999 {
				b = appendInlineString(b, d.String())
				continue
			}
			b = append(b, ` s="`+styleDate+`"><v>`...)
			b = strconv.AppendInt(b, serial, 10)
			b = append(b, "</v></c>"...)
		case custexport.KindDecimal:
			b = appendCellStart(b, i, r, &next)
			b = append(b, ` s="`+styleDecimal+`"><v>`...)
			b = c.PriceRatio.AppendDecimal(b, '.')
			b = append(b, "</v></c>"...)
		case custexport.KindBool:
			b = appendCellStart(b, i, r, &next)
			v := byte('0')
			if c.DisabledOrders {
				v = '1'
			}
			b = append(b, `><v>`...)
			b = append(b, v)
			b = append(b, "</v></c>"...)
		}
	}
	return append(b, "</row>\n"...)
}

// firstSerial is 1900-03-01. Before it Excel's serial numbers count the non-existent
// 1900-02-29 (and before 1900 it has none), so such dates are written as ISO text instead.
const firstSerial = 61

// maxCellChars is the most characters (UTF-16 code units) Excel takes in a cell; a longer
// text makes it "repair" the file. Only remark (up to 65,535) can be longer.
const maxCellChars = 32767

// truncateCell cuts s to maxCellChars UTF-16 code units without splitting a character, as
// XlsxWriter and libxlsxwriter do. A string of at most maxCellChars bytes never needs it.
func truncateCell(s string) string {
	units := 0
	for i, r := range s {
		n := 1
		if r >= 0x10000 {
			n = 2
		}
		if units+n > maxCellChars {
			return s[:i]
		}
		units += n
	}
	return s
}

// serial returns the spreadsheet serial number of a date and time, days since 1899-12-30: the
// smallest float64 not below the exact value. WallTime.Serial() rounds to the nearest float64,
// which for 1.5 % of the seconds lies a fraction of a microsecond below (19:08:18 as
// 19:08:17.9999996); LibreOffice truncates to whole seconds and would show the second
// before. Readers that round (Excel, openpyxl) do not mind the less than one ulp above.
func serial(days int64, seconds int) float64 {
	v := float64(days) + float64(seconds)/86400
	// v*86400 - exact, with a single rounding: its sign says whether v is below.
	if math.FMA(v, 86400, -float64(days*86400+int64(seconds))) < 0 {
		v = math.Nextafter(v, math.Inf(1))
	}
	return v
}

// timeValue and dateValue return the value of a date-time or date column.
func timeValue(c *custexport.Customer, col custexport.Column) time.Time {
	switch col {
	case custexport.ColRegistrationDate:
		return c.RegistrationDate
	case custexport.ColChangeTime:
		return c.ChangeTime
	}
	return time.Time{}
}

func dateValue(c *custexport.Customer, col custexport.Column) custexport.Date {
	if col == custexport.ColBirthDate {
		return c.BirthDate
	}
	return custexport.Date{}
}

// appendCellStart appends `<c` and leaves the start tag open for more attributes. The cell
// reference (r="AB2") is written only after a skipped (empty) cell: a <c> without one is the
// next column of its row (r is optional in ECMA-376 CT_Cell; openpyxl counts columns so,
// LibreOffice too, and Excel opens files from Power BI and Dynamics that rely on it). Left
// out, the sheet XML is 18 % shorter, and the row numbers repeated in every reference no
// longer make flate emit a match per cell: 33 % smaller files, 20 % less CPU.
func appendCellStart(b []byte, col int, row []byte, next *int) []byte {
	if col == *next {
		*next = col + 1
		return append(b, "<c"...)
	}
	*next = col + 1
	b = append(b, `<c r="`...)
	b = append(b, colNames[col]...)
	b = append(b, row...)
	return append(b, '"')
}

// appendInlineString closes the <c> start tag of appendCellStart and appends the text.
// xml:space="preserve" tells readers not to trim leading or trailing white space or fold
// line breaks; whether the text has a line break is known only after escaping it, so then the
// attribute is inserted after the fact (rare, and cheaper than another pass over every text).
func appendInlineString(b []byte, s string) []byte {
	b = append(b, ` t="inlineStr"><is><t`...)
	mark := len(b)
	b = append(b, '>')
	b, lineBreak := appendEscaped(b, s)
	if lineBreak || s != "" && (isSpace(s[0]) || isSpace(s[len(s)-1])) {
		const preserve = ` xml:space="preserve"`
		b = append(b, preserve...)
		copy(b[mark+len(preserve):], b[mark:len(b)-len(preserve)])
		copy(b[mark:], preserve)
	}
	return append(b, "</t></is></c>"...)
}

func appendCellRef(b []byte, col, row int) []byte {
	b = append(b, colNames[col]...)
	return strconv.AppendInt(b, int64(row), 10)
}

// colNames holds the column letters A, B, …, AF.
var colNames = func() (names [custexport.NumColumns]string) {
	for i := range names {
		n := ""
		for j := i + 1; j > 0; j = (j - 1) / 26 {
			n = string(rune('A'+(j-1)%26)) + n
		}
		names[i] = n
	}
	return names
}()
