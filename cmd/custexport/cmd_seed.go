package main

import (
	"context"
	"fmt"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/seed"
	"github.com/custexport/custexport/internal/sqlite"
)

// seedReference is the "now" that seeded registration dates count back from. It is fixed, not
// the clock, so that the same --customers and --seed give the same data on any day.
var seedReference = time.Date(2026, time.November, 1, 0, 0, 0, 0, time.UTC)

// seedBatch is how many customers one insert transaction carries. The guid and e-mail indexes
// take rows in random order, so every commit writes nearly every leaf page of both into the WAL
// again: fewer, larger transactions write far less. 1M customers took 51 s in batches of 5,000,
// 24 s of 50,000 (19 s with the 128 MiB cache below) and no less in batches of 100,000, which
// only hold more customers in memory.
const seedBatch = 50000

func runSeed(ctx context.Context, c *commandLine, args []string) error {
	count := c.flags.Int("customers", 0, "how many customers to create (required)")
	seedValue := c.flags.Uint64("seed", 1, "random seed: the same seed gives the same customers")
	if err := c.parse(args); err != nil {
		return err
	}
	if *count <= 0 {
		return usagef("--customers must be a positive number")
	}
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.CountCustomers(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("database %s already holds %d customers; seed fills only an empty database", db.Describe(), n)
	}
	if lite, ok := db.(*sqlite.DB); ok {
		// The pages a 50,000-customer transaction dirties stay in memory until its commit
		// (64 MiB: 24 s for 1M, 128 MiB: 19 s); 256 MiB exceeds what ncruces gives a connection.
		lite.UseBulkWriteCache(128 << 10)
	}
	start := time.Now()
	if err := seedCustomers(ctx, db, *count, *seedValue); err != nil {
		return err
	}
	if lite, ok := db.(*sqlite.DB); ok {
		if err := lite.Checkpoint(ctx); err != nil {
			return err
		}
	}
	fmt.Fprintf(c.io.err, "seeded %d customers (seed %d) into %s in %s\n", *count, *seedValue, db.Describe(), time.Since(start).Round(time.Millisecond))
	return nil
}

func seedCustomers(ctx context.Context, store custexport.CustomerStore, count int, seedValue uint64) error {
	gen := seed.New(seedValue, count, seedReference)
	buf := make([]custexport.Customer, min(seedBatch, count))
	for {
		n := 0
		for n < len(buf) && gen.Next(&buf[n]) {
			n++
		}
		if n == 0 {
			return nil
		}
		if err := store.InsertCustomers(ctx, buf[:n]); err != nil {
			return err
		}
	}
}
