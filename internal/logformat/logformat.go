// Package logformat renders the access log (Přístupový log) for people and programs: as an
// aligned table for a terminal, as CSV for a spreadsheet (the CLI's `log --format csv` and the
// admin's "Stáhnout jako CSV" alike) and as JSON lines for a program.
//
// Every output streams entry by entry: nothing grows with the number of entries. Every output
// shows the time the same way (TimeLayout, in the shop's time zone), and none lets text that
// came from outside — a user agent, a partner's name, a reason quoting a request — carry a
// control character, a bidirectional override or invalid UTF-8 through unescaped: such text could
// forge log lines, drive the reader's terminal or hide what it says.
package logformat

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/custexport/custexport"
)

// TimeLayout is the time of an entry in every output: RFC 3339 in the shop's time zone with its
// offset, to the millisecond the log keeps, e.g. 2026-03-29T03:30:00.000+02:00. The offset keeps
// the doubled hour when clocks go back unambiguous; one layout everywhere lets a person match a
// table row to a CSV row.
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// Writer writes access-log entries in one output format.
type Writer interface {
	// Entry writes one entry.
	Entry(*custexport.AccessEntry) error
	// Close writes what is still held and returns the first error.
	Close() error
}

// Formats are the output names New knows, the default first.
var Formats = []string{"table", "csv", "json"}

// New returns the Writer for the named output format (one of Formats), writing to w with times
// in loc.
func New(format string, w io.Writer, loc *time.Location) (Writer, error) {
	switch format {
	case "table":
		return NewTable(w, loc), nil
	case "csv":
		return NewCSV(w, loc), nil
	case "json":
		return NewJSON(w, loc), nil
	}
	return nil, custexport.FieldError("format", "unknown output %s (valid: %s)", strconv.Quote(format), strings.Join(Formats, ", "))
}

// DisplayText makes text that came from outside safe to show: if it holds anything but
// printable characters — control characters such as CR, LF, TAB, ESC, BEL, DEL and C1,
// invisible formatting characters such as the bidirectional override U+202E, invalid UTF-8 — it
// is shown as a Go string literal, quoted and escaped ("a\r\nb"), so it can neither forge lines
// nor drive a terminal. Text that starts with a quote is quoted as well, so a value that starts
// with a quote always means "escaped" and the escaping can be undone (strconv.Unquote).
func DisplayText(s string) string {
	if s == "" {
		return ""
	}
	if s[0] == '"' || needsEscape(s) {
		return strconv.Quote(s)
	}
	return s
}

func needsEscape(s string) bool {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return true
			}
		}
		if !strconv.IsPrint(r) {
			return true
		}
	}
	return false
}

// columns are the fields of an entry in CSV (the header) and JSON (the keys), in this order.
var columns = []string{"id", "time", "principal_kind", "principal_id", "principal_name", "channel", "client_ip",
	"user_agent", "format", "encoding", "filter", "outcome", "reason", "rows", "bytes", "duration_ms", "replaced"}

// fields returns the values of columns for e; text goes through text, numbers do not.
func fields(e *custexport.AccessEntry, loc *time.Location, text func(string) string) [17]string {
	i := strconv.FormatInt
	return [...]string{
		i(e.ID, 10), e.At.In(loc).Format(TimeLayout),
		text(string(e.Principal.Kind)), i(e.Principal.ID, 10), text(e.Principal.Name),
		text(string(e.Channel)), text(e.ClientIP), text(e.UserAgent),
		text(string(e.Format)), text(string(e.Encoding)), text(e.Filter),
		text(string(e.Outcome)), text(e.Reason),
		i(e.Rows, 10), i(e.Bytes, 10), i(e.Duration.Milliseconds(), 10), i(e.Replaced, 10),
	}
}

// csvWriter writes a header and one record per entry through encoding/csv (comma, LF).
type csvWriter struct {
	w   *csv.Writer
	loc *time.Location
}

