package logformat

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/custexport/custexport"
)

// tableBlock is how many rows the table aligns at a time. text/tabwriter holds every row until
// it is flushed, so flushing each block keeps memory bounded however long the log is.
const tableBlock = 100

// tableColumns are the table's header and the width each column is padded to at least, so that
// blocks line up with each other as long as no value is wider (a longer value widens the
// column of its own block only). The last column is not padded.
var tableColumns = []struct {
	name  string
	width int
}{
	{"TIME", len(TimeLayout) + 1}, // "2006-01-02T15:04:05.000+01:00"
	{"PRINCIPAL", 24},
	{"CHANNEL", 7},
	{"CLIENT IP", 15},
	{"FORMAT", len("csv/windows-1250")},
	{"FILTER", len("2024-01-01..2024-12-31")},
	{"OUTCOME", len("rate_limited")},
	{"ROWS", 7},
	{"BYTES", 9},
	{"DURATION", 8},
	{"REPLACED", 8},
	{"REASON", 40},
	{"USER AGENT", 0},
}

// table writes aligned rows for a person at a terminal. Every text cell goes through
// DisplayText; an empty cell shows "-".
type table struct {
	tw      *tabwriter.Writer
	loc     *time.Location
	rows    int
	pending int // rows since the last flush
	cells   []string
}

// NewTable returns a Writer of an aligned table: a header line, then a line per entry, columns
// separated by two spaces. The header is written with the first entry, so an empty log gives no
// output at all (the caller says "no entries" where it fits). Partner events (outcome event) show
// "-" in the columns of a download, a download's started entry "-" in its counts.
func NewTable(w io.Writer, loc *time.Location) Writer {
	return &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0), loc: loc}
}

func (t *table) Entry(e *custexport.AccessEntry) error {
	if t.rows == 0 {
		t.cells = t.cells[:0]
		for _, c := range tableColumns {
			t.cells = append(t.cells, c.name)
		}
		if err := t.writeRow(); err != nil {
			return err
		}
	}
	t.rows++
	format, filter, rows, bytes, duration, replaced := "", "", "", "", "", ""
	if e.Outcome != custexport.OutcomeEvent {
		format = string(e.Format)
		if e.Format == custexport.FormatCSV && e.Encoding != "" {
			format += "/" + string(e.Encoding)
		}
		filter = e.Filter
		if filter == "" {
			filter = "all"
		}
		// A started entry has nothing counted yet: its outcome entry, later, has the counts.
		if e.Outcome != custexport.OutcomeStarted {
			rows, bytes = strconv.FormatInt(e.Rows, 10), strconv.FormatInt(e.Bytes, 10)
			duration, replaced = e.Duration.String(), strconv.FormatInt(e.Replaced, 10)
		}
	}
	t.cells = append(t.cells[:0],
		e.At.In(t.loc).Format(TimeLayout),
		DisplayText(principalText(e.Principal)),
		DisplayText(string(e.Channel)),
		DisplayText(e.ClientIP),
		DisplayText(format),
		DisplayText(filter),
		DisplayText(string(e.Outcome)),
		rows, bytes, duration, replaced,
		DisplayText(e.Reason),
		DisplayText(e.UserAgent))
	if err := t.writeRow(); err != nil {
		return err
	}
	if t.pending++; t.pending == tableBlock {
		t.pending = 0
		return t.tw.Flush()
	}
	return nil
}

// writeRow writes t.cells, each padded to its column's width, "-" for an empty one.
func (t *table) writeRow() error {
	var b strings.Builder
	for i, cell := range t.cells {
		if cell == "" {
			cell = "-"
		}
		b.WriteString(cell)
		if i == len(t.cells)-1 {
			b.WriteByte('\n')
			break
		}
		if pad := tableColumns[i].width - utf8.RuneCountInString(cell); pad > 0 {
			b.WriteString(strings.Repeat(" ", pad))
		}
		b.WriteByte('\t')
	}
	_, err := fmt.Fprint(t.tw, b.String())
	return err
}

func (t *table) Close() error {
	return t.tw.Flush()
}

// principalText is kind:name, or kind:#id for a principal without a name (a link naming an
// unknown partner).
func principalText(p custexport.Principal) string {
	if p.Name == "" && p.ID != 0 {
		return string(p.Kind) + ":#" + strconv.FormatInt(p.ID, 10)
	}
	return string(p.Kind) + ":" + p.Name
}
