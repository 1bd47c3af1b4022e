package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/custexport/custexport"
)

// logHelp and logCommands complete the log entry of the command table: log shows the log unless
// a subcommand is named.
const logHelp = "The log is shown oldest entry first. In csv, text that a spreadsheet would read as a formula gets a leading ' (as in exports)."

var logCommands = []command{
	{name: "verify", summary: "check the log's hash chain and name the first altered or removed entry", store: storeExisting, run: runLogVerify,
		help: "The oldest entry left by retention anchors the chain."},
}

func runLog(ctx context.Context, c *commandLine, args []string) error {
	fs, io := c.flags, c.io
	since := fs.String("since", "", "first day to show, YYYY-MM-DD in shop time (default: the whole log)")
	format := fs.String("format", "table", "output: table, csv or json (one object per line)")
	pos, err := c.parseArgs(args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %s (did you mean 'custexport log verify'?)", strconv.Quote(pos[0]))
	}
	write, ok := map[string]func(*stdio, *time.Location) logWriter{
		"table": newLogTable, "csv": newLogCSV, "json": newLogJSON,
	}[*format]
	if !ok {
		return usagef("--format: unknown output %s (valid: table, csv, json)", strconv.Quote(*format))
	}
	loc := c.loc
	var from time.Time
	if *since != "" {
		d, err := custexport.ParseDate(*since)
		if err != nil {
			return usagef("--since: %s is not a valid date: %v", strconv.Quote(*since), err)
		}
		from = d.Start(loc)
	}
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	w := write(io, loc)
	if err := db.AccessEntries(ctx, from, w.entry); err != nil {
		return err
	}
	return w.close()
}

// logWriter writes access-log entries in one output format.
type logWriter interface {
	entry(*custexport.AccessEntry) error
	close() error
}

const logTimeLayout = "2006-01-02 15:04:05"

// logMachineTime is the time in csv and json: shop time with its offset, to the millisecond
// the log keeps, so the doubled hour when clocks go back stays unambiguous.
const logMachineTime = "2006-01-02T15:04:05.000Z07:00"

// logTable aligns the columns, so it holds the rows until the end; every text cell goes through
// displayText, so a user agent or reason cannot forge lines or send terminal escapes.
type logTable struct {
	tw   *tabwriter.Writer
	io   *stdio
	loc  *time.Location
	rows int
}

func newLogTable(io *stdio, loc *time.Location) logWriter {
	t := &logTable{tw: tabwriter.NewWriter(io.out, 0, 0, 2, ' ', 0), io: io, loc: loc}
	fmt.Fprintln(t.tw, "TIME\tPRINCIPAL\tCHANNEL\tCLIENT IP\tFORMAT\tFILTER\tOUTCOME\tROWS\tBYTES\tDURATION\tREPLACED\tREASON\tUSER AGENT")
	return t
}

func (t *logTable) entry(e *custexport.AccessEntry) error {
	t.rows++
	format, filter, rows, bytes, duration, replaced := "-", "-", "-", "-", "-", "-"
	if e.Outcome != custexport.OutcomeEvent {
		format = string(e.Format)
		if e.Format == custexport.FormatCSV && e.Encoding != "" {
			format += "/" + string(e.Encoding)
		}
		filter = e.Filter
		if filter == "" {
			filter = "all"
		}
		rows, bytes = strconv.FormatInt(e.Rows, 10), strconv.FormatInt(e.Bytes, 10)
		duration, replaced = e.Duration.String(), strconv.FormatInt(e.Replaced, 10)
	}
	_, err := fmt.Fprintf(t.tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
		e.At.In(t.loc).Format(logTimeLayout),
		displayText(principalText(e.Principal)),
		dash(displayText(string(e.Channel))),
		dash(displayText(e.ClientIP)),
		dash(displayText(format)),
		displayText(filter),
		dash(displayText(string(e.Outcome))),
		rows, bytes, duration, replaced,
		dash(displayText(e.Reason)),
		dash(displayText(e.UserAgent)))
	return err
}

