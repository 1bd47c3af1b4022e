package xlsxread

import (
	"io"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Rows reads the rows of some sheets one after another, as one table: the first sheet's
// first row is its header, and every later sheet must start with the same header row, which
// is not returned again (the export continues on "Customers 2" past Excel's row limit). Empty
// rows are passed over.
type Rows struct {
	w      *Workbook
	sheets []sheetRef
	next   int     // the next sheet to open
	t      *tokens // the open sheet; nil between sheets
	header []string
	seen   bool // the open sheet's header row was read
	base   int  // lines before the open sheet: line = base + row number
	row    int  // the row number of the last row read

	// Bounds (SetBounds).
	maxRow, keep int
	limits       []int

	fields   []string
	kept     int
	cell     []byte // the text of the cell being read
	col, typ int
	style    int
	ref      string
	nextCol  int
	in       text
	inV      bool
	inCell   bool
	inIs     bool
	hasValue bool
	bad      *BadCell

	// What the last row had beyond the bounds.
	Extra     int  // cells past keep (up to the last one holding something)
	ExtraFull bool // one of them holds something
	Cut       []Cut
}

// Cut is a cell whose text was longer than its limit: only the limit's worth was kept.
type Cut struct {
	Index int // the column, from 0
	Chars int // the characters it had
}

// Rows returns a reader of the named sheets, in that order. A name the workbook lacks is
// an error of Next.
func (w *Workbook) Rows(names []string) *Rows {
	r := &Rows{w: w, maxRow: math.MaxInt, keep: maxColumn}
	for _, name := range names {
		i := slices.IndexFunc(w.sheets, func(s sheetRef) bool { return s.name == name })
		if i < 0 {
			r.sheets = append(r.sheets, sheetRef{name: name})
			continue
		}
		r.sheets = append(r.sheets, w.sheets[i])
	}
	return r
}

// SetBounds bounds what the next rows keep: at most maxRow bytes of text in a row (more is a
// RowTooLong error), the first keep cells (the rest are counted in Extra and ExtraFull), and of
// cell i at most limits[i] bytes (cut, listed in Cut); nil limits: no limit but maxRow.
func (r *Rows) SetBounds(maxRow, keep int, limits []int) {
	r.maxRow, r.keep, r.limits = maxRow, keep, limits
}

// Close ends reading.
func (r *Rows) Close() {
	if r.t != nil {
		r.t.close()
		r.t = nil
	}
}

// Next returns the next row's cells as text, from column A to the last one kept, and its
// line: its row number, counted on across sheets as the same export's CSV counts its lines.
// The slice is reused by the next call. io.EOF after the last row; a *BadCell is a row to
// skip; an *Error refuses the workbook.
func (r *Rows) Next() ([]string, int, error) {
	for {
		if r.t == nil {
			if r.next == len(r.sheets) {
				return nil, 0, io.EOF
			}
			s := r.sheets[r.next]
			if s.part == "" {
				return nil, 0, fail(Broken, "no sheet %q", s.name)
			}
			t, err := r.w.tokens(s.part)
			if err != nil {
				return nil, 0, err
			}
			if r.next > 0 {
				r.base += r.row - 1 // the next sheet's header row is no line of its own
			}
			r.t, r.seen, r.row = t, false, 0
			r.next++
		}
		ok, err := r.readRow()
		if err != nil {
			r.Close()
			return nil, 0, err
		}
		if !ok {
			r.t.close()
			r.t = nil
			continue
		}
		line := r.base + r.row
		if r.bad != nil {
			r.bad.Line = line
			return nil, line, r.bad
		}
		if !r.seen {
			r.seen = true
			if r.header == nil {
				r.header = slices.Clone(r.fields)
				return r.fields, line, nil
			}
			if !slices.Equal(trimEmpty(r.fields), trimEmpty(r.header)) {
				r.Close()
				return nil, 0, fail(HeaderDiffers, "sheet %q starts with another header row than sheet %q", r.sheets[r.next-1].name, r.sheets[0].name)
			}
			continue
		}
		return r.fields, line, nil
	}
}

func trimEmpty(s []string) []string {
	for len(s) > 0 && s[len(s)-1] == "" {
		s = s[:len(s)-1]
	}
	return s
}

// readRow reads up to the end of the next row holding a value; false at the end of the sheet.
func (r *Rows) readRow() (bool, error) {
	for {
		tok, err := r.t.next()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		switch {
		case tok.start != nil:
			switch tok.start.Name.Local {
			case "row":
				r.startRow(tok)
			case "c":
				if err := r.startCell(tok); err != nil {
					return false, err
				}
			case "v":
				r.inV = r.inCell
			case "is":
				r.inIs = r.inCell
			default:
				r.in.track(tok)
			}
		case tok.end != nil:
			switch tok.end.Local {
			case "v":
				r.inV = false
			case "is":
				r.inIs = false
			case "c":
				if err := r.endCell(); err != nil {
					return false, err
				}
			case "row":
				if r.hasValue || r.bad != nil {
					r.endRow()
					return true, nil
				}
			case "sheetData":
				return false, nil
			default:
				r.in.track(tok)
			}
		case tok.text != nil && r.inCell && (r.inV || r.inIs && r.in.inside()):
			if r.cell = append(r.cell, tok.text...); len(r.cell) > MaxToken {
				return false, fail(TooLarge, "a cell of row %d holds more than %d KiB", r.row, MaxToken>>10)
			}
		}
	}
}

func (r *Rows) startRow(tok xmlToken) {
	if n, err := strconv.Atoi(attr(tok.start, "r")); err == nil && n > 0 {
		r.row = n
	} else {
		r.row++
	}
	r.fields, r.kept, r.nextCol = r.fields[:0], 0, 0
	r.Extra, r.ExtraFull, r.Cut = 0, false, r.Cut[:0]
	r.hasValue, r.bad = false, nil
}

// Cell types (attribute t).
const (
	typeNumber = iota
	typeShared
	typeInline
	typeFormulaString
	typeBool
	typeError
	typeDate
)

var cellTypes = map[string]int{"": typeNumber, "n": typeNumber, "s": typeShared, "inlineStr": typeInline,
	"str": typeFormulaString, "b": typeBool, "e": typeError, "d": typeDate}

func (r *Rows) startCell(tok xmlToken) error {
	r.inCell, r.inV, r.inIs, r.cell = true, false, false, r.cell[:0]
	r.in = text{}
	r.ref = attr(tok.start, "r")
	r.col = r.nextCol
	if r.ref != "" {
		col, ok := columnOf(r.ref)
		if !ok {
			return fail(Broken, "row %d has a cell %q", r.row, r.ref)
		}
		r.col = col
	}
	r.nextCol = r.col + 1
	typ, ok := cellTypes[attr(tok.start, "t")]
	if !ok {
		return fail(Broken, "row %d has a cell of type %q", r.row, attr(tok.start, "t"))
	}
	r.typ = typ
	r.style, _ = strconv.Atoi(attr(tok.start, "s"))
	return nil
}

// columnOf reads the column of a cell reference such as "AB12", from 0.
func columnOf(ref string) (int, bool) {
	col, i := 0, 0
	for ; i < len(ref) && ref[i] >= 'A' && ref[i] <= 'Z'; i++ {
		col = col*26 + int(ref[i]-'A'+1)
		if col > maxColumn {
			return 0, false
		}
	}
	return col - 1, i > 0
}

func (r *Rows) endCell() error {
	r.inCell = false
	var v string
	switch r.typ {
	case typeShared:
		if len(r.cell) == 0 {
			break
		}
		i, err := strconv.Atoi(string(r.cell))
		var ok bool
		if v, ok = r.w.strings.get(i); err != nil || !ok {
			return fail(Broken, "row %d points at shared string %q, which the table lacks", r.row, r.cell)
		}
	case typeInline, typeFormulaString:
		v = string(appendUnescaped(nil, r.cell))
	case typeBool:
		switch string(r.cell) {
		case "1", "true":
			v = "1"
		case "0", "false":
			v = "0"
		default:
			v = string(r.cell)
		}
	case typeError:
		if r.bad == nil {
			ref := r.ref
			if ref == "" {
				ref = columnName(r.col) + strconv.Itoa(r.row)
			}
			r.bad = &BadCell{Cell: ref, Value: string(r.cell)}
		}
		return nil
	case typeDate:
		v = isoDateText(string(r.cell))
	default:
		if len(r.cell) > 0 {
			var f cellFormat
			if r.style >= 0 && r.style < len(r.w.formats) {
				f = r.w.formats[r.style]
			}
			v = r.w.numberText(string(r.cell), f)
		}
	}
	if v == "" {
		return nil
	}
	r.hasValue = true
	if r.header != nil && !r.seen {
		return r.put(v) // a later sheet's header row, compared whole with the first sheet's
	}
	if r.col >= r.keep {
		r.ExtraFull = true
		r.Extra = max(r.Extra, r.col+1-r.keep)
		return nil
	}
	if r.col < len(r.limits) && len(v) > r.limits[r.col] {
		chars := utf8.RuneCountInString(v)
		cut := r.limits[r.col]
		for cut > 0 && !utf8.RuneStart(v[cut]) {
			cut--
		}
		v = v[:cut]
		r.Cut = append(r.Cut, Cut{Index: r.col, Chars: chars})
	}
	return r.put(v)
}

// put sets the cell's text in the row, within the row's bound.
func (r *Rows) put(v string) error {
	if r.kept += len(v); r.kept > r.maxRow {
		return fail(RowTooLong, "row %d holds more than %d KiB of text", r.row, r.maxRow>>10)
	}
	for len(r.fields) <= r.col {
		r.fields = append(r.fields, "")
	}
	r.fields[r.col] = v
	return nil
}

// endRow pads the row to the kept width.
func (r *Rows) endRow() {
	for len(r.fields) < len(r.limits) {
		r.fields = append(r.fields, "")
	}
}

func columnName(col int) string {
	n := ""
	for j := col + 1; j > 0; j = (j - 1) / 26 {
		n = string(rune('A'+(j-1)%26)) + n
	}
	return n
}
