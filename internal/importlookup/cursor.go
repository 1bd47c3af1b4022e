// Package importlookup is how a store's import finds the stored customers its file names: a
// Cursor that reads the stored customers in export order beside the file, and a ClaimSet of the
// customers already asked for. Both stores use it, so they follow a file alike and with the same
// limits; each store supplies only its way of reading batches of rows (Batches).
package importlookup

// An import's file is most often an export of the shop: its rows come in export order
// (registration date, then guid). Looking each row's customer up by guid costs an index descent
// per row, while reading the stored customers in export order costs a step per row. So the
// import reads them as a stream beside the file and matches each row at the stream's head; a row
// the head does not match is looked up by guid, and the lookup tells the cursor where the file
// went (Passed), so that it can follow a file that skipped customers (a filtered export, rows
// deleted from the file).

const (
	// SeekAfterLookups: the cursor restarts further on (which reads a few batches ahead) at most
	// once per this many lookups by guid, unless the last restart paid off. A file in random
	// order then costs a few per cent more than lookups alone, not a restart per row.
	SeekAfterLookups = 1024
	// SeekPaidOff is how many rows matched at the head since the last restart make the next
	// restart worth it.
	SeekPaidOff = 16
	// MaxSkip is how many rows Passed steps over one by one before it restarts instead: stepping
	// costs a comparison a row and drains batches already read, a restart an index descent and
	// a few batches read anew, which is cheaper beyond a couple of thousand rows.
	MaxSkip = 2048
)

// Batches is a store's stream of stored customers in export order, a batch of rows at a time.
type Batches interface {
	// Next gives back the batch at hand, if any, and makes the next one current; it returns
	// the new batch's number of rows, 0 at the end of the stream. After an error the cursor
	// stops using the stream and every row is looked up by guid.
	Next() (rows int, err error)
	// Key is the export-order position of row i of the current batch. guid may view the
	// batch: it is only compared.
	Key(i int) (date int64, guid []byte)
	// Restart gives back the batch at hand and starts the stream again just after (date, guid).
	Restart(date int64, guid string) error
}

// Cursor is the head of a store's stream of stored customers, following the file.
type Cursor struct {
	src       Batches
	rows, row int  // the current batch's number of rows and the head's row in it
	ended     bool // the stream has no more rows
	disabled  bool // the stream failed; lookups carry on alone

	hitsSinceSeek, lookupsSinceSeek int
	hits                            int
}

// New returns a cursor before the first row of src.
func New(src Batches) *Cursor {
	// The first jump ahead (the file of a filtered export) is free.
	return &Cursor{src: src, hitsSinceSeek: SeekPaidOff}
}

// head makes sure a row is at the head; false at the end of the stream or after a failure.
func (c *Cursor) head() bool {
	if c.row < c.rows {
		return true
	}
	if c.disabled || c.ended {
		return false
	}
	n, err := c.src.Next()
	switch {
	case err != nil:
		c.disabled, c.rows, c.row = true, 0, 0
		return false
	case n == 0:
		c.ended, c.rows, c.row = true, 0, 0
		return false
	}
	c.rows, c.row = n, 0
	return true
}

// Match returns the head's row in the current batch when the head is the customer with the
// guid. The caller decodes the row and calls Advance; the row stays valid until then.
func (c *Cursor) Match(guid string) (row int, ok bool) {
	if !c.head() {
		return 0, false
	}
	if _, g := c.src.Key(c.row); string(g) != guid {
		return 0, false
	}
	return c.row, true
}

// Advance moves the head past the row Match returned, counting it as matched.
func (c *Cursor) Advance() {
	c.row++
	c.hitsSinceSeek++
	c.hits++
}

// Hits is how many rows were matched at the head: what the cursor saved in lookups.
func (c *Cursor) Hits() int { return c.hits }

// Passed tells the cursor that a lookup by guid found the customer at (date, guid). When that is
// ahead of the head, the file skipped some customers and the cursor follows: within the batch at
// hand for free; further on, while following pays off (see SeekPaidOff), by stepping up to
// MaxSkip rows and then by a restart just after the customer found. A file in random order thus
// does not make the cursor read ahead for every row.
func (c *Cursor) Passed(date int64, guid string) {
	c.lookupsSinceSeek++
	if c.disabled {
		return
	}
	payingOff := c.hitsSinceSeek >= SeekPaidOff || c.lookupsSinceSeek >= SeekAfterLookups
	for skipped := 0; c.head(); skipped++ {
		if d, g := c.src.Key(c.row); d > date || d == date && string(g) > guid {
			return // the head is after it already
		}
		if c.row == c.rows-1 && !payingOff || skipped == MaxSkip {
			break
		}
		c.row++
	}
	if !payingOff || c.disabled {
		return
	}
	// Far ahead, or after the end (the file went back): start again just after the customer.
	c.rows, c.row, c.ended = 0, 0, false
	if err := c.src.Restart(date, guid); err != nil {
		c.disabled = true
		return
	}
	c.hitsSinceSeek, c.lookupsSinceSeek = 0, 0
}