func (t *logTable) close() error {
	if t.rows == 0 {
		fmt.Fprintln(t.io.err, "no access log entries") // and no header over nothing
		return nil
	}
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

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// logCSV writes every field through encoding/csv, which quotes CR, LF and quotes, so a file or
// pipe gets the text exactly as stored. Text a spreadsheet would take for a formula (a user agent
// "=HYPERLINK(…)") gets the exports' guard. On a terminal, control characters are shown escaped
// as in the table, so that nobody's user agent can drive the operator's terminal.
type logCSV struct {
	w    *csv.Writer
	loc  *time.Location
	text func(string) string
}

func newLogCSV(io *stdio, loc *time.Location) logWriter {
	c := &logCSV{w: csv.NewWriter(io.out), loc: loc, text: guardCell}
	if isTerminal(io.out) {
		c.text = func(s string) string { return guardCell(escapeControl(s)) }
	}
	c.w.Write([]string{"id", "time", "principal_kind", "principal_id", "principal_name", "channel", "client_ip",
		"user_agent", "format", "encoding", "filter", "outcome", "reason", "rows", "bytes", "duration_ms", "replaced"})
	return c
}

func (c *logCSV) entry(e *custexport.AccessEntry) error {
	i, t := strconv.FormatInt, c.text
	return c.w.Write([]string{
		i(e.ID, 10), e.At.In(c.loc).Format(logMachineTime),
		t(string(e.Principal.Kind)), i(e.Principal.ID, 10), t(e.Principal.Name),
		t(string(e.Channel)), t(e.ClientIP), t(e.UserAgent),
		t(string(e.Format)), t(string(e.Encoding)), t(e.Filter),
		t(string(e.Outcome)), t(e.Reason),
		i(e.Rows, 10), i(e.Bytes, 10), i(e.Duration.Milliseconds(), 10), i(e.Replaced, 10),
	})
}

func (c *logCSV) close() error {
	c.w.Flush()
	return c.w.Error()
}

// escapeControl is displayText for a CSV cell on a terminal: the quoting is left to CSV.
func escapeControl(s string) string {
	if !needsEscape(s) {
		return s
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

func guardCell(s string) string {
	if custexport.NeedsFormulaGuard(s) {
		return "'" + s
	}
	return s
}

// logJSON writes one object per line; JSON escapes every control character.
type logJSON struct {
	enc *json.Encoder
	loc *time.Location
}

func newLogJSON(io *stdio, loc *time.Location) logWriter {
	return &logJSON{enc: json.NewEncoder(io.out), loc: loc}
}

type logJSONEntry struct {
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

func (j *logJSON) entry(e *custexport.AccessEntry) error {
	return j.enc.Encode(logJSONEntry{
		ID: e.ID, Time: e.At.In(j.loc).Format(logMachineTime),
		PrincipalKind: string(e.Principal.Kind), PrincipalID: e.Principal.ID, PrincipalName: e.Principal.Name,
		Channel: string(e.Channel), ClientIP: e.ClientIP, UserAgent: e.UserAgent,
		Format: string(e.Format), Encoding: string(e.Encoding), Filter: e.Filter,
		Outcome: string(e.Outcome), Reason: e.Reason,
		Rows: e.Rows, Bytes: e.Bytes, DurationMS: e.Duration.Milliseconds(), Replaced: e.Replaced,
	})
}

func (j *logJSON) close() error { return nil }

// errChainBroken stops the walk at the first break.
var errChainBroken = errors.New("access log chain broken")

func runLogVerify(ctx context.Context, c *commandLine, args []string) error {
	if err := c.parse(args); err != nil {
		return err
	}
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	var v custexport.ChainVerifier
	var broken *custexport.ChainBreak
	var first *custexport.AccessEntry
	err = db.AccessEntries(ctx, time.Time{}, func(e *custexport.AccessEntry) error {
		if first == nil {
			c := *e
			first = &c
		}
		if broken = v.Check(e); broken != nil {
			return errChainBroken
		}
		return nil
	})
	if broken != nil {
		// A plain error: exit code 1.
		return fmt.Errorf("access log entry %d %s", broken.ID, broken.Reason)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.io.out, "access log intact: %d entries verified\n", v.Checked)
	if first != nil && first.PrevHash != "" {
		fmt.Fprintf(c.io.err, "note: the oldest entry, %d, follows entries removed by retention; the chain is verified from there\n", first.ID)
	}
	return nil
}
