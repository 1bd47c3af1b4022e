// Package xlsxread reads the rows of an XLSX workbook as text, as a stream with bounded
// memory: the import's way into a spreadsheet that Excel or LibreOffice saved (SPEC section
// 10). It knows nothing of customers; csvimport picks the sheets and applies the rows.
//
// The zip's parts are inflated as they are read (archive/zip) and their XML parsed as a token
// stream (encoding/xml), never held whole. What a part may make the reader do is bounded:
// its inflated size and ratio (a zip bomb), the size of one XML token (a cell's text), the
// shared strings, the text kept of a row. Typed cells come back as the text the CSV export
// writes: a date cell as its date or date-time, a number as its shortest decimal text, unless
// its format pads it with zeros (a ZIP code 3401 shown as 03401 is "03401"), a boolean as 0/1.
package xlsxread

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

// Bounds of what a workbook may make the reader do.
const (
	// MaxInflated is the most bytes the parts read may inflate to, together: about eight
	// million customers as the export writes them.
	MaxInflated = 8 << 30
	// MaxRatio is the most a part larger than ratioFloor may inflate per compressed byte. The
	// export's sheets inflate about 7:1, LibreOffice's about 10:1; a zip bomb, 1000:1.
	MaxRatio   = 200
	ratioFloor = 1 << 20
	// MaxToken is the most bytes of one piece of XML (a tag, a text): Excel's longest cell
	// text, 32,767 characters, takes under 400 KiB however escaped.
	MaxToken = 1 << 20
	// MaxSharedText and MaxSharedStrings bound the shared-strings table, which is held in
	// memory (a cell may point at any entry): its text, and the number of its entries.
	// LibreOffice saves 20,000 seeded customers as 97,373 strings of about 4 MB: about
	// 300,000 customers fit.
	MaxSharedText    = 64 << 20
	MaxSharedStrings = 4 << 20
	// maxStyles bounds the cell formats read from styles.xml.
	maxStyles = 1 << 16
	// maxColumn is Excel's last column, XFD.
	maxColumn = 16384
)

// Kind says what is wrong with a workbook.
type Kind int

const (
	NotWorkbook    Kind = iota + 1 // a zip that holds no SpreadsheetML workbook
	Encrypted                      // a part encrypted by the zip
	Bomb                           // a part inflating beyond MaxInflated or MaxRatio
	Broken                         // a malformed zip or XML part
	TooManyStrings                 // shared strings beyond MaxSharedText or MaxSharedStrings
	TooLarge                       // a piece of XML (a cell's text) beyond MaxToken
	HeaderDiffers                  // a later sheet's header row is not the first sheet's
	RowTooLong                     // a row's text beyond the bound Rows.SetBounds gave
	NotZip                         // not a readable zip file at all
)

// Error refuses a workbook; Detail says where (a part, a sheet, a row).
type Error struct {
	Kind   Kind
	Detail string
}

func (e *Error) Error() string {
	what := map[Kind]string{
		NotWorkbook: "not an XLSX workbook", Encrypted: "encrypted", Bomb: "inflates beyond the bounds (a zip bomb?)",
		Broken: "malformed", TooManyStrings: "too many shared strings", TooLarge: "an XML piece too large",
		HeaderDiffers: "header row differs", RowTooLong: "row too long", NotZip: "not a zip file",
	}[e.Kind]
	return "xlsx: " + what + ": " + e.Detail
}

