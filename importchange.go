package custexport

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// The preview and the undo of an import (SPEC section 10): every applied import keeps, beside
// its log entry, what it changed, field by field, and which customers it created. The list is
// written as the import runs, in its own transaction, and read back as a stream, so neither its
// recording nor its reading grows memory with the number of changes.

// ChangeKind says what one entry of an import's change list is.
type ChangeKind string

// The kinds of change entries.
const (
	ChangeField   ChangeKind = "changed" // a field of an existing customer: Column, Old → New
	ChangeCreated ChangeKind = "created" // a customer the import created
	ChangeRemoved ChangeKind = "removed" // a customer a revert removed (the import had created it)
)

// FieldChange is one entry of an import's change list.
type FieldChange struct {
	Seq  int64      `json:"seq"`  // its place in the list, from 1
	Line int        `json:"line"` // the file's line of the row (for a revert: the reverted import's line)
	GUID string     `json:"guid"`
	Kind ChangeKind `json:"kind"`
	// Column is the column's tag for ChangeField, "" otherwise. Old and New are the values as
	// ChangeValue writes them.
	Column string `json:"column,omitempty"`
	Old    string `json:"old"`
	New    string `json:"new"`
	// Digest, for ChangeCreated, is RecordDigest of the customer as created: a revert removes
	// the customer only while it still is so.
	Digest string `json:"-"`
}

// MaxPreviewChanges is how many changes a report shows on screen (the admin page, the CLI's
// text report); all of them are in the CSV download and the JSON report.
const MaxPreviewChanges = 1000

// RecordedColumn reports whether an import records changes of the column: every column but
// changeTime, which is a stamp of the change itself, and the two ids, which never change.
func RecordedColumn(col Column) bool {
	return col != ColChangeTime && col != ColGUID && col != ColAccountGUID
}

// dateTimeChangeLayout writes a date-time of a change in shop time with its offset: readable
// as the export writes it, and exact even in the hour that occurs twice when clocks go back.
const dateTimeChangeLayout = "2006-01-02 15:04:05-07:00"

// ChangeValue is the column's value of c as an import's change list keeps it: text as it is, a
// date-time in shop time (loc) with its offset, a date as YYYY-MM-DD, the price ratio with a
// decimal comma and four places, a boolean as 0 or 1.
func ChangeValue(c *Customer, col Column, loc *time.Location) string {
	switch col.Kind() {
	case KindDateTime:
		t := c.RegistrationDate
		if col == ColChangeTime {
			t = c.ChangeTime
		}
		return t.In(loc).Format(dateTimeChangeLayout)
	case KindDate:
		if c.BirthDate.IsZero() {
			return ""
		}
		return c.BirthDate.String()
	case KindDecimal:
		return string(c.PriceRatio.AppendDecimal(nil, ','))
	case KindBool:
		if c.DisabledOrders {
			return "1"
		}
		return "0"
	}
	return c.Text(col)
}

// SetChangeValue sets the column of c from a value ChangeValue wrote: what a revert restores.
func SetChangeValue(c *Customer, col Column, v string) error {
	switch col.Kind() {
	case KindDateTime:
		t, err := time.Parse(dateTimeChangeLayout, v)
		if err != nil {
			return Errorf(CodeInvalid, "%q is not a recorded date-time", v)
		}
		if col == ColChangeTime {
			c.ChangeTime = t.UTC()
		} else {
			c.RegistrationDate = t.UTC()
		}
	case KindDate:
		if v == "" {
			c.BirthDate = Date{}
			return nil
		}
		d, err := ParseDate(v)
		if err != nil {
			return err
		}
		c.BirthDate = d
	case KindDecimal:
		r, err := parseChangeRatio(v)
		if err != nil {
			return err
		}
		c.PriceRatio = r
	case KindBool:
		c.DisabledOrders = v == "1"
	default:
		c.SetText(col, v)
	}
	return nil
}

