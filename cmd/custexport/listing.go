package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"
)

// listing is a list command (partner list, user list): no arguments, --format table|json, the
// rows of one store query as aligned columns or as one JSON object per line.
type listing[T any] struct {
	load   func(ctx context.Context, db database) ([]T, error)
	json   func(item *T, loc *time.Location) any
	header string                                   // the column names, tab-separated
	row    func(item *T, loc *time.Location) string // the cells, tab-separated
	empty  string                                   // said on stderr instead of an empty table
}

func (l listing[T]) run(ctx context.Context, c *commandLine, args []string) error {
	format := c.flags.String("format", "table", "output: table (aligned columns) or json (one object per line)")
	if err := c.parse(args); err != nil {
		return err
	}
	if *format != "table" && *format != "json" {
		return usagef("--format: unknown output %q (valid: table, json)", *format)
	}
	loc := c.loc
	return withStored(ctx, c, l.load, func(_ database, items []T) error { return l.write(c, loc, *format, items) })
}

// write shows the loaded items in the chosen format.
func (l listing[T]) write(c *commandLine, loc *time.Location, format string, items []T) error {
	if format == "json" {
		enc := json.NewEncoder(c.io.out)
		for i := range items {
			if err := enc.Encode(l.json(&items[i], loc)); err != nil {
				return err
			}
		}
		return nil
	}
	if len(items) == 0 {
		fmt.Fprintln(c.io.err, l.empty)
		return nil
	}
	tw := tabwriter.NewWriter(c.io.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, l.header)
	for i := range items {
		fmt.Fprintln(tw, l.row(&items[i], loc))
	}
	return tw.Flush()
}

// withStored opens the store, loads what a command works on (its error, such as "partner N does
// not exist", is the command's answer), runs fn with both and closes the store.
func withStored[T any](ctx context.Context, c *commandLine, load func(context.Context, database) (T, error), fn func(database, T) error) error {
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := load(ctx, db)
	if err != nil {
		return err
	}
	return fn(db, v)
}

// jsonTime is an optional time in a listing's JSON: RFC 3339 in shop time, or null (nil) for
// the zero time ("never").
func jsonTime(t time.Time, loc *time.Location) *string {
	if t.IsZero() {
		return nil
	}
	s := t.In(loc).Format(time.RFC3339)
	return &s
}