// NewCSV returns a Writer of CSV with the header line of columns. Every text field is shown
// with DisplayText and then gets the exports' formula guard (custexport.NeedsFormulaGuard), so a
// user agent "=HYPERLINK(…)" arrives as '=HYPERLINK(…) and a spreadsheet shows it as text.
func NewCSV(w io.Writer, loc *time.Location) Writer {
	c := &csvWriter{w: csv.NewWriter(w), loc: loc}
	c.w.Write(columns) // an error stays in the csv.Writer until Close
	return c
}

func (c *csvWriter) Entry(e *custexport.AccessEntry) error {
	f := fields(e, c.loc, guardedText)
	return c.w.Write(f[:])
}

func (c *csvWriter) Close() error {
	c.w.Flush()
	return c.w.Error()
}

// guardedText is a CSV cell: shown safely, then guarded. A value DisplayText escaped starts with
// a quote, which no spreadsheet reads as a formula.
func guardedText(s string) string {
	s = DisplayText(s)
	if custexport.NeedsFormulaGuard(s) {
		return "'" + s
	}
	return s
}

// jsonWriter writes one object per line.
type jsonWriter struct {
	w   io.Writer
	loc *time.Location
	buf bytes.Buffer
}

// NewJSON returns a Writer of JSON lines, one object per entry with the keys of the CSV header;
// numbers are numbers. Text is exact (no guard, no quoting: a program reads it), and every
// character that is not printable is written as a \u escape, including those encoding/json
// leaves raw (DEL, C1 controls, U+202E and the other formatting characters).
func NewJSON(w io.Writer, loc *time.Location) Writer {
	return &jsonWriter{w: w, loc: loc}
}

// JSONEntry is one line of the JSON output, for programs (and tests) that read it back.
type JSONEntry struct {
	ID            int64  `json:"id"`
	Time          string `json:"time"`
	PrincipalKind string `json:"principal_kind"`
	PrincipalID   int64  `json:"principal_id"`
	PrincipalName string `json:"principal_name"`
	Channel       string `json:"channel"`
	ClientIP      string `json:"client_ip"`
	UserAgent     string `json:"user_agent"`
	Format        string `json:"format"`
	Encoding      string `json:"encoding"`
	Filter        string `json:"filter"`
	Outcome       string `json:"outcome"`
	Reason        string `json:"reason"`
	Rows          int64  `json:"rows"`
	Bytes         int64  `json:"bytes"`
	DurationMS    int64  `json:"duration_ms"`
	Replaced      int64  `json:"replaced"`
}

func (j *jsonWriter) Entry(e *custexport.AccessEntry) error {
	line, err := json.Marshal(JSONEntry{
		ID: e.ID, Time: e.At.In(j.loc).Format(TimeLayout),
		PrincipalKind: string(e.Principal.Kind), PrincipalID: e.Principal.ID, PrincipalName: e.Principal.Name,
		Channel: string(e.Channel), ClientIP: e.ClientIP, UserAgent: e.UserAgent,
		Format: string(e.Format), Encoding: string(e.Encoding), Filter: e.Filter,
		Outcome: string(e.Outcome), Reason: e.Reason,
		Rows: e.Rows, Bytes: e.Bytes, DurationMS: e.Duration.Milliseconds(), Replaced: e.Replaced,
	})
	if err != nil {
		return err
	}
	j.buf.Reset()
	escapeUnprintable(&j.buf, line)
	j.buf.WriteByte('\n')
	_, err = j.w.Write(j.buf.Bytes())
	return err
}

func (j *jsonWriter) Close() error { return nil }

// escapeUnprintable copies JSON from encoding/json, writing every rune it left raw but that is
// not printable as \uXXXX (a UTF-16 surrogate pair above U+FFFF). encoding/json has already
// escaped C0 controls and replaced invalid UTF-8, and outside strings its output is ASCII, so a
// raw non-printable rune can only stand inside a string, where the escape means the same rune.
func escapeUnprintable(dst *bytes.Buffer, src []byte) {
	for len(src) > 0 {
		r, size := utf8.DecodeRune(src)
		if strconv.IsPrint(r) {
			dst.Write(src[:size])
		} else if r > 0xFFFF {
			r -= 0x10000
			fmt.Fprintf(dst, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		} else {
			fmt.Fprintf(dst, `\u%04x`, r)
		}
		src = src[size:]
	}
}