func fail(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// BadCell is a row that holds a cell a spreadsheet marks as an error (#N/A, #REF!, …): the
// row is for its reader to skip; reading goes on with the next row.
type BadCell struct {
	Line  int
	Cell  string // the cell's reference, e.g. "C7"
	Value string
}

func (e *BadCell) Error() string {
	return fmt.Sprintf("line %d: cell %s holds the spreadsheet error %s", e.Line, e.Cell, e.Value)
}

// Workbook is an open XLSX file.
type Workbook struct {
	files    map[string]*zip.File // by lower-case name: OPC part names are case-insensitive
	sheets   []sheetRef
	formats  []cellFormat // by cell style index (cellXfs)
	strings  sharedStrings
	date1904 bool
	inflated int64 // bytes the parts opened may inflate to, together
}

type sheetRef struct{ name, part string }

// Open reads the workbook's structure, styles and shared strings from r, size bytes.
func Open(r io.ReaderAt, size int64) (*Workbook, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fail(NotZip, "%v", err)
	}
	w := &Workbook{files: make(map[string]*zip.File, len(zr.File))}
	for _, f := range zr.File {
		w.files[strings.ToLower(f.Name)] = f
	}
	book := "xl/workbook.xml"
	if rels, err := w.rels("_rels/.rels", ""); err != nil {
		return nil, err
	} else if target := rels.byType("/officeDocument"); target != "" {
		book = target
	}
	if w.files[strings.ToLower(book)] == nil {
		return nil, fail(NotWorkbook, "the zip has no %s", book)
	}
	if err := w.readBook(book); err != nil {
		return nil, err
	}
	rels, err := w.rels(relsPath(book), book)
	if err != nil {
		return nil, err
	}
	for i := range w.sheets {
		target, ok := rels.byID[w.sheets[i].part]
		if !ok {
			return nil, fail(Broken, "sheet %q has no part", w.sheets[i].name)
		}
		w.sheets[i].part = target
	}
	if styles := rels.byType("/styles"); styles != "" {
		if err := w.readStyles(styles); err != nil {
			return nil, err
		}
	}
	if sst := rels.byType("/sharedStrings"); sst != "" {
		if err := w.readSharedStrings(sst); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// Sheets are the names of the workbook's sheets in its order.
func (w *Workbook) Sheets() []string {
	names := make([]string, len(w.sheets))
	for i, s := range w.sheets {
		names[i] = s.name
	}
	return names
}

// open opens a part for reading, within the bounds of MaxInflated and MaxRatio.
func (w *Workbook) open(name string) (io.ReadCloser, error) {
	f := w.files[strings.ToLower(name)]
	if f == nil {
		return nil, fail(Broken, "the part %s is missing", name)
	}
	if f.Flags&1 != 0 {
		return nil, fail(Encrypted, "the part %s is encrypted", name)
	}
	w.inflated += int64(min(f.UncompressedSize64, 1<<62))
	switch {
	case w.inflated > MaxInflated:
		return nil, fail(Bomb, "its parts inflate to more than %d GiB", MaxInflated>>30)
	case f.UncompressedSize64 > ratioFloor && f.UncompressedSize64/MaxRatio > f.CompressedSize64:
		return nil, fail(Bomb, "the part %s inflates %d bytes to %d", name, f.CompressedSize64, f.UncompressedSize64)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fail(Broken, "the part %s: %v", name, err)
	}
	// archive/zip refuses to inflate past the declared size; this says so as a bomb.
	return &declared{rc: rc, left: int64(f.UncompressedSize64), name: name}, nil
}

type declared struct {
	rc   io.ReadCloser
	left int64
	name string
}

func (d *declared) Read(p []byte) (int, error) {
	n, err := d.rc.Read(p)
	if d.left -= int64(n); d.left < 0 {
		return 0, fail(Bomb, "the part %s inflates beyond its declared size", d.name)
	}
	if err != nil && err != io.EOF {
		var e *Error
		if !errors.As(err, &e) {
			err = fail(Broken, "the part %s: %v", d.name, err)
		}
	}
	return n, err
}

func (d *declared) Close() error { return d.rc.Close() }

// relations are a part's relationships: targets by id, and the list for lookups by type.
type relations struct {
	byID  map[string]string
	types [][2]string // type, target
}

func (r *relations) byType(suffix string) string {
	for _, t := range r.types {
		if strings.HasSuffix(t[0], suffix) {
			return t[1]
		}
	}
	return ""
}

func relsPath(part string) string {
	return path.Join(path.Dir(part), "_rels", path.Base(part)+".rels")
}

// rels reads a relationships part; a missing one has none. Targets are resolved against the
// directory of the part they belong to (from).
func (w *Workbook) rels(name, from string) (*relations, error) {
	r := &relations{byID: map[string]string{}}
	if w.files[strings.ToLower(name)] == nil {
		return r, nil
	}
	err := w.scan(name, func(t xmlToken) error {
		if t.start != nil && t.start.Name.Local == "Relationship" {
			if attr(t.start, "TargetMode") == "External" {
				return nil
			}
			target := attr(t.start, "Target")
			if strings.HasPrefix(target, "/") {
				target = target[1:]
			} else {
				target = path.Join(path.Dir(from), target)
			}
			r.byID[attr(t.start, "Id")] = target
			r.types = append(r.types, [2]string{attr(t.start, "Type"), target})
		}
		return nil
	})
	return r, err
}

// readBook reads the sheets' names and relationship ids, and the date system.
func (w *Workbook) readBook(name string) error {
	return w.scan(name, func(t xmlToken) error {
		if t.start == nil {
			return nil
		}
		switch t.start.Name.Local {
		case "sheet":
			id := ""
			for _, a := range t.start.Attr {
				if a.Name.Local == "id" && a.Name.Space != "" {
					id = a.Value
				}
			}
			w.sheets = append(w.sheets, sheetRef{name: attr(t.start, "name"), part: id})
			if len(w.sheets) > maxStyles {
				return fail(Broken, "more than %d sheets", maxStyles)
			}
		case "workbookPr":
			v := attr(t.start, "date1904")
			w.date1904 = v == "1" || v == "true"
		}
		return nil
	})
}

// readStyles reads the number format of every cell style.
func (w *Workbook) readStyles(name string) error {
	custom := map[int]string{}
	var xfs []int
	inCellXfs := false
	err := w.scan(name, func(t xmlToken) error {
		switch {
		case t.start != nil && t.start.Name.Local == "numFmt":
			id, err := strconv.Atoi(attr(t.start, "numFmtId"))
			if err == nil && len(custom) < maxStyles {
				custom[id] = attr(t.start, "formatCode")
			}
		case t.start != nil && t.start.Name.Local == "cellXfs":
			inCellXfs = true
		case t.end != nil && t.end.Local == "cellXfs":
			inCellXfs = false
		case t.start != nil && t.start.Name.Local == "xf" && inCellXfs:
			if len(xfs) >= maxStyles {
				return fail(Broken, "more than %d cell styles", maxStyles)
			}
			id, _ := strconv.Atoi(attr(t.start, "numFmtId"))
			xfs = append(xfs, id)
		}
		return nil
	})
	w.formats = make([]cellFormat, len(xfs))
	for i, id := range xfs {
		if code, ok := custom[id]; ok {
			w.formats[i] = parseFormat(code)
		} else {
			w.formats[i] = builtinFormat(id)
		}
	}
	return err
}

// sharedStrings holds the table's text in one block: a string is text[ends[i-1]:ends[i]].
type sharedStrings struct {
	text []byte
	ends []uint32
}

func (s *sharedStrings) get(i int) (string, bool) {
	if i < 0 || i >= len(s.ends) {
		return "", false
	}
	from := uint32(0)
	if i > 0 {
		from = s.ends[i-1]
	}
	return string(s.text[from:s.ends[i]]), true
}

func (w *Workbook) readSharedStrings(name string) error {
	var buf []byte
	var in text
	return w.scan(name, func(t xmlToken) error {
		switch {
		case t.start != nil && t.start.Name.Local == "si":
			buf = buf[:0]
		case t.end != nil && t.end.Local == "si":
			if len(w.strings.ends) >= MaxSharedStrings {
				return fail(TooManyStrings, "more than %d shared strings", MaxSharedStrings)
			}
			w.strings.text = appendUnescaped(w.strings.text, buf)
			if len(w.strings.text) > MaxSharedText {
				return fail(TooManyStrings, "more than %d MiB of shared strings", MaxSharedText>>20)
			}
			w.strings.ends = append(w.strings.ends, uint32(len(w.strings.text)))
		case in.track(t):
		case t.text != nil && in.inside():
			if buf = append(buf, t.text...); len(buf) > MaxToken {
				return fail(TooLarge, "a shared string longer than %d KiB", MaxToken>>10)
			}
		}
		return nil
	})
}

// text follows where a string's characters are: in <t>, but not inside a phonetic run <rPh>.
type text struct{ t, rPh bool }

// track takes an element that opens or closes <t> or <rPh>, reporting whether it did.
func (x *text) track(t xmlToken) bool {
	switch {
	case t.start != nil && t.start.Name.Local == "t":
		x.t = true
	case t.end != nil && t.end.Local == "t":
		x.t = false
	case t.start != nil && t.start.Name.Local == "rPh":
		x.rPh = true
	case t.end != nil && t.end.Local == "rPh":
		x.rPh = false
	default:
		return false
	}
	return true
}

func (x *text) inside() bool { return x.t && !x.rPh }

// appendUnescaped appends s with Excel's escapes "_xHHHH_" (a character XML cannot carry, or
// "_x005F_" for a literal '_' before such text) decoded, as Excel and the export mean them.
func appendUnescaped(b, s []byte) []byte {
	for {
		i := indexEscape(s)
		if i < 0 {
			return append(b, s...)
		}
		b = append(b, s[:i]...)
		v, _ := strconv.ParseUint(string(s[i+2:i+6]), 16, 32)
		b = appendRune(b, rune(v))
		s = s[i+7:]
	}
}

// indexEscape finds the first "_xHHHH_" in s, or -1.
func indexEscape(s []byte) int {
	for i := 0; i+7 <= len(s); i++ {
		if s[i] != '_' || s[i+1] != 'x' || s[i+6] != '_' {
			continue
		}
		hex := true
		for _, c := range s[i+2 : i+6] {
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				hex = false
			}
		}
		if hex {
			return i
		}
	}
	return -1
}

func appendRune(b []byte, r rune) []byte {
	return append(b, string(r)...)
}
