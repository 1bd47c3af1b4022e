package csvimport

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// recordReader reads CSV records (RFC 4180) as the export writes them. encoding/csv would do
// but for one thing: it turns CRLF inside a quoted field into LF, so a remark with Windows line
// ends would come back changed from every round trip. Here a quoted field keeps its bytes.
//
// It works a line at a time on bufio's buffer, finding quotes with bytes.IndexByte, and makes
// one string per record that its fields share: reading byte by byte and a string per field
// took a third of a million-row import.
type recordReader struct {
	r     *bufio.Reader
	comma byte
	line  int    // lines consumed so far
	long  []byte // a line longer than bufio's buffer, put together
	rec   []byte // the record's fields, each followed by the delimiter
	ends  []int  // where each field ends in rec
	out   []string
	raw   string // rec as one string; out's strings point into it
}

func newRecordReader(r io.Reader, comma byte) *recordReader {
	return newRecordReaderSize(r, comma, 256<<10)
}

// newRecordReaderSize reads with a buffer of size bytes; lines longer than that are put
// together (the tests make it tiny to cover that).
func newRecordReaderSize(r io.Reader, comma byte, size int) *recordReader {
	return &recordReader{r: bufio.NewReaderSize(r, size), comma: comma}
}

// badRecord is a record that is not valid CSV; reading goes on at the next line.
type badRecord struct {
	line   int
	reason string
	key    string // the reason for a user interface (custexport.SkippedRow Key)
}

func (e *badRecord) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.reason) }

// nextLine returns the next line with its '\n' (none at the end of the file), valid until the
// next call; io.EOF when nothing is left.
func (rr *recordReader) nextLine() ([]byte, error) {
	s, err := rr.r.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		if err == io.EOF && len(s) > 0 {
			err = nil
		}
		return s, err
	}
	rr.long = append(rr.long[:0], s...)
	for err == bufio.ErrBufferFull {
		s, err = rr.r.ReadSlice('\n')
		rr.long = append(rr.long, s...)
	}
	if err == io.EOF {
		err = nil
	}
	return rr.long, err
}

// Read returns the next record and the line it starts on. The slice is reused by the next
// call. Empty lines are skipped. A malformed record gives a *badRecord error.
func (rr *recordReader) Read() ([]string, int, error) {
	var line []byte
	for {
		l, err := rr.nextLine()
		if err != nil {
			return nil, rr.line + 1, err // io.EOF at the end
		}
		// Stray CRs before a record are dropped; what is left of an empty line is its '\n'.
		for len(l) > 0 && l[0] == '\r' {
			l = l[1:]
		}
		if len(l) == 0 {
			return nil, rr.line + 1, io.EOF // a last line end cut to its CR
		}
		if l[0] == '\n' {
			rr.line++
			continue
		}
		line = l
		break
	}
	start := rr.line + 1
	rr.rec, rr.ends = rr.rec[:0], rr.ends[:0]
	pos := 0
	for {
		if pos < len(line) && line[pos] == '"' {
			var err error
			var end bool
			if line, pos, end, err = rr.quoted(line, pos+1); err != nil {
				if bad, ok := err.(*badRecord); ok {
					bad.line = start
				}
				return nil, start, err
			}
			rr.endField()
			if end {
				break
			}
			continue
		}
		i := pos
		for i < len(line) && line[i] != rr.comma && line[i] != '\n' && line[i] != '"' {
			i++
		}
		field := line[pos:i]
		if i < len(line) && line[i] == '"' {
			rr.skipRest(line)
			return nil, start, &badRecord{line: start, key: "csv_quote", reason: `a quote (") inside a field that does not start with one`}
		}
		if i == len(line) || line[i] == '\n' {
			if n := len(field); n > 0 && field[n-1] == '\r' {
				field = field[:n-1] // CRLF, or the file's last line end cut to its CR
			}
			rr.rec = append(rr.rec, field...)
			rr.endField()
			if i < len(line) {
				rr.line++
			}
			break
		}
		rr.rec = append(rr.rec, field...)
		rr.endField()
		pos = i + 1
	}
	rr.raw = string(rr.rec)
	rr.out = rr.out[:0]
	from := 0
	for _, end := range rr.ends {
		rr.out = append(rr.out, rr.raw[from:end])
		from = end + 1
	}
	return rr.out, start, nil
}

// endField ends a field in rr.rec, followed by the delimiter: an ASCII byte between the fields
// keeps a character from being made of the end of one and the start of the next, so text is
// valid UTF-8 exactly when every field is.
func (rr *recordReader) endField() {
	rr.ends = append(rr.ends, len(rr.rec))
	rr.rec = append(rr.rec, rr.comma)
}

// quoted reads a quoted field from line[pos:], just after its opening quote, into rr.rec,
// going on to further lines for the new lines inside it. It returns the line and position
// after the field's delimiter, and end when the field ended the record.
func (rr *recordReader) quoted(line []byte, pos int) ([]byte, int, bool, error) {
	for {
		i := bytes.IndexByte(line[pos:], '"')
		if i < 0 {
			rr.rec = append(rr.rec, line[pos:]...)
			if len(line) > 0 && line[len(line)-1] == '\n' {
				rr.line++
			}
			next, err := rr.nextLine()
			if err == io.EOF {
				return nil, 0, false, &badRecord{key: "csv_unclosed", reason: "a quoted field is not closed before the end of the file"}
			}
			if err != nil {
				return nil, 0, false, err
			}
			line, pos = next, 0
			continue
		}
		rr.rec = append(rr.rec, line[pos:pos+i]...)
		pos += i + 1
		if pos == len(line) {
			return line, pos, true, nil // the end of the file
		}
		switch c := line[pos]; {
		case c == '"':
			rr.rec = append(rr.rec, '"')
			pos++
			continue
		case c == rr.comma:
			return line, pos + 1, false, nil
		case c == '\n':
			rr.line++
			return line, pos + 1, true, nil
		case c == '\r' && pos+1 == len(line):
			return line, pos + 1, true, nil // the file's last line end cut to its CR
		case c == '\r' && line[pos+1] == '\n':
			rr.line++
			return line, pos + 2, true, nil
		}
		rr.skipRest(line)
		return nil, 0, false, &badRecord{key: "csv_after_quote", reason: "a character follows the closing quote of a field"}
	}
}

// skipRest drops the rest of the line after a malformed field.
func (rr *recordReader) skipRest(line []byte) {
	if len(line) > 0 && line[len(line)-1] == '\n' {
		rr.line++
	}
}

// text is the last record's fields joined by the delimiter: checking it as a whole for valid
// UTF-8 is one call instead of one per field.
func (rr *recordReader) text() string { return rr.raw }
