package csvimport

import (
	"fmt"
	"strconv"

	"github.com/custexport/custexport"
)

// Bounds on what the import holds in memory (SPEC section 10, issue 17 item 8): neither the
// length of a line nor that of a field makes memory grow. A field past its column's longest
// value is cut off while reading and its row skipped; a header or a row past these caps
// refuses the file, read no further.
const (
	// maxHeaderBytes and maxHeaderColumns bound the header row: the export's has 33 tags in
	// under 500 bytes, a Shoptet export a few dozen more.
	maxHeaderBytes   = 256 << 10
	maxHeaderColumns = 1000
	// maxLineBytes bounds one row, its lines together. The longest valid row, every column at
	// its longest in 4-byte characters with every quote doubled, is well under 1 MiB.
	maxLineBytes = 4 << 20
	// otherFieldBytes bounds a field of a column that is not text (a date, a number, a
	// boolean): far more than any valid value.
	otherFieldBytes = 256
)

// fieldLimits are the most bytes kept of each field of the file, by the header: a text column's
// longest value in 4-byte characters, and one more for the formula guard's quote; nothing of
// an ignored column.
func (im *importer) fieldLimits() []int {
	limits := make([]int, len(im.columns))
	for i, col := range im.columns {
		switch {
		case col < 0:
			limits[i] = 0
		case custexport.Column(col).Kind() == custexport.KindText:
			limits[i] = 4*custexport.Column(col).MaxLen() + 1
		default:
			limits[i] = otherFieldBytes
		}
	}
	return limits
}

// outOfBounds skips a row that has a field past the header's (fields of them in all, extra
// past the header) holding something, or a field of a column cut off at its limit, and
// reports whether it did.
func (im *importer) outOfBounds(line, fields, extra int, extraFull bool, cut []cutField) bool {
	if extraFull {
		n := strconv.Itoa(fields + extra)
		im.skip(line, "", "field_count", []string{n, strconv.Itoa(len(im.columns))},
			fmt.Sprintf("the row has %s fields, the header %d", n, len(im.columns)))
		return true
	}
	for _, c := range cut {
		col := im.columns[c.index]
		if col < 0 {
			continue
		}
		max := custexport.Column(col).MaxLen()
		if max == 0 {
			max = otherFieldBytes
		}
		e := fieldErr(custexport.Column(col), "too_long", "longer than %d characters (%d)", max, c.chars)
		im.skip(line, e.col.Tag(), e.key, e.args, e.reason)
		return true
	}
	return false
}
