package csvimport

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"unicode/utf8"
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

	// Bounds (item 8 of issue 17): memory never grows with the length of a line or a field.
	maxRecord int   // the most bytes of one record (its lines together); more refuses the file
	keep      int   // fields kept of a record; the rest are only counted (extra, extraFull)
	limits    []int // the most bytes kept of field i; nil: no limit but maxRecord
	recBytes  int   // bytes of the record's lines read so far
	fieldFrom int   // where the field being read starts in rec
	over      int   // characters of the field being read that its limit cut off
	cut       []cutField
	extra     int  // fields past keep
	extraFull bool // one of them holds something
}

// cutField is a field longer than its limit: only the limit's worth of it was kept.
type cutField struct {
	index int // the field's position in the record
	chars int // how many characters it had
}

// tooLong is a record longer than maxRecord, found without holding it whole.
type tooLong struct{ line, max int }

func (e *tooLong) Error() string {
	return fmt.Sprintf("line %d is longer than %d bytes", e.line, e.max)
}

// defaultMaxRecord bounds a record until setBounds says otherwise.
const defaultMaxRecord = 4 << 20

const notCSVPrefix = "not valid CSV: "

// bounds says what the last record had beyond the bounds: fields past keep, whether one of
// them holds something, and the fields cut off at their limits.
func (rr *recordReader) bounds() (extra int, extraFull bool, cut []cutField) {
	return rr.extra, rr.extraFull, rr.cut
}

// setBounds sets the most bytes of a record, the fields kept (keep; the rest are counted) and
// the most bytes kept of each (limits[i]; nil for none but maxRecord).
func (rr *recordReader) setBounds(maxRecord, keep int, limits []int) {
	rr.maxRecord, rr.keep, rr.limits = maxRecord, keep, limits
}

func newRecordReader(r io.Reader, comma byte) *recordReader {
	return newRecordReaderSize(r, comma, 256<<10)
}

// newRecordReaderSize reads with a buffer of size bytes; lines longer than that are put
// together (the tests make it tiny to cover that).
func newRecordReaderSize(r io.Reader, comma byte, size int) *recordReader {
	return &recordReader{r: bufio.NewReaderSize(r, size), comma: comma, maxRecord: defaultMaxRecord, keep: math.MaxInt}
}

// badRecord is a record that is not valid CSV; reading goes on at the next line.
type badRecord struct {
	line   int
	reason string
	key    string   // the reason for a user interface (custexport.SkippedRow Key)
	args   []string // its values (custexport.SkippedRow Args)
	prefix string   // before reason in the English text: "not valid CSV: " for a CSV record
}

func (e *badRecord) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.reason) }

// nextLine returns the next line with its '\n' (none at the end of the file), valid until the
// next call; io.EOF when nothing is left. A line that would take the record past maxRecord
// gives *tooLong, read no further: it is never held whole.
func (rr *recordReader) nextLine() ([]byte, error) {
	s, err := rr.r.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		if err == io.EOF && len(s) > 0 {
			err = nil
		}
		rr.recBytes += len(s)
		if rr.recBytes > rr.maxRecord {
			return nil, &tooLong{line: rr.line + 1, max: rr.maxRecord}
		}
		return s, err
	}
	rr.long = append(rr.long[:0], s...)
	for err == bufio.ErrBufferFull {
		if rr.recBytes+len(rr.long) > rr.maxRecord {
			return nil, &tooLong{line: rr.line + 1, max: rr.maxRecord}
		}
		s, err = rr.r.ReadSlice('\n')
		if len(rr.long)+len(s) > cap(rr.long) {
			// Doubling, not append's quarter steps: a 4 MiB line would allocate 20 MiB.
			rr.long = append(make([]byte, 0, 2*cap(rr.long)+len(s)), rr.long...)
		}
		rr.long = append(rr.long, s...)
	}
	if err == io.EOF {
		err = nil
	}
	rr.recBytes += len(rr.long)
	if rr.recBytes > rr.maxRecord {
		return nil, &tooLong{line: rr.line + 1, max: rr.maxRecord}
	}
	return rr.long, err
}

