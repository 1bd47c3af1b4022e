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

// errChainBroken stops the walk at the first break.
var errChainBroken = errors.New("access log chain broken")

func runLogVerify(ctx context.Context, c *commandLine, args []string) error {
	db, err := c.parseOpen(ctx, args)
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