// parseChangeRatio reads the price ratio ChangeValue wrote: [-]digits,dddd.
func parseChangeRatio(v string) (PriceRatio, error) {
	bad := Errorf(CodeInvalid, "%q is not a recorded price ratio", v)
	if len(v) < 6 || v[len(v)-5] != ',' {
		return 0, bad
	}
	whole, err := strconv.ParseInt(v[:len(v)-5], 10, 64)
	frac, err2 := strconv.ParseUint(v[len(v)-4:], 10, 64)
	if err != nil || err2 != nil {
		return 0, bad
	}
	r := whole*10000 + int64(frac)
	if v[0] == '-' {
		r = whole*10000 - int64(frac)
	}
	return PriceRatio(r), nil
}

// FieldChanges lists what turns the flat record old into new, column by column, for
// RecordedColumn columns; the entries have no Seq or Line yet.
func FieldChanges(old, new *Customer, loc *time.Location, fn func(col Column, o, n string) error) error {
	for col := range Column(NumColumns) {
		if !RecordedColumn(col) {
			continue
		}
		o, n := ChangeValue(old, col, loc), ChangeValue(new, col, loc)
		if col.Kind() == KindDateTime && old.RegistrationDate.Equal(new.RegistrationDate) {
			continue // the same instant (the texts differ only if loc moved)
		}
		if o != n {
			if err := fn(col, o, n); err != nil {
				return err
			}
		}
	}
	return nil
}

// RecordDigest is a digest of the customer's flat record without changeTime: a created
// customer's entry keeps it, and a revert removes the customer only while its record still has
// it (no one changed it since).
func RecordDigest(c *Customer) string {
	h := sha256.New()
	var buf []byte
	for col := range Column(NumColumns) {
		if col == ColChangeTime {
			continue
		}
		var v string
		if col == ColRegistrationDate {
			v = strconv.FormatInt(c.RegistrationDate.Unix(), 10) // independent of the time zone
		} else {
			v = ChangeValue(c, col, time.UTC)
		}
		buf = strconv.AppendInt(buf[:0], int64(len(v)), 10)
		buf = append(buf, ':')
		h.Write(buf)
		h.Write([]byte(v))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// ChangeSource is a list of changes not yet stored: a dry run's, which its transaction could
// not keep. RecordImport stores it with the log entry.
type ChangeSource interface {
	EachChange(fn func(*FieldChange) error) error
}

// ChangeQuery asks for part of an import's change list: the entries with Seq > After, in
// their order (Reverse: from the last), at most Limit of them (a negative Limit: all).
type ChangeQuery struct {
	ImportID int64
	After    int64
	Limit    int
	Reverse  bool
}

// ChangeStore reads an import's change list.
type ChangeStore interface {
	// ImportChanges calls fn for the changes q asks for. It streams: fn may not keep the
	// change it is given.
	ImportChanges(ctx context.Context, q ChangeQuery, fn func(*FieldChange) error) error
	// ImportByID returns one import's log entry; a CodeNotFound error when there is none.
	ImportByID(ctx context.Context, id int64) (*ImportRecord, error)
}

// RevertRefusal says why an import cannot be reverted, or "" when it can (SPEC section 10,
// undo): only an applied import of a file, once. A revert is not reverted: it restored what
// the file had changed, and the way back to the file's values is to import the file again.
func RevertRefusal(r *ImportRecord) (key, reason string) {
	switch {
	case r.DryRun:
		return "revert_dry_run", "it was a dry run: nothing was written"
	case r.Error != "":
		return "revert_refused", "the file was refused: nothing was written"
	case r.Reverts != 0:
		return "revert_of_revert", "it is itself a revert; to apply the file's values again, import the file again"
	case r.RevertedBy != 0:
		return "revert_twice", "it has been reverted already (import #" + strconv.FormatInt(r.RevertedBy, 10) + ")"
	}
	return "", ""
}

// Revertable reports whether the import can be reverted (RevertRefusal says why not).
func (r ImportRecord) Revertable() bool {
	key, _ := RevertRefusal(&r)
	return key == ""
}
