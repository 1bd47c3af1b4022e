package csvimport

// The first record reader, a byte at a time: slow but plain. FuzzRecordReader checks the fast
// one against it.

import (
	"bufio"
	"errors"
	"io"
)

// referenceReader reads CSV records (RFC 4180) as the export writes them. encoding/csv would do
// but for one thing: it turns CRLF inside a quoted field into LF, so a remark with Windows line
// ends would come back changed from every round trip. Here a quoted field keeps its bytes.
type referenceReader struct {
	r     *bufio.Reader
	comma byte
	line  int // lines consumed so far
	field []byte
	out   []string
}

func newReferenceReader(r io.Reader, comma byte) *referenceReader {
	return &referenceReader{r: bufio.NewReaderSize(r, 64<<10), comma: comma}
}

// Read returns the next record and the line it starts on. The slice is reused by the next
// call. Empty lines are skipped. A malformed record gives a *badRecord error.
func (rr *referenceReader) Read() ([]string, int, error) {
	for {
		c, err := rr.r.ReadByte()
		if err != nil {
			return nil, rr.line + 1, err // io.EOF at the end
		}
		if c == '\n' {
			rr.line++
			continue
		}
		if c == '\r' {
			next, err := rr.r.ReadByte()
			if err != nil {
				return nil, rr.line + 1, err // io.EOF: a last line end cut to its CR
			}
			if next == '\n' {
				rr.line++
				continue
			}
			rr.r.UnreadByte() // a stray CR before a record is dropped
			continue
		}
		rr.r.UnreadByte()
		break
	}
	start := rr.line + 1
	rr.out = rr.out[:0]
	for {
		end, err := rr.readField()
		if err != nil {
			var bad *badRecord
			if errors.As(err, &bad) {
				bad.line = start
			}
			return nil, start, err
		}
		rr.out = append(rr.out, string(rr.field))
		if end {
			return rr.out, start, nil
		}
	}
}

// readField reads one field into rr.field; end reports that it ended the record.
func (rr *referenceReader) readField() (end bool, err error) {
	rr.field = rr.field[:0]
	c, err := rr.r.ReadByte()
	if err == io.EOF {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	if c != '"' {
		rr.r.UnreadByte()
		return rr.readUnquoted()
	}
	for {
		c, err := rr.r.ReadByte()
		if err == io.EOF {
			return false, &badRecord{reason: "a quoted field is not closed before the end of the file"}
		}
		if err != nil {
			return false, err
		}
		if c == '\n' {
			rr.line++
		}
		if c != '"' {
			rr.field = append(rr.field, c)
			continue
		}
		next, err := rr.r.ReadByte()
		switch {
		case err == io.EOF:
			return true, nil
		case err != nil:
			return false, err
		case next == '"':
			rr.field = append(rr.field, '"')
		case next == rr.comma:
			return false, nil
		case next == '\n':
			rr.line++
			return true, nil
		case next == '\r':
			n2, err := rr.r.ReadByte()
			if err == io.EOF {
				return true, nil // the file's last line end cut to its CR
			}
			if err == nil && n2 == '\n' {
				rr.line++
				return true, nil
			}
			return false, rr.skipLine("a character follows the closing quote of a field")
		default:
			return false, rr.skipLine("a character follows the closing quote of a field")
		}
	}
}

func (rr *referenceReader) readUnquoted() (bool, error) {
	for {
		c, err := rr.r.ReadByte()
		if err == io.EOF {
			if n := len(rr.field); n > 0 && rr.field[n-1] == '\r' {
				rr.field = rr.field[:n-1] // the file's last line end cut to its CR
			}
			return true, nil
		}
		if err != nil {
			return false, err
		}
		switch c {
		case rr.comma:
			return false, nil
		case '\n':
			rr.line++
			if n := len(rr.field); n > 0 && rr.field[n-1] == '\r' {
				rr.field = rr.field[:n-1]
			}
			return true, nil
		case '"':
			return false, rr.skipLine(`a quote (") inside a field that does not start with one`)
		}
		rr.field = append(rr.field, c)
	}
}

// skipLine drops the rest of the line after a malformed field and reports it.
func (rr *referenceReader) skipLine(reason string) error {
	for {
		c, err := rr.r.ReadByte()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if c == '\n' {
			rr.line++
			break
		}
	}
	return &badRecord{reason: reason}
}
