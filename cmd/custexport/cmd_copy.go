package main

import (
	"context"
	"fmt"
	"time"

	"github.com/custexport/custexport/internal/postgres"
	"github.com/custexport/custexport/internal/sqlite"
)

// runCopy moves a SQLite shop into an empty PostgreSQL database: the way a shop that outgrew
// one machine changes stores (docs/scaling.md).
func runCopy(ctx context.Context, c *commandLine, args []string) error {
	to := c.flags.String("to", "", "the PostgreSQL database to fill (postgres://…); it must hold no shop yet")
	if err := c.parse(args); err != nil {
		return err
	}
	if !postgres.IsDSN(*to) {
		return usagef("--to: expected a postgres:// URL of the database to copy the shop into")
	}
	if postgres.IsDSN(c.store.database()) {
		return usagef("--db: copy reads a SQLite shop, not a PostgreSQL one")
	}
	source, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer source.Close()
	lite := source.(*sqlite.DB)
	target, err := postgres.Open(ctx, *to, postgres.Options{})
	if err != nil {
		return err
	}
	defer target.Close()
	start := time.Now()
	counts, err := target.CopyShop(ctx, sqlite.ShopTables, func(table string) (postgres.TableSource, error) {
		return lite.ReadTable(ctx, table)
	})
	if err != nil {
		return fmt.Errorf("copy into %s: %w (nothing was written)", target.Describe(), err)
	}
	for _, table := range sqlite.ShopTables {
		fmt.Fprintf(c.io.out, "%-14s %d rows\n", table, counts[table])
	}
	fmt.Fprintf(c.io.err, "copied the shop from %s to %s in %s; export jobs' files are not copied\n",
		lite.Describe(), target.Describe(), time.Since(start).Round(time.Millisecond))
	return nil
}
