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

// seedBatch is how many customers one insert transaction carries.
const seedBatch = 5000

func runSeed(ctx context.Context, args []string, io *stdio, getenv func(string) string) error {
	fs := newFlagSet("seed", "seed --customers N [--seed S]", io.err)
	var cfg storeConfig
	cfg.register(fs, getenv)
	count := fs.Int("customers", 0, "how many customers to create (required)")
	seedValue := fs.Uint64("seed", 1, "random seed: the same seed gives the same customers")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *count <= 0 {
		return usagef("--customers must be a positive number")
	}
	db, err := cfg.open(ctx)
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
		lite.UseBulkWriteCache(64 << 10) // more gains nothing; 256 MiB exceeds what ncruces gives a connection
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
	fmt.Fprintf(io.err, "seeded %d customers (seed %d) into %s in %s\n", *count, *seedValue, db.Describe(), time.Since(start).Round(time.Millisecond))
	return nil
}

func seedCustomers(ctx context.Context, store custexport.CustomerStore, count int, seedValue uint64) error {
	gen := seed.New(seedValue, count, seedReference)
	buf := make([]custexport.Customer, seedBatch)
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
