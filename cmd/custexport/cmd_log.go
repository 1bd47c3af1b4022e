package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/logformat"
)

// logHelp and logCommands complete the log entry of the command table: log shows the log unless
// a subcommand is named.
const logHelp = "The log is shown oldest entry first. In csv, text that a spreadsheet would read as a formula gets a leading ' (as in exports)."

var logCommands = []command{
	{name: "verify", summary: "check the log's keyed chain and signed checkpoints, and name what was altered or removed", store: storeExisting, run: runLogVerify,
		synopsis: "[--head HEAD]",
		help: "Each entry carries a MAC keyed from the master key; a signed head and checkpoints catch removed newest or oldest entries,\n" +
			"and retention leaves a signed marker. With --head, the log is also checked against a head printed earlier by\n" +
			"'custexport log head' and kept outside: that catches what the database alone cannot (see README, Security). Exit 1 when not intact."},
	{name: "head", summary: "print the log's current signed head, to keep outside the shop (log verify --head checks against it)", store: storeExisting, run: runLogHead,
		help: "Keep the line in another system (a ticket, a mail, a second server's log) now and then: whoever can write the\n" +
			"database cannot make it disagree with that record without the master key."},
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
	if !slices.Contains(logformat.Formats, *format) {
		return usagef("--format: unknown output %s (valid: %s)", strconv.Quote(*format), strings.Join(logformat.Formats, ", "))
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
	w, err := logformat.New(*format, io.out, loc)
	if err != nil {
		return err
	}
	entries := 0
	err = db.AccessEntries(ctx, from, func(e *custexport.AccessEntry) error {
		entries++
		return w.Entry(e)
	})
	if err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	if entries == 0 && *format == "table" {
		fmt.Fprintln(io.err, "no access log entries") // the table has no header over nothing
	}
	return nil
}

func runLogVerify(ctx context.Context, c *commandLine, args []string) error {
	headText := c.flags.String("head", "", "a head printed by 'custexport log head' earlier, to check the log against")
	db, err := c.parseOpen(ctx, args)
	if err != nil {
		return err
	}
	defer db.Close()
	var outside *custexport.Checkpoint
	if *headText != "" {
		if outside, err = custexport.ParseHead(*headText); err != nil {
			return usagef("--head: %v", err)
		}
	}
	key := c.signer.LogKey()
	v, brk, err := custexport.VerifyAccessLog(ctx, db, key, outside)
	if err != nil {
		return err
	}
	if brk != nil {
		// A plain error: exit code 1.
		if brk.ID != 0 {
			return fmt.Errorf("access log not intact: entry %d %s", brk.ID, brk.Reason)
		}
		return fmt.Errorf("access log not intact: %s", brk.Reason)
	}
	fmt.Fprintf(c.io.out, "access log intact: %d entries verified", v.Checked)
	if v.Keyed() {
		fmt.Fprintf(c.io.out, " (head at entry %d)", v.Position())
	}
	fmt.Fprintln(c.io.out)
	if r := v.Retention(); r != nil {
		fmt.Fprintf(c.io.err, "note: retention deleted the %d oldest entries (older than %s); a signed marker accounts for them\n",
			r.Count, r.Before.In(c.loc).Format("2006-01-02 15:04"))
	}
	if v.Legacy > 0 {
		fmt.Fprintf(c.io.err, "note: the %d oldest entries were written before the log was keyed; they were checked by their plain hash chain\n", v.Legacy)
	}
	if v.Unkeyed > 0 {
		fmt.Fprintf(c.io.err, "note: %d entries were written with an earlier master key (replaced by migrate --%s); only their order was checked\n", v.Unkeyed, newKeyFlag)
	}
	if outside != nil {
		if r := v.Retention(); r != nil && outside.Count < r.Count {
			fmt.Fprintf(c.io.err, "note: retention has since deleted the entry the head of %s names; only its count was checked\n",
				outside.At.In(c.loc).Format(time.RFC3339))
		}
		fmt.Fprintf(c.io.err, "the log agrees with the head of %s (%d entries)\n", outside.At.In(c.loc).Format(time.RFC3339), outside.Count)
	}
	return nil
}

func runLogHead(ctx context.Context, c *commandLine, args []string) error {
	db, err := c.parseOpen(ctx, args)
	if err != nil {
		return err
	}
	defer db.Close()
	head, err := db.AccessHead(ctx)
	if err != nil {
		return err
	}
	if head == nil {
		return errors.New("the access log has no head yet")
	}
	fmt.Fprintln(c.io.out, custexport.FormatHead(head))
	fmt.Fprintf(c.io.err, "the access log's head: %d entries, signed at %s; keep this line outside the shop and check with: custexport log verify --head LINE\n",
		head.Count, head.At.In(c.loc).Format(time.RFC3339))
	return nil
}