// Read returns the next record and the line it starts on. The slice is reused by the next
// call. Empty lines are skipped. A malformed record gives a *badRecord error.
func (rr *recordReader) Read() ([]string, int, error) {
	var line []byte
	rr.recBytes = 0
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
			rr.recBytes = 0 // an empty line is no part of the record
			continue
		}
		line = l
		break
	}
	start := rr.line + 1
	rr.rec, rr.ends, rr.cut = rr.rec[:0], rr.ends[:0], rr.cut[:0]
	rr.fieldFrom, rr.over, rr.extra, rr.extraFull = 0, 0, 0, false
	pos := 0
	for {
		if pos < len(line) && line[pos] == '"' {
			var err error
			var end bool
			if line, pos, end, err = rr.quoted(line, pos+1); err != nil {
				switch e := err.(type) {
				case *badRecord:
					e.line = start
				case *tooLong:
					e.line = start
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
			return nil, start, &badRecord{line: start, key: "csv_quote", prefix: notCSVPrefix, reason: `a quote (") inside a field that does not start with one`}
		}
		if i == len(line) || line[i] == '\n' {
			if n := len(field); n > 0 && field[n-1] == '\r' {
				field = field[:n-1] // CRLF, or the file's last line end cut to its CR
			}
			rr.add(field)
			rr.endField()
			if i < len(line) {
				rr.line++
			}
			break
		}
		rr.add(field)
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

// add appends b to the field being read, up to the field's limit: what lies beyond is only
// counted, in characters, for the reason the row is skipped.
func (rr *recordReader) add(b []byte) {
	i := len(rr.ends)
	if i >= rr.keep {
		rr.extraFull = rr.extraFull || len(b) > 0
		return
	}
	if i < len(rr.limits) {
		if room := rr.limits[i] - (len(rr.rec) - rr.fieldFrom); len(b) > room {
			for room > 0 && !utf8.RuneStart(b[room]) {
				room-- // cut between characters: what is kept stays valid UTF-8
			}
			rr.rec = append(rr.rec, b[:room]...)
			rr.over += utf8.RuneCount(b[room:])
			return
		}
	}
	rr.rec = append(rr.rec, b...)
}

// endField ends a field in rr.rec, followed by the delimiter: an ASCII byte between the fields
// keeps a character from being made of the end of one and the start of the next, so text is
// valid UTF-8 exactly when every field is. A field past keep is only counted.
func (rr *recordReader) endField() {
	i := len(rr.ends)
	if i >= rr.keep {
		rr.extra++
		return
	}
	if rr.over > 0 {
		rr.cut = append(rr.cut, cutField{index: i, chars: utf8.RuneCount(rr.rec[rr.fieldFrom:]) + rr.over})
		rr.over = 0
	}
	rr.ends = append(rr.ends, len(rr.rec))
	rr.rec = append(rr.rec, rr.comma)
	rr.fieldFrom = len(rr.rec)
}

// quoted reads a quoted field from line[pos:], just after its opening quote, into rr.rec,
// going on to further lines for the new lines inside it. It returns the line and position
// after the field's delimiter, and end when the field ended the record.
func (rr *recordReader) quoted(line []byte, pos int) ([]byte, int, bool, error) {
	for {
		i := bytes.IndexByte(line[pos:], '"')
		if i < 0 {
			rr.add(line[pos:])
			if len(line) > 0 && line[len(line)-1] == '\n' {
				rr.line++
			}
			next, err := rr.nextLine()
			if err == io.EOF {
				return nil, 0, false, &badRecord{key: "csv_unclosed", prefix: notCSVPrefix, reason: "a quoted field is not closed before the end of the file"}
			}

			if err != nil {
				return nil, 0, false, err
			}
			line, pos = next, 0
			continue
		}
		rr.add(line[pos : pos+i])
		pos += i + 1
		if pos == len(line) {
			return line, pos, true, nil // the end of the file
		}
		switch c := line[pos]; {
		case c == '"':
			rr.add(line[pos : pos+1])
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
		return nil, 0, false, &badRecord{key: "csv_after_quote", prefix: notCSVPrefix, reason: "a character follows the closing quote of a field"}
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
